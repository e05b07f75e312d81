"""Engine, sessions and schema upgrades.

SQLite is the embedded default; PostgreSQL is selected by URL. Callers own their transactions:
`async with runtime.writes.begin() as session: ...` (or `runtime.writes.run(unit)`, which may
share a transaction: storage/writes.py) per unit of work that changes something, and
`async with runtime.sessions() as session: ...` for one that only reads.

SQLAlchemy event hooks this project registers, so none surprises a reader:
- per engine, here: `connect` (SQLite pragmas) and `begin` (BEGIN IMMEDIATE for writers);
- process-wide on every `Session`: in storage/repositories.py `after_transaction_end`
  (forgets the steps a transaction loaded, and the history rows of one rolled back) and
  `do_orm_execute`, `before_flush` and `before_commit` (write the history rows a transaction
  recorded, in one executemany); `before_flush`, `after_commit` and `after_soft_rollback` in
  bot/application_lookup.py and bot/language_choices.py (forget cached application lookups,
  and people's languages, once a change to one commits).
"""

from __future__ import annotations

import asyncio
import os
import re
import tempfile
import time
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import event, text
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import NullPool
from sqlalchemy.util import await_only

from storage.sqlite_inline import inline_connector
from storage.writes import WriteSessions

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 10_000
# Statements of the inline engine run on the event loop's thread: they wait for a lock only
# briefly there, and BEGIN IMMEDIATE waits for the write lock in asyncio sleeps instead.
INLINE_BUSY_TIMEOUT_MS = 20
# Connections the inline engine keeps open (as many again may open for a while).
INLINE_POOL_SIZE = 32
# Any constant works; it only has to be the same for every replica upgrading the schema.
_PG_UPGRADE_LOCK = 0x0B0A4D


def sqlite_url(data_dir: Path) -> str:
    return f"sqlite+aiosqlite:///{data_dir / 'onboard.db'}"


# The async drivers this project installs, by database (after normalize_url).
SUPPORTED_DRIVERS = {"sqlite": ("aiosqlite",), "postgresql": ("psycopg",)}
# How long the start-up check waits for PostgreSQL to answer before calling it unreachable.
CONNECT_TIMEOUT_SECONDS = 10


def check_url(url: str) -> None:
    """Raise ValueError, in words that never repeat the URL (it may hold a password), unless
    `url` names a database and driver Onboard can use."""
    try:
        parsed = make_url(normalize_url(url))
    except (ArgumentError, ValueError):
        raise ValueError("not a database URL") from None
    backend, driver = parsed.get_backend_name(), parsed.get_driver_name()
    if driver not in SUPPORTED_DRIVERS.get(backend, ()):
        raise ValueError(f"unsupported scheme {parsed.drivername!r}")


class StorageUnavailable(Exception):
    """The database, or the directory it (or the key file) lives in, cannot be used: `problem`
    says what is wrong and `fix` what to do, each a few words for an operator's one-line
    message, and neither ever holds a password."""

    def __init__(self, problem: str, fix: str) -> None:
        super().__init__(f"{problem}; {fix}")
        self.problem = problem
        self.fix = fix


def writable_directory(directory: Path, *, create: bool) -> None:
    """Make sure this process can create files in `directory` (creating it if `create`), or
    raise StorageUnavailable naming the directory and the user id: in a container, a volume
    owned by another user is the usual cause."""
    uid = _user_id()
    if create:
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise StorageUnavailable(
                f"cannot create the directory {directory} as user id {uid} ({e.strerror})",
                "create it and let that user write to it, or choose another directory",
            ) from None
    if not directory.is_dir():
        raise StorageUnavailable(
            f"the directory {directory} does not exist", "create it or fix the path"
        )
    try:
        # A real file, not os.access: that answers for the real user id, and "yes" for root
        # even on a read-only mount.
        tempfile.TemporaryFile(dir=directory).close()
    except OSError as e:
        raise StorageUnavailable(
            f"user id {uid} cannot write to {directory} ({e.strerror})",
            f"let that user write there (e.g. chown {uid} {directory}; for a mounted volume, "
            "chown the host's directory) or choose another directory",
        ) from None


async def check_database(url: str, *, create_directory: bool = False) -> None:
    """Open the database at `url` once, as the app will, or raise StorageUnavailable saying
    why in an operator's words: a SQLite file this user cannot create or write (its directory
    made first if `create_directory`), or a PostgreSQL server that cannot be reached, has no
    such database or refuses the user. Run before anything else opens the database, so that a
    wrong setting stops the start with one line instead of a traceback."""
    url = normalize_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        await _check_postgres(url, parsed)
    elif parsed.database and parsed.database != ":memory:":
        path = _sqlite_files(Path(parsed.database), create_directory=create_directory)
        await _open_sqlite(url, path)


def _sqlite_files(path: Path, *, create_directory: bool) -> Path:
    """The database file's absolute path, once its directory, and the file if it exists,
    are writable by this process."""
    path = path.absolute()
    # WAL mode writes -wal and -shm files beside the database: the directory must be writable
    # even where the file itself is.
    writable_directory(path.parent, create=create_directory)
    uid = _user_id()
    if path.exists():
        try:
            os.close(os.open(path, os.O_RDWR))
        except OSError as e:
            raise StorageUnavailable(
                f"user id {uid} cannot write to {path} ({e.strerror})",
                f"let that user write it (e.g. chown {uid} {path}) or choose another file",
            ) from None
    return path


