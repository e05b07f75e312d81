"""The two SQLite engines: statements on the loop's thread, long reads in a worker thread,
and writers that wait for SQLite's lock without holding up the loop."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from storage import db
from storage.sqlite_inline import InlineConnection


def record_threads(engine: AsyncEngine) -> list[int]:
    """The ids of the threads SQLite runs this engine's statements in."""
    seen: list[int] = []

    @event.listens_for(engine.sync_engine, "connect")
    def _add_function(dbapi_connection, _record) -> None:
        def thread_of() -> int:
            seen.append(threading.get_ident())
            return 1

        dbapi_connection.create_function("thread_of", 0, thread_of)

    return seen


@pytest.fixture
async def engines(tmp_path: Path):
    url = db.sqlite_url(tmp_path)
    inline, threaded = db.create_engine(url), db.create_engine(url, threaded=True)
    await db.upgrade(inline)
    yield inline, threaded
    await inline.dispose()
    await threaded.dispose()


async def test_the_default_engine_runs_statements_on_the_loops_thread(engines) -> None:
    inline, threaded = engines
    on_inline, on_threaded = record_threads(inline), record_threads(threaded)
    for engine in (inline, threaded):
        await engine.dispose()  # new connections, with the function
        async with engine.connect() as connection:
            assert (await connection.execute(text("SELECT thread_of()"))).scalar() == 1

    loop_thread = threading.get_ident()
    assert on_inline == [loop_thread]
    assert on_threaded and on_threaded[0] != loop_thread
    async with inline.connect() as connection:
        raw = await connection.get_raw_connection()
        assert isinstance(raw.driver_connection, InlineConnection)


async def test_both_engines_see_one_database(engines) -> None:
    inline, threaded = engines
    async with inline.begin() as connection:
        await connection.execute(text("CREATE TABLE t (v INTEGER)"))
        await connection.execute(text("INSERT INTO t VALUES (42)"))
    async with threaded.connect() as connection:
        assert (await connection.execute(text("SELECT v FROM t"))).scalar() == 42


async def test_a_writer_waits_for_another_engines_transaction_without_blocking_the_loop(
    tmp_path: Path,
) -> None:
    """Two engines (two runtimes, as two replicas in one process would be) on one file: the
    first holds the write lock across an await; the second's BEGIN IMMEDIATE waits for it in
    asyncio sleeps, so the loop keeps running and the first can commit."""
    url = db.sqlite_url(tmp_path)
    first, second = db.create_engine(url), db.create_engine(url)
    await db.upgrade(first)
    writes_first, writes_second = db.write_sessions(first), db.write_sessions(second)
    async with first.begin() as connection:
        await connection.execute(text("CREATE TABLE t (v INTEGER)"))
    ticks = 0
    first_holds = asyncio.Event()

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.001)

    async def hold_the_lock() -> None:
        async with writes_first.begin() as session:
            await session.execute(text("INSERT INTO t VALUES (1)"))
            first_holds.set()
            await asyncio.sleep(0.2)

    async def write_after() -> None:
        await first_holds.wait()
        async with writes_second.begin() as session:
            await session.execute(text("INSERT INTO t VALUES (2)"))

    ticking = asyncio.create_task(ticker())
    try:
        await asyncio.wait_for(asyncio.gather(hold_the_lock(), write_after()), timeout=5)
    finally:
        ticking.cancel()
    async with second.connect() as connection:
        rows = (await connection.execute(text("SELECT v FROM t ORDER BY v"))).scalars().all()
    await first.dispose()
    await second.dispose()

    assert rows == [1, 2]
    assert ticks > 50, "the loop stood still while the second writer waited"


async def test_a_writer_gives_up_after_the_busy_timeout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db, "SQLITE_BUSY_TIMEOUT_MS", 100)
    url = db.sqlite_url(tmp_path)
    first, second = db.create_engine(url), db.create_engine(url)
    await db.upgrade(first)
    try:
        async with db.write_sessions(first).begin() as holder:
            await holder.execute(text("SELECT 1"))
            with pytest.raises(OperationalError, match="locked"):
                async with db.write_sessions(second).begin() as waiter:
                    await waiter.execute(text("SELECT 1"))
    finally:
        await first.dispose()
        await second.dispose()
