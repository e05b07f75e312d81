"""Onboard's Workflow Builder steps, run as Slack runs them: a signed `function_executed` event
over HTTP, completed through the stand-in's `functions.completeSuccess` / `completeError`.

Acme POS (`acme-pos`) lives in #CPAY (UALICE, UBOB); UCAROL is in #COTHER only. Each step
completes with the outputs manifest.yml declares, or fails with what was wrong and changes
nothing; a retried event is applied once."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from bot.listeners.functions import SPECS
from bot.listeners.functions.parameters import check_outputs
from storage.models import Application, Event, OutboxMessage, StepState
from tests.conftest import FakeClock
from tests.harness import TEAM_ID, RunningApp, signed_headers
from tests.scheduler.conftest import make_runner
from tests.slack_stub import SlackStub

# The token Slack gives a step's execution (`bot_access_token`); Bolt's client uses it.
FUNCTION_TOKEN = "xwfp-T0001-execution-token"
BY_CALLBACK = {spec.callback_id: spec for spec in SPECS}
_executions = iter(range(1, 1_000_000))


def function_body(
    callback_id: str, inputs: dict[str, Any], *, execution: str, event_id: str
) -> str:
    """A function_executed event shaped like Slack's documented example."""
    spec = BY_CALLBACK.get(callback_id)
    parameters = spec.inputs if spec else {}
    return json.dumps(
        {
            "token": "gIkuvaNzQIHg97ATvDxqgjtO",
            "team_id": TEAM_ID,
            "api_app_id": "A0ONBOARD",
            "event": {
                "type": "function_executed",
                "function": {
                    "id": "Fn0ONBOARD",
                    "callback_id": callback_id,
                    "title": callback_id,
                    "type": "app",
                    "input_parameters": [
                        {"type": p.type, "name": n, "is_required": p.required}
                        for n, p in parameters.items()
                    ],
                    "app_id": "A0ONBOARD",
                    "date_created": 1764000000,
                    "date_updated": 1764000000,
                    "date_deleted": 0,
                },
                "inputs": inputs,
                "function_execution_id": execution,
                "workflow_execution_id": f"Wx{execution}",
                "event_ts": f"{time.time():.6f}",
                "bot_access_token": FUNCTION_TOKEN,
            },
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(time.time()),
            "authorizations": [
                {
                    "team_id": TEAM_ID,
                    "user_id": "UBOT",
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
        }
    )


async def post_step(
    app: RunningApp,
    callback_id: str,
    inputs: dict[str, Any],
    *,
    execution: str,
    event_id: str | None = None,
    retry: int = 0,
) -> None:
    body = function_body(
        callback_id, inputs, execution=execution, event_id=event_id or f"Ev{execution}"
    )
    headers = signed_headers(body) | {"Content-Type": "application/json"}
    if retry:
        headers |= {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
    result = await app.post(body, headers)
    # Bolt acknowledges the event itself, before the step runs.
    assert result.status == 200


async def run_step(app: RunningApp, callback_id: str, **inputs: Any) -> dict[str, Any]:
    """Run one step; its completion ({"outputs": …} or {"error": …}) as Slack got it."""
    execution = f"Fx{next(_executions):06d}"
    await post_step(app, callback_id, inputs, execution=execution)
    return await completion(app.slack, execution)


async def completion(slack: SlackStub, execution: str, within: float = 5.0) -> dict[str, Any]:
    deadline = time.monotonic() + within
    while execution not in slack.function_results:
        assert time.monotonic() < deadline, f"{execution} was never completed"
        await asyncio.sleep(0.01)
    return slack.function_results[execution]


def outputs(result: dict[str, Any], callback_id: str) -> dict[str, Any]:
    assert "outputs" in result, result
    # What was sent is what the manifest declares (types, required outputs present).
    assert check_outputs(BY_CALLBACK[callback_id], result["outputs"]) == result["outputs"]
    return result["outputs"]


@pytest.fixture
def slack(slack: SlackStub) -> SlackStub:
    slack.tokens.add(FUNCTION_TOKEN)
    return slack


@pytest.fixture
async def acme(app: RunningApp) -> RunningApp:
    """Acme POS in #CPAY, its checklist posted there (so marks redraw it)."""
    assert "acme-pos" in (await app.command("new Acme POS")).text
    await app.command("status")
    await app.slack.wait_for("chat.postMessage")
    app.slack.clear()
    return app


async def application(app: RunningApp, slug: str) -> Application | None:
    async with app.runtime.sessions() as session:
        return await session.scalar(select(Application).where(Application.slug == slug))


async def marks_of(app: RunningApp, step: str) -> int:
    async with app.runtime.sessions() as session:
        events = await session.scalars(select(Event).where(Event.step == step))
        return sum(1 for e in events if e.kind == "marked")


async def step_done(app: RunningApp, step: str) -> bool:
    async with app.runtime.sessions() as session:
        state = await session.scalar(select(StepState).where(StepState.step == step))
        return state is not None and state.done_at is not None


# ---- Create an application --------------------------------------------------------------------


async def test_create_an_application_answers_its_slug(app: RunningApp, slack: SlackStub) -> None:
    result = await run_step(
        app, "create_application", name="Acme POS", channel="CPAY", owner="UBOB"
    )

    assert outputs(result, "create_application") == {"slug": "acme-pos"}
    created = await application(app, "acme-pos")
    assert created is not None
    assert (created.name, created.channel_id, created.owner_id) == ("Acme POS", "CPAY", "UBOB")
    # Completed with the execution's own token, as Bolt does.
    (call,) = slack.calls_to("functions.completeSuccess")
    assert call.token == FUNCTION_TOKEN
    # A second one in the same channel is one more (the workflow asked for it), not a question.
    again = await run_step(app, "create_application", name="Acme POS", channel="CPAY", owner="UBOB")
    assert outputs(again, "create_application") == {"slug": "acme-pos-2"}


@pytest.mark.parametrize(
    ("inputs", "error"),
    [
        (
            {"name": "Acme POS", "channel": "CPAY", "owner": "UCAROL"},
            "Only members of #CPAY can create an application in it; join the channel first.",
        ),
        (
            {"name": "x" * 150, "channel": "CPAY", "owner": "UBOB"},
            "That is not a name I can use (1–80 characters); nothing was created.",
        ),
        (
            {"name": "Acme POS", "channel": "DUBOB", "owner": "UBOB"},
            "The input channel must be a channel (a Slack channel id such as C012AB3CD).",
        ),
        (
            {"name": "", "channel": "CPAY", "owner": "UBOB"},
            "The input name is required and was empty.",
        ),
    ],
    ids=["owner-not-in-channel", "name-too-long", "a-dm", "no-name"],
)
async def test_create_an_application_refused(
    app: RunningApp, slack: SlackStub, inputs: dict[str, str], error: str
) -> None:
    result = await run_step(app, "create_application", **inputs)

    assert result == {"error": error}
    assert slack.calls_to("functions.completeSuccess") == []
    async with app.runtime.sessions() as session:
        assert list(await session.scalars(select(Application))) == []


# ---- Mark an onboarding step ----------------------------------------------------------------


async def test_mark_a_step_answers_progress_and_redraws_the_checklist_with_metadata(
    acme: RunningApp, slack: SlackStub, clock: FakeClock
) -> None:
    result = await run_step(
        acme, "mark_onboarding_step", application="acme-pos", step="1.1", user="UBOB"
    )

    assert outputs(result, "mark_onboarding_step") == {
        "done": 1,
        "total": 19,
        "progress": "1/19",
        "next_step": "1.2",
        "next_step_title": "Create an application",
        "announced": False,
    }
    assert await step_done(acme, "1.1")
    # The checklist message in #CPAY is redrawn, and says what happened in its metadata.
    (update,) = await slack.wait_for("chat.update")
    assert update.args["channel"] == "CPAY"
    assert update.args["metadata"] == {
        "event_type": "onboard_step_done",
        "event_payload": {
            "application": "acme-pos",
            "step": "1.1",
            "steps": ["1.1"],
            "actor": "UBOB",
            "time": clock.now.astimezone(UTC).isoformat(timespec="seconds"),
        },
    }
    assert slack.messages["CPAY"][update.args["ts"]]["metadata"] == update.args["metadata"]


@pytest.mark.parametrize(
    ("inputs", "error"),
    [
        (
            {"application": "nope", "step": "1.1", "user": "UBOB"},
            "There is no application nope here. /onboard list shows them.",
        ),
        (
            {"application": "acme-pos", "step": "9.9", "user": "UBOB"},
            "There is no step 9.9. Valid steps: 1.1–1.5, 2.1–2.5, 3.1–3.5, 4.1–4.3, 5.1; "
            "or a whole phase, 1–5.",
        ),
        (
            {"application": "acme-pos", "step": "abc", "user": "UBOB"},
            "abc is not a step id; a step id is a phase and a step number, such as 3.4.",
        ),
        (
            {"application": "acme-pos", "step": "1.1", "user": "UCAROL"},
            "Only members of #CPAY can change Acme POS (acme-pos); join the channel first.",
        ),
        (
            {"application": "acme-pos", "step": "1.1", "user": "not a user"},
            "The input user must be a person (a Slack user id such as U012AB3CD).",
        ),
        (
            {"application": "acme-pos", "step": "1.1"},
            "The input user is required and was empty.",
        ),
        (
            {"application": "acme-pos", "step": "3.5", "user": "UBOB"},
            None,  # the 3.5 gate: production credentials first (the command's refusal)
        ),
    ],
    ids=[
        "unknown-slug",
        "no-such-step",
        "not-a-step",
        "not-a-member",
        "bad-user",
        "no-user",
        "gate",
    ],
)
async def test_mark_a_step_refused_changes_nothing(
    acme: RunningApp, slack: SlackStub, inputs: dict[str, str], error: str | None
) -> None:
    result = await run_step(acme, "mark_onboarding_step", **inputs)

    assert set(result) == {"error"}
    if error is None:
        assert "3.5" in result["error"] and "production" in result["error"]
    else:
        assert result["error"] == error
    assert not await step_done(acme, inputs["step"]) if "." in inputs["step"] else True
    assert slack.calls_to("chat.update") == []


async def test_the_launch_step_asks_for_announce_then_announces_with_metadata(
    acme: RunningApp, slack: SlackStub, clock: FakeClock
) -> None:
    """3.4 while earlier steps are open: where the command would ask, the step needs the
    `announce` input; with it true the go-live goes out at once, carrying its event."""
    runner, _ = make_runner(acme.runtime, acme.settings, clock)
    acme.send_queued = runner.deliverer.deliver_queued

    asked = await run_step(
        acme, "mark_onboarding_step", application="acme-pos", step="3.4", user="UALICE"
    )
    assert "announce" in asked["error"] and "true" in asked["error"]
    assert not await step_done(acme, "3.4")

    result = await run_step(
        acme,
        "mark_onboarding_step",
        application="acme-pos",
        step="3.4",
        user="UALICE",
        announce=True,
    )
    assert outputs(result, "mark_onboarding_step")["announced"] is True
    posts = await slack.wait_for("chat.postMessage")
    (go_live,) = [p for p in posts if p.args["text"] == "Acme POS is live in production"]
    async with acme.runtime.sessions() as session:
        row = await session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "go-live"))
    assert row is not None
    expected = {
        "event_type": "onboard_went_live",
        "event_payload": {
            "outbox_id": row.id,
            "application": "acme-pos",
            "step": "3.4",
            "actor": "UALICE",
            "time": clock.now.astimezone(UTC).isoformat(timespec="seconds"),
        },
    }
    assert go_live.args["metadata"] == expected
    kept = [m for m in slack.messages["CPAY"].values() if m["text"] == go_live.args["text"]]
    assert [m["metadata"] for m in kept] == [expected]


async def test_marking_without_announcing(acme: RunningApp, slack: SlackStub) -> None:
    result = await run_step(
        acme,
        "mark_onboarding_step",
        application="acme-pos",
        step="3.4",
        user="UALICE",
        announce=False,
    )
    assert outputs(result, "mark_onboarding_step")["announced"] is False
    assert await step_done(acme, "3.4")
    async with acme.runtime.sessions() as session:
        assert list(await session.scalars(select(OutboxMessage))) == []


async def test_a_retried_event_is_applied_once(acme: RunningApp, slack: SlackStub) -> None:
    """Slack retries the event (same event_id), and, for good measure, delivers the same
    execution under another event id: one mark, one completion."""
    inputs = {"application": "acme-pos", "step": "1.1", "user": "UBOB"}
    await post_step(acme, "mark_onboarding_step", inputs, execution="FxONCE", event_id="EvONCE")
    await post_step(
        acme, "mark_onboarding_step", inputs, execution="FxONCE", event_id="EvONCE", retry=1
    )
    await post_step(acme, "mark_onboarding_step", inputs, execution="FxONCE", event_id="EvOTHER")
    result = await completion(slack, "FxONCE")
    await asyncio.sleep(0.2)  # room for a second completion, were one coming

    assert outputs(result, "mark_onboarding_step")["done"] == 1
    assert len(slack.calls_to("functions.completeSuccess")) == 1
    assert slack.calls_to("functions.completeError") == []
    assert await marks_of(acme, "1.1") == 1


# ---- Get checklist status -------------------------------------------------------------------


async def test_status_answers_where_the_checklist_stands(
    acme: RunningApp, slack: SlackStub, clock: FakeClock
) -> None:
    await acme.command("mark 1.1 1.2")
    await acme.command("assign 1.3 <@UBOB>")
    clock.now = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)  # three days on

    result = await run_step(acme, "get_checklist_status", application="acme-pos", user="UALICE")

    assert outputs(result, "get_checklist_status") == {
        "name": "Acme POS",
        "done": 2,
        "total": 19,
        "progress": "2/19",
        "current_phase": "1 Set up",
        "next_step": "1.3",
        "next_step_title": "Get sandbox client ID",
        "next_step_assignee": "UBOB",
        "days_since_progress": 3,
    }
    # Nothing goes live before 3.4; then the day it did.
    await acme.command("mark 3.4 --force")
    later = await run_step(acme, "get_checklist_status", application="acme-pos", user="UBOB")
    assert outputs(later, "get_checklist_status")["go_live_date"] == "2026-11-28"
    assert outputs(later, "get_checklist_status")["days_since_progress"] == 0