async def _open_sqlite(url: str, path: Path) -> None:
    engine = create_engine(url, threaded=True)
    try:
        # Connecting runs the pragmas (WAL mode writes); a writer's transaction begins with
        # BEGIN IMMEDIATE, which takes the write lock (_configure_sqlite).
        async with engine.execution_options(**{_WRITES: True}).begin() as connection:
            await connection.exec_driver_sql("SELECT 1")
    except DBAPIError as e:
        raise StorageUnavailable(
            f"cannot open {path} as a SQLite database ({_first_line(e.orig)})",
            "restore it from a backup or choose another file",
        ) from None
    finally:
        await engine.dispose()


# What libpq (psycopg) says when the server answered and refused, besides its SQLSTATE.
_NO_DATABASE = re.compile(r'database "[^"]*" does not exist')
_REFUSED_USER = re.compile(
    r'role "[^"]*" does not exist|password authentication failed|no pg_hba\.conf entry'
)
# ... and when no server answered at all.
_UNREACHABLE = re.compile(
    r"connection refused|resolve host|translate host name|timeout expired|timed out|"
    r"no route to host|network is unreachable",
    re.IGNORECASE,
)
_NO_DATABASE_STATES = {"3D000"}
_REFUSED_USER_STATES = {"28000", "28P01"}


async def _check_postgres(url: str, parsed: URL) -> None:
    connect_args: dict[str, object] = {}
    if parsed.get_driver_name() == "psycopg" and "connect_timeout" not in parsed.query:
        # libpq waits as long as the operating system does (minutes) for a host that drops
        # packets.
        connect_args["connect_timeout"] = CONNECT_TIMEOUT_SECONDS
    engine = create_async_engine(url, poolclass=NullPool, connect_args=connect_args)
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except (DBAPIError, OSError, TimeoutError) as e:
        raise _postgres_problem(parsed, e) from None
    finally:
        await engine.dispose()


def _postgres_problem(url: URL, error: BaseException) -> StorageUnavailable:
    host, port = url.host or "localhost", url.port or 5432
    where = f"{host}:{port}"
    cause = error.orig if isinstance(error, DBAPIError) and error.orig is not None else error
    state = getattr(cause, "sqlstate", None)
    said = _scrub(_first_line(cause), url.password)
    if state in _NO_DATABASE_STATES or _NO_DATABASE.search(said):
        user = f" -U {url.username}" if url.username else ""
        return StorageUnavailable(
            f'PostgreSQL at {where} has no database "{url.database}"',
            f"create it (createdb -h {host} -p {port}{user} {url.database}) or fix its name",
        )
    if state in _REFUSED_USER_STATES or _REFUSED_USER.search(said):
        user = f'the user "{url.username}"' if url.username else "the user"
        return StorageUnavailable(
            f"PostgreSQL at {where} refused {user} ({_server_said(said)})",
            "check the user name and password (and the server's pg_hba.conf)",
        )
    if isinstance(cause, TimeoutError):
        said = "timed out"
    elif isinstance(cause, OSError):
        # asyncio's "Connect call failed ('h', 1)" says less than the errno's own words.
        known = cause.errno is not None and cause.errno > 0
        said = os.strerror(cause.errno) if known else cause.strerror or said
    if isinstance(cause, OSError) or _UNREACHABLE.search(said):
        return StorageUnavailable(
            f"cannot reach PostgreSQL at {where} ({_network_reason(said)})",
            "check the host and port, and that the server is running and accepts connections",
        )
    if "FATAL:" in said:
        return StorageUnavailable(
            f"PostgreSQL at {where} refused the connection ({_server_said(said)})",
            "check the URL's user, password and database name",
        )
    # Neither a server's refusal nor a network's: e.g. sslmode=require and a server without
    # SSL.
    return StorageUnavailable(
        f"cannot connect to PostgreSQL at {where} ({_network_reason(said)})",
        "check the URL's options (e.g. sslmode) and the server's settings",
    )


def _first_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return lines[0].strip() if lines else type(error).__name__


def _scrub(message: str, password: str | None) -> str:
    """A driver's message, in case it ever repeats the password."""
    return message.replace(password, "***") if password else message


def _server_said(message: str) -> str:
    """libpq's 'connection to server at "h", port 5432 failed: FATAL:  role "x" does not
    exist' as 'role "x" does not exist'."""
    return re.sub(r"\s+", " ", message.rpartition("FATAL:")[2]).strip() or message


def _network_reason(message: str) -> str:
    """libpq's 'connection to server at "h", port 1 failed: Connection refused' as
    'connection refused', and "failed to resolve host 'h': [Errno -2] Name or service not
    known" as 'name or service not known'."""
    reason = re.split(r"\[Errno [-\d]+\]|failed:", message)[-1].strip() or message
    return reason[0].lower() + reason[1:]


def _user_id() -> int | str:
    return os.geteuid() if hasattr(os, "geteuid") else "?"


def normalize_url(url: str) -> str:
    """Accept the driver names operators tend to paste (sync ones, or asyncpg's, which is not
    installed: psycopg is the one PostgreSQL driver), and give the async ones installed."""
    parsed = make_url(url)
    driver = parsed.drivername
    if driver in ("sqlite", "sqlite+pysqlite"):
        parsed = parsed.set(drivername="sqlite+aiosqlite")
    elif driver in ("postgres", "postgresql", "postgresql+psycopg2", "postgresql+asyncpg"):
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
            engine = create_async_engine(
                url,
                echo=echo,
                async_creator=connect,
                # A session gives its connection back only after an await, so under a burst
                # each request in flight holds one: a pool smaller than the burst closes and
                # reopens connections (with their pragmas) all the time.
                pool_size=INLINE_POOL_SIZE,
                max_overflow=INLINE_POOL_SIZE,
            )
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
