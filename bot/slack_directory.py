"""What the app asks Slack about people and channels, cached briefly.

Permission checks happen before `ack`, so a fresh `conversations.members` call on every command
would put a Web API round trip on the hot path; a short cache keeps it to one per channel a minute.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.ttl_cache import TtlCache
from storage.models import FORMER_MEMBER

logger = logging.getLogger(__name__)

MEMBERS_TTL_SECONDS = 60.0
USER_TTL_SECONDS = 3600.0


class MembershipUnknown(Exception):
    """Slack would not tell us who is in the channel (e.g. a private channel without the bot)."""

    def __init__(self, channel_id: str, error: str) -> None:
        super().__init__(f"{channel_id}: {error}")
        self.channel_id = channel_id
        self.error = error


@dataclass(frozen=True, slots=True)
class Person:
    user_id: str
    timezone: ZoneInfo
    is_admin: bool
    deleted: bool = False
    # False when Slack could not be asked and UTC stands in for the person's own zone.
    zone_known: bool = True
    # The person's Slack language (`users.info` with `include_locale`), e.g. `zh-CN`; None when
    # Slack did not say. Asked in the same call as the zone, so it costs no call of its own.
    locale: str | None = None


class SlackDirectory:
    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._members: TtlCache[tuple[str, str], frozenset[str]] = TtlCache(
            MEMBERS_TTL_SECONDS, clock
        )
        self._channels: TtlCache[tuple[str, str], frozenset[str]] = TtlCache(
            MEMBERS_TTL_SECONDS, clock
        )
        self._people: TtlCache[tuple[str, str], Person | None] = TtlCache(USER_TTL_SECONDS, clock)
        # Each workspace's App Home link, once per process: the app's id never changes.
        self._app_homes: dict[str, str] = {}

    async def channel_members(
        self, client: AsyncWebClient, team_id: str, channel_id: str
    ) -> frozenset[str]:
        async def load() -> frozenset[str]:
            members: set[str] = set()
            try:
                async for page in await client.conversations_members(
                    channel=channel_id, limit=1000
                ):
                    members.update(page.get("members", []))
            except SlackApiError as e:
                raise MembershipUnknown(channel_id, e.response.get("error", "unknown")) from None
            return frozenset(members)

        return await self._members.get((team_id, channel_id), load)

    async def person(self, client: AsyncWebClient, team_id: str, user_id: str) -> Person | None:
        """The person (zone, admin, Slack language), or None when Slack has no such user."""
        if user_id == FORMER_MEMBER:
            return None  # a forgotten person (`onboard-bot forget-user`): Slack is not asked

        async def load() -> Person | None:
            try:
                user = (await client.users_info(user=user_id, include_locale=True))["user"]
            except SlackApiError as e:
                error = e.response.get("error")
                if error in ("user_not_found", "users_not_found"):
                    return None
                # Slack is unwell: an ordinary member in UTC beats failing the command, but
                # it is not remembered, and scheduled reminders wait for the real zone.
                logger.warning("users.info %s failed: %s", user_id, error)
                return Person(user_id, ZoneInfo("UTC"), is_admin=False, zone_known=False)
            return Person(
                user_id,
                _zone(user.get("tz")),
                is_admin=bool(user.get("is_admin") or user.get("is_owner")),
                deleted=bool(user.get("deleted")),
                locale=user.get("locale") or None,
            )

        return await self._people.get(
            (team_id, user_id), load, keep=lambda p: p is None or p.zone_known
        )

    async def channels_of(
        self, client: AsyncWebClient, team_id: str, user_id: str
    ) -> frozenset[str]:
        """Channels the user is in that the bot can see; empty when Slack won't say."""

        async def load() -> frozenset[str]:
            channels: set[str] = set()
            try:
                async for page in await client.users_conversations(
                    user=user_id,
                    types="public_channel,private_channel",
                    exclude_archived=True,
                    limit=1000,
                ):
                    channels.update(c["id"] for c in page.get("channels", []))
            except SlackApiError as e:
                logger.warning(
                    "users.conversations %s failed: %s", user_id, e.response.get("error")
                )
            return frozenset(channels)

        return await self._channels.get((team_id, user_id), load)

    async def cannot_post_in(self, client: AsyncWebClient, channel_id: str) -> str | None:
        """Why the bot could not post in the channel, as Slack would say it (`not_in_channel`,
        `is_archived`, `channel_not_found` for a private channel it is not in, or the error
        that stopped Slack answering); None when it is a member. Asked afresh: only a setting
        that names a channel asks, and the answer must be today's."""
        try:
            channel = (await client.conversations_info(channel=channel_id))["channel"]
        except SlackApiError as e:
            return str(e.response.get("error") or "unknown")
        if channel.get("is_archived"):
            return "is_archived"
        return None if channel.get("is_member") else "not_in_channel"

    async def app_home(self, client: AsyncWebClient, team_id: str) -> str | None:
        """The deep link to the app's Home tab in the workspace (slack://app?team=…&id=…),
        from the bot's id (auth.test) and its app's (bots.info); None when Slack would not
        say, asked again next time."""
        if team_id in self._app_homes:
            return self._app_homes[team_id]
        try:
            bot_id = (await client.auth_test())["bot_id"]
            app_id = (await client.bots_info(bot=bot_id))["bot"]["app_id"]
        except (SlackApiError, KeyError, TypeError) as e:
            logger.warning("cannot tell the app's id in %s: %s", team_id, e)
            return None
        link = self._app_homes[team_id] = f"slack://app?team={team_id}&id={app_id}&tab=home"
        return link

    def forget_channel(self, team_id: str, channel_id: str) -> None:
        """Drop cached members, e.g. after Slack says someone joined or left."""
        self._members.forget((team_id, channel_id))


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name) if name else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")
