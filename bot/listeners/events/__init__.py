"""Events: the App Home tab, and channel membership changes that make our cache stale."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.followup import FollowUps
from bot.runtime import Runtime


def register(app: AsyncApp, runtime: Runtime, followups: FollowUps) -> None:
    async def app_home_opened(
        event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        if event.get("tab") != "home":
            return
        await followups.surfaces.publish_home(client, body.get("team_id", ""), event["user"])

    async def membership_changed(event: dict[str, Any], body: dict[str, Any]) -> None:
        runtime.directory.forget_channel(body.get("team_id", ""), event.get("channel", ""))

    app.event("app_home_opened")(app_home_opened)
    app.event("member_joined_channel")(membership_changed)
    app.event("member_left_channel")(membership_changed)
