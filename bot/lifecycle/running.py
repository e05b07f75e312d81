"""Which SQLite databases a bot is running on: a lock file beside the database.

`onboard-bot run` holds a shared `flock` on `<database>.lock` for as long as it serves;
`onboard-bot restore` takes it exclusively, without waiting, and refuses when it cannot. The
kernel drops a process's locks when it exits, however it exits (even `kill -9`), so unlike a
pid file the lock is never stale, and a pid reused by another process never fools it. Shared,
so several processes may run on one file (replicas, a `tick` beside `run`). A bot that starts
while a restore holds the lock waits for it to finish. The lock covers processes on one host,
which is what sharing a SQLite file takes anyway.
"""

from __future__ import annotations

import fcntl
from pathlib import Path
from typing import IO

from sqlalchemy.engine import make_url

from storage.db import normalize_url

LOCK_SUFFIX = ".lock"


def sqlite_path(database_url: str) -> Path | None:
    """The SQLite file `database_url` names, or None for another database (or in memory)."""
    url = make_url(normalize_url(database_url))
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database)


def lock_path(database: Path) -> Path:
    return database.with_name(database.name + LOCK_SUFFIX)


class BotRunning(Exception):
    """A bot holds the database's lock; the message says which file."""


def hold_while_running(database_url: str) -> IO[bytes] | None:
    """Take the shared lock of a SQLite database for a running bot (waiting while a restore
    holds it); keep the returned file open while serving, close it to let go. None for
    PostgreSQL."""
    database = sqlite_path(database_url)
    if database is None:
        return None
    handle = open(lock_path(database), "ab")  # noqa: SIM115 (held for the process's lifetime)
    fcntl.flock(handle, fcntl.LOCK_SH)
    return handle


class Exclusive:
    """The database's lock held exclusively: no bot runs on it, and none starts until
    released. Raises BotRunning when a bot holds it."""

    def __init__(self, database: Path) -> None:
        self.path = lock_path(database)
        self._handle: IO[bytes] | None = None

    def __enter__(self) -> Exclusive:
        handle = open(self.path, "ab")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise BotRunning(
                f"a bot is running on this database (it holds {self.path}); stop every "
                "`onboard-bot run` and `tick` using it, then restore"
            ) from None
        self._handle = handle
        return self

    def __exit__(self, *exc: object) -> None:
        if self._handle is not None:
            fcntl.flock(self._handle, fcntl.LOCK_UN)
            self._handle.close()
            self._handle = None
