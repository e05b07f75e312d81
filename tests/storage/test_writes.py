"""Group commit (storage/writes.py): units that queue during a transaction share the next one,
in order; one unit's failure costs only that unit; a caller that goes away takes nothing with it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from storage import db
from storage.writes import MAX_UNITS_PER_TRANSACTION, WriteSessions


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = db.create_engine(db.sqlite_url(tmp_path))
    async with engine.begin() as connection:
        await connection.execute(text("CREATE TABLE log (n INTEGER NOT NULL UNIQUE)"))
    yield engine
    await engine.dispose()


@pytest.fixture
def writes(engine: AsyncEngine) -> WriteSessions:
    return db.write_sessions(engine)


def count_commits(engine: AsyncEngine) -> list[int]:
    commits: list[int] = []
    event.listen(engine.sync_engine, "commit", lambda _conn: commits.append(1))
    return commits


async def logged(engine: AsyncEngine) -> list[int]:
    async with engine.connect() as connection:
        return list((await connection.execute(text("SELECT n FROM log ORDER BY n"))).scalars())


def append(n: int):
    """A unit: log n, and say how many rows it saw before its own."""

    async def unit(session: AsyncSession) -> int:
        before = (await session.execute(text("SELECT count(*) FROM log"))).scalar_one()
        await session.execute(text("INSERT INTO log (n) VALUES (:n)"), {"n": n})
        return before

    return unit


async def while_a_transaction_runs(writes: WriteSessions, *units) -> list:
    """Start the units while another writer holds the turn, so they all queue."""
    release = asyncio.Event()

    async def holder() -> None:
        async with writes.begin() as session:
            await session.execute(text("SELECT 1"))
            await release.wait()

    holding = asyncio.create_task(holder())
    await asyncio.sleep(0)
    queued = [asyncio.create_task(writes.run(unit)) for unit in units]
    await asyncio.sleep(0)
    release.set()
    await holding
    return await asyncio.gather(*queued, return_exceptions=True)


async def test_units_queued_together_share_one_transaction_in_order(
    engine: AsyncEngine, writes: WriteSessions
) -> None:
    commits = count_commits(engine)
    results = await while_a_transaction_runs(writes, *(append(n) for n in range(10)))

    assert results == list(range(10))  # each saw the rows of those before it
    assert await logged(engine) == list(range(10))
    assert len(commits) == 2  # the holder's, then one for all ten


async def test_a_burst_shares_one_transaction_from_its_first_unit(
    engine: AsyncEngine, writes: WriteSessions
) -> None:
    """Requests read off the sockets in one turn of the loop: the first does not commit alone
    and leave the rest for a second transaction."""
    commits = count_commits(engine)
    results = await asyncio.gather(*(writes.run(append(n)) for n in range(8)))

    assert results == list(range(8))
    assert len(commits) == 1


async def test_a_lone_unit_commits_at_once(engine: AsyncEngine, writes: WriteSessions) -> None:
    assert await writes.run(append(7)) == 0
    assert await logged(engine) == [7]


async def test_a_failing_unit_fails_alone_and_the_others_commit(
    engine: AsyncEngine, writes: WriteSessions
) -> None:
    class Refused(Exception):
        pass

    async def refuse(session: AsyncSession) -> None:
        await session.execute(text("INSERT INTO log (n) VALUES (100)"))
        raise Refused("no")

    results = await while_a_transaction_runs(writes, append(1), refuse, append(2))

    assert isinstance(results[1], Refused)
    assert results[0] == 0 and results[2] == 1  # rerun alone, in order
    assert await logged(engine) == [1, 2]  # nothing of the failed unit


async def test_a_commit_that_fails_is_retried_unit_by_unit(
    engine: AsyncEngine, writes: WriteSessions
) -> None:
    """Two units that clash on a unique value: the shared transaction fails at the database,
    and rerun alone the first lands while the second gets the database's error."""
    results = await while_a_transaction_runs(writes, append(5), append(5), append(6))

    assert results[0] == 0 and results[2] == 1
    assert "UNIQUE" in str(results[1])
    assert await logged(engine) == [5, 6]


async def test_a_caller_cancelled_while_queued_has_its_unit_dropped(
    engine: AsyncEngine, writes: WriteSessions
) -> None:
    release = asyncio.Event()

    async def holder() -> None:
        async with writes.begin():
            await release.wait()

    holding = asyncio.create_task(holder())
    await asyncio.sleep(0)
    dropped = asyncio.create_task(writes.run(append(1)))
    kept = asyncio.create_task(writes.run(append(2)))
    await asyncio.sleep(0)
    dropped.cancel()
    await asyncio.sleep(0)
    release.set()
    await holding

    assert await asyncio.wait_for(kept, timeout=5) == 0
    with pytest.raises(asyncio.CancelledError):
        await dropped
    assert await logged(engine) == [2]


async def test_units_of_a_cancelled_leader_still_commit(
    engine: AsyncEngine, writes: WriteSessions
) -> None:
    """The first caller to get the turn runs everyone's units; if it is cancelled meanwhile
    (its client hung up), the others' units still finish."""
    started = asyncio.Event()
    release = asyncio.Event()

    async def slow(session: AsyncSession) -> str:
        started.set()
        await release.wait()
        await session.execute(text("INSERT INTO log (n) VALUES (0)"))
        return "slow"

    async def holder() -> None:
        async with writes.begin():
            await asyncio.sleep(0.01)

    holding = asyncio.create_task(holder())
    await asyncio.sleep(0)
    leader = asyncio.create_task(writes.run(slow))
    follower = asyncio.create_task(writes.run(append(1)))
    await holding
    await started.wait()
    leader.cancel()
    release.set()

    assert await asyncio.wait_for(follower, timeout=5) == 1
    assert await logged(engine) == [0, 1]


async def test_a_transaction_takes_at_most_its_share_of_the_queue(
    engine: AsyncEngine, writes: WriteSessions
) -> None:
    commits = count_commits(engine)
    many = MAX_UNITS_PER_TRANSACTION + 5
    results = await while_a_transaction_runs(writes, *(append(n) for n in range(many)))

    assert results == list(range(many))
    assert len(commits) == 3  # the holder's, a full transaction, the rest
