"""The short memory of the languages people chose (bot/language_choices.py): read once per
`TTL_SECONDS`, and a committed change to anyone's settings is seen at once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.language_choices import TTL_SECONDS, LanguageChoices
from bot.services import languages
from storage import db

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


class Ticks:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = db.create_engine(db.sqlite_url(tmp_path))
    await db.upgrade(engine)
    yield engine
    await engine.dispose()


@pytest.fixture
def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return db.create_sessionmaker(engine)


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
    engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await choose(engine, "UALICE", "zh-CN")
    clock = Ticks()
    choices = LanguageChoices(clock=clock)
    reads = count_settings_reads(engine)

    assert await choices.chosen_by_person(sessions, "T1", "UALICE") == "zh-CN"
    assert await choices.chosen_by_person(sessions, "T1", "UALICE") == "zh-CN"
    assert await choices.chosen_by_person(sessions, "T1", "UBOB") is None  # none chosen
    assert await choices.chosen_by_person(sessions, "T1", "UBOB") is None
    assert len(reads) == 2

    clock.now += TTL_SECONDS + 0.1
    await choices.chosen_by_person(sessions, "T1", "UALICE")
    assert len(reads) == 3


async def test_a_committed_change_is_seen_at_once_and_a_rolled_back_one_never(
    engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]
) -> None:
    choices = LanguageChoices(clock=Ticks())
    assert await choices.chosen_by_person(sessions, "T1", "UALICE") is None

    await choose(engine, "UALICE", "zh-CN")
    assert await choices.chosen_by_person(sessions, "T1", "UALICE") == "zh-CN"

    with pytest.raises(RuntimeError):
        async with db.write_sessions(engine).begin() as session:
            await languages.choose_for_person(session, "T1", "UALICE", "en", now=NOW)
            await session.flush()
            raise RuntimeError("changed my mind")
    assert await choices.chosen_by_person(sessions, "T1", "UALICE") == "zh-CN"

    await choose(engine, "UALICE", None)  # back to Slack's language
    assert await choices.chosen_by_person(sessions, "T1", "UALICE") is None
