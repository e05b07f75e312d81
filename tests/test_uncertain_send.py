"""A send whose outcome is unknown is looked for in Slack before it is sent again.

"Unknown": Slack took the post but the sender never recorded it (it died while waiting for
the answer), or the answer was lost (a dropped connection) or says part may have happened
(HTTP 500). Each test drives the real delivery code (`Deliverer.deliver_due` with explicit
`now`s) on a SQLite file against the Web API stand-in over HTTP; the stand-in's clock follows
the test's, so Slack's timestamps and the app's times agree as they would in production.
A crash is left behind the way a dead process leaves it: the pass is cancelled while the
stand-in holds back the answer to a post it has already kept, so the row stays claimed with
its send unconfirmed. tests/test_crash_send.py does the same with a real process and SIGKILL.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import select

from bot.delivery import (
    CLOCK_SKEW,
    HISTORY_PAGE,
    HISTORY_PAGES,
    LEASE,
    METADATA_EVENT_TYPE,
    DeliveryReport,
    backoff,
)
from bot.outbox_messages import GoLive, Reminder
from bot.scheduler import PassRunner
from storage import outbox
from storage.db import create_engine, create_sessionmaker, upgrade
from storage.models import OutboxMessage
from storage.outbox import NewMessage
from tests.conftest import FakeClock
from tests.harness import RunningApp
from tests.scheduler.conftest import make_runner
from tests.slack_stub import SlackStub, dm_channel

NOT_CHECKABLE = "cannot read conversation history"


def go_live(i: int, channel: str) -> NewMessage:
    return GoLive(
        application_id=i,
        application=f"App {i}",
        slug=f"app-{i}",
        channel=channel,
        marked_by="UALICE",
        marked_on=date(2026, 11, 25),
        step="3.4",
    ).for_outbox(dedupe_key=f"test-go-live:{channel}:{i}", team_id="T0001", target=channel)


def reminder(i: int, user: str) -> NewMessage:
    return Reminder(
        application_id=i,
        application=f"App {i}",
        slug=f"app-{i}",
        step="1.1",
        title="Get a sandbox client ID",
        channel="CPAY",
        reason="stalled",
        waited_days=3,
        since=date(2026, 11, 20),
        due_on=None,
    ).for_outbox(dedupe_key=f"test-reminder:{user}:{i}", team_id="T0001", target=user)


TARGETS: dict[str, Callable[[int], NewMessage]] = {
    "channel": lambda i: go_live(i, "CPAY"),
    "dm": lambda i: reminder(i, "UBOB"),
}


class Outbox:
    """The delivery code of a running app, passes at explicit times, and what they left."""

    def __init__(self, app: RunningApp, slack: SlackStub, clock: FakeClock) -> None:
        self.app, self.slack, self.clock = app, slack, clock
        self.runner: PassRunner = make_runner(app.runtime, app.settings, clock)[0]
        # Slack stamps messages with the same (simulated) time the app lives in.
        slack.clock = lambda: clock.now.timestamp()
        slack.clear()  # the app's start-up calls (auth.test); from here on, only the outbox's

    async def enqueue(self, *messages: NewMessage) -> list[int]:
        async with self.app.runtime.writes.begin() as session:
            return await outbox.enqueue(session, list(messages), self.clock.now)

    async def deliver(self, now: datetime) -> DeliveryReport:
        self.clock.now = now
        return await self.runner.deliverer.deliver_due(now)

    async def crash_after_slack_took(self, now: datetime, posts: int = 1) -> None:
        """A pass at `now` that dies once Slack has kept `posts` posts and before it hears
        back: the claims and the unconfirmed sends stay in the database, nothing else."""
        self.clock.now = now
        hold = self.slack.hold_answers("chat.postMessage")
        sending = asyncio.create_task(self.runner.deliverer.deliver_due(now))
        try:
            await asyncio.to_thread(hold.wait_held, posts)
        finally:
            sending.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sending
            hold.release()

    async def rows(self) -> list[OutboxMessage]:
        async with self.app.runtime.sessions() as session:
            return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))

    def kept(self, conversation: str) -> list[dict[str, Any]]:
        """The messages the stand-in holds in a channel, or in a DM (by user id)."""
        return list(self.slack.messages.get(conversation, {}).values())

    def calls(self, method: str) -> list[dict[str, Any]]:
        return [c.args for c in self.slack.calls_to(method)]


@pytest.fixture
def box(app: RunningApp, slack: SlackStub, clock: FakeClock) -> Outbox:
    return Outbox(app, slack, clock)


def names_row(message: dict[str, Any], row_id: int) -> bool:
    """The message's metadata names the row: a go-live under its own event type, with what it
    announces beside the row's id (bot/message_events.py); anything else under the outbox's."""
    metadata = message.get("metadata") or {}
    payload = metadata.get("event_payload") or {}
    return payload.get("outbox_id") == row_id and metadata.get("event_type") in (
        METADATA_EVENT_TYPE,
        "onboard_went_live",
    )


def history_conversation(target: str) -> str:
    return dm_channel(target) if target.startswith("U") else target


# ---- the row: when a send began, kept until an answer is recorded ---------------------------


async def test_the_row_keeps_the_first_unconfirmed_send_until_an_answer_is_recorded(
    database_url: str,
) -> None:
    """On SQLite and PostgreSQL: a send starting at 09:00 +08:00 is stored as 01:00 UTC; a
    second send while the first is unconfirmed keeps 01:00 (a check must cover both); a
    retry after a lost answer keeps it, one after a clear refusal clears it, and so does
    recording the message as sent. Giving a row up keeps it only when Slack may have taken
    the message."""
    engine = create_engine(database_url)
    try:
        await upgrade(engine)
        sessions = create_sessionmaker(engine, writes=True)
        shanghai = timezone(timedelta(hours=8))
        nine = datetime(2026, 11, 30, 9, 0, tzinfo=shanghai)

        async def send(at: datetime, token: str) -> list[OutboxMessage]:
            """Claim what is due and start sending it, as a pass does; the rows after."""
            async with sessions() as session, session.begin():
                claimed = await outbox.claim_due(session, at, lease=LEASE, token=token)
                for row in claimed:
                    assert await outbox.renew(session, row.id, token, at + LEASE, sending_at=at)
            async with sessions() as session:
                return [
                    await session.get_one(OutboxMessage, row.id, populate_existing=True)
                    for row in claimed
                ]

        async with sessions() as session, session.begin():
            (row_id,) = await outbox.enqueue(session, [go_live(1, "CPAY")], nine)

        (first,) = await send(nine, "a")
        assert first.unconfirmed_since == datetime(2026, 11, 30, 1, 0, tzinfo=UTC)
        (second,) = await send(nine + LEASE + timedelta(minutes=1), "b")  # "a" died
        assert second.unconfirmed_since == first.unconfirmed_since

        async def retry(token: str, *, unconfirmed: bool) -> datetime | None:
            async with sessions() as session, session.begin():
                await outbox.record_retry(
                    session, row_id, token, nine, "x", unconfirmed=unconfirmed
                )
            async with sessions() as session:
                row = await session.get_one(OutboxMessage, row_id)
                return row.unconfirmed_since

        assert await retry("b", unconfirmed=True) == first.unconfirmed_since
        await send(nine + timedelta(hours=1), "c")
        assert await retry("c", unconfirmed=False) is None
        await send(nine + timedelta(hours=2), "d")
        async with sessions() as session, session.begin():
            await outbox.record_sent(session, row_id, "d", nine + timedelta(hours=2), "1.000001")
        async with sessions() as session:
            row = await session.get_one(OutboxMessage, row_id)
        assert (row.status, row.unconfirmed_since, row.message_ts) == ("sent", None, "1.000001")

        async with sessions() as session, session.begin():
            given_up = await outbox.enqueue(session, [go_live(2, "CPAY"), go_live(3, "CPAY")], nine)
        assert len(await send(nine, "e")) == 2
        async with sessions() as session, session.begin():
            await outbox.record_failed(
                session, given_up[0], "e", "internal_error", unconfirmed=True
            )
            await outbox.record_failed(session, given_up[1], "e", "channel_not_found")
        async with sessions() as session:
            rows = [await session.get_one(OutboxMessage, i) for i in given_up]
        assert [(r.status, r.unconfirmed_since) for r in rows] == [
            ("failed", datetime(2026, 11, 30, 1, 0, tzinfo=UTC)),
            ("failed", None),
        ]
    finally:
        await engine.dispose()


# ---- the ordinary path is unchanged ---------------------------------------------------------


async def test_every_post_names_its_row_and_a_first_send_reads_no_history(
    box: Outbox, clock: FakeClock
) -> None:
    """Three go-lives and two reminder DMs, sent by one pass: each post carries metadata with
    its own outbox id, and the pass makes no call but chat.postMessage (no history, no
    conversations.open): checking costs nothing unless a send was left unconfirmed. A row
    claimed by a pass that died before sending anything is sent without a check either."""
    ids = await box.enqueue(*(go_live(i, "CPAY") for i in range(3)), reminder(3, "UBOB"))
    ids += await box.enqueue(reminder(4, "UCAROL"))
    async with box.app.runtime.writes.begin() as session:  # a pass that died right here
        (claimed,) = await outbox.claim_due(
            session, clock.now, lease=LEASE, token="dead", only=ids[-1:]
        )
    assert claimed.target == "UCAROL"

    first = await box.deliver(clock.now)
    after_lease = await box.deliver(clock.now + LEASE + timedelta(seconds=1))

    assert (first.sent, after_lease.sent, after_lease.found_posted) == (4, 1, 0)
    assert {c.method for c in box.slack.calls} == {"chat.postMessage"}
    posts = box.calls("chat.postMessage")
    # One post per row, each naming its own (targets are sent concurrently: any order).
    assert sorted(p["metadata"]["event_payload"]["outbox_id"] for p in posts) == ids
    # A go-live says so in its event type; a reminder is just an outbox post.
    assert (
        sorted(p["metadata"]["event_type"] for p in posts)
        == [METADATA_EVENT_TYPE] * 2 + ["onboard_went_live"] * 3
    )
    rows = await box.rows()
    assert {(r.status, r.unconfirmed_since) for r in rows} == {("sent", None)}
    # What Slack kept carries the metadata too, and the row recorded that message's ts.
    for row in rows:
        (kept,) = [m for m in box.kept(row.target) if names_row(m, row.id)]
        assert kept["ts"] == row.message_ts


# ---- found: recorded, not posted again ------------------------------------------------------


@pytest.mark.parametrize("target", ["channel", "dm"])
async def test_a_post_slack_took_before_the_sender_died_is_found_and_not_sent_again(
    box: Outbox, clock: FakeClock, target: str
) -> None:
    """The pass at T dies while Slack's answer to its post is on the way. The row stays
    claimed, its send unconfirmed since T. A pass inside the lease does nothing; the pass after
    it looks in the conversation's history from T (less the clock margin), with every
    message's metadata, finds the post by its outbox id and records it with that message's ts.
    Slack holds one message; no second chat.postMessage is ever made. For a DM the history is
    the DM channel's, which conversations.open names."""
    (row_id,) = await box.enqueue(TARGETS[target](1))
    started = clock.now

    await box.crash_after_slack_took(started)

    (row,) = await box.rows()
    assert (row.status, row.attempts, row.message_ts) == ("sending", 1, None)
    assert row.unconfirmed_since is not None
    assert started <= row.unconfirmed_since < started + timedelta(seconds=5)
    (kept,) = box.kept(row.target)
    assert names_row(kept, row_id)

    inside_lease = await box.deliver(started + timedelta(minutes=1))
    assert inside_lease == DeliveryReport()
    assert box.calls("conversations.history") == []

    after_lease = await box.deliver(started + LEASE + timedelta(minutes=1))
    later = await box.deliver(started + timedelta(hours=1))

    assert (after_lease.sent, after_lease.found_posted, after_lease.retried) == (1, 1, 0)
    assert later == DeliveryReport()
    assert len(box.calls("chat.postMessage")) == 1
    assert box.kept(row.target) == [kept]
    (row,) = await box.rows()
    assert (row.status, row.attempts, row.message_ts) == ("sent", 2, kept["ts"])
    assert row.unconfirmed_since is None
    (history,) = box.calls("conversations.history")
    assert history["channel"] == history_conversation(row.target)
    assert history["include_all_metadata"] in ("1", "true")
    assert float(history["oldest"]) == pytest.approx((started - CLOCK_SKEW).timestamp(), abs=5)
    opened = box.calls("conversations.open")
    assert opened == ([{"users": "UBOB"}] if target == "dm" else [])


