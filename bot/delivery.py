"""Sending the outbox to Slack: claimed rows out, results back, nothing dropped.

Slack allows about one message a second per channel, so messages to one channel go one after
another with a pause; different channels are sent concurrently. A message Slack could not
take now is retried on a later pass with backoff; one it can never take (the channel or person
is gone) is kept as failed, and the application's channel hears about it once. A row that
cannot be read or rendered (a kind or payload this version does not know) is kept as failed
too, logged once, and the messages behind it still go.

Never twice, even when a send's outcome is unknown: the sender died after Slack took a post
but before recording it, or Slack's answer was lost or said part may have happened. Every post
carries message metadata naming its outbox row, and a row whose earlier send is unconfirmed
is first looked for in its channel's history (from when that send began); found, it is
recorded as sent with that message's ts instead of being posted again. A workspace whose token
cannot read history (the *:history scopes) gets it sent again, and the log says so once.

A withdrawn announcement (AnnouncementWithdrawn) is not posted but updates the announcement's
own message (chat.update, in the conversation it went to). Updating twice gives the same
message, so a retry after a crash or a lost answer simply updates again: no check needed.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncSession

from bot import message_events
from bot.blocks.notifications import render
from bot.monitoring import logs
from bot.outbox_messages import (
    AnnouncementWithdrawn,
    Assignment,
    BusinessStart,
    BusinessStartNoContacts,
    GoLive,
    Message,
    Reminder,
    Reminders,
    Undeliverable,
    UnreadablePayload,
    decode,
)
from bot.runtime import Runtime
from bot.services import languages
from storage import outbox
from storage.models import OutboxMessage
from storage.outbox import NewMessage

logger = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 10
# Errors that mean the target will not take the message however often we try.
UNDELIVERABLE = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "user_not_found",
        "account_inactive",
        "is_archived",
        "cannot_dm_bot",
        "user_disabled",
    }
)
BROKEN_MESSAGE = frozenset({"invalid_blocks", "msg_too_long", "no_text", "invalid_arguments"})
# Errors after which Slack may have taken the message all the same (its docs say "it's possible
# some aspect of the operation succeeded"), as may any HTTP 5xx: the retry checks first.
MAYBE_TAKEN = frozenset({"internal_error", "fatal_error"})

# Every post names its outbox row, so an unconfirmed send can be found in the channel.
METADATA_EVENT_TYPE = "onboard_outbox"
# The history read from this long before the unconfirmed send began: Slack stamps the message
# with its own clock, which may be a little behind ours.
CLOCK_SKEW = timedelta(minutes=1)
# At most this many messages (pages of HISTORY_PAGE) posted since then are read; a channel
# that busy gets the message again, with a warning.
HISTORY_PAGE = 200
HISTORY_PAGES = 5
# What the token is missing when it may not read a conversation's history at all.
NO_HISTORY_ACCESS = frozenset(
    {
        "missing_scope",
        "not_allowed_token_type",
        "no_permission",
        "access_denied",
        "ekm_access_denied",
        "team_access_not_granted",
    }
)

ClientFor = Callable[[str], Awaitable[AsyncWebClient | None]]


@dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    # Of `sent`: found already in the channel (an earlier send's answer was lost), not posted.
    found_posted: int = 0


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, … capped at an hour."""
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))


def outbox_metadata(message_id: int) -> dict[str, Any]:
    """The message metadata every outbox post carries (Slack keeps it with the message)."""
    return {"event_type": METADATA_EVENT_TYPE, "event_payload": {"outbox_id": message_id}}


def names_outbox_row(message: dict[str, Any], message_id: int) -> bool:
    """Whether a message from conversations.history is the post of this outbox row."""
    # An announcement's post names its row under its own event type (bot/message_events.py).
    return message_events.names_outbox_row(message.get("metadata"), message_id)


