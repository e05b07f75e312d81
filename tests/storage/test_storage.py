"""Storage against SQLite and PostgreSQL: schema, migrations, time zones, constraints,
conditional updates under concurrency and history paging."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import delete, event, func, insert, inspect, select, text, update
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.checklists import get_template
from bot.services import checklist
from storage import repositories as repo
from storage.db import alembic_config, create_engine, create_sessionmaker, upgrade
from storage.models import Application, Base, Event, Note, StepState

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
TEMPLATE = get_template()
STEPS = [s.number for s in TEMPLATE.steps]
TABLES = {"applications", "step_states", "notes", "events"}


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


async def new_application(
    session: AsyncSession, *, team_id: str = "T1", slug: str = "acme", now: datetime = NOW
) -> Application:
    return await repo.add_application(
        session,
        team_id=team_id,
        slug=slug,
        name=slug.title(),
        channel_id="CPAY",
        owner_id="UALICE",
        template_key=TEMPLATE.key,
        template_version=TEMPLATE.version,
        step_numbers=STEPS,
        now=now,
    )


async def committed_application(sessions: async_sessionmaker[AsyncSession]) -> Application:
    async with sessions.begin() as session:
        return await checklist.create_application(
            session, team_id="T1", channel_id="CPAY", owner_id="UALICE", name="Acme", now=NOW
        )


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


# --- schema ------------------------------------------------------------------------------------


async def test_upgrade_creates_every_table_and_is_idempotent(engine: AsyncEngine) -> None:
    await upgrade(engine)  # the fixture already ran it once

    async with engine.connect() as connection:
        tables = set(await connection.run_sync(lambda c: inspect(c).get_table_names()))
        indexes = {
            table: {
                ix["name"]
                for ix in await connection.run_sync(lambda c, t=table: inspect(c).get_indexes(t))
            }
            for table in TABLES
        }
        versions = list(await connection.scalars(text("SELECT version_num FROM alembic_version")))

    assert tables >= TABLES | {"alembic_version"}
    assert indexes["events"] >= {"ix_events_application_id", "ix_events_application_step"}
    assert "ix_applications_team_channel" in indexes["applications"]
    assert "ix_step_states_assignee" in indexes["step_states"]
    assert versions == [head_revision()]


async def test_sqlite_connections_use_wal_foreign_keys_and_busy_timeout(tmp_path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'pragmas.db'}")  # sync name is accepted
    try:
        assert engine.dialect.driver == "aiosqlite"
        await upgrade(engine)
        # Two connections open at once: each new one is configured, not only the first.
        # (Each ends its transaction first: every SQLite transaction takes the write lock.)
        async with engine.connect() as first, engine.connect() as second:
            seen = set()
            for connection in (first, second):
                journal = await connection.scalar(text("PRAGMA journal_mode"))
                foreign_keys = await connection.scalar(text("PRAGMA foreign_keys"))
                busy_timeout = await connection.scalar(text("PRAGMA busy_timeout"))
                seen.add(id((await connection.get_raw_connection()).driver_connection))
                await connection.commit()
                assert str(journal).lower() == "wal"
                assert foreign_keys == 1
                assert busy_timeout > 0
            assert len(seen) == 2
        async with engine.connect() as connection:
            version = await connection.scalar(text("SELECT version_num FROM alembic_version"))
        assert version == head_revision()
    finally:
        await engine.dispose()


async def test_migrations_match_the_models(engine: AsyncEngine) -> None:
    def differences(connection) -> list:
        context = MigrationContext.configure(
            connection,
            opts={"compare_type": True, "target_metadata": Base.metadata},
        )
        return compare_metadata(context, Base.metadata)

    async with engine.connect() as connection:
        diff = await connection.run_sync(differences)
    assert diff == []


# --- time zones --------------------------------------------------------------------------------


async def test_timestamps_come_back_aware_in_utc(
    engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]
) -> None:
    shanghai = timezone(timedelta(hours=8))
    created = datetime(2026, 11, 25, 18, 30, 15, 123456, tzinfo=shanghai)
    async with sessions.begin() as session:
        application = await new_application(session, now=created)
        await repo.set_done(session, application.id, ["1.1"], by="UBOB", now=created)
        application_id = application.id

    async with sessions.begin() as session:
        if engine.dialect.name == "postgresql":
            # Whatever zone the connection is in, values come back in UTC.
            await session.execute(text("SET TIME ZONE 'America/Los_Angeles'"))
        loaded = await repo.application_by_id(session, application_id)
        assert loaded is not None
        states = await repo.step_states(session, application_id)

    assert loaded.created_at == created
    assert loaded.created_at.tzinfo is UTC
    assert loaded.created_at.hour == 10  # 18:30 in Shanghai
    assert loaded.archived_at is None
    done = states[0]
    assert done.step == "1.1"
    assert done.done_at == created
    assert done.done_at is not None and done.done_at.tzinfo is UTC
    assert all(s.changed_at.tzinfo is UTC for s in states)

    if engine.dialect.name == "sqlite":
        async with engine.connect() as connection:
            raw = await connection.scalar(
                text("SELECT created_at FROM applications WHERE id = :id"), {"id": application_id}
            )
        assert str(raw).startswith("2026-11-25 10:30:15")  # stored as UTC


async def test_naive_datetime_is_refused(sessions: async_sessionmaker[AsyncSession]) -> None:
    with pytest.raises(StatementError, match="naive datetime"):
        async with sessions.begin() as session:
            await new_application(session, now=datetime(2026, 11, 25, 10, 0))
    async with sessions.begin() as session:
        assert await session.scalar(select(func.count()).select_from(Application)) == 0


# --- applications and steps --------------------------------------------------------------------


async def test_add_application_creates_one_state_per_step(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions.begin() as session:
        application = await new_application(session)
    async with sessions.begin() as session:
        states = await repo.step_states(session, application.id)

    assert len(states) == 19
    assert [s.step for s in states] == STEPS
    assert [s.position for s in states] == list(range(19))
    assert all(s.done_at is None and s.assignee_id is None and s.due_on is None for s in states)
    assert all(s.changed_at == NOW for s in states)


async def test_team_and_slug_are_unique(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions.begin() as session:
        await new_application(session, team_id="T1", slug="acme")
    with pytest.raises(IntegrityError):
        async with sessions.begin() as session:
            await new_application(session, team_id="T1", slug="acme")
    async with sessions.begin() as session:
        await new_application(session, team_id="T2", slug="acme")  # another workspace may
    async with sessions.begin() as session:
        rows = (await session.execute(select(Application.team_id, Application.slug))).all()
    assert sorted(rows) == [("T1", "acme"), ("T2", "acme")]


async def test_deleting_an_application_cascades(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions.begin() as session:
        doomed = await new_application(session, slug="doomed")
        kept = await new_application(session, slug="kept")
        for application in (doomed, kept):
            await repo.add_note(
                session,
                application_id=application.id,
                step="1.1",
                author_id="UALICE",
                text="hello",
                now=NOW,
            )
            await repo.record_event(
                session, application_id=application.id, actor_id="UALICE", kind="x", now=NOW
            )

    async with sessions.begin() as session:
        # A plain SQL DELETE: the database, not the ORM, must remove the dependent rows.
        await session.execute(delete(Application).where(Application.id == doomed.id))

    async with sessions.begin() as session:
        for model in (StepState, Note, Event):
            counts = dict(
                (
                    await session.execute(
                        select(model.application_id, func.count()).group_by(model.application_id)
                    )
                ).all()
            )
            assert doomed.id not in counts, model.__tablename__
            assert counts[kept.id] >= 1, model.__tablename__


async def test_a_step_of_a_missing_application_is_refused(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    with pytest.raises(IntegrityError):
        async with sessions.begin() as session:
            session.add(StepState(application_id=987654, step="1.1", position=0, changed_at=NOW))


async def test_set_done_and_set_not_done_return_only_changed_steps(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    later = NOW + timedelta(hours=1)
    async with sessions.begin() as session:
        application = await new_application(session)
    async with sessions.begin() as session:
        first = await repo.set_done(session, application.id, ["1.1", "1.2"], by="UALICE", now=NOW)
        second = await repo.set_done(session, application.id, ["1.2", "1.3"], by="UBOB", now=later)
        third = await repo.set_done(session, application.id, ["1.3"], by="UBOB", now=later)
    async with sessions.begin() as session:
        undone = await repo.set_done(session, application.id, ["1.1", "1.4"], done=False, now=later)
        undone_again = await repo.set_done(session, application.id, ["1.1"], done=False, now=later)
        states = {s.step: s for s in await repo.step_states(session, application.id)}
        counts = await repo.done_counts(session, [application.id, 424242])

    assert sorted(first) == ["1.1", "1.2"]
    assert second == ["1.3"]
    assert third == []
    assert undone == ["1.1"]
    assert undone_again == []
    assert states["1.1"].done_at is None and states["1.1"].done_by is None
    assert states["1.1"].changed_at == later
    assert (states["1.2"].done_at, states["1.2"].done_by) == (NOW, "UALICE")  # not overwritten
    assert (states["1.3"].done_at, states["1.3"].done_by) == (later, "UBOB")
    assert states["1.4"].done_at is None and states["1.4"].changed_at == NOW
    assert counts == {application.id: 2}


async def test_due_dates_round_trip(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions.begin() as session:
        application = await new_application(session)
    async with sessions.begin() as session:
        await checklist.set_due(
            session, application, "2.1", date(2026, 12, 1), actor_id="UALICE", now=NOW
        )
    async with sessions.begin() as session:
        states = {s.step: s for s in await repo.step_states(session, application.id)}
    assert states["2.1"].due_on == date(2026, 12, 1)
    assert type(states["2.1"].due_on) is date


# --- concurrency -------------------------------------------------------------------------------


async def _mark_concurrently(
    engine: AsyncEngine,
    sessions: async_sessionmaker[AsyncSession],
    application: Application,
    marks: list[tuple[str, str]],
) -> list[checklist.MarkOutcome]:
    """Each (step, actor) in its own session and transaction, all at the same time.

    On PostgreSQL every transaction has started (and read the step states) before any marks;
    SQLite takes its write lock when a transaction begins, so there they simply queue.
    """
    overlap = engine.dialect.name == "postgresql"
    barrier = asyncio.Barrier(len(marks))

    async def mark(step: str, actor: str) -> checklist.MarkOutcome:
        async with sessions.begin() as session:
            if overlap:
                await repo.step_states(session, application.id)
                await barrier.wait()
            return await checklist.mark_steps(session, application, [step], actor_id=actor, now=NOW)

    return await asyncio.wait_for(
        asyncio.gather(*(mark(step, actor) for step, actor in marks)), timeout=60
    )


async def test_concurrent_marks_of_different_steps_both_land(
    engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]
) -> None:
    application = await committed_application(sessions)
    outcomes = await _mark_concurrently(
        engine, sessions, application, [("1.1", "UALICE"), ("2.3", "UBOB")]
    )

    assert [o.changed for o in outcomes] == [["1.1"], ["2.3"]]
    async with sessions.begin() as session:
        states = {s.step: s for s in await repo.step_states(session, application.id)}
        events = await repo.all_events(session, application.id)
    assert states["1.1"].done_by == "UALICE"
    assert states["2.3"].done_by == "UBOB"
    assert sum(s.done_at is not None for s in states.values()) == 2
    marked = sorted((e.step, e.actor_id) for e in events if e.kind == "marked")
    assert marked == [("1.1", "UALICE"), ("2.3", "UBOB")]


async def test_concurrent_marks_of_the_same_step_log_one_event(
    engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]
) -> None:
    application = await committed_application(sessions)
    outcomes = await _mark_concurrently(
        engine, sessions, application, [("1.1", "UALICE"), ("1.1", "UBOB")]
    )

    assert sorted(len(o.changed) for o in outcomes) == [0, 1]
    assert sorted(len(o.unchanged) for o in outcomes) == [0, 1]
    winner = "UALICE" if outcomes[0].changed else "UBOB"
    async with sessions.begin() as session:
        states = {s.step: s for s in await repo.step_states(session, application.id)}
        events = await repo.all_events(session, application.id)
    marked = [e for e in events if e.kind == "marked"]
    assert len(marked) == 1
    assert (marked[0].step, marked[0].actor_id) == ("1.1", winner)
    assert states["1.1"].done_by == winner


async def test_two_applications_with_one_name_created_at_once_get_two_slugs(
    engine: AsyncEngine,
    sessions: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    overlap = engine.dialect.name == "postgresql"
    barrier = asyncio.Barrier(2)
    read_slugs = repo.slugs_starting_with
    first_reads = 0

    async def read_slugs_together(*args, **kwargs) -> set[str]:
        nonlocal first_reads
        taken = await read_slugs(*args, **kwargs)
        if overlap and first_reads < 2:
            first_reads += 1
            await barrier.wait()  # both have seen the same free slug; the retry goes alone
        return taken

    monkeypatch.setattr(repo, "slugs_starting_with", read_slugs_together)

    async def new(owner: str) -> str:
        async with sessions.begin() as session:
            created = await checklist.create_application(
                session, team_id="T1", channel_id="CPAY", owner_id=owner, name="Acme", now=NOW
            )
            return created.slug

    slugs = await asyncio.wait_for(asyncio.gather(new("UALICE"), new("UBOB")), timeout=60)
    assert sorted(slugs) == ["acme", "acme-2"]


async def test_creating_in_one_channel_takes_turns_until_the_transaction_ends(
    engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """While one transaction holds #CPAY's lock for creating applications, a second one for
    #CPAY waits for it to end (on PostgreSQL, where reading the channel's zero rows would lock
    nothing), and one for another channel does not. On SQLite writers take turns anyway and
    the lock is nothing."""
    holding, release = asyncio.Event(), asyncio.Event()

    async def hold() -> None:
        async with sessions.begin() as session:
            await repo.lock_channel_for_new_application(session, "T1", "CPAY")
            holding.set()
            await release.wait()

    async def lock(channel_id: str) -> None:
        async with sessions.begin() as session:
            await repo.lock_channel_for_new_application(session, "T1", channel_id)

    holder = asyncio.create_task(hold())
    await asyncio.wait_for(holding.wait(), timeout=10)
    await asyncio.wait_for(lock("COTHER"), timeout=10)
    same_channel = asyncio.create_task(lock("CPAY"))
    await asyncio.sleep(0.3)
    assert same_channel.done() is (engine.dialect.name != "postgresql")
    release.set()
    await asyncio.wait_for(asyncio.gather(holder, same_channel), timeout=10)


async def test_the_channel_lock_key_is_a_stable_signed_64_bit_number() -> None:
    key = repo._lock_key("new application", "T1", "CPAY")
    assert key == repo._lock_key("new application", "T1", "CPAY")
    assert -(2**63) <= key < 2**63
    assert key != repo._lock_key("new application", "T1", "COTHER")
    assert key != repo._lock_key("new application", "T2", "CPAY")


# --- history -----------------------------------------------------------------------------------


async def test_recent_events_pages_newest_first_and_filters_by_step(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions.begin() as session:
        application = await new_application(session, slug="one")
        other = await new_application(session, slug="other")
        for i in range(25):
            await repo.record_event(
                session,
                application_id=application.id,
                actor_id="UALICE",
                kind=f"k{i}",
                step="1.1" if i % 3 == 0 else "2.1",
                now=NOW - timedelta(seconds=i),  # ids, not clocks, order history
            )
            await repo.record_event(
                session, application_id=other.id, actor_id="UBOB", kind="noise", now=NOW
            )

    async with sessions.begin() as session:
        everything = await repo.all_events(session, application.id)
        pages: list[list[Event]] = []
        before_id = None
        while True:
            page = await repo.recent_events(session, application.id, limit=10, before_id=before_id)
            if not page:
                break
            pages.append(page)
            before_id = page[-1].id
        step_page = await repo.recent_events(session, application.id, step="1.1", limit=5)
        step_rest = await repo.recent_events(
            session, application.id, step="1.1", limit=5, before_id=step_page[-1].id
        )

    assert [len(p) for p in pages] == [10, 10, 5]
    paged = [e for page in pages for e in page]
    assert [e.id for e in paged] == sorted((e.id for e in everything), reverse=True)
    assert [e.kind for e in paged[:3]] == ["k24", "k23", "k22"]
    assert all(e.application_id == application.id for e in paged)
    step_ids = [e.id for e in step_page + step_rest]
    assert [e.kind for e in step_page + step_rest] == [f"k{i}" for i in range(24, -1, -3)]
    assert step_ids == sorted(step_ids, reverse=True)


async def test_a_page_of_a_long_history_uses_the_index(
    engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async with sessions.begin() as session:
        application = await new_application(session)
        other = await new_application(session, slug="other")
        rows = [
            {
                "application_id": application.id,
                "step": STEPS[i % 19],
                "actor_id": "UALICE",
                "kind": "marked",
                "created_at": NOW + timedelta(seconds=i),
            }
            for i in range(10_000)
        ]
        rows.append({**rows[0], "application_id": other.id})
        await session.execute(insert(Event), rows)

    statements: list[tuple[str, object]] = []

    def capture(_conn, _cursor, statement, parameters, _context, _many) -> None:
        if "FROM events" in statement:
            statements.append((statement, parameters))

    event.listen(engine.sync_engine, "before_cursor_execute", capture)
    try:
        async with sessions.begin() as session:
            page = await repo.recent_events(session, application.id, limit=20)
            second = await repo.recent_events(
                session, application.id, limit=20, before_id=page[-1].id
            )
            by_step = await repo.recent_events(session, application.id, step="3.4", limit=20)
            newest = await session.scalar(
                select(func.max(Event.id)).where(Event.application_id == application.id)
            )
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", capture)

    assert len(page) == 20 and len(second) == 20 and len(by_step) == 20
    assert page[0].id == newest
    ids = [e.id for e in page + second]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == 40
    assert all(e.step == "3.4" for e in by_step)
    assert [e.id for e in by_step] == sorted((e.id for e in by_step), reverse=True)

    if engine.dialect.name != "sqlite":
        return
    recent_queries = [s for s in statements if "ORDER BY events.id DESC" in s[0]]
    assert len(recent_queries) == 3
    async with engine.connect() as connection:
        for statement, parameters in recent_queries:
            result = await connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
            plan = " | ".join(str(row[-1]) for row in result)
            assert "ix_events_application_id" in plan or "ix_events_application_step" in plan, plan
            assert "TEMP B-TREE" not in plan, plan  # no sort of the whole history


async def test_readers_do_not_wait_for_an_open_write_transaction(
    engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """A long write (or scheduler pass) must not stall reads: only writes take the lock."""
    async with sessions.begin() as session:
        await new_application(session)
    reads = create_sessionmaker(engine)
    async with sessions.begin() as writer:
        await writer.execute(update(StepState).values(assignee_id="UBOB"))
        async with reads() as reader:
            seen = await asyncio.wait_for(
                reader.scalar(select(func.count()).select_from(StepState)), timeout=2
            )
        assert seen == 19


# --- the steps a change works on ----------------------------------------------------------------


def count_step_reads(engine: AsyncEngine) -> list[str]:
    reads: list[str] = []

    def before(_conn, _cursor, statement: str, *_args) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "FROM step_states" in statement:
            reads.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", before)
    return reads


async def test_a_transaction_loads_the_steps_once_for_all_its_changes(
    engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]
) -> None:
    application = await committed_application(sessions)
    reads = count_step_reads(engine)
    async with sessions.begin() as session:
        first = await checklist.mark_steps(
            session, application, ["1.1"], actor_id="UALICE", now=NOW
        )
        second = await checklist.mark_steps(session, application, ["1.2"], actor_id="UBOB", now=NOW)
        undone = await checklist.unmark_steps(
            session, application, ["1.1"], actor_id="UBOB", now=NOW
        )

    assert len(reads) == 1
    assert (first.done_count, second.done_count, undone.done_count) == (1, 2, 1)
    async with sessions.begin() as session:
        states = {s.step: s for s in await repo.step_states(session, application.id)}
        events = [(e.step, e.kind) for e in await repo.all_events(session, application.id)]
    assert states["1.1"].done_at is None and states["1.2"].done_by == "UBOB"
    assert events[-3:] == [("1.1", "marked"), ("1.2", "marked"), ("1.1", "unmarked")]


async def test_the_next_transaction_reads_the_steps_afresh(
    engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """What one transaction loaded is not reused by the next on the same session, which must
    see a change committed meanwhile by another connection."""
    application = await committed_application(sessions)
    session = sessions()
    try:
        async with session.begin():
            assert await repo.set_done(session, application.id, ["1.1"], now=NOW) == ["1.1"]
        async with engine.begin() as other:
            await other.execute(
                update(StepState)
                .where(StepState.application_id == application.id, StepState.step == "1.1")
                .values(done_at=None, done_by=None)
            )
        async with session.begin():
            assert await repo.set_done(session, application.id, ["1.1"], now=NOW) == ["1.1"]
    finally:
        await session.close()