async def test_a_post_slack_took_but_answered_500_is_found_at_the_retry(box: Outbox) -> None:
    """HTTP 500 internal_error: Slack says part of the call may have succeeded, and here it
    did (the stand-in kept the message). The row is retried after the backoff with its send
    unconfirmed; the retry finds the message instead of posting it a second time."""
    (row_id,) = await box.enqueue(go_live(1, "CPAY"))
    box.slack.fail("chat.postMessage", status=500, after_accepting=True)
    start = box.clock.now

    first = await box.deliver(start)
    (row,) = await box.rows()
    assert (first.retried, row.status, row.last_error) == (1, "pending", "internal_error")
    assert row.unconfirmed_since is not None
    retry = await box.deliver(row.next_attempt_at)

    assert (retry.sent, retry.found_posted) == (1, 1)
    (kept,) = box.kept("CPAY")
    assert names_row(kept, row_id)
    assert len(box.calls("chat.postMessage")) == 1
    (row,) = await box.rows()
    assert (row.status, row.message_ts, row.unconfirmed_since) == ("sent", kept["ts"], None)


async def test_the_post_is_found_past_the_first_pages_of_a_busy_channel(box: Outbox) -> None:
    """450 other messages reach #CPAY after the post whose sender died: the history is read
    page by page (newest first, HISTORY_PAGE at a time) until the post turns up on the third
    page; it is recorded, not sent again."""
    (row_id,) = await box.enqueue(go_live(1, "CPAY"))
    start = box.clock.now
    await box.crash_after_slack_took(start)
    for n in range(450):
        box.clock.advance(seconds=0.5)
        box.slack.add_message("CPAY", f"chatter {n}")

    report = await box.deliver(start + LEASE + timedelta(minutes=1))

    assert (report.sent, report.found_posted) == (1, 1)
    pages = box.calls("conversations.history")
    assert len(pages) == 3
    assert [p.get("cursor") is None for p in pages] == [True, False, False]
    assert {int(p["limit"]) for p in pages} == {HISTORY_PAGE}
    assert len(box.calls("chat.postMessage")) == 1
    assert sum(names_row(m, row_id) for m in box.kept("CPAY")) == 1