@dataclass
class ChannelPacer:
    """At most one message a second to one channel.

    Each send reserves its slot before it waits, so two sends that start together get slots a
    second apart. A `shared` pacer keeps the slots in the database, so they hold across
    replicas; otherwise they hold in this process.
    """

    interval: float = 1.0
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    clock: Callable[[], float] = time.time
    shared: bool = False
    _last: dict[tuple[str, str], float] = field(default_factory=dict)

    async def reserve(self, team_id: str, channel: str, session: AsyncSession | None) -> float:
        """This send's moment to post, reserved in `session`'s transaction when shared."""
        now = self.clock()
        if self.shared:
            assert session is not None, "a shared pacer reserves in the caller's transaction"
            return await outbox.reserve_slot(session, team_id, channel, now, self.interval)
        last = self._last.get((team_id, channel))
        slot = now if last is None else max(now, last + self.interval)
        self._last[(team_id, channel)] = slot
        return slot

    async def reserve_many(
        self, targets: Sequence[tuple[str, str]], session: AsyncSession | None
    ) -> list[float]:
        """A moment for each of these sends, in order, as `reserve` would give them one after
        another: one statement for them all when shared."""
        if not self.shared:
            return [await self.reserve(team_id, channel, session) for team_id, channel in targets]
        assert session is not None, "a shared pacer reserves in the caller's transaction"
        first = await outbox.reserve_slots(session, Counter(targets), self.clock(), self.interval)
        taken: Counter[tuple[str, str]] = Counter()
        slots = []
        for target in targets:
            slots.append(first[target] + taken[target] * self.interval)
            taken[target] += 1
        return slots

    async def wait_for(self, slot: float) -> None:
        delay = slot - self.clock()
        if delay > 0:
            await self.sleep(delay)


@dataclass
class Deliverer:
    runtime: Runtime
    client_for: ClientFor
    pacer: ChannelPacer = field(default_factory=ChannelPacer)
    concurrency: int = 16
    # Messages claimed at a time; a pass claims page after page until none is due.
    page: int = 1000
    # How time passes during a pass (tests give a simulated one).
    monotonic: Callable[[], float] = time.monotonic
    # Workspaces already told (in the log) that their unconfirmed sends cannot be checked.
    _told_unverifiable: set[str] = field(default_factory=set)

    def tell_unverifiable_once(self, team_id: str, error: str, needed: str | None) -> None:
        """Log, once per workspace in this process, that its unconfirmed sends are sent again
        unchecked: one line, however many messages it affects."""
        if team_id in self._told_unverifiable:
            return
        self._told_unverifiable.add(team_id)
        logger.warning(
            "workspace %s: cannot read conversation history (%s%s), so a message whose send "
            "was interrupted is sent again without checking whether it already arrived; a "
            "crash right after a send can then repeat it. Add the *:history scopes in "
            "manifest.yml and reinstall the app.",
            team_id,
            error,
            f", needs {needed}" if needed else "",
        )

    async def deliver_queued(self, ids: Sequence[int]) -> DeliveryReport:
        """Send these outbox messages now, if they are due: what a change just queued."""
        return await self.deliver_due(self.runtime.clock(), only=ids)

    async def deliver_due(self, now: datetime, only: Sequence[int] | None = None) -> DeliveryReport:
        """Send what is due (of `only` these outbox ids, when given)."""
        # A claim is this sender's (token); times move on from `now` as the pass runs, so a
        # lease or a Retry-After counts from when it happens, not from the start of the pass.
        token = uuid.uuid4().hex
        started = self.monotonic()

        def current() -> datetime:
            return now + timedelta(seconds=self.monotonic() - started)

        report = DeliveryReport()
        results = SentLog(self.runtime, token)
        try:
            # Page after page until a page comes back short: every message due in this pass
            # is sent in it (10,000 channels' digests at once, say), `page` claimed at a time.
            # A page's claim counts from the moment it is taken, so its lease is whole.
            claimed_at = now
            while (
                await self._deliver_page(claimed_at, token, current, only, report, results)
                == self.page
            ):
                claimed_at = current()
        finally:
            await results.flush()
        return report

    async def _deliver_page(
        self,
        now: datetime,
        token: str,
        current: Callable[[], datetime],
        only: Sequence[int] | None,
        report: DeliveryReport,
        results: SentLog,
    ) -> int:
        """Claim up to `page` due messages and send them, each channel in turn and channels in
        parallel; the number claimed."""
        # One transaction for the whole claim: take the rows, note that their sends start,
        # and reserve each one's moment in its channel (a handful of statements, however
        # many messages).
        slots: list[float] = []
        async with self.runtime.writes.begin() as session:
            claimed = await outbox.claim_due(
                session, now, lease=LEASE, token=token, limit=self.page, only=only
            )
            if claimed:
                await outbox.start_sending(session, [m.id for m in claimed], token, now)
                slots = await self.pacer.reserve_many(
                    [(m.team_id, m.target) for m in claimed], session
                )
        by_target: dict[str, list[tuple[OutboxMessage, float]]] = defaultdict(list)
        for message, slot in zip(claimed, slots, strict=True):
            by_target[message.target].append((message, slot))
        gate = asyncio.Semaphore(self.concurrency)

        async def send_in_turn(messages: list[tuple[OutboxMessage, float]]) -> None:
            async with gate:
                for message, slot in messages:
                    # As claimed, before this pass marked its send: set if an earlier one is
                    # unconfirmed.
                    unconfirmed_since = message.unconfirmed_since
                    await self.pacer.wait_for(slot)
                    if not await self._still_held(message, token, current):
                        continue  # another sender took it after our lease ran out
                    with logs.about(message.team_id, message.application_id):
                        await Delivery(
                            self, message, token, current, report, results, unconfirmed_since
                        ).run()

        try:
            await asyncio.gather(*(send_in_turn(m) for m in by_target.values()))
        finally:
            await results.flush()  # the page's sends recorded before the next page is claimed
        return len(claimed)

    async def _still_held(
        self, message: OutboxMessage, token: str, current: Callable[[], datetime]
    ) -> bool:
        """Whether this sender still holds the message's claim, with time left to send it.
        The claim's lease is renewed (one statement) only once half of it has gone: until
        then nobody else may take the message, so a pass of quick sends asks nothing."""
        sending_at = current()
        assert message.claimed_until is not None
        if sending_at < message.claimed_until - LEASE / 2:
            return True
        async with self.runtime.writes.begin() as session:
            held = await outbox.renew(
                session, message.id, token, sending_at + LEASE, sending_at=sending_at
            )
        message.claimed_until = sending_at + LEASE
        return held


