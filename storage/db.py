"""Engine, sessions and schema upgrades.

SQLite is the embedded default; PostgreSQL is selected by URL. Callers own their transactions:
`async with writes.begin() as session: ...` per unit of work that changes something, and
`async with reads() as session: ...` for one that only reads.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import event, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 10_000
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


def create_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    url = normalize_url(url)
    if url.startswith("sqlite"):
        engine = create_async_engine(
            url, echo=echo, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
        )
        _configure_sqlite(engine)
        return engine
    return create_async_engine(url, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=10)


def _configure_sqlite(engine: AsyncEngine) -> None:
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
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Connection) -> None:
        # A writing transaction takes the write lock up front (IMMEDIATE): two deferred ones
        # that both read and then write would fail with SQLITE_BUSY instead of waiting in turn.
        # Reading ones stay deferred, so in WAL mode they never wait for a writer.
        writes = connection.get_execution_options().get(_WRITES, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")


_WRITES = "onboard_writes"


def create_sessionmaker(
    engine: AsyncEngine, *, writes: bool = False
) -> async_sessionmaker[AsyncSession]:
    """Sessions for reading, or (writes=True) for units of work that change something."""
    bind = engine.execution_options(**{_WRITES: True}) if writes else engine
    return async_sessionmaker(bind, expire_on_commit=False)


class WriteSessions:
    """Sessions for units of work that change something: `async with writes.begin() as s`.

    SQLite has one writer at a time. Left to itself, every waiting writer polls the lock with
    sleeps that grow to 100 ms, which is where slow requests come from under load; here the
    writers of this process queue on an asyncio lock instead and take turns at once.
    (Other processes still wait through SQLite's busy timeout.)
    """

    def __init__(self, maker: async_sessionmaker[AsyncSession], *, one_at_a_time: bool) -> None:
        self._maker = maker
        self._turn = asyncio.Lock() if one_at_a_time else None

    @asynccontextmanager
    async def begin(self) -> AsyncIterator[AsyncSession]:
        if self._turn is None:
            async with self._maker.begin() as session:
                yield session
            return
        async with self._turn, self._maker.begin() as session:
            yield session


def write_sessions(engine: AsyncEngine) -> WriteSessions:
    return WriteSessions(
        create_sessionmaker(engine, writes=True), one_at_a_time=engine.dialect.name == "sqlite"
    )


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
