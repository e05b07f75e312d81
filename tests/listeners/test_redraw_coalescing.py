"""Redraws that follow changes, coalesced per surface, seen from Slack's side: a burst of
changes to one application through signed requests updates its checklist message and the
assignee's Home a few times, not once per change, and the last update shows the final state.
The coalescer's time is moved by hand (tests/manual_time.py): nothing sleeps for real."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from bot.coalescing import Coalescer
from bot.surfaces import Surfaces
from storage.models import Application
from tests.conftest import FakeClock
from tests.harness import RunningApp, make_settings
from tests.listeners.dispatch import as_dicts
from tests.manual_time import ManualTime
from tests.slack_stub import SlackStub

STEPS = ("1.1", "1.2", "1.3", "1.4", "1.5")
# Rounds over STEPS of assign, note, unassign in turn; the last round assigns.
ROUNDS = 61
CHANGES = ROUNDS * len(STEPS)
AT_ONCE = 4  # requests in flight together (more, on a loaded machine, outlast the 3 s ack)
BURST_SECONDS = 5.0
# The target: per 1,000 changes to one application within 5 s.
MOST_REDRAWS = 10


def change(i: int) -> str:
    step, round_ = STEPS[i % len(STEPS)], i // len(STEPS)
    return (f"assign {step} <@UBOB>", f"note {step} note {i}", f"unassign {step}")[round_ % 3]


async def until(condition: Callable[[], bool], what: str) -> None:
    for _ in range(1000):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"never: {what}")


async def posted(app: RunningApp, slack: SlackStub) -> tuple[int, str]:
    """A new application with its checklist posted; (application id, message ts)."""
    await app.command("new Acme POS")
    await app.command("status")
    await app.settled()
    (ts,) = slack.messages["CPAY"]
    async with app.runtime.sessions() as session:
        application = await session.scalar(select(Application))
    assert application is not None and application.checklist_ts == ts
    slack.clear()
    return application.id, ts


def manual_redraws(app: RunningApp) -> ManualTime:
    time = ManualTime()
    app.runtime.redraws = Coalescer(now=time, sleep=time.sleep)
    return time


def home_steps(view: dict[str, Any]) -> set[str]:
    sections = [b for b in view["blocks"] if b["type"] == "section" and "accessory" in b]
    return {s["text"]["text"].split("*")[1] for s in sections}


async def test_a_burst_of_changes_redraws_each_surface_a_few_times_ending_in_the_final_state(
    app: RunningApp, slack: SlackStub
) -> None:
    time = manual_redraws(app)
    application_id, ts = await posted(app, slack)

    for start in range(0, CHANGES, AT_ONCE):
        answers = await asyncio.gather(
            *(app.command(change(i)) for i in range(start, min(start + AT_ONCE, CHANGES)))
        )
        assert all(a.status == 200 for a in answers)
        time.advance(BURST_SECONDS * AT_ONCE / CHANGES)
    time.advance(1.0)
    await app.settled()

    updates = slack.calls_to("chat.update")
    assert {(u.args["channel"], u.args["ts"]) for u in updates} == {("CPAY", ts)}
    assert 1 <= len(updates) <= MOST_REDRAWS, len(updates)
    final = await Surfaces(app.runtime).render_checklist(application_id)
    assert final is not None
    assert updates[-1].args["blocks"] == as_dicts(final.blocks)
    assert updates[-1].args["text"] == final.text

    homes = [c.args for c in slack.calls_to("views.publish")]
    bob = [h["view"] for h in homes if h["user_id"] == "UBOB"]
    assert 1 <= len(bob) <= MOST_REDRAWS, len(bob)
    assert len(homes) <= 2 * MOST_REDRAWS  # UBOB's, and any other Home once a second too
    assert home_steps(bob[-1]) == set(STEPS)  # the last round assigned them all to UBOB
    assert app.runtime.redraws.requested >= CHANGES


async def test_a_change_while_a_redraw_waits_is_in_the_next_redraw(
    app: RunningApp, slack: SlackStub
) -> None:
    """Idle, a change is redrawn at once; the next within the interval waits for it, and
    shows both."""
    time = manual_redraws(app)
    await posted(app, slack)

    await app.command("rename Acme One")
    await until(lambda: len(slack.calls_to("chat.update")) == 1, "the first redraw")
    assert "Acme One" in slack.calls_to("chat.update")[0].args["text"]
    await app.command("rename Acme Two")
    await until(lambda: time.sleeping == 1, "the second redraw waiting")
    assert len(slack.calls_to("chat.update")) == 1

    time.advance(1.0)
    await until(lambda: len(slack.calls_to("chat.update")) == 2, "the second redraw")
    assert "Acme Two" in slack.calls_to("chat.update")[1].args["text"]


async def test_stopping_right_after_a_change_still_redraws_it(
    slack: SlackStub, clock: FakeClock, tmp_path
) -> None:
    app = await RunningApp(make_settings(tmp_path / "data", slack), slack, clock=clock).start()
    stopped = False
    try:
        time = manual_redraws(app)
        application_id, ts = await posted(app, slack)
        await app.command("rename Acme One")
        await until(lambda: len(slack.calls_to("chat.update")) == 1, "the first redraw")
        await app.command("rename Acme Two")
        await until(lambda: time.sleeping == 1, "the second redraw waiting")
        final = await Surfaces(app.runtime).render_checklist(application_id)
        assert final is not None and "Acme Two" in final.text

        await app.stop()  # time never moves: the stop itself redraws
        stopped = True
    finally:
        if not stopped:
            await app.stop()

    last = slack.calls_to("chat.update")[-1]
    assert len(slack.calls_to("chat.update")) == 2
    assert (last.args["ts"], last.args["text"]) == (ts, final.text)
    assert last.args["blocks"] == as_dicts(final.blocks)
