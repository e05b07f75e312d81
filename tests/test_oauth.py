"""Multi-workspace installs end to end: Bolt's OAuth flow over real HTTP against the stand-in's
oauth.v2.access, two workspaces installed side by side, each served with its own token (in
requests and in scheduler passes), neither seeing the other's data, and uninstalls that take
a workspace's tokens away while the other keeps working.

Two workspaces: T0001 (token xoxb-team-one; UALICE and UBOB in #CPAY) and T0002 (token
xoxb-team-two; UDAVE in #CTWO). The stand-in knows nothing of workspaces: it accepts every
granted token and records which one each call carried, which is what these tests look at.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import html
import json
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
from sqlalchemy import select, text

from bot.app import BOT_SCOPES, clients_for
from bot.config import Settings
from bot.delivery import ChannelPacer
from bot.scheduler import PassRunner
from storage.models import (
    SLACK_BOTS,
    SLACK_INSTALLATIONS,
    SLACK_OAUTH_STATES,
    Application,
    Event,
    OutboxMessage,
    StepState,
)
from tests.conftest import FakeClock
from tests.harness import (
    SIGNING_SECRET,
    CommandResult,
    RunningApp,
    event_body,
    signed_headers,
    slash_command_body,
)
from tests.slack_stub import Call, SlackStub
from tests.test_process import BotProcess, clean_environment, free_port

CLIENT_ID = "111.222"
CLIENT_SECRET = "oauth-client-secret-0123456789"
STATE_COOKIE = "slack-app-oauth-state"

ONE, TWO = "T0001", "T0002"
TOKENS = {ONE: "xoxb-team-one", TWO: "xoxb-team-two"}
CODES = {ONE: "C1", TWO: "C2"}
BOT_USERS = {ONE: "UBOT", TWO: "UBOT2"}
INSTALLERS = {ONE: "UALICE", TWO: "UDAVE"}

# Monday 09:00 in Los Angeles: a step untouched since the clock's Wednesday has stalled.
MONDAY_9_LA = datetime(2026, 11, 30, 17, 0, tzinfo=UTC)


def grant(team_id: str) -> dict[str, Any]:
    """An oauth.v2.access answer shaped like Slack's documented example, for a bot install
    into a workspace outside any Enterprise Grid."""
    return {
        "access_token": TOKENS[team_id],
        "token_type": "bot",
        "scope": ",".join(BOT_SCOPES),
        "bot_user_id": BOT_USERS[team_id],
        "app_id": "A0ONBOARD",
        "team": {"id": team_id, "name": f"Team {team_id}"},
        "enterprise": None,
        "is_enterprise_install": False,
        "authed_user": {"id": INSTALLERS[team_id]},
    }


def oauth_settings(data_dir: Path, slack: SlackStub, database_url: str | None = None) -> Settings:
    """OAuth settings and no bot token, as an operator serving many workspaces sets them."""
    return Settings(
        slack_client_id=CLIENT_ID,
        slack_client_secret=CLIENT_SECRET,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=slack.api_url,
        onboard_data_dir=data_dir,
        database_url=database_url,
        host="127.0.0.1",
        port=0,
        _env_file=None,  # type: ignore[call-arg]
    )


@pytest.fixture
def two_teams(slack: SlackStub) -> SlackStub:
    """The stand-in with T0002's people and channel, and a grant for each workspace's code."""
    slack.add_user("UDAVE")
    slack.channel_members["CTWO"] = ["UDAVE", "UBOT2"]
    for team_id, code in CODES.items():
        slack.oauth_grants[code] = grant(team_id)
    return slack


@pytest.fixture
async def oauth_app(two_teams: SlackStub, clock: FakeClock, tmp_path) -> AsyncIterator[RunningApp]:
    settings = oauth_settings(tmp_path / "data", two_teams)
    running = await RunningApp(settings, two_teams, clock=clock).start()
    try:
        yield running
    finally:
        await running.stop()


@pytest.fixture
async def installed(oauth_app: RunningApp, two_teams: SlackStub) -> RunningApp:
    """The app installed into both workspaces through the OAuth flow."""
    for team_id in (ONE, TWO):
        status, page = await install(oauth_app, CODES[team_id])
        assert status == 200, page
        assert "Thank you!" in page
    two_teams.clear()
    return oauth_app


# ---- talking to the app ---------------------------------------------------------------------


async def get(
    app: RunningApp, path: str, *, params: dict[str, str] | None = None, cookie: str | None = None
) -> tuple[int, dict[str, list[str]], str]:
    """A GET the way a browser does it, without following redirects."""
    headers = {"Cookie": cookie} if cookie is not None else {}
    async with (
        aiohttp.ClientSession() as http,
        http.get(
            f"{app.url}{path}", params=params, headers=headers, allow_redirects=False
        ) as response,
    ):
        found: dict[str, list[str]] = {}
        for name, value in response.headers.items():
            found.setdefault(name.lower(), []).append(value)
        return response.status, found, await response.text()


def authorize_url(page: str, headers: dict[str, list[str]]) -> str:
    """Slack's authorize URL, from the install page's link or a redirect's Location."""
    if "location" in headers:
        return headers["location"][0]
    found = re.search(r'href="(https://slack\.com/oauth/v2/authorize\?[^"]*)"', page)
    assert found, f"no authorize link in the install page: {page[:500]}"
    return html.unescape(found.group(1))