# Sends Slack took are recorded this many at a time, or once the oldest waited this long.
RECORD_BATCH = 200
RECORD_EVERY = 1.0  # seconds


@dataclass
class SentLog:
    """The sends of one claim that Slack took, recorded in batches (one statement each).

    Recording later is safe: each send was noted as started before it was made
    (`outbox.start_sending`), so a sender that dies before recording leaves the row
    unconfirmed, and the next sender finds the post in its channel instead of posting again.
    """

    runtime: Runtime
    token: str
    _pending: list[tuple[int, datetime, str | None]] = field(default_factory=list)
    _since: float | None = None

    async def add(self, message_id: int, at: datetime, ts: str | None) -> None:
        self._pending.append((message_id, at, ts))
        if self._since is None:
            self._since = time.monotonic()
        if len(self._pending) >= RECORD_BATCH or time.monotonic() - self._since >= RECORD_EVERY:
            await self.flush()

    async def flush(self) -> None:
        batch, self._pending, self._since = self._pending, [], None
        if batch:
            async with self.runtime.writes.begin() as session:
                await outbox.record_sent_many(session, self.token, batch)


@dataclass
class Delivery:
    """Sending one claimed message and recording how it went."""

    deliverer: Deliverer
    message: OutboxMessage
    token: str
    current: Callable[[], datetime]
    report: DeliveryReport
    results: SentLog
    # When an earlier send of this row began whose outcome is unknown; None for a first send
    # or after a clear refusal, which need no check.
    unconfirmed_since: datetime | None = None

    async def run(self) -> None:
        message = self.message
        try:
            decoded = decode(message.kind, message.payload)
            text, blocks = render(decoded)
        except UnreadablePayload as e:
            logger.error("outbox %s (%s) cannot be read: %s", message.id, message.kind, e)
            await self._give_up(f"unreadable: {e}")
            return
        except Exception as e:
            # Rendering is pure, so trying again would fail again: keep the row as failed
            # (the traceback is in the log) rather than let it stop every pass.
            logger.exception("outbox %s (%s) cannot be rendered", message.id, message.kind)
            await self._give_up(f"render failed: {type(e).__name__}: {e}")
            return
        client = await self.deliverer.client_for(message.team_id)
        if client is None:
            await self._give_up("no token for this workspace")
            return
        if isinstance(decoded, AnnouncementWithdrawn):
            await Withdrawal(self, client, decoded).run(text, blocks)
            return
        if self.unconfirmed_since is not None:
            try:
                earlier = await EarlierPost(self, client, self.unconfirmed_since).find()
            except CannotLookNow as e:
                # Still unknown: posting now could repeat it, so look again later (as long as
                # a refused send would be retried).
                if message.attempts >= MAX_ATTEMPTS:
                    logger.error(
                        "outbox %s (%s) failed for good: its history could not be read: %s",
                        message.id,
                        message.kind,
                        e,
                    )
                    await self._give_up(f"history: {e}", unconfirmed=True)
                else:
                    await self._retry(
                        self.current() + backoff(message.attempts),
                        f"history: {e}",
                        unconfirmed=True,
                    )
                return
            if earlier is not None:
                logger.info(
                    "outbox %s (%s) had already reached Slack (ts %s): recorded, not sent again",
                    message.id,
                    message.kind,
                    earlier,
                )
                await self._record_sent(earlier)
                self.report.found_posted += 1
                return
        try:
            response = await client.chat_postMessage(
                channel=message.target,
                text=text,
                blocks=blocks,
                unfurl_links=False,
                metadata=message_events.for_outbox(decoded, message.id, message.created_at),
            )
        except SlackApiError as e:
            await self._refused(e, decoded)
            return
        except (aiohttp.ClientError, TimeoutError, OSError) as e:
            # The request may have reached Slack before the connection failed.
            await self._retry(
                self.current() + backoff(message.attempts), type(e).__name__, unconfirmed=True
            )
            return
        await self._record_sent(response.get("ts"))

    async def _record_sent(self, ts: str | None) -> None:
        await self.results.add(self.message.id, self.current(), ts)
        self.report.sent += 1
        self.deliverer.runtime.metrics.message_sent(self.message.kind)

    async def _refused(self, e: SlackApiError, decoded: Message) -> None:
        error = str(e.response.get("error") or f"http_{e.response.status_code}")
        maybe_taken = e.response.status_code >= 500 or error in MAYBE_TAKEN
        if error in UNDELIVERABLE:
            await self._give_up(error, tell_channel_about=decoded)
        elif error in BROKEN_MESSAGE or self.message.attempts >= MAX_ATTEMPTS:
            logger.error(
                "outbox %s (%s) failed for good: %s", self.message.id, self.message.kind, error
            )
            await self._give_up(error, unconfirmed=maybe_taken)
        else:
            retry_after = e.response.headers.get("Retry-After") if e.response.headers else None
            wait = (
                timedelta(seconds=int(retry_after))
                if retry_after
                else backoff(self.message.attempts)
            )
            await self._retry(self.current() + wait, error, unconfirmed=maybe_taken)

    async def _retry(self, at: datetime, error: str, *, unconfirmed: bool = False) -> None:
        message = self.message
        logger.warning("outbox %s (%s) will retry at %s: %s", message.id, message.kind, at, error)
        async with self.deliverer.runtime.writes.begin() as session:
            await outbox.record_retry(
                session, message.id, self.token, at, error, unconfirmed=unconfirmed
            )
        self.report.retried += 1

    async def _give_up(
        self,
        error: str,
        tell_channel_about: Message | None = None,
        *,
        unconfirmed: bool = False,
    ) -> None:
        async with self.deliverer.runtime.writes.begin() as session:
            await outbox.record_failed(
                session, self.message.id, self.token, error, unconfirmed=unconfirmed
            )
            if tell_channel_about is not None:
                notice = await _undeliverable_notice(
                    session, self.message, tell_channel_about, error
                )
                if notice is not None:
                    await outbox.enqueue(session, [notice], self.current())
        self.report.failed += 1


