"""Global middleware: each request's ids for the log, and Slack's Events API retries handled
once."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.response import BoltResponse

from bot.monitoring import logs
from bot.runtime import Runtime
from bot.usecases.events import first_delivery


def register(app: AsyncApp, runtime: Runtime) -> None:
    async def name_the_request(
        context: AsyncBoltContext, next: Callable[[], Awaitable[None]]
    ) -> None:
        # Every line logged while handling it, and after its ack, says which request and
        # workspace it is about (bot/monitoring/logs.py); the ids are Bolt's, already checked.
        logs.bind_request(uuid.uuid4().hex[:16], context.team_id)
        await next()

    app.middleware(name_the_request)

    async def handle_each_event_once(
        body: dict[str, Any], next: Callable[[], Awaitable[None]]
    ) -> BoltResponse | None:
        # Slack retries (X-Slack-Retry-Num) an event it thinks timed out; the event_id is the
        # same, so the first delivery to be recorded wins, in any replica.
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        team_id = body.get("team_id", "")
        if event_id is not None and not (isinstance(event_id, str) and isinstance(team_id, str)):
            return BoltResponse(status=200, body="")  # ids Slack never sends: nothing to do
        if event_id and not await first_delivery(runtime, event_id, team_id):
            return BoltResponse(status=200, body="")
        await next()
        return None

    app.middleware(handle_each_event_once)
