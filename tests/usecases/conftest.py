"""Fixtures for calling the use cases directly: the real runtime and SQLite database of a
running app, a Web API client pointed at the Slack stand-in, the actors of the tests, and a
way to show that a refusal changed nothing."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

import pytest
from sqlalchemy import select

from bot.services.errors import Refusal
from bot.slack_client import web_client
from bot.slack_directory import SlackDirectory
from bot.usecases import access, checklist
from bot.usecases.access import AppRef
from bot.usecases.context import Actor, Deps
from storage.models import (
    Application,
    ChannelSettings,
    Contact,
    Credential,
    DigestSchedule,
    Event,
    HandledEvent,
    Note,
    OutboxMessage,
    PersonSettings,
    StepState,
)
from tests.harness import TEAM_ID, RunningApp
from tests.slack_stub import SlackStub

OTHER_TEAM = "T0OTHER"
# Ids a forged button or form may carry: none names an application.
FORGED_IDS = [999_999, 0, -1, 10**30]
# Who asks, how they name the application, and what the refusal says: for every use case
# that names an application. "id" is a click's id, "slug" a typed `--app`, "channel" None.
ACCESS_REFUSALS = [
    # A click's id may be guessed: the refusal names neither application nor channel.
    pytest.param("outsider", "id", "Only members of this checklist's channel", id="non-member"),
    pytest.param("outsider", "slug", "Only members of <#CPAY>", id="non-member-by-slug"),
    pytest.param("other_workspace", "id", access.GONE, id="other-workspace"),
    pytest.param(
        "other_workspace", "slug", "There is no application `acme-pos` here", id="other-ws-slug"
    ),
    pytest.param("other_workspace", "channel", "No application is bound", id="other-ws-channel"),
    *(pytest.param("member", forged, access.GONE, id=f"forged-{forged}") for forged in FORGED_IDS),
]
# Every table a use case writes to: a refusal must leave all of them as they were.
TABLES = (
    Application,
    StepState,
    Note,
    Contact,
    Credential,
    DigestSchedule,
    Event,
    OutboxMessage,
    HandledEvent,
    PersonSettings,
    ChannelSettings,
)


class Db:
    """Reads the database as the use cases left it, through the runtime's own sessions."""

    def __init__(self, app: RunningApp) -> None:
        self.sessions = app.runtime.sessions

    async def snapshot(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of every table a use case writes to."""
        found = {}
        async with self.sessions() as session:
            for model in TABLES:
                table = model.__table__
                rows = await session.execute(select(table).order_by(*table.primary_key.columns))
                found[table.name] = [tuple(row) for row in rows]
        return found

    async def application(self, application_id: int) -> Application:
        async with self.sessions() as session:
            found = await session.get(Application, application_id)
        assert found is not None
        return found

    async def step(self, application_id: int, number: str) -> StepState:
        async with self.sessions() as session:
            state = await session.scalar(
                select(StepState).where(
                    StepState.application_id == application_id, StepState.step == number
                )
            )
        assert state is not None
        return state

    async def done(self, application_id: int) -> list[str]:
        async with self.sessions() as session:
            states = await session.scalars(
                select(StepState)
                .where(StepState.application_id == application_id)
                .order_by(StepState.position)
            )
            return [s.step for s in states if s.done_at is not None]

    async def events(self, application_id: int, kind: str | None = None) -> list[Event]:
        async with self.sessions() as session:
            found = await session.scalars(
                select(Event).where(Event.application_id == application_id).order_by(Event.id)
            )
            return [e for e in found if kind is None or e.kind == kind]

    async def outbox(self) -> list[OutboxMessage]:
        async with self.sessions() as session:
            return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


@pytest.fixture
def db(app: RunningApp) -> Db:
    return Db(app)


@pytest.fixture
def refuses(db: Db):
    """`await refuses(use_case(...), "what", "was wrong")`: the call raises a Refusal whose
    message contains each fragment, and every table is as it was before. Returns the message."""

    async def check(call: Awaitable[Any], *fragments: str) -> str:
        before = await db.snapshot()
        with pytest.raises(Refusal) as refused:
            await call
        message = refused.value.message
        for fragment in fragments:
            assert fragment in message, message
        assert await db.snapshot() == before, "a refused call changed the database"
        return message

    return check


@pytest.fixture
async def deps(app: RunningApp, slack: SlackStub) -> Deps:
    client = web_client(slack.bot_token, slack.api_url, app.runtime.http_session())
    return Deps(app.runtime, client)


def named(
    request: pytest.FixtureRequest, application: Application, who: str, ref: str | int
) -> tuple[Actor, AppRef]:
    """The actor fixture called `who`, and the application named as `ref` says."""
    refs: dict[str | int, AppRef] = {"id": application.id, "slug": application.slug}
    return request.getfixturevalue(who), None if ref == "channel" else refs.get(ref, ref)


def forget_people(deps: Deps) -> None:
    """Drop the directory's cached profiles and channel members (e.g. after making an admin)."""
    deps.runtime.directory = SlackDirectory()


@pytest.fixture
def owner() -> Actor:
    return Actor(TEAM_ID, "UALICE", "CPAY")


@pytest.fixture
def member() -> Actor:
    return Actor(TEAM_ID, "UBOB", "CPAY")


@pytest.fixture
def outsider() -> Actor:
    """A user of the workspace who is not in #CPAY (only in #COTHER)."""
    return Actor(TEAM_ID, "UCAROL", "COTHER")


@pytest.fixture
def other_workspace() -> Actor:
    """The owner's user id and channel id, but from another workspace."""
    return Actor(OTHER_TEAM, "UALICE", "CPAY")


@pytest.fixture
async def application(deps: Deps, owner: Actor) -> Application:
    return await checklist.create(deps, owner, "Acme POS")
