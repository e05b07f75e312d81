"""Deleting a workspace's data: at once with `onboard-bot purge`, or ONBOARD_RETENTION_DAYS
after `app_uninstalled` by a pass (a reinstall keeps it). Every table is checked, on SQLite
and, with ONBOARD_TEST_POSTGRES_URL, PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from storage.lifecycle import NO_TEAM_DATA, TEAM_TABLES
from storage.models import Base, WorkspaceDeparture
from tests.conftest import FakeClock
from tests.harness import RunningApp
from tests.lifecycle_data import ONE, TWO, event, install, team_rows, two_workspaces_app
from tests.scheduler.conftest import make_runner
from tests.slack_stub import SlackStub
from tests.test_cli import onboard_bot
from tests.test_oauth import eventually


def test_every_table_is_purged_or_holds_no_workspace_data() -> None:
    """A new table with a team or application reference fails here until storage/lifecycle.py
    deletes its rows."""
    purged = [name for name, _ in TEAM_TABLES]
    assert len(purged) == len(set(purged))
    for table in Base.metadata.sorted_tables:
        refers = "team_id" in table.c or any(
            fk.column.table.name in ("applications", "outbox") for fk in table.foreign_keys
        )
        if refers:
            assert table.name in purged, f"{table.name} holds workspace data; purge it"
        else:
            assert table.name in NO_TEAM_DATA, f"{table.name}: purge it, or say why it has none"
    assert set(purged) | set(NO_TEAM_DATA) == set(Base.metadata.tables)
    # Children before parents: a row's application or outbox message goes after it.
    for table in Base.metadata.sorted_tables:
        for fk in table.foreign_keys:
            if table.name in purged:
                assert purged.index(table.name) < purged.index(fk.column.table.name)


@pytest.fixture
async def two_workspaces(
    slack: SlackStub, clock: FakeClock, tmp_path: Path, database_url: str
) -> AsyncIterator[RunningApp]:
    async with two_workspaces_app(slack, clock, tmp_path, database_url) as app:
        yield app


async def rows_of(app: RunningApp, team: str) -> dict[str, int]:
    async with app.engine.connect() as connection:
        return await team_rows(connection, team)


def untouched(now: dict[str, int], before: dict[str, int]) -> bool:
    """The other workspace still has all it had; passes since may have sent it more messages
    and forgotten its day-old event ids, as they do."""
    passes_change = {"outbox", "outbox_steps", "channel_slots", "handled_events"}
    return all(
        now[name] == count if name not in passes_change else now[name] or name == "handled_events"
        for name, count in before.items()
    )


def cli_env(app: RunningApp) -> dict[str, str]:
    return {
        "DATABASE_URL": app.settings.database,
        "ONBOARD_DATA_DIR": str(app.settings.onboard_data_dir),
    }


async def test_purge_deletes_every_row_of_one_workspace_and_prints_the_counts(
    two_workspaces: RunningApp, tmp_path: Path
) -> None:
    app = two_workspaces
    before, other = await rows_of(app, ONE), await rows_of(app, TWO)
    # Every table that can hold a workspace's data holds some of this one's (but the
    # departures: it has not left).
    assert {name for name, count in before.items() if not count} == {"workspace_departures"}

    result = await asyncio.to_thread(
        onboard_bot, "purge", "--team", ONE, "--yes", cwd=tmp_path / "cli", env=cli_env(app)
    )

    assert result.returncode == 0, result.stderr
    after = await rows_of(app, ONE)
    assert after == dict.fromkeys(before, 0)
    assert await rows_of(app, TWO) == other
    printed = dict(line.split() for line in result.stdout.splitlines()[1:])
    assert {name: int(count) for name, count in printed.items() if name != "total"} == {
        name: count for name, count in before.items()
    }
    assert int(printed["total"]) == sum(before.values())


async def test_purge_asks_and_deletes_nothing_unconfirmed(
    two_workspaces: RunningApp, tmp_path: Path
) -> None:
    app = two_workspaces
    before = await rows_of(app, ONE)
    result = await asyncio.to_thread(
        onboard_bot, "purge", "--team", ONE, cwd=tmp_path / "cli", env=cli_env(app)
    )
    # No terminal to ask in, no --yes: refused with one line saying how.
    assert result.returncode == 2
    assert "--yes" in result.stderr
    assert await rows_of(app, ONE) == before
    bad = await asyncio.to_thread(
        onboard_bot, "purge", "--team", "acme", "--yes", cwd=tmp_path / "cli", env=cli_env(app)
    )
    assert bad.returncode == 2 and "not a workspace id" in bad.stderr


async def test_an_uninstalled_workspace_is_deleted_by_the_pass_after_the_retention_days(
    two_workspaces: RunningApp, clock: FakeClock
) -> None:
    app = two_workspaces
    other = await rows_of(app, TWO)
    runner, _ = make_runner(app.runtime, app.settings, clock)
    assert app.runtime.retention == timedelta(days=30)  # the default

    await event(app, {"type": "app_uninstalled"}, team=ONE)

    async def recorded() -> bool:
        async with app.runtime.sessions() as session:
            return await session.get(WorkspaceDeparture, ONE) is not None

    await eventually(recorded)
    left = clock.now
    await runner.run_pass(left + timedelta(days=29, hours=23))
    kept = await rows_of(app, ONE)
    assert kept["applications"] and kept["events"] and kept["credentials"]

    await runner.run_pass(left + timedelta(days=30))

    assert set((await rows_of(app, ONE)).values()) == {0}
    assert untouched(await rows_of(app, TWO), other)


async def test_installing_again_within_the_retention_days_keeps_the_data(
    two_workspaces: RunningApp, clock: FakeClock
) -> None:
    app = two_workspaces
    runner, _ = make_runner(app.runtime, app.settings, clock)
    await event(app, {"type": "app_uninstalled"}, team=ONE)

    async def recorded() -> bool:
        return (await rows_of(app, ONE))["workspace_departures"] == 1

    await eventually(recorded)
    # Installing again (the OAuth flow saves the new installation) cancels the deletion.
    await install(app, ONE)
    await runner.run_pass(clock.now + timedelta(days=40))

    after = await rows_of(app, ONE)
    assert after["workspace_departures"] == 0
    assert after["applications"] >= 1 and after["events"] and after["notes"]


async def test_with_no_retention_an_uninstalled_workspace_is_deleted_at_once(
    two_workspaces: RunningApp,
) -> None:
    app = two_workspaces
    app.runtime.retention = timedelta(0)  # ONBOARD_RETENTION_DAYS=0
    other = await rows_of(app, TWO)

    await event(app, {"type": "app_uninstalled"}, team=ONE)

    async def gone() -> bool:
        return not any((await rows_of(app, ONE)).values())

    await eventually(gone)
    assert await rows_of(app, TWO) == other


def test_retention_days_is_a_setting(tmp_path: Path) -> None:
    result = onboard_bot(
        "purge", "--team", ONE, "--yes", cwd=tmp_path, env={"ONBOARD_RETENTION_DAYS": "-1"}
    )
    assert result.returncode == 2
    assert "ONBOARD_RETENTION_DAYS" in result.stderr