# ---- not found, or cannot look: posted ------------------------------------------------------


async def test_a_send_that_never_reached_slack_is_looked_for_then_posted_once(
    box: Outbox,
) -> None:
    """The first send loses the connection before Slack keeps anything (and slack_sdk does not
    retry a post by itself: bot/slack_client.py): the row is retried after the backoff with
    its send unconfirmed. The retry looks (one history call), does not find it, and posts it:
    one message in #CPAY, recorded."""
    (row_id,) = await box.enqueue(go_live(1, "CPAY"))
    box.slack.fail("chat.postMessage", drop_connection=True, times=1)
    start = box.clock.now

    first = await box.deliver(start)
    (row,) = await box.rows()
    assert (first.retried, row.last_error) == (1, "ServerDisconnectedError")
    assert row.unconfirmed_since is not None
    assert row.next_attempt_at >= start + backoff(1)
    retry = await box.deliver(row.next_attempt_at)

    assert (retry.sent, retry.found_posted) == (1, 0)
    assert len(box.calls("conversations.history")) == 1
    (kept,) = box.kept("CPAY")
    assert names_row(kept, row_id)
    (row,) = await box.rows()
    assert (row.status, row.message_ts, row.unconfirmed_since) == ("sent", kept["ts"], None)


async def test_a_clear_refusal_needs_no_check_at_the_retry(box: Outbox) -> None:
    """429 ratelimited (three times, slack_sdk's own two retries included) means Slack kept
    nothing: the row is retried as a plain retry, without a history call."""
    await box.enqueue(go_live(1, "CPAY"))
    box.slack.fail("chat.postMessage", status=429, times=3)

    await box.deliver(box.clock.now)
    (row,) = await box.rows()
    assert (row.status, row.last_error, row.unconfirmed_since) == ("pending", "ratelimited", None)
    retry = await box.deliver(row.next_attempt_at)

    assert (retry.sent, retry.found_posted) == (1, 0)
    assert box.calls("conversations.history") == []
    assert len(box.kept("CPAY")) == 1