async def test_status_refused_to_a_non_member(acme: RunningApp, slack: SlackStub) -> None:
    result = await run_step(acme, "get_checklist_status", application="acme-pos", user="UCAROL")
    assert result == {
        "error": "Only members of #CPAY can change Acme POS (acme-pos); join the channel first."
    }
    unknown = await run_step(acme, "get_checklist_status", application="beta", user="UALICE")
    assert unknown == {"error": "There is no application beta here. /onboard list shows them."}


async def test_business_start_carries_its_event(
    acme: RunningApp, slack: SlackStub, clock: FakeClock
) -> None:
    """5.1 with nobody to tell goes to the channel: as `onboard_business_started`."""
    runner, _ = make_runner(acme.runtime, acme.settings, clock)
    acme.send_queued = runner.deliverer.deliver_queued

    result = await run_step(
        acme,
        "mark_onboarding_step",
        application="acme-pos",
        step="5.1",
        user="UBOB",
        announce=True,
    )

    assert outputs(result, "mark_onboarding_step")["announced"] is True
    (post,) = await slack.wait_for("chat.postMessage")
    assert post.args["channel"] == "CPAY"
    metadata = post.args["metadata"]
    assert metadata["event_type"] == "onboard_business_started"
    payload = metadata["event_payload"]
    assert (payload["application"], payload["step"], payload["actor"]) == (
        "acme-pos",
        "5.1",
        "UBOB",
    )


async def test_an_execution_id_slack_never_sends_runs_nothing(
    acme: RunningApp, slack: SlackStub
) -> None:
    inputs = {"application": "acme-pos", "step": "1.1", "user": "UBOB"}
    for execution in ("F" * 300, "Fx 1; drop"):
        await post_step(acme, "mark_onboarding_step", inputs, execution=execution, event_id="Ev1")
    await asyncio.sleep(0.2)
    assert slack.function_results == {}
    assert not await step_done(acme, "1.1")
