"""`/onboard away` and `/onboard my` only translate: each form calls its one use case with the
Actor (any channel, a DM too) and what the parser read, and the ack renders the outcome."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from bot.blocks import people as texts
from bot.listeners.commands import people as people_listener
from bot.services.due_dates import DueSpec
from bot.services.errors import Refusal
from bot.usecases.context import Actor
from bot.usecases.people import MySettings
from tests.conftest import FakeClock
from tests.harness import TEAM_ID
from tests.listeners.dispatch import Dispatcher, dispatching, fake, parsed_body
from tests.slack_stub import SlackStub

BOB_IN_A_DM = Actor(team_id=TEAM_ID, user_id="UBOB", channel_id="DUBOB")
AWAY = MySettings(date(2026, 12, 7), "SG", date(2026, 11, 25))
BACK = MySettings(None, None, date(2026, 11, 25), was_away=True)


@pytest.fixture
async def bolt(slack: SlackStub, clock: FakeClock, tmp_path: Path) -> AsyncIterator[Dispatcher]:
    async with dispatching(slack, clock, tmp_path / "data") as dispatcher:
        yield dispatcher


def ephemeral(text: str) -> dict[str, Any]:
    return {"response_type": "ephemeral", "text": text}


@pytest.mark.parametrize(
    ("text", "use_case", "arguments", "returns", "reply"),
    [
        ("away", "my_settings", {}, AWAY, texts.away_reply(AWAY, "show")),
        (
            "away until 2026-12-07",
            "set_away",
            {"until": DueSpec("date", on=date(2026, 12, 7))},
            AWAY,
            texts.away_reply(AWAY, "until"),
        ),
        (
            "away 2026-12-07",
            "set_away",
            {"until": DueSpec("date", on=date(2026, 12, 7))},
            AWAY,
            None,
        ),
        # The forms `due` takes, resolved by the use case in the person's own zone.
        ("away until tomorrow", "set_away", {"until": DueSpec("days", days=1)}, AWAY, None),
        ("away until +3d", "set_away", {"until": DueSpec("days", days=3)}, AWAY, None),
        ("away +2w", "set_away", {"until": DueSpec("days", days=14)}, AWAY, None),
        ("away off", "set_away", {"until": None}, BACK, texts.away_reply(BACK, "off")),
        ("my", "my_settings", {}, AWAY, texts.my_reply(AWAY)),
        ("my holidays sg", "set_my_holidays", {"region": "SG"}, AWAY, texts.my_reply(AWAY)),
        ("my holidays off", "set_my_holidays", {"region": None}, BACK, texts.my_reply(BACK)),
    ],
)
async def test_each_form_calls_its_use_case_and_renders_the_outcome(
    bolt: Dispatcher,
    monkeypatch: pytest.MonkeyPatch,
    text: str,
    use_case: str,
    arguments: dict[str, Any],
    returns: MySettings,
    reply: str | None,
) -> None:
    called = fake(monkeypatch, people_listener.people, use_case, returns=returns)

    response = await bolt.command(text, user="UBOB", channel="DUBOB")

    assert called.only_call(bolt) == {"actor": BOB_IN_A_DM, **arguments}
    if reply is not None:
        assert parsed_body(response) == ephemeral(reply)
    assert bolt.slack.calls == []


async def test_a_refusal_is_the_ephemeral_answer(
    bolt: Dispatcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake(
        monkeypatch, people_listener.people, "set_away", raises=Refusal("2020-01-01 is in the past")
    )

    response = await bolt.command("away until 2020-01-01", user="UBOB")

    assert parsed_body(response) == ephemeral("2020-01-01 is in the past")


async def test_bad_input_never_reaches_the_use_case(
    bolt: Dispatcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_away = fake(monkeypatch, people_listener.people, "set_away")

    response = await bolt.command("away until soon", user="UBOB")

    assert set_away.calls == []
    assert "`soon` is not a date I can read" in parsed_body(response)["text"]
