"""`app_uninstalled`: the workspace's tokens go at once, its data after the retention time."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext

from bot.lifecycle.departures import workspace_left
from bot.listeners.payloads import text
from bot.runtime import Runtime


def register(app: AsyncApp, runtime: Runtime) -> None:
    # Bolt runs the first listener that matches an event, so this one also does what Bolt's
    # own app_uninstalled listener does with OAuth: delete every token of the workspace.
    delete_tokens = (
        app.default_app_uninstalled_event_listener() if runtime.installations is not None else None
    )

    async def app_uninstalled(body: dict[str, Any], context: AsyncBoltContext) -> None:
        team_id = text(body.get("team_id")) or context.team_id
        if delete_tokens is not None:
            await delete_tokens(context)
        if team_id:
            await workspace_left(runtime, team_id)

    app.event("app_uninstalled")(app_uninstalled)
