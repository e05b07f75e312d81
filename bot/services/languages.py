"""Which language a person and a channel chose: a person's own (`/onboard language zh-CN`,
None for their Slack's) and a channel's (`/onboard language channel zh-CN`; at first, the
language of whoever created the channel's first application).

Like every service: the caller's session and `now`, no Slack, no commit.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import ENGLISH
from storage import repositories as repo


async def chosen_by_person(session: AsyncSession, team_id: str, user_id: str) -> str | None:
    """The language the person chose, None when they follow their Slack's."""
    row = await repo.person_settings(session, team_id, user_id)
    return row.language if row is not None else None


async def choose_for_person(
    session: AsyncSession, team_id: str, user_id: str, language: str | None, *, now: datetime
) -> None:
    """The person's own language; None: their Slack's again."""
    row = await repo.person_settings_for_update(session, team_id, user_id, now)
    row.language = language
    row.updated_at = now


async def chosen_for_channel(session: AsyncSession, team_id: str, channel_id: str) -> str | None:
    """The channel's language, None when it has none yet."""
    row = await repo.channel_settings(session, team_id, channel_id)
    return row.language if row is not None else None


async def channel_language(session: AsyncSession, team_id: str, channel_id: str) -> str:
    """The language of what a channel sees: its setting, else English."""
    return await chosen_for_channel(session, team_id, channel_id) or ENGLISH


async def choose_for_channel(
    session: AsyncSession, team_id: str, channel_id: str, language: str, *, now: datetime
) -> None:
    await repo.set_channel_language(session, team_id, channel_id, language, now)


async def default_for_channel(
    session: AsyncSession, team_id: str, channel_id: str, language: str, *, now: datetime
) -> None:
    """A new application's channel speaks its creator's language, unless it already has one."""
    await repo.set_channel_language(session, team_id, channel_id, language, now, only_if_unset=True)
