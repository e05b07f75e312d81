"""Engine, sessions and schema upgrades.

SQLite is the embedded default; PostgreSQL is selected by URL. Callers own their transactions:
`async with runtime.writes.begin() as session: ...` (or `runtime.writes.run(unit)`, which may
share a transaction: storage/writes.py) per unit of work that changes something, and
`async with runtime.sessions() as session: ...` for one that only reads.

SQLAlchemy event hooks this project registers, so none surprises a reader:
- per engine, here: `connect` (SQLite pragmas) and `begin` (BEGIN IMMEDIATE for writers);
- process-wide on every `Session`: `after_transaction_end` in storage/repositories.py (forgets
  the steps a transaction loaded), and `before_flush`, `after_commit` and
  `after_soft_rollback` in bot/application_lookup.py (forgets cached application lookups once
  a change to an application commits).
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import event, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.util import await_only

from storage.sqlite_inline import inline_connector
from storage.writes import WriteSessions

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 10_000
# Statements of the inline engine run on the event loop's thread: they wait for a lock only
# briefly there, and BEGIN IMMEDIATE waits for the write lock in asyncio sleeps instead.
INLINE_BUSY_TIMEOUT_MS = 20
# Any constant works; it only has to be the same for every replica upgrading the schema.
_PG_UPGRADE_LOCK = 0x0B0A4D


def sqlite_url(data_dir: Path) -> str:
    return f"sqlite+aiosqlite:///{data_dir / 'onboard.db'}"


def normalize_url(url: str) -> str:
    """Accept the sync driver names operators tend to paste, and give the async ones."""
    parsed = make_url(url)
    driver = parsed.drivername
    if driver in ("sqlite", "sqlite+pysqlite"):
        parsed = parsed.set(drivername="sqlite+aiosqlite")
    elif driver in ("postgres", "postgresql", "postgresql+psycopg2"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def create_engine(url: str, *, echo: bool = False, threaded: bool = False) -> AsyncEngine:
    """The engine for `url`. On SQLite its statements run on the event loop's own thread
    (storage/sqlite_inline.py), which suits a request's short statements and the writes made
    through `WriteSessions`. `threaded=True` gives one whose statements run in aiosqlite's
    worker thread instead, for work that may wait without holding up other requests: reads
    that take long (a scheduler pass over every application), and writes made elsewhere
    (slack_sdk's OAuth stores), which wait for SQLite's lock in SQLite's own way."""
    url = normalize_url(url)
    if url.startswith("sqlite"):
        path = make_url(url).database
        if threaded or not path or path == ":memory:":
            engine = create_async_engine(
                url, echo=echo, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
            )
            _configure_sqlite(engine, busy_timeout_ms=SQLITE_BUSY_TIMEOUT_MS)
        else:
            connect = inline_connector(path, busy_timeout=INLINE_BUSY_TIMEOUT_MS / 1000)
            engine = create_async_engine(url, echo=echo, async_creator=connect)
            _configure_sqlite(engine, busy_timeout_ms=INLINE_BUSY_TIMEOUT_MS)
        return engine
    return create_async_engine(url, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=10)


def is_sqlite(engine: AsyncEngine) -> bool:
    return engine.dialect.name == "sqlite"


def _configure_sqlite(engine: AsyncEngine, *, busy_timeout_ms: int) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions start (see _on_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        # WAL lets readers run beside the writer; NORMAL sync is still durable when the
        # process is killed (only an OS crash could lose the last commits).
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Connection) -> None:
        # A writing transaction takes the write lock up front (IMMEDIATE): two deferred ones
        # that both read and then write would fail with SQLITE_BUSY instead of waiting in turn.
        # Reading ones stay deferred, so in WAL mode they never wait for a writer.
        if connection.get_execution_options().get(_WRITES, False):
            _begin_immediate(connection)
        else:
            connection.exec_driver_sql("BEGIN")


def _begin_immediate(connection: Connection) -> None:
    """BEGIN IMMEDIATE, waiting for the write lock without holding up the event loop.

    SQLite's own busy handler sleeps in the calling thread, which for the inline engine is the
    loop's; and the holder may be a transaction of this very loop, waiting for its turn to
    commit. So the engine's busy timeout is short, and between tries this sleeps the asyncio
    way (this runs in SQLAlchemy's greenlet, where `await_only` may wait on the loop)."""
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    pause = 0.001
    while True:
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
            return
        except OperationalError as error:
            if "locked" not in str(error.orig) or time.monotonic() + pause > deadline:
                raise
        await_only(asyncio.sleep(pause))
        pause = min(pause * 2, 0.05)


_WRITES = "onboard_writes"


def create_sessionmaker(
    engine: AsyncEngine, *, writes: bool = False
) -> async_sessionmaker[AsyncSession]:
    """Sessions for reading, or (writes=True) for units of work that change something."""
    bind = engine.execution_options(**{_WRITES: True}) if writes else engine
    return async_sessionmaker(bind, expire_on_commit=False)


def write_sessions(engine: AsyncEngine) -> WriteSessions:
    return WriteSessions(create_sessionmaker(engine, writes=True), one_at_a_time=is_sqlite(engine))


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Bring the schema to `revision`; safe to run from several replicas at once."""

    def run(connection: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, revision)

    async with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            lock = text("SELECT pg_advisory_xact_lock(:key)")
            await connection.execute(lock, {"key": _PG_UPGRADE_LOCK})
        await connection.run_sync(run)
