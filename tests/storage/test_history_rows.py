"""History rows (`repo.record_event`): a transaction's rows are written together, in one
executemany, in the order recorded; visible to the transaction's own later statements; gone
with a rollback (a savepoint's with the savepoint); and written once under group commit, even
when a failing unit makes the others run again alone. Also the identity-map key that
`repo.application_by_id` (the units' shared application) relies on."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.checklists import get_template
from storage import repositories as repo
from storage.db import create_engine, create_sessionmaker, upgrade, write_sessions
from storage.models import Application, Event

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
TEMPLATE = get_template()


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    try:
        await upgrade(engine)
        yield engine
    finally:
        await engine.dispose()


@pytest.fixture
def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return create_sessionmaker(engine, writes=True)


@pytest.fixture
async def application_id(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions.begin() as session:
        application = await repo.add_application(
            session,
            team_id="T1",
            slug="acme",
            name="Acme",
            channel_id="CPAY",
            owner_id="UALICE",
            template_key=TEMPLATE.key,
            template_version=TEMPLATE.version,
            step_numbers=[s.number for s in TEMPLATE.steps],
            now=NOW,
        )
        return application.id


def event_inserts(engine: AsyncEngine) -> list[bool]:
    """Each INSERT INTO events sent to the database: whether it was an executemany."""
    seen: list[bool] = []

    def before(_conn, _cursor, statement, _params, _context, executemany) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO EVENTS"):
            seen.append(executemany)

    event.listen(engine.sync_engine, "before_cursor_execute", before)
    return seen


async def record(session: AsyncSession, application_id: int, step: str) -> None:
    await repo.record_event(
        session, application_id=application_id, actor_id="UALICE", kind="marked", step=step,
        now=NOW,
    )  # fmt: skip


async def steps_logged(sessions: async_sessionmaker[AsyncSession], application_id: int):
    async with sessions() as session:
        return [e.step for e in await repo.all_events(session, application_id)]


async def test_a_transactions_rows_are_one_executemany_in_the_order_recorded(
    engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession], application_id: int
) -> None:
    inserts = event_inserts(engine)
    async with sessions.begin() as session:
        for step in ("1.1", "1.2", "1.3", "2.1", "2.2"):
            await record(session, application_id, step)
    assert inserts == [True]
    assert await steps_logged(sessions, application_id) == ["1.1", "1.2", "1.3", "2.1", "2.2"]


async def test_the_transaction_reads_its_own_rows_and_later_ones_follow(
    sessions: async_sessionmaker[AsyncSession], application_id: int
) -> None:
    async with sessions.begin() as session:
        await record(session, application_id, "1.1")
        # A read in the same transaction sees what it recorded (and nothing else is dirty in
        # the session, so no flush would have written them).
        seen = [e.step for e in await repo.all_events(session, application_id)]
        await record(session, application_id, "1.2")
    assert seen == ["1.1"]
    assert await steps_logged(sessions, application_id) == ["1.1", "1.2"]


async def test_a_rollback_writes_none(
    sessions: async_sessionmaker[AsyncSession], application_id: int
) -> None:
    with pytest.raises(RuntimeError):
        async with sessions.begin() as session:
            await record(session, application_id, "1.1")
            raise RuntimeError("the unit failed")
    async with sessions.begin() as session:  # the next transaction starts clean
        await record(session, application_id, "1.2")
    assert await steps_logged(sessions, application_id) == ["1.2"]


async def test_a_savepoint_rolled_back_takes_its_rows_and_only_them(
    sessions: async_sessionmaker[AsyncSession], application_id: int
) -> None:
    async with sessions.begin() as session:
        await record(session, application_id, "1.1")
        with pytest.raises(RuntimeError):
            async with session.begin_nested():
                await record(session, application_id, "1.2")
                raise RuntimeError("the savepoint's work failed")
        await record(session, application_id, "1.3")
    assert await steps_logged(sessions, application_id) == ["1.1", "1.3"]


async def test_group_commit_writes_each_units_rows_once_when_one_unit_fails(
    engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession], application_id: int
) -> None:
    writes = write_sessions(engine)

    def unit(step: str, *, fails: bool = False):
        async def run(session: AsyncSession) -> str:
            assert await session.get(Application, application_id) is not None
            await record(session, application_id, step)
            if fails:
                raise LookupError(step)
            return step

        return run

    async def hold(session: AsyncSession) -> None:
        await asyncio.sleep(0.05)  # the others queue meanwhile, and share the next transaction

    first = asyncio.ensure_future(writes.run(hold))
    await asyncio.sleep(0)
    results = await asyncio.gather(
        writes.run(unit("1.1")),
        writes.run(unit("1.2", fails=True)),
        writes.run(unit("1.3")),
        return_exceptions=True,
    )
    await first
    assert results[0] == "1.1" and results[2] == "1.3"
    assert isinstance(results[1], LookupError)
    async with sessions() as session:
        count = await session.scalar(
            select(func.count()).select_from(Event).where(Event.kind == "marked")
        )
    assert await steps_logged(sessions, application_id) == ["1.1", "1.3"]
    assert count == 2


async def test_an_event_recorded_with_its_id_keeps_its_place_among_held_back_rows(
    sessions: async_sessionmaker[AsyncSession], application_id: int
) -> None:
    """`assign` records its event with an id (`record_event_with_id`) between rows that
    `record_event` holds back: the history's order is still the order things happened in."""
    async with sessions.begin() as session:
        await repo.record_event(
            session, application_id=application_id, actor_id="UALICE", kind="noted", now=NOW
        )
        await repo.record_event_with_id(
            session, application_id=application_id, actor_id="UALICE", kind="assigned", now=NOW
        )
        await repo.record_event(
            session, application_id=application_id, actor_id="UALICE", kind="due", now=NOW
        )
    async with sessions() as session:
        kinds = await session.scalars(
            select(Event.kind)
            .where(Event.application_id == application_id, Event.kind != "created")
            .order_by(Event.id)
        )
        assert list(kinds) == ["noted", "assigned", "due"]