@pytest.mark.parametrize("refusal", ["scope taken away", "not_allowed_token_type"])
async def test_without_history_access_it_is_sent_again_and_logged_once(
    box: Outbox, caplog: pytest.LogCaptureFixture, refusal: str
) -> None:
    """Four go-lives to two channels and two reminder DMs, each send cut off by a crash
    after Slack kept it; the workspace's token may not read history (the *:history scopes
    were never granted, or Slack refuses the token type). The pass after the lease sends each
    again, which is all it can do, and says so in the log once, not once per message; a
    second batch later in the same process adds no second line."""
    box.slack.channel_members["CSHOP"] = ["UALICE", "UBOT"]
    batch = [go_live(1, "CPAY"), go_live(2, "CSHOP"), reminder(3, "UBOB"), reminder(4, "UCAROL")]
    await box.enqueue(*batch)
    start = box.clock.now
    await box.crash_after_slack_took(start, posts=4)
    if refusal == "scope taken away":
        box.slack.scopes -= {"channels:history", "im:history"}
    else:
        box.slack.fail("conversations.history", error=refusal, times=8)
    caplog.set_level(logging.WARNING, logger="bot.delivery")

    report = await box.deliver(start + LEASE + timedelta(minutes=1))

    assert (report.sent, report.found_posted) == (4, 0)
    assert len(box.calls("conversations.history")) == 4
    answered = {c.answered_with for c in box.slack.calls_to("conversations.history")}
    assert answered == {f"error:{'missing_scope' if refusal.startswith('scope') else refusal}"}
    for target in ("CPAY", "CSHOP", "UBOB", "UCAROL"):
        assert len(box.kept(target)) == 2, target  # the price of not being able to look
    assert {r.status for r in await box.rows()} == {"sent"}
    told = [r for r in caplog.records if NOT_CHECKABLE in r.getMessage()]
    assert len(told) == 1
    assert "T0001" in told[0].getMessage()
    if refusal == "scope taken away":
        assert "needs channels:history" in told[0].getMessage() or "needs im:history" in (
            told[0].getMessage()
        )

    second = [go_live(5, "CPAY"), reminder(6, "UBOB")]
    await box.enqueue(*second)
    later = start + timedelta(hours=1)
    await box.crash_after_slack_took(later, posts=2)
    again = await box.deliver(later + LEASE + timedelta(minutes=1))

    assert again.sent == 2
    assert len([r for r in caplog.records if NOT_CHECKABLE in r.getMessage()]) == 1