def state_cookie(headers: dict[str, list[str]]) -> tuple[str, str]:
    """(the Cookie header to send back, the Set-Cookie attributes) of the state cookie."""
    for value in headers.get("set-cookie", []):
        pair, _, attributes = value.partition(";")
        if pair.startswith(f"{STATE_COOKIE}="):
            return pair.strip(), attributes
    raise AssertionError(f"no {STATE_COOKIE} cookie set: {headers.get('set-cookie')}")


async def start_install(app: RunningApp) -> tuple[str, str]:
    """GET /slack/install: (the state, the Cookie header a browser would send back)."""
    status, headers, page = await get(app, "/slack/install")
    assert status in (200, 302), page
    (state,) = parse_qs(urlsplit(authorize_url(page, headers)).query)["state"]
    cookie, _ = state_cookie(headers)
    return state, cookie


async def install(app: RunningApp, code: str) -> tuple[int, str]:
    """The whole flow: /slack/install, Slack's consent (skipped), /slack/oauth_redirect."""
    state, cookie = await start_install(app)
    status, _, page = await get(
        app, "/slack/oauth_redirect", params={"code": code, "state": state}, cookie=cookie
    )
    return status, page


async def command(
    app: RunningApp, text: str, *, team: str, user: str, channel: str, name: str = "r1"
) -> CommandResult:
    body = slash_command_body(
        text,
        user_id=user,
        channel_id=channel,
        team_id=team,
        response_url=app.slack.response_url(name),
    )
    return await app.post(body, signed_headers(body))


async def one(app: RunningApp, text: str, *, user: str = "UALICE", name: str = "r1"):
    return await command(app, text, team=ONE, user=user, channel="CPAY", name=name)


async def two(app: RunningApp, text: str, *, user: str = "UDAVE", name: str = "r2"):
    return await command(app, text, team=TWO, user=user, channel="CTWO", name=name)


async def event(app: RunningApp, payload: dict[str, Any], *, team: str) -> CommandResult:
    body = event_body(payload, team_id=team)
    return await app.post(body, signed_headers(body) | {"Content-Type": "application/json"})


async def eventually(check: Callable[[], Awaitable[bool]]) -> None:
    """Wait (5 s at most) for an event listener, which Bolt runs after the ack, to be done."""
    for _ in range(250):
        if await check():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("still not done after 5 s")


async def settle() -> None:
    """Let listeners Bolt runs after the ack finish their Web API calls."""
    await asyncio.sleep(0.2)


def web_api_calls(slack: SlackStub) -> list[Call]:
    """Calls to Slack's Web API (not response_url posts, which carry no token)."""
    return [c for c in slack.calls if not c.method.startswith("response_url:")]


# ---- the database ---------------------------------------------------------------------------


async def rows(app: RunningApp, table) -> list[dict[str, Any]]:
    async with app.runtime.sessions() as session:
        result = await session.execute(select(table))
        return [dict(row) for row in result.mappings()]


async def team_rows(app: RunningApp, table, team_id: str) -> list[dict[str, Any]]:
    return [r for r in await rows(app, table) if r["team_id"] == team_id]