async def test_the_identity_key_form_application_by_id_builds_is_sqlalchemys(
    sessions: async_sessionmaker[AsyncSession], application_id: int
) -> None:
    """`repo.application_by_id` looks a loaded application up in the session's identity map
    with a key it builds itself: (class, primary key tuple, identity token), the form
    `sqlalchemy.orm.util.identity_key` documents (checked with SQLAlchemy 2.0). Should that form
    drift, the lookup would quietly fall back to `session.get` every time: this fails first."""
    from sqlalchemy.orm.util import identity_key

    async with sessions() as session:
        loaded = await repo.application_by_id(session, application_id)
        assert identity_key(Application, application_id) == (Application, (application_id,), None)
        assert session.identity_map.get((Application, (application_id,), None)) is loaded


def step_selects(engine: AsyncEngine) -> list[str]:
    seen: list[str] = []

    def before(_conn, _cursor, statement, _params, _context, _executemany) -> None:
        if "FROM step_states" in statement and statement.lstrip().upper().startswith("SELECT"):
            seen.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", before)
    return seen


async def test_a_flush_keeps_the_steps_a_transaction_loaded_for_change(
    engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession], application_id: int
) -> None:
    """Units sharing a transaction change the same step objects, loaded once: an event
    recorded with its id flushes, and that must not make the next unit load them again. A
    savepoint, which may roll back, still does."""
    selects = step_selects(engine)
    async with sessions.begin() as session:
        for step in ("1.1", "1.2"):
            state = await repo.step_for_update(session, application_id, step)
            assert state is not None
            state.assignee_id = "UBOB"
            await repo.record_event_with_id(
                session, application_id=application_id, actor_id="UALICE", kind="assigned",
                step=step, now=NOW,
            )  # fmt: skip
        assert len(selects) == 1
        async with session.begin_nested():
            await repo.step_for_update(session, application_id, "1.3")
        await repo.step_for_update(session, application_id, "1.3")
    assert len(selects) == 2