# chat.update's errors that mean the original message cannot be changed, now or ever.
CANNOT_UPDATE = frozenset(
    {"message_not_found", "cant_update_message", "edit_window_closed", "msg_too_long"}
)


@dataclass
class Withdrawal:
    """Updating a posted announcement to say it was withdrawn (one AnnouncementWithdrawn row)."""

    delivery: Delivery
    client: AsyncWebClient
    withdrawn: AnnouncementWithdrawn

    async def run(self, text: str, blocks: list[Any]) -> None:
        delivery = self.delivery
        # The announcement may have gone out earlier in this claim: its record first.
        await delivery.results.flush()
        async with delivery.deliverer.runtime.sessions() as session:
            original = await outbox.message_by_id(session, self.withdrawn.original_id)
        nothing_went_out = (
            original is None
            or original.status == outbox.CANCELLED
            or (original.status == outbox.FAILED and not original.message_ts)
        )
        if nothing_went_out:
            await delivery._record_sent(None)  # nothing to update
            return
        assert original is not None
        if original.status not in (outbox.SENT, outbox.FAILED):
            # Still being sent: update it once it is.
            await delivery._retry(
                delivery.current() + backoff(delivery.message.attempts), "original not sent yet"
            )
            return
        if not original.message_ts:
            await delivery._record_sent(None)  # sent, but without a ts it cannot be found
            return
        try:
            channel = await self._conversation(original.target)
            await self.client.chat_update(
                channel=channel, ts=original.message_ts, text=text, blocks=blocks
            )
        except SlackApiError as e:
            error = str(e.response.get("error") or f"http_{e.response.status_code}")
            if error in CANNOT_UPDATE or error in UNDELIVERABLE:
                logger.warning(
                    "outbox %s: announcement %s cannot be marked withdrawn: %s",
                    delivery.message.id,
                    original.id,
                    error,
                )
                await delivery._give_up(error)
            else:
                await delivery._refused(e, self.withdrawn)
            return
        except (aiohttp.ClientError, TimeoutError, OSError) as e:
            # Updating again gives the same message, so nothing needs checking first.
            await delivery._retry(delivery.current() + backoff(delivery.message.attempts), str(e))
            return
        await delivery._record_sent(original.message_ts)

    async def _conversation(self, target: str) -> str:
        """A DM was posted to a user id; chat.update needs its conversation's id."""
        if target[:1] not in "UW":
            return target
        opened = await self.client.conversations_open(users=target)
        return str(opened["channel"]["id"])


