"""Which applications a channel or a slug names, remembered for a few seconds.

Every command first finds its application, and a burst of marks from one channel would read
the same row each time. The objects kept here are snapshots, detached from any session: a
change is always made to the row reloaded inside its own transaction
(`change` in bot/usecases/access.py), so a snapshot only picks the application and labels
replies.
This process forgets every snapshot when it commits a change to any application; another
replica's changes (PostgreSQL) are seen here within `TTL_SECONDS`.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Callable

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

from bot.ttl_cache import TtlCache
from storage import repositories as repo
from storage.models import Application

TTL_SECONDS = 5.0


class ApplicationLookup:
    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._in_channel: TtlCache[tuple[str, str], list[Application]] = TtlCache(
            TTL_SECONDS, clock
        )
        self._by_slug: TtlCache[tuple[str, str], Application | None] = TtlCache(TTL_SECONDS, clock)
        _LOOKUPS.add(self)

    async def in_channel(
        self, sessions: async_sessionmaker[AsyncSession], team_id: str, channel_id: str
    ) -> list[Application]:
        """The channel's active applications, oldest first."""

        async def load() -> list[Application]:
            async with sessions() as session:
                return await repo.applications_in_channel(session, team_id, channel_id)

        return list(await self._in_channel.get((team_id, channel_id), load))

    async def by_slug(
        self, sessions: async_sessionmaker[AsyncSession], team_id: str, slug: str
    ) -> Application | None:
        async def load() -> Application | None:
            async with sessions() as session:
                return await repo.application_by_slug(session, team_id, slug)

        return await self._by_slug.get((team_id, slug), load)

    def forget_all(self) -> None:
        self._in_channel.clear()
        self._by_slug.clear()


_LOOKUPS: weakref.WeakSet[ApplicationLookup] = weakref.WeakSet()
_CHANGED = "onboard.applications_changed"


@event.listens_for(Session, "before_flush")
def _note_application_changes(session: Session, _context, _instances) -> None:
    if any(isinstance(o, Application) for o in (*session.new, *session.dirty, *session.deleted)):
        session.info[_CHANGED] = True


@event.listens_for(Session, "after_commit")
def _forget_after_application_changes(session: Session) -> None:
    if session.info.pop(_CHANGED, False):
        for lookup in list(_LOOKUPS):
            lookup.forget_all()


@event.listens_for(Session, "after_soft_rollback")
def _drop_note_after_rollback(session: Session, _previous_transaction) -> None:
    session.info.pop(_CHANGED, None)
