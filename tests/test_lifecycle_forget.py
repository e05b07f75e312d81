"""`onboard-bot forget-user`: a person's deletion request. Their assignments are cleared and
their id is gone from every stored text of every table; the history says "a former member"
in the reader's language. SQLite and, with ONBOARD_TEST_POSTGRES_URL, PostgreSQL."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.app import build_client
from bot.scheduler import PassRunner, single_workspace
from storage.models import FORMER_MEMBER, Application, Event, StepState
from tests.conftest import FakeClock
from tests.harness import RunningApp
from tests.lifecycle_data import (
    ONE,
    TWO,
    cells_mentioning,
    command,
    team_rows,
    two_workspaces_app,
)
from tests.slack_stub import SlackStub
from tests.test_cli import onboard_bot


@pytest.fixture
async def two_workspaces(
    slack: SlackStub, clock: FakeClock, tmp_path: Path, database_url: str
) -> AsyncIterator[RunningApp]:
    async with two_workspaces_app(slack, clock, tmp_path, database_url) as app:
        yield app


def forget(app: RunningApp, tmp_path: Path, *args: str):
    env = {
        "DATABASE_URL": app.settings.database,
        "ONBOARD_DATA_DIR": str(app.settings.onboard_data_dir),
    }
    return onboard_bot("forget-user", *args, cwd=tmp_path / "cli", env=env)


async def assignees(app: RunningApp, team: str) -> set[str | None]:
    async with app.engine.connect() as connection:
        found = await connection.scalars(
            select(StepState.assignee_id)
            .join(Application, Application.id == StepState.application_id)
            .where(Application.team_id == team, StepState.assignee_id.is_not(None))
        )
        return set(found)


async def test_forgetting_a_person_leaves_their_id_nowhere(
    two_workspaces: RunningApp, tmp_path: Path
) -> None:
    app = two_workspaces
    async with app.engine.connect() as connection:
        before = await cells_mentioning(connection, "UBOB")
        events_before = await connection.scalar(select(func.count()).select_from(Event))
        rows_before = {team: await team_rows(connection, team) for team in (ONE, TWO)}
    # Bob is everywhere a person can be: assignee, marker, note author and mention, contact,
    # digest setter, own settings, DM recipient, history, installer.
    assert {cell.split(".")[0] for cell in before} >= {
        "step_states",
        "notes",
        "contacts",
        "digest_schedules",
        "person_settings",
        "outbox",
        "events",
        "slack_installations",
    }

    result = await asyncio.to_thread(forget, app, tmp_path, "UBOB", "--yes")

    assert result.returncode == 0, result.stderr
    async with app.engine.connect() as connection:
        assert await cells_mentioning(connection, "UBOB") == []
        assert await cells_mentioning(connection, FORMER_MEMBER)
        # The history keeps every entry, with the marker as who did it.
        assert await connection.scalar(select(func.count()).select_from(Event)) == events_before
        rows_after = {team: await team_rows(connection, team) for team in (ONE, TWO)}
    assert await assignees(app, ONE) == set()
    for team in (ONE, TWO):
        # Only what was Bob's own is deleted: his settings, contact entries and his DMs.
        for table in ("applications", "step_states", "notes", "events", "credentials"):
            assert rows_after[team][table] == rows_before[team][table]
        assert rows_after[team]["person_settings"] == rows_before[team]["person_settings"] - 1
        assert rows_after[team]["contacts"] == rows_before[team]["contacts"] - 1
    lines = result.stdout.splitlines()
    assert lines[0] == "removed UBOB from every workspace, rows deleted or changed per table:"
    printed = dict(line.split() for line in lines[1:])
    assert int(printed["person_settings"]) == 2 and int(printed["contacts"]) == 2
    assert int(printed["total"]) == sum(int(v) for k, v in printed.items() if k != "total")

    # The history shows a former member, in each reader's language.
    history = await command(app, "history", team=ONE, user="UALICE")
    assert "a former member marked 1.3 done" in history
    assert "UBOB" not in history
    await command(app, "language zh-CN", team=ONE, user="UALICE")
    assert "一位前成员" in await command(app, "history", team=ONE, user="UALICE")


async def test_forgetting_in_one_workspace_leaves_the_other(
    two_workspaces: RunningApp, tmp_path: Path
) -> None:
    app = two_workspaces
    result = await asyncio.to_thread(forget, app, tmp_path, "UBOB", "--team", ONE, "--yes")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("removed UBOB from workspace T0001")
    assert await assignees(app, ONE) == set()
    assert await assignees(app, TWO) == {"UBOB"}


async def test_a_bad_user_id_changes_nothing(two_workspaces: RunningApp, tmp_path: Path) -> None:
    app = two_workspaces
    result = await asyncio.to_thread(forget, app, tmp_path, "bob", "--yes")
    assert result.returncode == 2
    assert "not a Slack user id" in result.stderr
    unknown = await asyncio.to_thread(forget, app, tmp_path, "UNOBODY", "--yes")
    assert unknown.returncode == 0
    assert unknown.stdout.strip() == "nothing stored about UNOBODY in every workspace"
    assert await assignees(app, ONE) == {"UBOB"}


async def test_a_forgotten_owner_is_not_reminded(
    two_workspaces: RunningApp, tmp_path: Path, clock: FakeClock, slack: SlackStub
) -> None:
    app = two_workspaces
    result = await asyncio.to_thread(forget, app, tmp_path, "UALICE", "--team", ONE, "--yes")
    assert result.returncode == 0, result.stderr
    slack.clear()
    client = build_client(app.settings, app.runtime.http_session())
    runner = PassRunner.create(app.runtime, single_workspace(client))
    clock.advance(days=7)

    report = await runner.run_pass(clock.now)

    # Workspace two's owner is still reminded; nothing is addressed to the marker.
    assert report.delivery.sent
    assert not [c for c in slack.calls if FORMER_MEMBER in json.dumps(c.args)]
    # What only the owner may do says who owned it, in the reader's language (Bob's Chinese).
    refused = await command(app, "rename Acme Kiosk", team=ONE, user="UBOB")
    assert (
        refused
        == "只有 *Acme POS* (`acme-pos`) 的所有者（一位前成员）或工作区管理员才能将其重命名。"
    )