async def test_a_channel_too_busy_to_search_gets_it_again_with_a_warning(
    box: Outbox, caplog: pytest.LogCaptureFixture
) -> None:
    """More messages than HISTORY_PAGES pages of HISTORY_PAGE reached #CPAY after the post
    whose sender died: the search stops there (the channel's history is not read without
    bound) and the message is sent again, with a warning naming the row."""
    (row_id,) = await box.enqueue(go_live(1, "CPAY"))
    start = box.clock.now
    await box.crash_after_slack_took(start)
    for n in range(HISTORY_PAGE * HISTORY_PAGES + 1):
        box.clock.advance(seconds=0.1)
        box.slack.add_message("CPAY", f"chatter {n}")
    caplog.set_level(logging.WARNING, logger="bot.delivery")

    report = await box.deliver(start + LEASE + timedelta(minutes=1))

    assert (report.sent, report.found_posted) == (1, 0)
    assert len(box.calls("conversations.history")) == HISTORY_PAGES
    assert sum(names_row(m, row_id) for m in box.kept("CPAY")) == 2
    assert any(
        f"outbox {row_id} " in r.getMessage() and "sending it again" in r.getMessage()
        for r in caplog.records
    )


# ---- cannot look now: wait, do not post -----------------------------------------------------


async def test_a_history_that_cannot_be_read_now_delays_the_send_and_keeps_it_unconfirmed(
    box: Outbox,
) -> None:
    """The post's sender died after Slack kept it; at the pass after the lease Slack answers
    the history call with HTTP 500. Posting now could repeat the message, so the row waits
    for the backoff, still unconfirmed since the first send; the next pass finds the post."""
    (row_id,) = await box.enqueue(go_live(1, "CPAY"))
    start = box.clock.now
    await box.crash_after_slack_took(start)
    (row,) = await box.rows()
    first_send = row.unconfirmed_since
    box.slack.fail("conversations.history", status=500)

    blocked = await box.deliver(start + LEASE + timedelta(minutes=1))
    (row,) = await box.rows()
    assert (blocked.retried, blocked.sent) == (1, 0)
    assert (row.status, row.last_error) == ("pending", "history: internal_error")
    assert row.unconfirmed_since == first_send
    assert len(box.calls("chat.postMessage")) == 1
    found = await box.deliver(row.next_attempt_at)

    assert (found.sent, found.found_posted) == (1, 1)
    assert len(box.calls("chat.postMessage")) == 1
    assert sum(names_row(m, row_id) for m in box.kept("CPAY")) == 1


async def test_a_connection_dropped_after_slack_took_the_post_is_not_posted_twice(
    box: Outbox,
) -> None:
    """Slack keeps the post, then the connection drops before its answer. slack_sdk's own
    retry of dropped connections would post again inside the same call; bot/slack_client.py
    keeps it from retrying chat.postMessage, so delivery sees the error and checks first."""
    (row_id,) = await box.enqueue(go_live(1, "CPAY"))
    box.slack.fail("chat.postMessage", drop_connection=True, after_accepting=True)

    await box.deliver(box.clock.now)
    (row,) = await box.rows()
    if row.status != "sent":
        await box.deliver(row.next_attempt_at)

    assert sum(names_row(m, row_id) for m in box.kept("CPAY")) == 1
