"""Events: the App Home tab, and channel membership changes that make our cache stale."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.followup import FollowUps
from bot.listeners.payloads import text
from bot.runtime import Runtime


def register(app: AsyncApp, runtime: Runtime, followups: FollowUps) -> None:
    async def app_home_opened(
        event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        user = text(event.get("user"))
        if event.get("tab") != "home" or not user:
            return
        followups.surfaces.redraw_home(client, text(body.get("team_id")), user)

    async def membership_changed(event: dict[str, Any], body: dict[str, Any]) -> None:
        runtime.directory.forget_channel(text(body.get("team_id")), text(event.get("channel")))

    app.event("app_home_opened")(app_home_opened)
    app.event("member_joined_channel")(membership_changed)
    app.event("member_left_channel")(membership_changed)
