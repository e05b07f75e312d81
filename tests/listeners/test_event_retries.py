"""Slack's Events API retries: a delivery Slack thinks timed out comes again with the same
event_id and an X-Slack-Retry-Num header. The app acknowledges the repeat (HTTP 200, so Slack
stops retrying) and does not handle it again; which event ids were handled is kept in the
database, so a restart or a second replica refuses the repeat too. Also: a membership event
makes the app forget the channel's cached members."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from storage.models import HandledEvent
from tests.conftest import FakeClock
from tests.harness import (
    CommandResult,
    RunningApp,
    event_body,
    make_settings,
    signed_headers,
)
from tests.slack_stub import SlackStub

RETRY = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}


def home_opened(user: str = "UALICE") -> dict[str, Any]:
    return {
        "type": "app_home_opened",
        "user": user,
        "channel": f"D0{user}",
        "tab": "home",
        "event_ts": "1764064800.000100",
    }


async def deliver(app: RunningApp, body: str, retry: dict[str, str] | None = None) -> CommandResult:
    """POST an Events API body the way Slack does (signed now, so a retry is signed anew)."""
    headers = signed_headers(body) | {"Content-Type": "application/json"} | (retry or {})
    return await app.post(body, headers)


async def settle() -> None:
    """Bolt runs event listeners after the ack: give any it started time to call Slack."""
    await asyncio.sleep(0.3)


async def handled(app: RunningApp) -> list[str]:
    async with app.runtime.sessions() as session:
        return list(await session.scalars(select(HandledEvent.event_id)))


@pytest.fixture
async def app_on(
    slack: SlackStub, clock: FakeClock, database_url: str, tmp_path: Path
) -> AsyncIterator[RunningApp]:
    """The app on SQLite and, where ONBOARD_TEST_POSTGRES_URL is set, on PostgreSQL."""
    settings = make_settings(tmp_path / "data", slack, database_url)
    running = await RunningApp(settings, slack, clock=clock).start()
    try:
        yield running
    finally:
        await running.stop()


async def test_a_retried_event_is_acknowledged_and_not_handled_again(
    app: RunningApp, slack: SlackStub
) -> None:
    body = event_body(home_opened())
    event_id = json.loads(body)["event_id"]

    first = await deliver(app, body)
    await slack.wait_for("views.publish")
    retried = await deliver(app, body, RETRY)
    await settle()

    assert (first.status, retried.status) == (200, 200)
    assert len(slack.calls_to("views.publish")) == 1
    assert await handled(app) == [event_id]


async def test_several_retries_of_one_event_publish_once(app: RunningApp, slack: SlackStub) -> None:
    body = event_body(home_opened())

    answers = [await deliver(app, body)]
    for attempt, reason in ((1, "http_timeout"), (2, "http_error"), (3, "http_timeout")):
        retry = {"X-Slack-Retry-Num": str(attempt), "X-Slack-Retry-Reason": reason}
        answers.append(await deliver(app, body, retry))
    await settle()

    assert [a.status for a in answers] == [200] * 4
    assert len(slack.calls_to("views.publish")) == 1


async def test_two_different_events_are_both_handled(app: RunningApp, slack: SlackStub) -> None:
    first, second = event_body(home_opened()), event_body(home_opened())
    assert json.loads(first)["event_id"] != json.loads(second)["event_id"]

    assert (await deliver(app, first)).status == 200
    assert (await deliver(app, second)).status == 200

    published = await slack.wait_for("views.publish", count=2)
    await settle()
    assert len(slack.calls_to("views.publish")) == len(published) == 2
    assert len(await handled(app)) == 2


async def test_a_retry_arriving_before_the_first_delivery_is_not_handled_twice(
    app: RunningApp, slack: SlackStub
) -> None:
    """Slack's first attempt may be the one that is late: the retry is then handled, and the
    original, when it arrives, is the repeat."""
    body = event_body(home_opened())

    assert (await deliver(app, body, RETRY)).status == 200
    await slack.wait_for("views.publish")
    assert (await deliver(app, body)).status == 200
    await settle()

    assert len(slack.calls_to("views.publish")) == 1


async def test_the_dedupe_survives_a_restart(
    slack: SlackStub, clock: FakeClock, database_url: str, tmp_path: Path
) -> None:
    settings = make_settings(tmp_path / "data", slack, database_url)
    body = event_body(home_opened())

    first_app = await RunningApp(settings, slack, clock=clock).start()
    try:
        assert (await deliver(first_app, body)).status == 200
        await slack.wait_for("views.publish")
    finally:
        await first_app.stop()

    clock.advance(minutes=5)
    second_app = await RunningApp(settings, slack, clock=clock).start()
    try:
        retried = await deliver(second_app, body, RETRY)
        await settle()
        assert retried.status == 200
        assert len(slack.calls_to("views.publish")) == 1
        # The new instance does handle events it has not seen.
        assert (await deliver(second_app, event_body(home_opened()))).status == 200
        await slack.wait_for("views.publish", count=2)
    finally:
        await second_app.stop()


async def test_a_second_replica_on_the_same_database_refuses_the_repeat(
    app_on: RunningApp, slack: SlackStub, clock: FakeClock
) -> None:
    """Behind a load balancer, Slack's retry may reach another replica."""
    body = event_body(home_opened())
    replica = await RunningApp(app_on.settings, slack, clock=clock).start()
    try:
        assert (await deliver(app_on, body)).status == 200
        await slack.wait_for("views.publish")
        assert (await deliver(replica, body, RETRY)).status == 200
        await settle()
    finally:
        await replica.stop()

    assert len(slack.calls_to("views.publish")) == 1