async def database_bytes(app: RunningApp) -> bytes:
    """Every byte the SQLite database has on disk, after moving the WAL into the main file."""
    async with app.engine.connect() as connection:
        await connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    data_dir = app.settings.onboard_data_dir
    files = sorted(data_dir.glob("onboard.db*"))
    assert data_dir / "onboard.db" in files
    return b"".join(path.read_bytes() for path in files)


async def applications(app: RunningApp) -> list[Application]:
    async with app.runtime.sessions() as session:
        return list(await session.scalars(select(Application).order_by(Application.id)))


async def done_steps(app: RunningApp) -> dict[str, list[str]]:
    """The steps marked done, by workspace."""
    async with app.runtime.sessions() as session:
        found = await session.execute(
            select(Application.team_id, StepState.step)
            .join(StepState, StepState.application_id == Application.id)
            .where(StepState.done_at.is_not(None))
            .order_by(StepState.step)
        )
        done: dict[str, list[str]] = {}
        for team_id, step in found:
            done.setdefault(team_id, []).append(step)
        return done


async def outbox(app: RunningApp) -> list[OutboxMessage]:
    async with app.runtime.sessions() as session:
        return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def pass_runner(app: RunningApp) -> PassRunner:
    """The runner `onboard-bot run` builds for OAuth installs, with a pacer that never sleeps."""

    async def no_sleep(_seconds: float) -> None:
        return None

    runner = PassRunner.create(app.runtime, clients_for(app.settings, app.runtime))
    runner.deliverer.pacer = ChannelPacer(sleep=no_sleep)
    return runner


# ---- installing -----------------------------------------------------------------------------


async def test_install_page_links_to_slack_authorize_with_client_id_scopes_and_a_state(
    oauth_app: RunningApp,
) -> None:
    status, headers, page = await get(oauth_app, "/slack/install")

    assert status in (200, 302)
    url = urlsplit(authorize_url(page, headers))
    assert (url.scheme, url.netloc, url.path) == ("https", "slack.com", "/oauth/v2/authorize")
    query = parse_qs(url.query)
    assert query["client_id"] == [CLIENT_ID]
    assert query["scope"][0].split(",") == list(BOT_SCOPES)
    (state,) = query["state"]
    assert len(state) >= 16
    cookie, attributes = state_cookie(headers)
    assert cookie == f"{STATE_COOKIE}={state}"
    assert "httponly" in attributes.lower()
    # Each visit gets a state of its own.
    second_state, _ = await start_install(oauth_app)
    assert second_state != state


async def test_two_workspaces_install_through_the_oauth_flow(
    oauth_app: RunningApp, two_teams: SlackStub
) -> None:
    for team_id in (ONE, TWO):
        status, page = await install(oauth_app, CODES[team_id])
        assert status == 200, page
        assert "Thank you!" in page and f"team={team_id}" in page

    # oauth.v2.access was asked once per code, authenticated with the app's client id/secret.
    exchanges = two_teams.calls_to("oauth.v2.access")
    assert [c.args["code"] for c in exchanges] == ["C1", "C2"]
    basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    assert {c.headers.get("Authorization") for c in exchanges} == {f"Basic {basic}"}

    installations = await rows(oauth_app, SLACK_INSTALLATIONS)
    bots = await rows(oauth_app, SLACK_BOTS)
    assert sorted(r["team_id"] for r in installations) == [ONE, TWO]
    assert sorted(r["team_id"] for r in bots) == [ONE, TWO]
    for row in installations:
        assert row["client_id"] == CLIENT_ID
        assert row["bot_user_id"] == BOT_USERS[row["team_id"]]
        assert row["user_id"] == INSTALLERS[row["team_id"]]
        assert row["enterprise_id"] is None
    # What is stored is ciphertext that the keyring opens back into each team's own token.
    keyring = oauth_app.runtime.keyring
    assert keyring is not None
    for row in installations + bots:
        assert row["bot_token"] != TOKENS[row["team_id"]]
        assert keyring.decrypt(row["bot_token"]) == TOKENS[row["team_id"]]


