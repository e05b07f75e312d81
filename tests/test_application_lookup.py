"""The short memory of which applications a channel or slug names (bot/application_lookup.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.application_lookup import TTL_SECONDS, ApplicationLookup
from bot.services import checklist
from storage import db
from storage.models import Application
from tests.harness import RunningApp
from tests.manual_time import ManualTime

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def count_application_reads(engine: AsyncEngine) -> list[str]:
    reads: list[str] = []

    def before(_conn, _cursor, statement: str, *_args) -> None:
        if "FROM applications" in statement:
            reads.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", before)
    return reads


async def create(engine: AsyncEngine, name: str, channel: str = "CPAY") -> Application:
    async with db.write_sessions(engine).begin() as session:
        return await checklist.create_application(
            session, team_id="T1", channel_id=channel, owner_id="UALICE", name=name, now=NOW
        )


async def test_a_lookup_is_remembered_for_its_ttl(
    sqlite_engine: AsyncEngine, sqlite_sessions: async_sessionmaker[AsyncSession]
) -> None:
    await create(sqlite_engine, "Acme")
    clock = ManualTime()
    lookup = ApplicationLookup(clock=clock)
    reads = count_application_reads(sqlite_engine)

    first = await lookup.in_channel(sqlite_sessions, "T1", "CPAY")
    again = await lookup.in_channel(sqlite_sessions, "T1", "CPAY")
    by_slug = await lookup.by_slug(sqlite_sessions, "T1", "acme")
    by_slug_again = await lookup.by_slug(sqlite_sessions, "T1", "acme")
    assert [a.slug for a in first] == [a.slug for a in again] == ["acme"]
    assert by_slug is by_slug_again and by_slug is not None
    assert len(reads) == 2  # one per kind of lookup

    clock.now += TTL_SECONDS + 0.1
    await lookup.in_channel(sqlite_sessions, "T1", "CPAY")
    assert len(reads) == 3


async def test_a_committed_change_to_any_application_is_seen_at_once(
    sqlite_engine: AsyncEngine, sqlite_sessions: async_sessionmaker[AsyncSession]
) -> None:
    acme = await create(sqlite_engine, "Acme")
    lookup = ApplicationLookup(clock=ManualTime())
    assert len(await lookup.in_channel(sqlite_sessions, "T1", "CPAY")) == 1
    assert await lookup.by_slug(sqlite_sessions, "T1", "zeta") is None

    await create(sqlite_engine, "Zeta")
    assert [a.slug for a in await lookup.in_channel(sqlite_sessions, "T1", "CPAY")] == [
        "acme",
        "zeta",
    ]
    assert await lookup.by_slug(sqlite_sessions, "T1", "zeta") is not None

    async with db.write_sessions(sqlite_engine).begin() as session:
        current = await session.get(Application, acme.id)
        assert current is not None
        assert await checklist.archive(session, current, actor_id="UALICE", now=NOW)
    assert [a.slug for a in await lookup.in_channel(sqlite_sessions, "T1", "CPAY")] == ["zeta"]


async def test_a_rolled_back_change_keeps_what_was_remembered(
    sqlite_engine: AsyncEngine, sqlite_sessions: async_sessionmaker[AsyncSession]
) -> None:
    await create(sqlite_engine, "Acme")
    lookup = ApplicationLookup(clock=ManualTime())
    await lookup.in_channel(sqlite_sessions, "T1", "CPAY")

    with pytest.raises(RuntimeError):
        async with db.write_sessions(sqlite_engine).begin() as session:
            application = await session.get(Application, 1)
            assert application is not None
            application.name = "Renamed"
            await session.flush()
            raise RuntimeError("changed my mind")

    reads = count_application_reads(sqlite_engine)
    assert [a.name for a in await lookup.in_channel(sqlite_sessions, "T1", "CPAY")] == ["Acme"]
    assert reads == []


async def test_a_second_application_in_the_channel_makes_mark_ask_which(
    app: RunningApp,
) -> None:
    """Through Slack: the first `mark` remembers the channel's one application; `new` adds a
    second, and the next `mark` must not quietly pick the first."""
    app.slack.channel_members["CPAY"] = ["UALICE", "UBOT"]
    assert (await app.command("new Acme POS")).status == 200
    assert "Marked done" in (await app.command("mark 1.1")).text
    assert (await app.command("new Acme Kiosk --another")).status == 200

    answer = (await app.command("mark 1.2")).text
    assert "This channel has 2 applications" in answer
    assert "`acme-pos`" in answer and "`acme-kiosk`" in answer
