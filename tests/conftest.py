from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from storage import db
from tests.harness import RunningApp, make_settings
from tests.slack_stub import SlackStub

# PostgreSQL tests run where this names a server we may create databases on (CI sets it).
POSTGRES_URL_VARIABLE = "ONBOARD_TEST_POSTGRES_URL"


@pytest.fixture(autouse=True)
def _no_real_slack_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never pick up a developer's real tokens or database from the environment."""
    for name in list(os.environ):
        if name.startswith(("SLACK_", "ONBOARD_")) and name != POSTGRES_URL_VARIABLE:
            monkeypatch.delenv(name)
    for name in ("DATABASE_URL", "PORT", "LOG_LEVEL", "HOST"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def slack() -> Iterator[SlackStub]:
    with SlackStub() as stub:
        stub.channel_members["CPAY"] = ["UALICE", "UBOB", "UBOT"]
        stub.channel_members["COTHER"] = ["UCAROL", "UBOT"]
        # Channels the bot was invited to that tests name as an application's contacts channel
        # (`contacts channel` checks the bot is in it).
        stub.channel_members["CALIPAY"] = ["UBOT"]
        stub.channel_members["CPARTNER"] = ["UBOT"]
        for user in ("UALICE", "UBOB", "UCAROL"):
            stub.add_user(user)
        yield stub


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    base = os.environ.get(POSTGRES_URL_VARIABLE)
    if not base:
        pytest.skip(f"set {POSTGRES_URL_VARIABLE} to run PostgreSQL tests")
    admin_url = make_url(base).set(drivername="postgresql+psycopg")
    name = f"onboard_test_{uuid.uuid4().hex[:12]}"
    admin = create_sync_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
async def sqlite_engine(tmp_path) -> AsyncIterator[AsyncEngine]:
    """An engine on a fresh SQLite file, migrated to the newest schema (no app running)."""
    engine = db.create_engine(db.sqlite_url(tmp_path))
    await db.upgrade(engine)
    yield engine
    await engine.dispose()


@pytest.fixture
def sqlite_sessions(sqlite_engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions for reading from `sqlite_engine`."""
    return db.create_sessionmaker(sqlite_engine)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path) -> str:
    """Each storage test runs on a SQLite file and, where available, on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'onboard.db'}"
    return request.getfixturevalue("postgres_url")


class FakeClock:
    """The app's `now`, set by the test (never slept for)."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


@pytest.fixture
def clock() -> FakeClock:
    # A Wednesday morning in Europe, afternoon in Shanghai, the small hours in Los Angeles.
    return FakeClock(datetime(2026, 11, 25, 10, 0, tzinfo=UTC))


@pytest.fixture
async def app(slack: SlackStub, clock: FakeClock, tmp_path) -> AsyncIterator[RunningApp]:
    settings = make_settings(tmp_path / "data", slack)
    running = await RunningApp(settings, slack, clock=clock).start()
    try:
        yield running
    finally:
        await running.stop()
