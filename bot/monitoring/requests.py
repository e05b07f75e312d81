"""Counting Slack's requests: by listener kind and outcome, and how long the ack took.

Bolt's async middleware runs one after another, not around the listener (checked with
slack-bolt 1.30.0), so none can see the answer: the time is taken around `async_dispatch`,
which returns once the listener acked (Bolt runs the rest afterwards). Over HTTP that is
bot/server.py's handler; in Socket Mode, `MeasuredSocketModeHandler`.
"""

from __future__ import annotations

import time
from typing import Any

from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.adapter.socket_mode.async_internals import (
    run_async_bolt_app,
    send_async_response,
)
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest

from bot.monitoring.metrics import Metrics

# The listener kinds, as the app registers them (bot/listeners/).
PAYLOAD_KINDS = {
    "block_actions": "action",
    "interactive_message": "action",
    "view_submission": "view",
    "view_closed": "view",
    "block_suggestion": "options",
    "shortcut": "shortcut",
    "message_action": "shortcut",
    "event_callback": "event",
    "url_verification": "event",
}


def kind_of(body: Any) -> str:
    """The listener kind a Slack payload goes to: command, action, view, event, function,
    options, shortcut, or other. Read from the payload's type only, never its content."""
    if not isinstance(body, dict):
        return "other"
    if "command" in body:
        return "command"
    kind = PAYLOAD_KINDS.get(body.get("type"), "other")  # type: ignore[arg-type]
    if kind == "event":
        event = body.get("event")
        if isinstance(event, dict) and event.get("type") == "function_executed":
            return "function"
    return kind


def outcome_of(status: int) -> str:
    if 200 <= status < 300:
        return "ok"
    if status == 401:
        return "refused"  # a signature Bolt did not accept
    if status == 404:
        return "unhandled"  # no listener for it
    return "error"


async def dispatch(
    app: AsyncApp, request: AsyncBoltRequest, metrics: Metrics, started: float
) -> BoltResponse:
    """Bolt's dispatch, counted; `started` is `time.perf_counter()` when the request came."""
    response = await app.async_dispatch(request)
    metrics.request(kind_of(request.body), outcome_of(response.status), elapsed(started))
    return response


def elapsed(started: float) -> float:
    return time.perf_counter() - started


class MeasuredSocketModeHandler(AsyncSocketModeHandler):
    """Bolt's Socket Mode handler (its `handle`, as of slack-bolt 1.30.0), counted."""

    def __init__(self, app: AsyncApp, app_token: str, metrics: Metrics) -> None:
        super().__init__(app, app_token)
        self.metrics = metrics

    async def handle(self, client: SocketModeClient, req: SocketModeRequest) -> None:  # type: ignore[override]
        start, started = time.time(), time.perf_counter()
        response = await run_async_bolt_app(self.app, req)
        self.metrics.request(kind_of(req.payload), outcome_of(response.status), elapsed(started))
        await send_async_response(client, req, response, start)