class CannotLookNow(Exception):
    """Slack could not show the history now (rate limited, down, unreachable)."""


@dataclass
class EarlierPost:
    """Looking for an unconfirmed send of one outbox row in its conversation's history.

    Only a retry of a row whose earlier send is unconfirmed does this, so the ordinary path
    makes no extra call. A direct message is addressed to a user id; its history is the DM
    channel's, which conversations.open names (im:write, which the app has for reminders):
    one more call, and only here.
    """

    delivery: Delivery
    client: AsyncWebClient
    since: datetime

    async def find(self) -> str | None:
        """The ts of the row's earlier post, or None when Slack does not have it within the
        pages read, or cannot tell us (then it is sent again). Raises CannotLookNow when
        looking should be tried again later."""
        row = self.delivery.message
        try:
            channel = await self._conversation(row.target)
            oldest = f"{(self.since - CLOCK_SKEW).timestamp():.6f}"
            cursor: str | None = None
            for _ in range(HISTORY_PAGES):
                page = await self.client.conversations_history(
                    channel=channel,
                    oldest=oldest,
                    include_all_metadata=True,
                    limit=HISTORY_PAGE,
                    cursor=cursor,
                )
                for message in page.get("messages") or []:
                    if names_outbox_row(message, row.id):
                        return str(message["ts"])
                cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
                if not page.get("has_more") or cursor is None:
                    return None
        except SlackApiError as e:
            return self._unreadable(e)
        except (aiohttp.ClientError, TimeoutError, OSError) as e:
            raise CannotLookNow(type(e).__name__) from e
        logger.warning(
            "outbox %s (%s): not among the %d newest messages of %s since %s; sending it again",
            row.id,
            row.kind,
            HISTORY_PAGE * HISTORY_PAGES,
            row.target,
            self.since.isoformat(),
        )
        return None

    async def _conversation(self, target: str) -> str:
        if target[:1] not in "UW":  # a channel id already
            return target
        opened = await self.client.conversations_open(users=target)
        return str(opened["channel"]["id"])

    def _unreadable(self, e: SlackApiError) -> None:
        row = self.delivery.message
        error = str(e.response.get("error") or f"http_{e.response.status_code}")
        if e.response.status_code == 429 or e.response.status_code >= 500 or error in MAYBE_TAKEN:
            raise CannotLookNow(error) from e
        if error in NO_HISTORY_ACCESS:
            self.delivery.deliverer.tell_unverifiable_once(
                row.team_id, error, e.response.get("needed")
            )
        else:
            # The conversation is gone or closed to us; the send says what Slack makes of it.
            logger.warning(
                "outbox %s (%s): cannot look in %s's history (%s); sending it again",
                row.id,
                row.kind,
                row.target,
                error,
            )
        return None


async def _undeliverable_notice(
    session: AsyncSession, row: OutboxMessage, message: Message, error: str
) -> NewMessage | None:
    """One note to the application's channel, in its language, unless that channel is what
    failed. Only the kinds that name the application's channel have one to tell."""
    match message:
        case Reminder() | GoLive() | BusinessStart() | BusinessStartNoContacts() | Assignment():
            channel, application = message.channel, message.application
        case Reminders(applications=[first, *_]):
            # Told in the channel of the application that waited longest (the row's own).
            channel, application = first.channel, first.application
        case _:
            return None
    if not channel or row.target == channel:
        return None
    to = f"<@{row.target}>" if row.target[:1] in "UW" else f"<#{row.target}>"
    # A DM of several steps is still "a reminder" to the reader.
    what = Reminder.KIND if isinstance(message, Reminders) else message.KIND
    language = await languages.channel_language(session, row.team_id, channel)
    notice = Undeliverable(
        application=application, what=what, to=to, error=error, language=language
    )
    return notice.for_outbox(
        dedupe_key=f"{Undeliverable.KIND}:{row.application_id}:{row.target}:{error}",
        team_id=row.team_id,
        target=channel,
        application_id=row.application_id,
    )
