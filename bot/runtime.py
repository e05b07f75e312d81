"""What listeners and jobs share: the database, the Slack directory cache and the clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.slack_directory import SlackDirectory


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Runtime:
    sessions: async_sessionmaker[AsyncSession]
    directory: SlackDirectory = field(default_factory=SlackDirectory)
    clock: Callable[[], datetime] = utc_now
