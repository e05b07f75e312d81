"""Events only translate: dispatched as signed Events API deliveries, `app_home_opened`
publishes the opener's Home in the delivery's workspace, a membership change drops that
channel's cached members, and the Events API middleware hands each delivery's event_id and
workspace to `first_delivery`, handling only a first delivery."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.listeners import middleware
from bot.surfaces import Surfaces
from tests.conftest import FakeClock
from tests.harness import TEAM_ID
from tests.listeners.dispatch import Dispatcher, dispatching, fake, parsed_body
from tests.slack_stub import SlackStub


@pytest.fixture
async def bolt(slack: SlackStub, clock: FakeClock, tmp_path: Path) -> AsyncIterator[Dispatcher]:
    async with dispatching(slack, clock, tmp_path / "data") as dispatcher:
        yield dispatcher


@pytest.fixture
def published(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str, str | None]]:
    """Each Home the app published: (workspace, user, the token it was published with)."""
    log: list[tuple[str, str, str | None]] = []

    async def publish_home(
        _self: Surfaces, client: AsyncWebClient, team_id: str, user_id: str
    ) -> None:
        log.append((team_id, user_id, client.token))

    monkeypatch.setattr(Surfaces, "publish_home", publish_home)
    return log


@pytest.fixture
def forgotten(bolt: Dispatcher, monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """Each channel whose cached members the app dropped: (workspace, channel)."""
    log: list[tuple[str, str]] = []

    def forget_channel(team_id: str, channel_id: str) -> None:
        log.append((team_id, channel_id))

    monkeypatch.setattr(bolt.runtime.directory, "forget_channel", forget_channel)
    return log


def home_opened(tab: str = "home", user: str = "UBOB") -> dict[str, Any]:
    return {
        "type": "app_home_opened",
        "user": user,
        "channel": f"D0{user}",
        "tab": tab,
        "event_ts": "1764064800.000100",
    }


def membership(kind: str, channel: str = "CPAY") -> dict[str, Any]:
    return {
        "type": kind,
        "user": "UCAROL",
        "channel": channel,
        "channel_type": "C",
        "team": TEAM_ID,
        "event_ts": "1764064800.000200",
    }


async def test_opening_the_home_tab_publishes_the_openers_home(
    bolt: Dispatcher, published: list[tuple[str, str, str | None]]
) -> None:
    """The Home of the event's user, in the delivery's workspace, with the request's client;
    the delivery is acknowledged at once."""
    response, _ = await bolt.event(home_opened(user="UBOB"))

    assert (response.status, response.body) == (200, "")
    assert published == [(TEAM_ID, "UBOB", bolt.slack.bot_token)]


async def test_opening_the_messages_tab_publishes_nothing(
    bolt: Dispatcher, published: list[tuple[str, str, str | None]]
) -> None:
    """Only the Home tab is drawn."""
    response, _ = await bolt.event(home_opened(tab="messages"))

    assert response.status == 200
    assert published == []
    assert bolt.slack.calls == []


@pytest.mark.parametrize("kind", ["member_joined_channel", "member_left_channel"])
async def test_a_membership_change_forgets_that_channels_members(
    bolt: Dispatcher, forgotten: list[tuple[str, str]], kind: str
) -> None:
    """Joined or left: the cached members of that channel of that workspace are dropped,
    nothing is sent."""
    response, _ = await bolt.event(membership(kind, channel="COTHER"))

    assert response.status == 200
    assert forgotten == [(TEAM_ID, "COTHER")]
    assert bolt.slack.calls == []


async def test_the_first_delivery_of_an_event_is_claimed_and_handled(
    bolt: Dispatcher,
    published: list[tuple[str, str, str | None]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The middleware claims the delivery's event_id for its workspace; a first delivery
    goes on to the listener."""
    first = fake(monkeypatch, middleware, "first_delivery", returns=True)

    response, event_id = await bolt.event(home_opened())

    assert first.only_call(bolt) == {"event_id": event_id, "team_id": TEAM_ID}
    assert response.status == 200
    assert published == [(TEAM_ID, "UBOB", bolt.slack.bot_token)]


async def test_a_repeated_delivery_is_acknowledged_and_not_handled(
    bolt: Dispatcher,
    published: list[tuple[str, str, str | None]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A delivery `first_delivery` says was seen: HTTP 200 with an empty body (Slack stops
    retrying), and the listener does not run."""
    first = fake(monkeypatch, middleware, "first_delivery", returns=False)

    response, event_id = await bolt.event(home_opened())

    assert first.only_call(bolt)["event_id"] == event_id
    assert (response.status, response.body) == (200, "")
    assert published == []
    assert bolt.slack.calls == []


async def test_a_command_is_not_an_event_delivery(
    bolt: Dispatcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only Events API deliveries are deduplicated: a slash command is not claimed."""
    first = fake(monkeypatch, middleware, "first_delivery", returns=False)

    response = await bolt.command("help")

    assert first.calls == []
    assert parsed_body(response)["response_type"] == "ephemeral"