async def test_tokens_are_never_in_the_database_file_in_plaintext(installed: RunningApp) -> None:
    # A request from each workspace first: authorizing reads (and must not rewrite) tokens.
    assert "Created" in (await one(installed, "new Acme")).text
    assert "Created" in (await two(installed, "new Beta")).text

    raw = await database_bytes(installed)

    assert b"Acme" in raw  # the file read is the live database
    for token in TOKENS.values():
        assert token.encode() not in raw


async def test_an_install_during_another_write_waits_for_it(
    oauth_app: RunningApp, two_teams: SlackStub
) -> None:
    """slack_sdk's stores write without taking the writers' turn (storage/writes.py): while a
    change's transaction holds SQLite's lock across an await (as a commit does), an install
    must wait for it, not fail with "database is locked" after a moment."""
    release = asyncio.Event()
    holding = asyncio.Event()

    async def hold() -> None:
        async with oauth_app.runtime.writes.begin() as session:
            await session.execute(text("UPDATE key_check SET id = id"))
            holding.set()
            await release.wait()

    holder = asyncio.create_task(hold())
    await holding.wait()
    installing = asyncio.create_task(install(oauth_app, CODES[ONE]))
    await asyncio.sleep(0.3)
    release.set()
    await holder
    status, page = await asyncio.wait_for(installing, timeout=10)

    assert status == 200 and "Thank you!" in page, page
    assert [r["team_id"] for r in await rows(oauth_app, SLACK_INSTALLATIONS)] == [ONE]


@pytest.mark.parametrize(
    "tamper",
    ["no state", "unknown state", "no cookie", "cookie of another state", "state used twice"],
)
async def test_an_oauth_redirect_without_a_valid_state_is_refused(
    oauth_app: RunningApp, two_teams: SlackStub, tamper: str
) -> None:
    state, cookie = await start_install(oauth_app)
    params = {"code": "C1", "state": state}
    if tamper == "no state":
        del params["state"]
    elif tamper == "unknown state":
        params["state"] = "0f0e0d0c-forged-state"
        cookie = f"{STATE_COOKIE}=0f0e0d0c-forged-state"
    elif tamper == "no cookie":
        cookie = None
    elif tamper == "cookie of another state":
        _, cookie = await start_install(oauth_app)
    elif tamper == "state used twice":
        status, _, page = await get(
            oauth_app, "/slack/oauth_redirect", params=params, cookie=cookie
        )
        assert status == 200, page
        params["code"] = "C2"
        two_teams.clear()

    status, _, page = await get(oauth_app, "/slack/oauth_redirect", params=params, cookie=cookie)

    assert status >= 400, page
    assert "Thank you!" not in page
    assert two_teams.calls_to("oauth.v2.access") == []
    expected = [ONE] if tamper == "state used twice" else []
    assert [r["team_id"] for r in await rows(oauth_app, SLACK_INSTALLATIONS)] == expected
    assert [r["team_id"] for r in await rows(oauth_app, SLACK_BOTS)] == expected


async def test_a_code_slack_refuses_installs_nothing(
    oauth_app: RunningApp, two_teams: SlackStub
) -> None:
    status, page = await install(oauth_app, "not-a-granted-code")

    assert status >= 400, page
    assert len(two_teams.calls_to("oauth.v2.access")) == 1
    assert await rows(oauth_app, SLACK_INSTALLATIONS) == []
    assert await rows(oauth_app, SLACK_BOTS) == []


async def test_install_serve_and_uninstall_on_each_database(
    two_teams: SlackStub, clock: FakeClock, database_url: str, tmp_path: Path
) -> None:
    """The whole life of two installs on SQLite and, where available, PostgreSQL: Bolt's
    stores work on our engine and our migrations' tables there too."""
    settings = oauth_settings(tmp_path / "data", two_teams, database_url)
    app = await RunningApp(settings, two_teams, clock=clock).start()
    try:
        for team_id in (ONE, TWO):
            status, page = await install(app, CODES[team_id])
            assert status == 200 and "Thank you!" in page, page
        keyring = app.runtime.keyring
        assert keyring is not None
        for row in await rows(app, SLACK_BOTS):
            assert keyring.decrypt(row["bot_token"]) == TOKENS[row["team_id"]]
        assert await rows(app, SLACK_OAUTH_STATES) == []  # each state consumed

        two_teams.clear()
        assert "`acme`" in (await one(app, "new Acme")).text
        assert "`acme`" in (await two(app, "new Acme")).text
        calls = web_api_calls(two_teams)
        assert {c.token for c in calls} == {TOKENS[ONE], TOKENS[TWO]}

        await uninstall(app, TWO)
        assert [r["team_id"] for r in await rows(app, SLACK_INSTALLATIONS)] == [ONE]
        assert "Marked done: 1.1" in (await one(app, "mark 1.1")).text
        refused = await two(app, "mark 1.1")
        assert not (isinstance(refused.body, dict) and refused.body.get("text"))
        assert await done_steps(app) == {ONE: ["1.1"]}
    finally:
        await app.stop()


