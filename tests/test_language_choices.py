"""The short memory of the languages people chose (bot/language_choices.py): read once per
`TTL_SECONDS`, and a committed change to anyone's settings is seen at once."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.language_choices import TTL_SECONDS, LanguageChoices
from bot.services import languages
from storage import db
from tests.manual_time import ManualTime

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def count_settings_reads(engine: AsyncEngine) -> list[str]:
    reads: list[str] = []

    def before(_conn, _cursor, statement: str, *_args) -> None:
        if statement.lstrip().startswith("SELECT") and "FROM person_settings" in statement:
            reads.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", before)
    return reads


async def choose(engine: AsyncEngine, user_id: str, language: str | None) -> None:
    async with db.write_sessions(engine).begin() as session:
        await languages.choose_for_person(session, "T1", user_id, language, now=NOW)


async def test_a_choice_is_read_once_per_ttl(
    sqlite_engine: AsyncEngine, sqlite_sessions: async_sessionmaker[AsyncSession]
) -> None:
    await choose(sqlite_engine, "UALICE", "zh-CN")
    clock = ManualTime()
    choices = LanguageChoices(clock=clock)
    reads = count_settings_reads(sqlite_engine)

    assert await choices.chosen_by_person(sqlite_sessions, "T1", "UALICE") == "zh-CN"
    assert await choices.chosen_by_person(sqlite_sessions, "T1", "UALICE") == "zh-CN"
    assert await choices.chosen_by_person(sqlite_sessions, "T1", "UBOB") is None  # none chosen
    assert await choices.chosen_by_person(sqlite_sessions, "T1", "UBOB") is None
    assert len(reads) == 2

    clock.now += TTL_SECONDS + 0.1
    await choices.chosen_by_person(sqlite_sessions, "T1", "UALICE")
    assert len(reads) == 3


async def test_a_committed_change_is_seen_at_once_and_a_rolled_back_one_never(
    sqlite_engine: AsyncEngine, sqlite_sessions: async_sessionmaker[AsyncSession]
) -> None:
    choices = LanguageChoices(clock=ManualTime())
    assert await choices.chosen_by_person(sqlite_sessions, "T1", "UALICE") is None

    await choose(sqlite_engine, "UALICE", "zh-CN")
    assert await choices.chosen_by_person(sqlite_sessions, "T1", "UALICE") == "zh-CN"

    with pytest.raises(RuntimeError):
        async with db.write_sessions(sqlite_engine).begin() as session:
            await languages.choose_for_person(session, "T1", "UALICE", "en", now=NOW)
            await session.flush()
            raise RuntimeError("changed my mind")
    assert await choices.chosen_by_person(sqlite_sessions, "T1", "UALICE") == "zh-CN"

    await choose(sqlite_engine, "UALICE", None)  # back to Slack's language
    assert await choices.chosen_by_person(sqlite_sessions, "T1", "UALICE") is None
