"""Write transactions: one at a time on SQLite, and shared by units that arrive together.

SQLite has one writer at a time. Left to itself, every waiting writer polls the lock with
sleeps that grow to 100 ms, which is where slow requests come from under load; here the
writers of this process queue on an asyncio lock instead and take turns at once. (A writer of
another process is waited for in asyncio sleeps: see storage/db.py.)

`run(unit)` goes further (group commit): the units that queue up while a transaction runs all
share the next one. A transaction's fixed cost (session, BEGIN, flush, COMMIT) is then paid
once for the lot, and a unit reads what the units before it loaded: under a burst of clicks
that is most of the cost of a change.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

T = TypeVar("T")
Unit = Callable[[AsyncSession], Awaitable[T]]

# Enough to take a whole burst at once, few enough that the first unit's wait stays short.
MAX_UNITS_PER_TRANSACTION = 64


@dataclass
class _Queued:
    unit: Unit[Any]
    result: asyncio.Future[Any] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class WriteSessions:
    """Sessions for units of work that change something."""

    def __init__(self, maker: async_sessionmaker[AsyncSession], *, one_at_a_time: bool) -> None:
        self._maker = maker
        self._turn = asyncio.Lock() if one_at_a_time else None
        self._queue: list[_Queued] = []
        self._committer: asyncio.Task[None] | None = None

    @asynccontextmanager
    async def begin(self) -> AsyncIterator[AsyncSession]:
        """`async with writes.begin() as session:` one transaction, committed at the end."""
        if self._turn is None:
            async with self._maker.begin() as session:
                yield session
            return
        async with self._turn, self._maker.begin() as session:
            yield session

    async def run(self, unit: Unit[T]) -> T:
        """Run `unit(session)` in a write transaction; its result once committed.

        On SQLite, units that queue while another transaction runs share the next one, each
        seeing the changes of those before it. If any unit of a shared transaction raises, the
        transaction is rolled back and each of its units runs again in one of its own; so a
        unit may run twice, and must change nothing but the session."""
        if self._turn is None:  # PostgreSQL: transactions run side by side
            async with self._maker.begin() as session:
                return await unit(session)
        queued = _Queued(unit)
        self._queue.append(queued)
        if self._committer is None:
            # One task commits the queue, batch after batch, and each caller waits only for
            # its own result: no caller hands the turn to the next. The task starts on the
            # loop's next turn, by when the requests already read off the sockets have
            # queued behind this one and share its transaction.
            self._committer = asyncio.get_running_loop().create_task(self._commit_queue())
        # A caller that goes away cancels its result: if its unit has not started, it is
        # dropped (`_commit_queue`); if it has, the transaction still finishes for the others.
        return await queued.result

    async def _commit_queue(self) -> None:
        try:
            while self._queue:
                assert self._turn is not None
                async with self._turn:
                    batch = self._queue[:MAX_UNITS_PER_TRANSACTION]
                    del self._queue[:MAX_UNITS_PER_TRANSACTION]
                    batch = [q for q in batch if not q.result.done()]  # callers gone: dropped
                    if batch:
                        await self._commit(batch)
        finally:
            self._committer = None
            if self._queue:  # stopped (cancelled at shutdown): nobody may wait for ever
                for queued in self._queue:
                    _fail(queued, RuntimeError("the transaction was interrupted"))
                self._queue.clear()

    async def _commit(self, batch: list[_Queued]) -> None:
        try:
            await self._commit_batch(batch)
        finally:  # cancelled at shutdown: no caller may wait for ever
            for queued in batch:
                _fail(queued, RuntimeError("the transaction was interrupted"))

    async def _commit_batch(self, batch: list[_Queued]) -> None:
        if len(batch) > 1:
            try:
                async with self._maker.begin() as session:
                    results = [await queued.unit(session) for queued in batch]
            except Exception:
                pass  # rolled back: each unit runs alone below, and the one at fault fails
            else:
                for queued, result in zip(batch, results, strict=True):
                    if not queued.result.done():  # else its caller went away meanwhile
                        queued.result.set_result(result)
                return
        for queued in batch:
            await self._commit_alone(queued)

    async def _commit_alone(self, queued: _Queued) -> None:
        try:
            async with self._maker.begin() as session:
                result = await queued.unit(session)
        except Exception as error:
            _fail(queued, error)
        else:
            if not queued.result.done():
                queued.result.set_result(result)


def _fail(queued: _Queued, error: BaseException) -> None:
    if not queued.result.done():
        queued.result.set_exception(error)
