"""The digest's burn-up per channel (bot/analytics/channel_burn_up.py) over the 60 applications
of the report tests, on SQLite and PostgreSQL: each channel's steps complete are the sum of its
open applications' burn-ups (bot/analytics/queries.py `burn_up`, checked by hand there), its
total their steps once they exist; two statements for any number of channels."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import event, select

from bot.analytics.channel_burn_up import channel_burn_ups
from bot.analytics.queries import burn_up
from storage.db import create_engine, create_sessionmaker, upgrade
from storage.models import Application
from tests.analytics.portfolio_fixture import NOW, TEAM, build

STEPS = 19


def end_of(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(), UTC)


@pytest.fixture
async def engine(database_url: str):
    engine = create_engine(database_url)
    await upgrade(engine)
    try:
        yield engine
    finally:
        await engine.dispose()


async def test_each_channel_is_the_sum_of_its_open_applications(engine) -> None:
    sessions = create_sessionmaker(engine, writes=True)
    async with sessions.begin() as session:
        await build(session)
    async with sessions() as session:
        applications = list(await session.scalars(select(Application)))
        statements: list[str] = []

        def count(_conn, _cursor, statement, *_args) -> None:
            if statement.lstrip().upper().startswith(("SELECT", "WITH")):
                statements.append(statement)

        event.listen(engine.sync_engine, "before_cursor_execute", count)
        try:
            found = await channel_burn_ups(
                session, [(TEAM, "C1"), (TEAM, "C2"), (TEAM, "CNONE"), ("TOTHER", "C1")], NOW
            )
        finally:
            event.remove(engine.sync_engine, "before_cursor_execute", count)
        assert len(statements) == 2

        for channel in ("C1", "C2"):
            mine = [a for a in applications if a.channel_id == channel and a.archived_at is None]
            assert mine, channel
            alone = [await burn_up(session, a.id, NOW) for a in mine]
            points = found[(TEAM, channel)].points
            assert [p.day for p in points] == [p.day for p in alone[0].points]
            assert [p.complete for p in points] == [
                sum(b.points[i].complete for b in alone) for i in range(8)
            ]
            assert [p.total for p in points] == [
                STEPS * sum(1 for a in mine if a.created_at < end_of(p.day)) for p in points
            ]
        # Work in C1 over the eight weeks, and it never exceeds what there is.
        c1 = found[(TEAM, "C1")].points
        assert c1[-1].complete > c1[0].complete
        assert all(p.complete <= p.total for p in c1)
    for empty in ((TEAM, "CNONE"), ("TOTHER", "C1")):
        assert [(p.complete, p.total) for p in found[empty].points] == [(0, 0)] * 8