# ---- each workspace with its own token ------------------------------------------------------


async def test_requests_from_each_workspace_use_that_workspaces_own_token(
    installed: RunningApp, two_teams: SlackStub
) -> None:
    for team_id, send in ((ONE, one), (TWO, two)):
        two_teams.clear()
        created = await send(installed, "new Acme")
        assert created.status == 200 and "Created" in created.text, created.body
        shown = await send(installed, "status")
        assert shown.status == 200, shown.body
        await two_teams.wait_for("chat.postMessage")  # the interactive checklist
        marked = await send(installed, "mark 1.1")
        assert "Marked done: 1.1" in marked.text
        await settle()

        calls = web_api_calls(two_teams)
        methods = {c.method for c in calls}
        assert {"auth.test", "conversations.members", "chat.postMessage"} <= methods
        assert {c.token for c in calls} == {TOKENS[team_id]}, [(c.method, c.token) for c in calls]


async def test_an_event_from_each_workspace_is_answered_with_its_own_token(
    installed: RunningApp, two_teams: SlackStub
) -> None:
    for team_id, user in ((ONE, "UALICE"), (TWO, "UDAVE")):
        two_teams.clear()
        home = {"type": "app_home_opened", "user": user, "channel": "D0", "tab": "home"}
        reply = await event(installed, home, team=team_id)
        assert reply.status == 200
        (published,) = await two_teams.wait_for("views.publish")
        assert published.args["user_id"] == user
        assert {c.token for c in web_api_calls(two_teams)} == {TOKENS[team_id]}


async def test_a_workspace_that_never_installed_is_not_served(
    installed: RunningApp, two_teams: SlackStub
) -> None:
    reply = await command(
        installed, "new Acme", team="T0003", user="UERIN", channel="CTHREE", name="three"
    )

    assert reply.status == 200
    assert not (isinstance(reply.body, dict) and reply.body.get("text"))
    (told,) = await two_teams.wait_for("response_url:three")
    assert "install" in told.args.get("text", "").lower()
    assert await applications(installed) == []
    assert web_api_calls(two_teams) == []  # no other workspace's token was tried


# ---- data isolation -------------------------------------------------------------------------


async def test_one_workspaces_application_is_invisible_from_the_other(
    installed: RunningApp, two_teams: SlackStub
) -> None:
    # UALICE is in both workspaces (as on an Enterprise Grid); in T0002 she is in #CTWO.
    two_teams.channel_members["CTWO"].append("UALICE")
    created = await one(installed, "new Acme")
    assert "`acme`" in created.text
    assert "Assigned" in (await one(installed, "assign 1.1 <@UALICE|alice>")).text

    listed = await two(installed, "list")
    assert "acme" not in listed.text.lower(), listed.text
    listed = await two(installed, "list", user="UALICE")
    assert "acme" not in listed.text.lower(), listed.text

    status = await two(installed, "status --app acme")
    assert "no application `acme`" in status.text
    mark = await two(installed, "mark 1.1 --app acme")
    assert "no application `acme`" in mark.text
    export = await two(installed, "export --app acme")
    assert "no application `acme`" in export.text
    await settle()
    assert two_teams.calls_to("files.getUploadURLExternal") == []
    assert two_teams.calls_to("files.completeUploadExternal") == []

    # Her App Home in T0002 shows nothing of T0001's application either.
    two_teams.clear()
    home = {"type": "app_home_opened", "user": "UALICE", "channel": "D0", "tab": "home"}
    assert (await event(installed, home, team=TWO)).status == 200
    (published,) = await two_teams.wait_for("views.publish")
    assert published.token == TOKENS[TWO]
    assert "Acme" not in json.dumps(published.args["view"])
    two_teams.clear()
    assert (await event(installed, home, team=ONE)).status == 200
    (published,) = await two_teams.wait_for("views.publish")
    assert "Acme" in json.dumps(published.args["view"])  # while T0001 shows it

    # T0001's application is untouched: nothing done, nothing in its history from T0002.
    (acme,) = await applications(installed)
    assert acme.team_id == ONE
    assert await done_steps(installed) == {}
    async with installed.runtime.sessions() as session:
        actors = set(await session.scalars(select(Event.actor_id)))
    assert actors == {"UALICE"}


