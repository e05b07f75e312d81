"""Two workspaces' worth of data made the way Slack makes it (commands, events, a pass, an
OAuth install), and an independent reading of what in the database belongs to a workspace or
mentions a person: the lifecycle tests compare the two before and after deleting."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from slack_sdk.oauth.installation_store import Installation
from sqlalchemy import JSON, String, Text, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.app import build_client
from bot.installations import EncryptedInstallationStore
from bot.scheduler import PassRunner, single_workspace
from storage.models import Application, Base, OutboxMessage
from tests.conftest import FakeClock
from tests.harness import RunningApp, event_body, make_settings, signed_headers, slash_command_body
from tests.slack_stub import SlackStub

ONE, TWO = "T0001", "T0002"


async def command(
    app: RunningApp, text: str, *, team: str, user: str = "UALICE", channel: str = "CPAY"
) -> str:
    body = slash_command_body(
        text,
        user_id=user,
        channel_id=channel,
        team_id=team,
        response_url=app.slack.response_url("lifecycle"),
    )
    reply = await app.post(body, signed_headers(body))
    assert reply.status == 200, reply
    return reply.text if isinstance(reply.body, dict) else ""


async def event(app: RunningApp, payload: dict[str, Any], *, team: str) -> None:
    body = event_body(payload, team_id=team)
    reply = await app.post(body, signed_headers(body) | {"Content-Type": "application/json"})
    assert reply.status == 200, reply


async def populate(app: RunningApp, clock: Any, teams: tuple[str, ...] = (ONE, TWO)) -> None:
    """Rows in every table that holds a workspace's data, UBOB in every role a person has."""
    for team in teams:
        for user, text in (
            ("UALICE", "new Acme POS"),
            ("UALICE", "assign 1.1 <@UBOB>"),
            ("UALICE", "assign 1.2 <@UBOB>"),
            ("UALICE", "due 1.1 2026-11-26"),
            ("UBOB", "mark 1.3"),
            ("UBOB", "note 1.2 waiting on <@UBOB> and the sandbox"),
            ("UALICE", "contacts add <@UBOB|bob> <@UCAROL|carol>"),
            ("UBOB", "digest daily 09:00"),
            ("UCAROL", "away until 2026-12-20"),
            ("UBOB", "language zh-CN"),
            ("UALICE", "creds set sandbox client-id SANDBOX_5Y3A2N2YEB3002022"),
        ):
            await command(app, text, team=team, user=user)
    # Days on, in working hours in Los Angeles: a pass as `onboard-bot run` makes one sends
    # reminders (outbox rows listing steps) and digests, pacing channels in the database.
    clock.advance(days=6, hours=8)
    runner = PassRunner.create(
        app.runtime, single_workspace(build_client(app.settings, app.runtime.http_session()))
    )
    report = await runner.run_pass(clock.now)
    assert report.delivery.sent >= len(teams) * 2, report
    for team in teams:
        await event(app, {"type": "app_home_opened", "user": "UBOB", "tab": "home"}, team=team)
        await install(app, team)


async def install(app: RunningApp, team: str) -> None:
    """An OAuth install of the workspace: its tokens, sealed, in slack_sdk's tables."""
    assert app.runtime.keyring is not None and app.runtime.threaded_engine is not None
    store = EncryptedInstallationStore(
        client_id="111.222", engine=app.runtime.threaded_engine, keyring=app.runtime.keyring
    )
    await store.async_save(
        Installation(
            app_id="A0ONBOARD",
            team_id=team,
            bot_token=f"xoxb-{team}-bot",
            bot_id="B0BOT",
            bot_user_id="UBOT",
            bot_scopes=["chat:write"],
            user_id="UBOB",
            user_token="xoxp-bob",
            installed_at=datetime(2026, 11, 1, tzinfo=UTC).timestamp(),
        )
    )


def _team_filter(table: Any, team: str, apps: list[int], outbox: list[int]) -> Any | None:
    """How rows of `table` name their workspace, read off its columns (not the code under
    test): a team_id, or a reference to an application or outbox message."""
    if "team_id" in table.c:
        return table.c.team_id == team
    if "application_id" in table.c:
        return table.c.application_id.in_(apps or [-1])
    if "outbox_id" in table.c:
        return table.c.outbox_id.in_(outbox or [-1])
    return None


async def team_rows(connection: AsyncConnection, team: str) -> dict[str, int]:
    """Rows per table that belong to `team`, for every table that can hold any."""
    apps = list(await connection.scalars(select(Application.id).where(Application.team_id == team)))
    outbox = list(
        await connection.scalars(select(OutboxMessage.id).where(OutboxMessage.team_id == team))
    )
    counts = {}
    for table in Base.metadata.sorted_tables:
        where = _team_filter(table, team, apps, outbox)
        if where is not None:
            counts[table.name] = len((await connection.execute(select(table).where(where))).all())
    return counts


async def cells_mentioning(connection: AsyncConnection, needle: str) -> list[str]:
    """Every stored text (any string, text or JSON column of any table) containing `needle`,
    as `table.column`."""
    found = []
    for table in Base.metadata.sorted_tables:
        columns = [c for c in table.c if isinstance(c.type, String | Text | JSON)]
        for row in (await connection.execute(select(*columns))).all():
            for column, value in zip(columns, row, strict=True):
                if value is not None and needle in str(value):
                    found.append(f"{table.name}.{column.name}")
    return found


@asynccontextmanager
async def two_workspaces_app(
    slack: SlackStub, clock: FakeClock, tmp_path: Path, database_url: str
) -> AsyncIterator[RunningApp]:
    """The app on `database_url`, with both workspaces populated (the tests' fixture)."""
    settings = make_settings(tmp_path / "data", slack, database_url)
    app = await RunningApp(settings, slack, clock=clock).start()
    try:
        await populate(app, clock)
        yield app
    finally:
        await app.stop()
