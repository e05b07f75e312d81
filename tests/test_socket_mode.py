"""The app over Socket Mode: the stub hands out its own ws:// URL and delivers envelopes.

The app runs in the test's event loop with Bolt's own AsyncSocketModeHandler (counted by
bot/monitoring/requests.py's MeasuredSocketModeHandler), the way
`bot.server.serve` connects when SLACK_APP_TOKEN is set (serve itself installs signal
handlers and stops only on a signal, so it is not run in-process here).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import pytest
from sqlalchemy import select

from bot.app import create_app
from bot.config import Settings
from bot.monitoring.requests import MeasuredSocketModeHandler
from bot.runtime import Runtime
from bot.server import open_runtime
from storage.models import Event, StepState
from tests.harness import blocks_text, make_settings, slash_command_body
from tests.slack_stub import SlackStub

APP_TOKEN = "xapp-1-test"


async def _hold(_ids) -> None:
    """Queued messages wait for a pass; none are queued here."""


@pytest.fixture
async def runtime(slack: SlackStub, tmp_path: Path) -> AsyncIterator[Runtime]:
    """The app connected to the stub in Socket Mode, as `serve` connects it.

    The socket is closed before the stub stops (the fixture depends on `slack`).
    """
    slack.tokens.add(APP_TOKEN)
    http_settings = make_settings(tmp_path / "data", slack)
    settings = Settings(
        **{**http_settings.model_dump(), "slack_app_token": APP_TOKEN},
        _env_file=None,  # type: ignore[call-arg]
    )
    assert settings.socket_mode
    runtime = await open_runtime(settings)
    handler: MeasuredSocketModeHandler | None = None
    try:
        handler = MeasuredSocketModeHandler(
            await create_app(settings, runtime, deliver=_hold), APP_TOKEN, runtime.metrics
        )
        await handler.connect_async()
        await wait_until(lambda: slack.socket_connected, "the stub to see the socket")
        yield runtime
    finally:
        if handler is not None:
            await handler.close_async()
        await runtime.close()


async def wait_until(condition: Callable[[], bool], what: str, deadline: float = 5.0) -> None:
    give_up = time.monotonic() + deadline
    while not condition():
        if time.monotonic() > give_up:
            raise AssertionError(f"gave up waiting for {what} after {deadline}s")
        await asyncio.sleep(0.01)


def slash_command(text: str, slack: SlackStub) -> dict[str, Any]:
    """The payload of a `slash_commands` envelope: the same fields as over HTTP."""
    body = slash_command_body(
        text, user_id="UALICE", channel_id="CPAY", response_url=slack.response_url()
    )
    return dict(parse_qsl(body, keep_blank_values=True))


async def command(slack: SlackStub, text: str) -> dict[str, Any]:
    """Send `/onboard <text>` and return the ack's response payload."""
    ack = await slack.send_envelope(slash_command(text, slack))
    return ack.get("payload") or {}


async def test_connects_through_apps_connections_open(runtime: Runtime, slack: SlackStub) -> None:
    [opened] = slack.calls_to("apps.connections.open")
    assert opened.token == APP_TOKEN


async def test_help_comes_back_in_the_ack(runtime: Runtime, slack: SlackStub) -> None:
    answer = await command(slack, "help")
    assert answer["response_type"] == "ephemeral"
    shown = "\n".join(blocks_text(answer["blocks"]))
    for usage in ("/onboard new", "/onboard mark", "/onboard history", "/onboard report"):
        assert usage in shown


async def test_new_and_mark_are_stored(runtime: Runtime, slack: SlackStub) -> None:
    created = await command(slack, "new Acme")
    assert created["response_type"] == "in_channel"
    assert "`acme`" in created["text"]

    marked = await command(slack, "mark 1.1")
    assert "Marked done: 1.1" in marked["text"]

    async with runtime.sessions() as session:
        events = (await session.execute(select(Event.kind, Event.step, Event.actor_id))).all()
        step = await session.scalar(select(StepState).where(StepState.step == "1.1"))
    assert [tuple(e) for e in events] == [
        ("created", None, "UALICE"),
        ("marked", "1.1", "UALICE"),
    ]
    assert step is not None
    assert step.done_by == "UALICE"
    assert step.done_at is not None


async def test_requests_over_the_socket_are_counted(runtime: Runtime, slack: SlackStub) -> None:
    await command(slack, "new Acme")
    await command(slack, "mark 1.1")
    requests = runtime.metrics.registry.get_sample_value(
        "onboard_slack_requests_total", {"kind": "command", "outcome": "ok"}
    )
    acks = runtime.metrics.registry.get_sample_value(
        "onboard_slack_ack_seconds_count", {"kind": "command"}
    )
    assert (requests, acks) == (2, 2)
