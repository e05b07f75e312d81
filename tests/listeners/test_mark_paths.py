"""The three ways to mark a step (the `mark` command, the checklist's *Mark done* button, a
reminder's *Mark done*) are one intent: the same use case, the same outcome, and the same
follow-up calls to Slack for the same change. UALICE marks step 1.1, which is UBOB's: the
Home redrawn is UBOB's, whichever way she marked it."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from bot.blocks import checklist as blocks
from bot.blocks.notifications import REMINDER_MARK
from bot.usecases import checklist
from storage.models import Application
from tests.conftest import FakeClock
from tests.harness import RunningApp, block_actions_body, make_settings, signed_headers
from tests.slack_stub import SlackStub

FOLLOW_UP_METHODS = ("chat.update", "views.publish", "chat.postMessage")


@dataclass
class Seen:
    outcome: Any
    followup: Any
    calls: list[tuple[str, str, str]]


async def _command(app: RunningApp, _application: Application) -> None:
    await app.command("mark 1.1", user="UALICE")


async def _click(app: RunningApp, application: Application, action_id: str, where: dict) -> None:
    message = app.slack.messages.get(where["channel_id"], {}).get(where["message_ts"], {})
    body = block_actions_body(
        user_id="UALICE",
        action={
            "action_id": action_id,
            "block_id": "b",
            "type": "button",
            "value": blocks.action_value(application.id, "1.1", "mark"),
        },
        container={"type": "message", "is_ephemeral": False} | where,
        message=dict(message, ts=where["message_ts"], type="message"),
        response_url=app.slack.response_url("clicked"),
    )
    assert (await app.post(body, signed_headers(body))).status == 200


async def _checklist_button(app: RunningApp, application: Application) -> None:
    assert application.checklist_ts is not None
    where = {"channel_id": "CPAY", "message_ts": application.checklist_ts}
    await _click(app, application, blocks.TOGGLE_STEP, where)


async def _reminder_button(app: RunningApp, application: Application) -> None:
    # A reminder is a DM from the bot; its container is that DM, not the channel.
    await _click(app, application, REMINDER_MARK, {"channel_id": "DUBOB", "message_ts": "1.1"})


async def _mark_through(path, slack: SlackStub, clock: FakeClock, tmp_path, monkeypatch) -> Seen:
    app = await RunningApp(make_settings(tmp_path, slack), slack, clock=clock).start()
    try:
        await app.command("new Acme POS")
        await app.command("assign 1.1 <@UBOB>")
        await app.command("status")
        await slack.wait_for("chat.postMessage")
        application = await _recorded(app)
        slack.clear()
        results: list[Any] = []
        real_mark = checklist.mark

        async def recording_mark(*args, **kwargs):
            results.append(await real_mark(*args, **kwargs))
            return results[-1]

        monkeypatch.setattr(checklist, "mark", recording_mark)
        await path(app, application)
        await slack.wait_for("views.publish")
        await slack.wait_for("chat.update")
        monkeypatch.undo()
        (marked,) = results

        # Each fresh workspace posts its checklist with another ts: name it by what it is.
        def target(args: dict) -> str:
            if args.get("ts") == application.checklist_ts:
                return "the recorded checklist"
            return args.get("ts") or args.get("user_id", "")

        calls = sorted(
            (c.method, c.args.get("channel", ""), target(c.args))
            for c in slack.calls
            if c.method in FOLLOW_UP_METHODS
        )
        return Seen(marked.outcome, marked.followup, calls)
    finally:
        await app.stop()


async def _recorded(app: RunningApp) -> Application:
    """The application, once its posted checklist message is recorded."""
    for _ in range(500):
        async with app.runtime.sessions() as session:
            application = await session.scalar(select(Application))
        if application is not None and application.checklist_ts:
            return application
        await asyncio.sleep(0.01)  # the ack came first; the post and its record follow
    raise AssertionError("the checklist message was never recorded")


async def test_the_three_mark_paths_have_one_outcome_and_one_follow_up(
    slack: SlackStub, clock: FakeClock, tmp_path, monkeypatch
) -> None:
    seen = {
        path.__name__: await _mark_through(
            path, slack, clock, tmp_path / path.__name__, monkeypatch
        )
        for path in (_command, _checklist_button, _reminder_button)
    }
    command = seen["_command"]
    assert command.outcome.changed == ["1.1"] and command.outcome.done_count == 1
    assert command.followup.homes == {"UBOB"}
    assert ("views.publish", "", "UBOB") in command.calls
    assert any(
        method == "chat.update" and channel == "CPAY" for method, channel, _ in command.calls
    )
    for name, other in seen.items():
        assert other.outcome == command.outcome, name
        assert (other.followup.homes, other.followup.queued, other.followup.redraw_checklist) == (
            command.followup.homes,
            command.followup.queued,
            command.followup.redraw_checklist,
        ), name
        # The message each redraws is the one its own application recorded (same ts in
        # each fresh workspace), and the Homes are the same people's.
        assert other.calls == command.calls, (name, json.dumps(other.calls))