async def test_the_same_name_in_another_workspace_gets_the_same_slug_independently(
    installed: RunningApp,
) -> None:
    assert "`acme`" in (await one(installed, "new Acme")).text
    assert "`acme`" in (await two(installed, "new Acme")).text

    assert "Marked done: 1.1" in (await two(installed, "mark 1.1 --app acme")).text
    assert "Marked done: 1.2" in (await one(installed, "mark 1.2 --app acme")).text

    found = {(a.team_id, a.slug, a.channel_id, a.owner_id) for a in await applications(installed)}
    assert found == {(ONE, "acme", "CPAY", "UALICE"), (TWO, "acme", "CTWO", "UDAVE")}
    assert "1/19" in (await one(installed, "list")).text
    assert "1/19" in (await two(installed, "list")).text
    assert await done_steps(installed) == {ONE: ["1.2"], TWO: ["1.1"]}


# ---- scheduler passes -----------------------------------------------------------------------


async def test_a_pass_reminds_each_workspace_with_its_own_token(
    installed: RunningApp, two_teams: SlackStub, clock: FakeClock
) -> None:
    """Applications created Wed 10:00 UTC in both workspaces; their owners live in Los Angeles,
    so on Monday at 09:00 LA step 1.1 of each has stalled and its owner gets a DM."""
    await one(installed, "new Acme")
    await two(installed, "new Beta")
    # Creating an application asks Slack for its creator's language (and zone, cached): the
    # pass finds them in the cache, so the lookups are counted from before it.
    lookups = [(c.args["user"], c.token) for c in two_teams.calls_to("users.info")]
    two_teams.clear()
    clock.now = MONDAY_9_LA

    report = await pass_runner(installed).run_pass(MONDAY_9_LA)

    assert (report.delivery.sent, report.delivery.failed) == (2, 0)
    posts = {c.args["channel"]: c for c in two_teams.calls_to("chat.postMessage")}
    assert sorted(posts) == ["UALICE", "UDAVE"]
    assert "Acme" in posts["UALICE"].args["text"] and posts["UALICE"].token == TOKENS[ONE]
    assert "Beta" in posts["UDAVE"].args["text"] and posts["UDAVE"].token == TOKENS[TWO]
    # Asking Slack for each person's time zone used their own workspace's token too.
    lookups += [(c.args["user"], c.token) for c in two_teams.calls_to("users.info")]
    assert dict(lookups) == {"UALICE": TOKENS[ONE], "UDAVE": TOKENS[TWO]}
    assert {m.status for m in await outbox(installed)} == {"sent"}


async def test_a_rate_limited_send_is_waited_out_and_retried_as_with_one_token(
    installed: RunningApp, two_teams: SlackStub, clock: FakeClock
) -> None:
    await one(installed, "new Acme")
    await one(installed, "mark 3.4 --force")  # a go-live announcement, pending in the outbox
    two_teams.clear()
    two_teams.fail("chat.postMessage", retry_after=0)

    report = await pass_runner(installed).run_pass(clock.now)

    assert [c.answered_with for c in two_teams.calls_to("chat.postMessage")] == ["429", "ok"]
    assert (report.delivery.sent, report.delivery.retried) == (1, 0)


# ---- uninstalling ---------------------------------------------------------------------------


async def uninstall(app: RunningApp, team_id: str) -> None:
    """What Slack sends when a workspace removes the app: tokens_revoked, then app_uninstalled."""
    revoked = {"type": "tokens_revoked", "tokens": {"oauth": [], "bot": [BOT_USERS[team_id]]}}
    assert (await event(app, revoked, team=team_id)).status == 200
    assert (await event(app, {"type": "app_uninstalled"}, team=team_id)).status == 200

    async def gone() -> bool:
        return not (
            await team_rows(app, SLACK_INSTALLATIONS, team_id)
            or await team_rows(app, SLACK_BOTS, team_id)
        )

    await eventually(gone)


