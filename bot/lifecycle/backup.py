"""Copies of a SQLite database: taken while the bot runs, put back while it does not.

`backup` uses SQLite's online backup API (`sqlite3.Connection.backup`) in one step: it reads
the database as of one moment, like any reader in WAL mode, so writers carry on meanwhile and
the copy is consistent; it is written beside the destination and renamed over it, so a
crash never leaves half a backup under the destination's name. `restore` checks the copy,
takes the database's lock exclusively (refusing while a bot holds it: bot/lifecycle/
running.py) and writes the copy's pages into the database with the same API, so SQLite's own
WAL and shared memory files stay coherent. PostgreSQL has pg_dump and pg_restore instead.
"""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from bot.lifecycle.running import Exclusive


class BackupError(Exception):
    """The backup or restore cannot be made; the message is one line saying why."""


@dataclass(frozen=True)
class Copied:
    path: Path
    size: int
    tables: int


def _check(path: Path) -> int:
    """The number of tables of a sound Onboard database at `path`, else BackupError."""
    try:
        with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as db:
            verdict = db.execute("PRAGMA quick_check").fetchone()[0]
            names = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    except sqlite3.DatabaseError as e:
        raise BackupError(f"{path} is not a SQLite database ({e})") from None
    if verdict != "ok":
        raise BackupError(f"{path} is damaged: {verdict}")
    if "alembic_version" not in names or "applications" not in names:
        raise BackupError(f"{path} is a SQLite database but not Onboard's")
    return len(names)


def backup(database: Path, destination: Path) -> Copied:
    """Copy the live `database` to `destination` (replaced if it exists)."""
    if not database.is_file():
        raise BackupError(f"no database at {database}")
    if destination.resolve() == database.resolve():
        raise BackupError("the backup cannot be the database itself")
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(f".{destination.name}.partial-{os.getpid()}")
    try:
        with (
            closing(sqlite3.connect(database)) as source,
            closing(sqlite3.connect(partial)) as target,
        ):
            source.execute("PRAGMA busy_timeout=10000")
            # pages=-1: every page in one step, under one read snapshot. In steps, a write in
            # between would make SQLite start the copy over, and under steady writes it might
            # never finish.
            source.backup(target, pages=-1)
            # A backup is one self-contained file, not a WAL database needing its -wal file.
            target.execute("PRAGMA journal_mode=DELETE")
        tables = _check(partial)
        os.replace(partial, destination)
    finally:
        partial.unlink(missing_ok=True)
    return Copied(destination, destination.stat().st_size, tables)


def restore(source: Path, database: Path) -> Copied:
    """Put the backup `source` back as `database`, unless a bot is running on it."""
    if not source.is_file():
        raise BackupError(f"no backup at {source}")
    if database.exists() and source.resolve() == database.resolve():
        raise BackupError("the backup is the database itself")
    tables = _check(source)
    database.parent.mkdir(parents=True, exist_ok=True)
    with (
        Exclusive(database),
        closing(sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)) as backup_db,
        closing(sqlite3.connect(database)) as target,
    ):
        target.execute("PRAGMA busy_timeout=10000")
        backup_db.backup(target, pages=-1)
        # Fold the WAL into the file, so the restored file stands alone.
        target.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return Copied(database, database.stat().st_size, tables)