@pytest.mark.parametrize("copies", [2, 5])
async def test_concurrent_duplicate_deliveries_are_handled_once(
    app_on: RunningApp, slack: SlackStub, copies: int
) -> None:
    body = event_body(home_opened())

    answers = await asyncio.gather(
        deliver(app_on, body), *(deliver(app_on, body, RETRY) for _ in range(copies - 1))
    )
    await slack.wait_for("views.publish")
    await settle()

    assert [a.status for a in answers] == [200] * copies
    assert len(slack.calls_to("views.publish")) == 1
    assert len(await handled(app_on)) == 1


async def test_concurrent_duplicates_on_two_replicas_are_handled_once(
    app_on: RunningApp, slack: SlackStub, clock: FakeClock
) -> None:
    body = event_body(home_opened())
    replica = await RunningApp(app_on.settings, slack, clock=clock).start()
    try:
        answers = await asyncio.gather(
            deliver(app_on, body), deliver(replica, body, RETRY), deliver(app_on, body, RETRY)
        )
        await slack.wait_for("views.publish")
        await settle()
    finally:
        await replica.stop()

    assert [a.status for a in answers] == [200, 200, 200]
    assert len(slack.calls_to("views.publish")) == 1


async def test_the_same_event_id_from_another_workspace_is_its_own_event(
    app: RunningApp, slack: SlackStub
) -> None:
    """Event ids are unique across Slack; this only checks a repeat is judged by event_id and
    is acknowledged whatever the team."""
    body = event_body(home_opened())
    other = json.loads(body)
    other["team_id"] = "T0002"
    other["authorizations"][0]["team_id"] = "T0002"

    assert (await deliver(app, body)).status == 200
    await slack.wait_for("views.publish")
    assert (await deliver(app, json.dumps(other), RETRY)).status == 200
    await settle()

    assert len(slack.calls_to("views.publish")) == 1


# ---- membership events drop the cached channel members --------------------------------------


async def test_member_joined_channel_drops_the_cached_members(
    app: RunningApp, slack: SlackStub
) -> None:
    created = await app.command("new Acme POS")
    assert "Created" in created.text
    assert "Marked done: 1.1" in (await app.command("mark 1.1")).text
    asked = len(slack.calls_to("conversations.members"))
    assert asked >= 1
    # Within the cache's minute, UCAROL (not yet in #CPAY) is refused from the cached list.
    refused = await app.command("mark 1.2", user="UCAROL")
    assert "Only members of <#CPAY>" in refused.text
    assert len(slack.calls_to("conversations.members")) == asked

    slack.channel_members["CPAY"].append("UCAROL")
    joined = {
        "type": "member_joined_channel",
        "user": "UCAROL",
        "channel": "CPAY",
        "channel_type": "C",
        "team": "T0001",
        "inviter": "UALICE",
        "event_ts": "1764064800.000200",
    }
    assert (await deliver(app, event_body(joined))).status == 200
    await settle()

    accepted = await app.command("mark 1.2", user="UCAROL")
    assert "Marked done: 1.2" in accepted.text
    assert len(slack.calls_to("conversations.members")) == asked + 1


async def test_member_left_channel_drops_the_cached_members(
    app: RunningApp, slack: SlackStub
) -> None:
    assert "Created" in (await app.command("new Acme POS")).text
    assert "Marked done: 1.1" in (await app.command("mark 1.1", user="UBOB")).text
    asked = len(slack.calls_to("conversations.members"))

    slack.channel_members["CPAY"].remove("UBOB")
    left = {
        "type": "member_left_channel",
        "user": "UBOB",
        "channel": "CPAY",
        "channel_type": "C",
        "team": "T0001",
        "event_ts": "1764064800.000300",
    }
    assert (await deliver(app, event_body(left))).status == 200
    await settle()

    refused = await app.command("mark 1.2", user="UBOB")
    assert "Only members of <#CPAY>" in refused.text
    assert len(slack.calls_to("conversations.members")) == asked + 1


async def test_a_membership_event_of_another_channel_keeps_the_cache(
    app: RunningApp, slack: SlackStub
) -> None:
    assert "Created" in (await app.command("new Acme POS")).text
    assert "Marked done: 1.1" in (await app.command("mark 1.1")).text
    asked = len(slack.calls_to("conversations.members"))
    joined = {
        "type": "member_joined_channel",
        "user": "UCAROL",
        "channel": "COTHER",
        "channel_type": "C",
        "team": "T0001",
        "event_ts": "1764064800.000400",
    }
    assert (await deliver(app, event_body(joined))).status == 200
    await settle()

    assert "Marked done: 1.2" in (await app.command("mark 1.2")).text
    assert len(slack.calls_to("conversations.members")) == asked
