"""The languages people chose (`/onboard language zh-CN`), remembered for a few seconds.

Every reply is in its reader's language, so every command would read the reader's settings row
before answering: on SQLite through SQLAlchemy that one read costs more CPU than the bare Bolt
app spends on a whole request. The choice rarely changes, so it is kept here briefly.
This process forgets every remembered choice when it commits a change to anyone's settings;
another replica's changes (PostgreSQL) are seen here within `TTL_SECONDS`, as with
bot/application_lookup.py.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Callable

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

from bot.services import languages as svc
from bot.ttl_cache import TtlCache
from storage.models import PersonSettings

TTL_SECONDS = 5.0


class LanguageChoices:
    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._chosen: TtlCache[tuple[str, str], str | None] = TtlCache(TTL_SECONDS, clock)
        _CACHES.add(self)

    async def chosen_by_person(
        self, sessions: async_sessionmaker[AsyncSession], team_id: str, user_id: str
    ) -> str | None:
        """The language the person chose, None when they follow their Slack's."""

        async def load() -> str | None:
            async with sessions() as session:
                return await svc.chosen_by_person(session, team_id, user_id)

        return await self._chosen.get((team_id, user_id), load)

    def forget_all(self) -> None:
        self._chosen.clear()


_CACHES: weakref.WeakSet[LanguageChoices] = weakref.WeakSet()
_CHANGED = "onboard.person_settings_changed"


@event.listens_for(Session, "before_flush")
def _note_settings_changes(session: Session, _context, _instances) -> None:
    if any(isinstance(o, PersonSettings) for o in (*session.new, *session.dirty, *session.deleted)):
        session.info[_CHANGED] = True


@event.listens_for(Session, "after_commit")
def _forget_after_settings_changes(session: Session) -> None:
    if session.info.pop(_CHANGED, False):
        for cache in list(_CACHES):
            cache.forget_all()


@event.listens_for(Session, "after_soft_rollback")
def _drop_note_after_rollback(session: Session, _previous_transaction) -> None:
    session.info.pop(_CHANGED, None)