async def test_app_uninstalled_deletes_that_workspaces_rows_only(installed: RunningApp) -> None:
    reply = await event(installed, {"type": "app_uninstalled"}, team=TWO)
    assert reply.status == 200

    async def gone() -> bool:
        return not (
            await team_rows(installed, SLACK_INSTALLATIONS, TWO)
            or await team_rows(installed, SLACK_BOTS, TWO)
        )

    await eventually(gone)
    assert [r["team_id"] for r in await rows(installed, SLACK_INSTALLATIONS)] == [ONE]
    assert [r["team_id"] for r in await rows(installed, SLACK_BOTS)] == [ONE]
    client_for = clients_for(installed.settings, installed.runtime)
    assert await client_for(TWO) is None
    client = await client_for(ONE)
    assert client is not None and client.token == TOKENS[ONE]


async def test_tokens_revoked_takes_the_bot_token_away_from_scheduled_work(
    installed: RunningApp,
) -> None:
    revoked = {"type": "tokens_revoked", "tokens": {"oauth": [], "bot": [BOT_USERS[TWO]]}}
    assert (await event(installed, revoked, team=TWO)).status == 200

    async def no_bot() -> bool:
        return not await team_rows(installed, SLACK_BOTS, TWO)

    await eventually(no_bot)
    client_for = clients_for(installed.settings, installed.runtime)
    assert await client_for(TWO) is None
    assert [r["team_id"] for r in await rows(installed, SLACK_BOTS)] == [ONE]


async def test_tokens_revoked_leaves_no_bot_token_of_that_workspace_at_rest(
    installed: RunningApp, two_teams: SlackStub
) -> None:
    revoked = {"type": "tokens_revoked", "tokens": {"oauth": [], "bot": [BOT_USERS[TWO]]}}
    assert (await event(installed, revoked, team=TWO)).status == 200

    async def no_bot() -> bool:
        return not await team_rows(installed, SLACK_BOTS, TWO)

    await eventually(no_bot)
    stored = [r["bot_token"] for r in await team_rows(installed, SLACK_INSTALLATIONS, TWO)]
    assert [t for t in stored if t] == []
    # And requests from T0002 are no longer made with it.
    two_teams.clear()
    reply = await two(installed, "new Acme")
    assert reply.status == 200
    assert await applications(installed) == []
    assert TOKENS[TWO] not in {c.token for c in web_api_calls(two_teams)}


async def test_after_an_uninstall_that_workspace_is_refused_and_the_other_keeps_working(
    installed: RunningApp, two_teams: SlackStub, clock: FakeClock
) -> None:
    await one(installed, "new Acme")
    await two(installed, "new Beta")
    # A go-live announcement for each, pending in the outbox when T0002 removes the app.
    assert "Marked done: 3.4" in (await one(installed, "mark 3.4 --force")).text
    assert "Marked done: 3.4" in (await two(installed, "mark 3.4 --force")).text
    assert [(m.team_id, m.status) for m in await outbox(installed)] == [
        (ONE, "pending"),
        (TWO, "pending"),
    ]

    await uninstall(installed, TWO)
    two_teams.clear()

    # T0002's commands are not authorized: nothing is done, the user is told by response_url.
    refused = await two(installed, "new Gamma", name="two-after")
    assert refused.status == 200
    assert not (isinstance(refused.body, dict) and refused.body.get("text"))
    (told,) = await two_teams.wait_for("response_url:two-after")
    assert "install" in told.args.get("text", "").lower()
    assert [a.name for a in await applications(installed)] == ["Acme", "Beta"]
    assert [c.method for c in web_api_calls(two_teams)] == []

    # Its pending message fails with a reason instead of going out with someone else's token.
    report = await pass_runner(installed).run_pass(clock.now)
    assert (report.delivery.sent, report.delivery.failed) == (1, 1)
    (post,) = two_teams.calls_to("chat.postMessage")
    assert (post.args["channel"], post.token) == ("CPAY", TOKENS[ONE])
    by_team = {m.team_id: m for m in await outbox(installed)}
    assert by_team[ONE].status == "sent"
    assert by_team[TWO].status == "failed"
    assert "token" in (by_team[TWO].last_error or "")

    # T0001 keeps working, with its own token.
    two_teams.clear()
    assert "Marked done: 1.1" in (await one(installed, "mark 1.1")).text
    await settle()
    assert {c.token for c in web_api_calls(two_teams)} == {TOKENS[ONE]}


