"""Typed messages through real outbox rows (SQLite), and rows this version cannot read.

A message of every kind is enqueued, claimed and decoded back equal. A row whose kind is
unknown or whose payload is damaged (written by a newer or older version, or by hand) is kept
as failed with the reason, logged once, and never stops the messages behind it.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import timedelta

import pytest

from bot import delivery
from bot.blocks.notifications import Rendered
from bot.delivery import LEASE
from bot.outbox_messages import GoLive, Message, Reminder, decode
from storage import outbox
from storage.outbox import NewMessage
from tests.scheduler.conftest import Sim, utc
from tests.slack_stub import SlackStub
from tests.test_outbox_messages import EXAMPLES, ROWS_BEFORE

NOW = utc(2026, 11, 30, 18)


def go_live(application_id: int, channel: str) -> NewMessage:
    announcement = GoLive.from_payload(ROWS_BEFORE[GoLive.KIND])
    return replace(announcement, application_id=application_id).for_outbox(
        dedupe_key=f"{GoLive.KIND}:test:{application_id}", team_id="T0001", target=channel
    )


async def enqueue(sim: Sim, messages: list[NewMessage]) -> None:
    async with sim.app.runtime.writes.begin() as session:
        assert len(await outbox.enqueue(session, messages, NOW)) == len(messages)


async def test_every_kind_is_claimed_from_a_real_row_and_decoded_unchanged(sim: Sim) -> None:
    await enqueue(
        sim,
        [
            m.for_outbox(dedupe_key=f"test:{i}", team_id="T0001", target="CPAY")
            for i, m in enumerate(EXAMPLES)
        ],
    )

    async with sim.app.runtime.writes.begin() as session:
        claimed = await outbox.claim_due(session, NOW, lease=LEASE, token="test")

    assert [decode(row.kind, row.payload) for row in claimed] == EXAMPLES


async def test_an_unreadable_row_is_failed_logged_once_and_the_rest_still_go(
    sim: Sim, slack: SlackStub, caplog: pytest.LogCaptureFixture
) -> None:
    """Three rows for #CPAY in this order: an unknown kind, a reminder without its reason, a
    go-live; and a go-live for #COTHER. The pass sends both go-lives and fails the other two
    with the reason; later passes (after the lease, the next day) neither retry nor log them."""
    await enqueue(
        sim,
        [
            NewMessage(
                dedupe_key="from-a-newer-version:1",
                team_id="T0001",
                kind="from-a-newer-version",
                target="CPAY",
                payload={"anything": 1},
            ),
            NewMessage(
                dedupe_key=f"{Reminder.KIND}:damaged",
                team_id="T0001",
                kind=Reminder.KIND,
                target="CPAY",
                payload={k: v for k, v in ROWS_BEFORE[Reminder.KIND].items() if k != "reason"},
            ),
            go_live(1, "CPAY"),
            go_live(2, "COTHER"),
        ],
    )

    with caplog.at_level(logging.ERROR, logger="bot.delivery"):
        first = await sim.run_pass(NOW)
        later = [
            await sim.run_pass(NOW + LEASE + timedelta(minutes=1)),
            await sim.run_pass(NOW + timedelta(days=1)),
        ]

    assert sorted((p.kind, p.channel) for p in first.posts) == [
        (GoLive.KIND, "COTHER"),
        (GoLive.KIND, "CPAY"),
    ]
    d = first.report.delivery
    assert (d.sent, d.retried, d.failed) == (2, 0, 2)
    assert [r.posts for r in later] == [[], []]
    rows = {m.dedupe_key: (m.status, m.attempts, m.last_error) for m in await sim.outbox()}
    assert rows["from-a-newer-version:1"] == (
        "failed",
        1,
        "unreadable: unknown kind 'from-a-newer-version'",
    )
    assert rows[f"{Reminder.KIND}:damaged"] == (
        "failed",
        1,
        "unreadable: reminder: missing 'reason'",
    )
    # Failed, not undeliverable: the application's channel is not told about these.
    assert len(rows) == 4
    assert [r.getMessage() for r in caplog.records] == [
        "outbox 1 (from-a-newer-version) cannot be read: unknown kind 'from-a-newer-version'",
        "outbox 2 (reminder) cannot be read: reminder: missing 'reason'",
    ]
    assert sum(c.args["channel"] == "CPAY" for c in slack.calls_to("chat.postMessage")) == 1


async def test_a_message_the_renderer_fails_on_is_failed_with_its_traceback_logged(
    sim: Sim, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A renderer bug fails the message it hits (rendering again would fail again) and the
    pass carries on with the next one."""
    render = delivery.render

    def broken_for_the_first(message: Message) -> Rendered:
        if isinstance(message, GoLive) and message.application_id == 1:
            raise ValueError("a renderer bug")
        return render(message)

    monkeypatch.setattr(delivery, "render", broken_for_the_first)
    await enqueue(sim, [go_live(1, "CPAY"), go_live(2, "CPAY")])

    with caplog.at_level(logging.ERROR, logger="bot.delivery"):
        result = await sim.run_pass(NOW)

    assert [p.channel for p in result.posts] == ["CPAY"]
    assert (result.report.delivery.sent, result.report.delivery.failed) == (1, 1)
    statuses = [(m.status, m.last_error) for m in await sim.outbox()]
    assert statuses == [("failed", "render failed: ValueError: a renderer bug"), ("sent", None)]
    (logged,) = caplog.records
    assert logged.getMessage() == "outbox 1 (go-live) cannot be rendered"
    assert logged.exc_info is not None
