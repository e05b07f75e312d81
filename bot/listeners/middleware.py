"""Global middleware: Slack's Events API retries handled once."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.response import BoltResponse

from bot.runtime import Runtime
from bot.usecases.events import first_delivery


def register(app: AsyncApp, runtime: Runtime) -> None:
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
