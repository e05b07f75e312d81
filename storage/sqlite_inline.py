"""SQLite for the async engine without a thread hop per call.

aiosqlite runs each call on a worker thread and wakes the event loop when it is done. For the
short, indexed statements of a Slack request that costs far more than the statement: on this
project's `bench/` machine a one-row SELECT took 250 µs of the loop's CPU through aiosqlite and
20 µs run directly, and a command makes several such calls before it can answer.

`InlineConnection` keeps aiosqlite's interface, which SQLAlchemy's `sqlite+aiosqlite` dialect
drives, but runs each call at once on the loop's thread. That is only right for statements that
finish in microseconds to milliseconds; long reads (a scheduler pass over every application, an
export) go through the ordinary threaded aiosqlite engine instead (see storage/db.py). Nor may
a statement here wait long for SQLite's lock, since the loop waits with it: writers take turns
on an asyncio lock (storage/writes.py), wait for another process's lock in asyncio sleeps
(storage/db.py), and the engine's busy timeout is kept short.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from typing import Any

import aiosqlite


class _RunAtOnce:
    """Stands in for aiosqlite's queue to its worker thread: SQLAlchemy's dialect puts
    (future, function) pairs on it directly, to set the isolation level."""

    def put_nowait(self, item: tuple[asyncio.Future | None, Callable[[], Any]]) -> None:
        future, function = item
        try:
            result = function()
        except Exception as error:
            if future is not None:
                future.set_exception(error)
            return
        if future is not None:
            future.set_result(result)


class InlineConnection(aiosqlite.Connection):
    """An aiosqlite connection whose calls run on the caller's thread."""

    def __init__(self, connector: Callable[[], sqlite3.Connection]) -> None:
        # aiosqlite's own __init__ would create the worker thread; nothing here needs one.
        self._running = True
        self._connection: sqlite3.Connection | None = None
        self._connector = connector
        self._tx = _RunAtOnce()  # type: ignore[assignment]
        self._iter_chunk_size = 64

    async def _execute(self, fn, *args, **kwargs):
        if not self._running or self._connection is None:
            raise ValueError("Connection closed")
        return fn(*args, **kwargs)

    async def _open(self) -> InlineConnection:
        if self._connection is None:
            self._connection = self._connector()
        return self

    def __await__(self):
        return self._open().__await__()

    def stop(self) -> None:
        self._running = False
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    async def close(self) -> None:
        self.stop()

    def __del__(self) -> None:
        # The pool closes connections; one dropped without that is closed by sqlite3 itself.
        pass


def inline_connector(path: str, *, busy_timeout: float) -> Callable[[], InlineConnection]:
    """An `async_creator` for `create_async_engine`: connections to the file at `path`."""

    def connect() -> InlineConnection:
        # The pool may close a connection from another thread at shutdown.
        return InlineConnection(
            lambda: sqlite3.connect(path, timeout=busy_timeout, check_same_thread=False)
        )

    return connect