async def test_a_workspace_that_reinstalls_is_served_with_its_new_token(
    installed: RunningApp, two_teams: SlackStub
) -> None:
    await two(installed, "new Beta")
    await uninstall(installed, TWO)
    reinstall = grant(TWO) | {"access_token": "xoxb-team-two-again"}
    two_teams.oauth_grants["C2-again"] = reinstall

    status, page = await install(installed, "C2-again")
    assert status == 200, page
    two_teams.clear()

    assert "Marked done: 1.1" in (await two(installed, "mark 1.1 --app beta")).text
    await settle()
    assert {c.token for c in web_api_calls(two_teams)} == {"xoxb-team-two-again"}


# ---- as operators run it --------------------------------------------------------------------


def _start_oauth_bot(tmp_path: Path, slack: SlackStub, log_level: str) -> BotProcess:
    """`onboard-bot run` with OAuth settings and no bot token, in HTTP mode."""
    port = free_port()
    env = {
        **clean_environment(),
        "SLACK_CLIENT_ID": CLIENT_ID,
        "SLACK_CLIENT_SECRET": CLIENT_SECRET,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.api_url,
        "ONBOARD_DATA_DIR": str(tmp_path / "data"),
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "LOG_LEVEL": log_level,
    }
    log_path = tmp_path / "bot.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "run"],
            cwd=tmp_path,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    bot = BotProcess(process, f"http://127.0.0.1:{port}", log_path)
    deadline = time.monotonic() + 20
    while True:
        assert process.poll() is None, f"bot exited with {process.returncode}:\n{bot.log()}"
        with contextlib.suppress(OSError):
            if bot.get("/healthz")[0] == 200:
                return bot
        assert time.monotonic() < deadline, f"bot not healthy:\n{bot.log()}"
        time.sleep(0.05)


def _browser_get(url: str, cookie: str | None = None) -> tuple[int, str, list[str]]:
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            status, headers, raw = response.status, response.headers, response.read()
    except urllib.error.HTTPError as e:
        status, headers, raw = e.code, e.headers, e.read()
    return status, raw.decode(errors="replace"), headers.get_all("Set-Cookie") or []


@pytest.mark.parametrize(
    "log_level",
    [
        "INFO",
        "DEBUG",
    ],
)
def test_onboard_bot_run_installs_through_oauth_and_never_logs_a_token(
    tmp_path: Path, two_teams: SlackStub, log_level: str
) -> None:
    bot = _start_oauth_bot(tmp_path, two_teams, log_level)
    try:
        status, page, cookies = _browser_get(f"{bot.url}/slack/install")
        assert status == 200, page
        (state,) = parse_qs(urlsplit(authorize_url(page, {})).query)["state"]
        (cookie,) = [c.split(";")[0] for c in cookies if c.startswith(f"{STATE_COOKIE}=")]
        status, page, _ = _browser_get(
            f"{bot.url}/slack/oauth_redirect?code=C1&state={state}", cookie
        )
        assert status == 200 and "Thank you!" in page, page

        body = slash_command_body(
            "new Acme",
            user_id="UALICE",
            channel_id="CPAY",
            team_id=ONE,
            response_url=two_teams.response_url(),
        )
        status, answer = bot.post_events(body, signed_headers(body))
        assert status == 200 and "Created" in answer["text"], (answer, bot.log())
        assert {c.token for c in web_api_calls(two_teams) if c.method != "oauth.v2.access"} == {
            TOKENS[ONE]
        }
    finally:
        if bot.process.poll() is None:
            bot.process.terminate()
        bot.process.wait(timeout=10)
    log = bot.log()
    assert "Traceback" not in log, log
    for secret in (TOKENS[ONE], CLIENT_SECRET, SIGNING_SECRET):
        assert secret not in log
