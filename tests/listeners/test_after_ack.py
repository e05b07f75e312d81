"""Answered at the ack (bot/listeners/after_ack.py): with Bolt's process_before_response, the
work a listener does after its ack runs on as a task and does not hold up Slack's answer; a
failure before the ack still reaches Bolt's error handler, one after it is logged."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.request.async_request import AsyncBoltRequest

from bot.listeners import after_ack
from bot.listeners.after_ack import AnsweringAtAck
from tests.harness import SIGNING_SECRET, TEAM_ID, block_actions_body, signed_headers


def bolt_app() -> AsyncApp:
    identity = AuthorizeResult(
        enterprise_id=None, team_id=TEAM_ID, bot_token="xoxb-test", bot_user_id="UBOT"
    )

    async def authorize() -> AuthorizeResult:
        return identity

    return AsyncApp(
        signing_secret=SIGNING_SECRET, authorize=authorize, process_before_response=True
    )


def click(action_id: str) -> AsyncBoltRequest:
    body = block_actions_body(
        user_id="UALICE",
        action={"type": "button", "action_id": action_id, "block_id": "b", "value": "v"},
        container={"type": "message", "channel_id": "CPAY", "message_ts": "1.2"},
        response_url="https://hooks.slack.invalid/actions/1",
    )
    return AsyncBoltRequest(body=body, headers=signed_headers(body))


async def test_the_answer_goes_at_the_ack_and_the_rest_runs_after() -> None:
    app = bolt_app()
    go_on = asyncio.Event()
    steps: list[str] = []

    async def clicked(ack, body: dict[str, Any]) -> None:
        steps.append("before the ack")
        await ack()
        await go_on.wait()  # e.g. redrawing the message: Slack must not wait for it
        steps.append("after the ack")

    AnsweringAtAck(app).action("slow")(clicked)
    response = await asyncio.wait_for(app.async_dispatch(click("slow")), timeout=2)
    assert response.status == 200
    assert steps == ["before the ack"]

    go_on.set()
    await after_ack.pending()
    assert steps == ["before the ack", "after the ack"]


async def test_a_failure_before_the_ack_is_bolts_and_one_after_it_is_logged(caplog) -> None:
    app = bolt_app()

    async def fails_first(ack) -> None:
        raise RuntimeError("before the ack")

    async def fails_after(ack) -> None:
        await ack()
        raise RuntimeError("after the ack")

    answering = AnsweringAtAck(app)
    answering.action("first")(fails_first)
    answering.action("after")(fails_after)

    assert (await app.async_dispatch(click("first"))).status == 500
    with caplog.at_level(logging.ERROR, logger=after_ack.__name__):
        assert (await app.async_dispatch(click("after"))).status == 200
        await after_ack.pending()
    assert any("after the ack" in str(r.exc_info[1]) for r in caplog.records if r.exc_info)


async def test_without_it_bolt_would_hold_the_answer_for_the_whole_listener() -> None:
    """Why the wrapper exists: a listener registered on the app directly is awaited whole."""
    app = bolt_app()
    go_on = asyncio.Event()

    async def clicked(ack) -> None:
        await ack()
        await go_on.wait()

    app.action("slow")(clicked)
    dispatch = asyncio.ensure_future(app.async_dispatch(click("slow")))
    await asyncio.sleep(0.05)
    assert not dispatch.done()
    go_on.set()
    assert (await dispatch).status == 200
