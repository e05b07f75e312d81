"""Exactly once: repeated, concurrent, failed, killed passes, and per-channel pacing.

Everything is claimed in the outbox (unique `dedupe_key`) before it is sent, so the stand-in
must see each message once whatever happens to the passes. The clock starts Wed 2026-11-25 10:00
UTC; an untouched step owned by a Los Angeles user is first reminded Fri 11-27 17:00 UTC (09:00
LA), and Mon 11-30 17:00 UTC is a moment when several kinds of message are due at once.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from slack_sdk.http_retry import async_handler, builtin_async_handlers
from sqlalchemy import select

from bot.blocks.notifications import render
from bot.delivery import LEASE
from bot.outbox_messages import Digest, GoLive, Reminder, Undeliverable, decode
from bot.scheduler import PassRunner
from bot.server import open_runtime
from storage import outbox
from storage.models import OutboxMessage
from tests.conftest import FakeClock
from tests.harness import RunningApp, make_settings
from tests.scheduler.conftest import Sim, make_runner, utc
from tests.slack_stub import SlackStub

MONDAY_9_LA = utc(2026, 11, 30, 17)


@pytest.fixture
def retry_sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """slack_sdk's own retries (429, dropped connections) record their waits instead of
    sleeping them."""
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    fake_asyncio = SimpleNamespace(sleep=sleep)
    monkeypatch.setattr(async_handler, "asyncio", fake_asyncio)
    monkeypatch.setattr(builtin_async_handlers, "asyncio", fake_asyncio)
    return slept


def refuse_posts_to(slack: SlackStub, target: str, error: str) -> None:
    """From now on the stand-in answers chat.postMessage to `target` with `error`."""
    post = slack._dispatch["chat.postMessage"]

    def refusing(args: dict[str, Any], token: str | None) -> dict[str, Any]:
        if args.get("channel") == target:
            return {"ok": False, "error": error}
        return post(args, token)

    slack._dispatch["chat.postMessage"] = refusing


def posted(slack: SlackStub) -> Counter[tuple[str, str]]:
    """(channel, fallback text) of every chat.postMessage Slack accepted, counted."""
    return Counter(
        (c.args["channel"], c.args["text"])
        for c in slack.calls_to("chat.postMessage")
        if c.answered_with == "ok"
    )


def expected(messages: list[OutboxMessage]) -> Counter[tuple[str, str]]:
    """What the stand-in must have seen: each outbox row once, rendered."""
    return Counter((m.target, render(decode(m.kind, m.payload))[0]) for m in messages)


THROUGH_GO_LIVE = "mark 1 2 3.1 3.2 3.3 3.4"  # in order: only 3.5 is left active


async def busy_monday(command: Callable[..., Any]) -> None:
    """Three applications created Wed 10:00 UTC whose pass on Mon 11-30 17:00 UTC has six
    messages due: reminders about Acme's 1.1 (UALICE), Beta's 3.5 (UBOB) and Gamma's 3.5
    (UCAROL), go-lives of Beta (#CPAY) and Gamma (#COTHER), and #CPAY's daily 09:00 LA digest."""
    await command("new Acme POS")
    await command("digest daily 09:00 --app acme-pos")
    await command("new Beta Kiosk --another")
    await command(f"{THROUGH_GO_LIVE} --app beta-kiosk")
    # UBOB takes it himself, so no assignment DM joins Monday's messages.
    await command("assign 3.5 <@UBOB|bob> --app beta-kiosk", user="UBOB")
    await command("new Gamma Store", user="UCAROL", channel="COTHER")
    await command(THROUGH_GO_LIVE, user="UCAROL", channel="COTHER")


BUSY_MONDAY_KINDS = Counter({Reminder.KIND: 3, GoLive.KIND: 2, Digest.KIND: 1})


async def test_a_repeated_pass_at_the_same_now_sends_nothing_new(
    sim: Sim, slack: SlackStub, clock: FakeClock
) -> None:
    """Busy Monday: a pass at 17:00 UTC sends 6; the same runner again at 17:00, then a new
    runner on a fresh runtime (a restart) at 17:00, send nothing; stand-in counts stay 1 each."""
    await busy_monday(sim.command)

    first = await sim.run_pass(MONDAY_9_LA)
    again = await sim.run_pass(MONDAY_9_LA)
    runtime = await open_runtime(sim.app.settings)
    try:
        restarted, _ = make_runner(runtime, sim.app.settings, clock)
        after_restart = await restarted.run_pass(MONDAY_9_LA)
    finally:
        await runtime.close()

    assert Counter(p.kind for p in first.posts) == BUSY_MONDAY_KINDS
    # The go-lives were enqueued by the marks; the pass plans the other four. Once claimed,
    # the digest is not even planned again; the reminders are, and find their keys taken.
    assert (first.report.planned, first.report.claimed, first.report.delivery.sent) == (4, 4, 6)
    assert (again.report.planned, again.report.claimed, again.report.delivery.sent) == (3, 0, 0)
    assert (after_restart.planned, after_restart.claimed, after_restart.delivery.sent) == (3, 0, 0)
    assert again.posts == []
    messages = await sim.outbox()
    assert {m.status for m in messages} == {"sent"}
    assert posted(slack) == expected(messages)
    assert set(posted(slack).values()) == {1}


@pytest.fixture
async def two_runners(
    database_url: str, slack: SlackStub, clock: FakeClock, tmp_path: Path
) -> AsyncIterator[tuple[RunningApp, PassRunner, PassRunner]]:
    """The app on `database_url` (one SQLite file, or PostgreSQL), and two PassRunners on two
    separate runtimes and engines over that one database, as two processes would have."""
    settings = make_settings(tmp_path / "data", slack, database_url)
    app = await RunningApp(settings, slack, clock=clock).start()
    runtime = await open_runtime(settings)
    try:
        first, _ = make_runner(app.runtime, settings, clock)
        second, _ = make_runner(runtime, settings, clock)
        yield app, first, second
    finally:
        await runtime.close()
        await app.stop()


async def test_two_processes_passing_at_the_same_moment_send_each_message_once(
    two_runners: tuple[RunningApp, PassRunner, PassRunner], slack: SlackStub, clock: FakeClock
) -> None:
    """Busy Monday plus five more stalled applications of UCAROL's, on SQLite and PostgreSQL:
    two runners pass concurrently at Mon 17:00 UTC (6 due: UCAROL's six stalled steps, Gamma's
    and the five new ones, are one DM), again at 17:00 (none), and at Tue 17:00 UTC (3
    reminders and a digest; 8 reminders before one DM a person); every outbox
    row reaches the stand-in exactly once."""
    app, first, second = two_runners

    async def command(text: str, user: str = "UALICE", channel: str = "CPAY") -> None:
        result = await app.command(text, user=user, channel=channel)
        assert result.status == 200, result

    await busy_monday(command)
    for name in ("Delta", "Epsilon", "Zeta", "Eta", "Theta"):
        await command(f"new {name} --another", user="UCAROL", channel="COTHER")

    reports = []
    for now in (MONDAY_9_LA, MONDAY_9_LA, MONDAY_9_LA + timedelta(days=1)):
        clock.now = now
        reports.append(await asyncio.gather(first.run_pass(now), second.run_pass(now)))

    async with app.runtime.sessions() as session:
        messages = list(await session.scalars(select(OutboxMessage)))
    by_day = Counter(m.created_at.date().isoformat() for m in messages)
    assert by_day == {"2026-11-25": 2, "2026-11-30": 4, "2026-12-01": 4}  # go-lives: marked Wed
    assert {m.status for m in messages} == {"sent"}
    assert posted(slack) == expected(messages)  # the same messages, each once
    assert len(slack.calls_to("chat.postMessage")) == 10
    claimed = [sum(r.claimed for r in pair) for pair in reports]
    sent = [sum(r.delivery.sent for r in pair) for pair in reports]
    assert (claimed, sent) == ([4, 0, 4], [6, 0, 4])


@pytest.mark.parametrize(
    ("failure", "attempts", "retry_sleeps_asked", "due_again_after"),
    [
        pytest.param({"status": 500}, 1, 0, timedelta(seconds=30), id="http-500"),
        pytest.param(
            {"retry_after": 0, "times": 3}, 3, 2, timedelta(0), id="429-retries-exhausted"
        ),
        # A post is never retried blind by slack_sdk (bot/slack_client.py): one call.
        pytest.param(
            {"drop_connection": True, "times": 1}, 1, 0, timedelta(seconds=30), id="dropped"
        ),
    ],
)
async def test_a_send_that_failed_stays_pending_and_goes_out_once_on_a_later_pass(
    sim: Sim,
    slack: SlackStub,
    retry_sleeps: list[float],
    failure: dict[str, Any],
    attempts: int,
    retry_sleeps_asked: int,
    due_again_after: timedelta,
) -> None:
    """Go-live marked Mon 18:00 UTC; the 18:01 pass's post fails (after slack_sdk's own
    retries); the row stays pending with the error; not retried before its backoff (30 s, or
    Retry-After 0 s); the next pass after that sends it once; a later one sends nothing."""
    await sim.command("new Acme POS")
    await sim.command("remind off")
    await sim.command("mark 3.4 --force", at=utc(2026, 11, 30, 18))
    slack.fail("chat.postMessage", **failure)
    start = utc(2026, 11, 30, 18, 1)

    failed = await sim.run_pass(start)

    assert failed.posts == []
    assert (failed.report.delivery.sent, failed.report.delivery.retried) == (0, 1)
    assert len(slack.calls_to("chat.postMessage")) == attempts
    assert len(retry_sleeps) == retry_sleeps_asked
    (message,) = await sim.outbox()
    assert (message.status, message.attempts) == ("pending", 1)
    # Due again `due_again_after` from when the send failed: the pass's start plus the
    # (real, here tiny) time it had run by then.
    assert start + due_again_after <= message.next_attempt_at
    assert message.next_attempt_at < start + due_again_after + timedelta(seconds=1)
    assert message.last_error

    if due_again_after:
        too_early = await sim.run_pass(start + due_again_after - timedelta(seconds=1))
        assert too_early.posts == []
    retried = await sim.run_pass(start + due_again_after + timedelta(seconds=1))
    later = await sim.run_pass(start + timedelta(minutes=10))

    assert [(p.kind, p.channel) for p in retried.posts] == [(GoLive.KIND, "CPAY")]
    assert later.posts == []
    (message,) = await sim.outbox()
    assert (message.status, message.attempts, message.last_error) == ("sent", 2, None)
    assert sum(posted(slack).values()) == 1


async def test_an_undeliverable_reminder_is_failed_the_channel_told_once_and_the_rest_sent(
    sim: Sim, slack: SlackStub
) -> None:
    """Acme POS's 1.1 assigned to UGONE, whom Slack no longer knows (user_not_found); Beta
    Kiosk done through 3.4 (go-live pending), its 3.5 assigned to UBOB. Mon 17:00 UTC pass:
    UBOB's reminder and the go-live go out, UGONE's is failed; the 17:01 pass tells #CPAY once
    (the notice is enqueued by the failing pass, so it goes out at the next one); Tue 17:00 UTC:
    UGONE fails again (no second notice), UBOB is reminded."""
    slack.add_user("UGONE")
    slack.channel_members["CPAY"].append("UGONE")  # in the channel, so reminded themselves
    await sim.command("new Acme POS")
    await sim.command("new Beta Kiosk --another")
    # Each takes their step, so no assignment DM is sent (nor fails) before the passes.
    await sim.command("assign 1.1 <@UGONE|gone> --app acme-pos", user="UGONE")
    await sim.command(f"{THROUGH_GO_LIVE} --app beta-kiosk")
    await sim.command("assign 3.5 <@UBOB|bob> --app beta-kiosk", user="UBOB")
    refuse_posts_to(slack, "UGONE", "user_not_found")

    monday = await sim.run_pass(MONDAY_9_LA)
    told = await sim.run_pass(MONDAY_9_LA + timedelta(minutes=1))
    tuesday = await sim.run_pass(MONDAY_9_LA + timedelta(days=1))
    tuesday_later = await sim.run_pass(MONDAY_9_LA + timedelta(days=1, minutes=1))

    assert sorted((p.kind, p.channel) for p in monday.posts) == [
        (GoLive.KIND, "CPAY"),
        (Reminder.KIND, "UBOB"),
    ]
    d = monday.report.delivery
    assert (d.sent, d.retried, d.failed) == (2, 0, 1)
    (notice,) = told.posts
    assert (notice.kind, notice.channel) == (Undeliverable.KIND, "CPAY")
    assert notice.markdown == (
        "I couldn't deliver a reminder to <@UGONE> (Slack said `user_not_found`). "
        "Check the step's assignee or the contacts of *Acme POS*, or invite me to the channel."
    )
    assert [(p.kind, p.channel) for p in tuesday.posts] == [(Reminder.KIND, "UBOB")]
    assert tuesday.report.delivery.failed == 1
    assert tuesday_later.posts == []
    failed = [m for m in await sim.outbox() if m.status == "failed"]
    assert [(m.target, m.last_error) for m in failed] == [("UGONE", "user_not_found")] * 2
    assert len([c for c in slack.calls_to("chat.postMessage") if c.args["channel"] == "UGONE"]) == 2


async def test_a_pass_killed_after_claiming_is_picked_up_once_its_lease_expires(
    sim: Sim, slack: SlackStub
) -> None:
    """Go-live marked Mon 18:00 UTC; a pass "dies" after claiming it at 18:01 (claim committed,
    nothing sent); passes at 18:02 and 18:05 (lease until 18:06) send nothing; 18:07 sends it
    once; 18:30 nothing."""
    await sim.command("new Acme POS")
    await sim.command("remind off")
    await sim.command("mark 3.4 --force", at=utc(2026, 11, 30, 18))
    killed_at = utc(2026, 11, 30, 18, 1)
    async with sim.app.runtime.writes.begin() as session:
        (claimed,) = await outbox.claim_due(session, killed_at, lease=LEASE, token="killed-pass")
    assert (claimed.kind, claimed.status) == (GoLive.KIND, "sending")

    during_lease = [
        await sim.run_pass(killed_at + timedelta(minutes=1)),
        await sim.run_pass(killed_at + timedelta(minutes=4)),
    ]
    after_lease = await sim.run_pass(killed_at + LEASE + timedelta(minutes=1))
    later = await sim.run_pass(utc(2026, 11, 30, 18, 30))

    assert [r.posts for r in during_lease] == [[], []]
    assert [(p.kind, p.channel) for p in after_lease.posts] == [(GoLive.KIND, "CPAY")]
    assert later.posts == []
    (message,) = await sim.outbox()
    assert (message.status, message.attempts) == ("sent", 2)
    assert len(slack.calls_to("chat.postMessage")) == 1


async def test_messages_to_one_channel_are_a_second_apart_other_channels_do_not_wait(
    sim: Sim, slack: SlackStub
) -> None:
    """Five go-lives for #CPAY, one each for #COTHER and #CTHIRD, marked Wed 10:00 UTC; one pass
    Wed 10:01 UTC (no reminder due yet): the pacer asks for exactly four 1 s waits, between the
    #CPAY ones; a sixth #CPAY go-live at a pass 0.5 s later waits the remaining 0.5 s."""
    slack.channel_members["CTHIRD"] = ["UALICE", "UBOT"]
    await sim.command("new Other", user="UCAROL", channel="COTHER")
    await sim.command("mark 3.4 --force", user="UCAROL", channel="COTHER")
    await sim.command("new Third", channel="CTHIRD")
    await sim.command("mark 3.4 --force", channel="CTHIRD")
    for name in ("A1", "A2", "A3", "A4", "A5", "A6"):
        await sim.command(f"new {name} --another")
    for slug in ("a1", "a2", "a3", "a4", "a5"):
        await sim.command(f"mark 3.4 --force --app {slug}")
    start = utc(2026, 11, 25, 10, 1)

    first = await sim.run_pass(start)

    assert Counter(p.channel for p in first.posts) == {"CPAY": 5, "COTHER": 1, "CTHIRD": 1}
    assert {p.kind for p in first.posts} == {GoLive.KIND}
    assert sim.pacer.slept == pytest.approx([1.0] * 4)

    await sim.command("mark 3.4 --force --app a6")
    second = await sim.run_pass(start + timedelta(seconds=0.5))

    assert [p.channel for p in second.posts] == ["CPAY"]
    assert sim.pacer.slept == pytest.approx([1.0] * 4 + [0.5])


async def test_two_processes_escalate_a_channels_steps_in_one_message_once(
    two_runners: tuple[RunningApp, PassRunner, PassRunner], slack: SlackStub, clock: FakeClock
) -> None:
    """1.1 of Acme and of Beta (#CPAY) assigned to UBOB; both runners pass together on Fri,
    Mon and Tue 17:00 UTC (the reminders), then at Tue 18:00, 19:00 and Wed 18:00 UTC: UBOB
    gets one DM a day, and #CPAY one escalation naming both steps, never a second."""
    app, first, second = two_runners
    # UBOB takes the steps himself: no assignment DMs join the posts counted.
    for text, user in (
        ("new Acme POS", "UALICE"),
        ("new Beta Kiosk --another", "UALICE"),
        ("assign 1.1 <@UBOB|bob> --app acme-pos", "UBOB"),
        ("assign 1.1 <@UBOB|bob> --app beta-kiosk", "UBOB"),
    ):
        assert (await app.command(text, user=user, channel="CPAY")).status == 200
    tuesday = utc(2026, 12, 1, 17)
    passes = [utc(2026, 11, 27, 17), MONDAY_9_LA, tuesday]
    passes += [tuesday + timedelta(hours=1), tuesday + timedelta(hours=2)]
    passes += [utc(2026, 12, 2, 18)]

    for now in passes:
        clock.now = now
        await asyncio.gather(first.run_pass(now), second.run_pass(now))

    posts = [c.args for c in slack.calls_to("chat.postMessage") if c.answered_with == "ok"]
    assert [p["channel"] for p in posts] == ["UBOB", "UBOB", "UBOB", "CPAY", "UBOB"]
    escalation = posts[3]
    assert escalation["text"] == "2 steps are stuck"
    assert "*Acme POS*" in str(escalation["blocks"]) and "*Beta Kiosk*" in str(escalation["blocks"])
