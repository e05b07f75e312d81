"""Sending the outbox to Slack: claimed rows out, results back, nothing dropped.

Slack allows about one message a second per channel, so messages to one channel go one after
another with a pause; different channels are sent concurrently. A message Slack could not
take now is retried on a later pass with backoff; one it can never take (the channel or person
is gone) is kept as failed, and the application's channel hears about it once. A row that
cannot be read or rendered (a kind or payload this version does not know) is kept as failed
too, logged once, and the messages behind it still go.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncSession

from bot.blocks.notifications import render
from bot.outbox_messages import (
    BusinessStart,
    BusinessStartNoContacts,
    GoLive,
    Message,
    Reminder,
    Undeliverable,
    UnreadablePayload,
    decode,
)
from bot.runtime import Runtime
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

ClientFor = Callable[[str], Awaitable[AsyncWebClient | None]]


@dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, … capped at an hour."""
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))


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
    # How time passes during a pass (tests give a simulated one).
    monotonic: Callable[[], float] = time.monotonic

    async def deliver_queued(self, ids: Sequence[int]) -> DeliveryReport:
        """Send these outbox messages now, if they are due: what a change just queued."""
        return await self.deliver_due(self.runtime.clock(), only=ids)

    async def deliver_due(
        self, now: datetime, only: Sequence[int] | None = None
    ) -> DeliveryReport:
        """Send what is due (of `only` these outbox ids, when given)."""
        # A claim is this sender's (token); times move on from `now` as the pass runs, so a
        # lease or a Retry-After counts from when it happens, not from the start of the pass.
        token = uuid.uuid4().hex
        started = self.monotonic()

        def current() -> datetime:
            return now + timedelta(seconds=self.monotonic() - started)

        async with self.runtime.writes.begin() as session:
            claimed = await outbox.claim_due(session, now, lease=LEASE, token=token, only=only)
        report = DeliveryReport()
        by_target: dict[str, list[OutboxMessage]] = defaultdict(list)
        for message in claimed:
            by_target[message.target].append(message)
        gate = asyncio.Semaphore(self.concurrency)

        async def send_in_turn(messages: list[OutboxMessage]) -> None:
            async with gate:
                for message in messages:
                    # One transaction: keep the claim, and take this channel's next slot.
                    async with self.runtime.writes.begin() as session:
                        still_ours = await outbox.renew(
                            session, message.id, token, current() + LEASE
                        )
                        if still_ours:
                            slot = await self.pacer.reserve(
                                message.team_id, message.target, session
                            )
                    if not still_ours:  # another sender took it after our lease ran out
                        continue
                    await self.pacer.wait_for(slot)
                    await Delivery(self, message, token, current, report).run()

        await asyncio.gather(*(send_in_turn(m) for m in by_target.values()))
        return report


@dataclass
class Delivery:
    """Sending one claimed message and recording how it went."""

    deliverer: Deliverer
    message: OutboxMessage
    token: str
    current: Callable[[], datetime]
    report: DeliveryReport

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
        try:
            response = await client.chat_postMessage(
                channel=message.target, text=text, blocks=blocks, unfurl_links=False
            )
        except SlackApiError as e:
            await self._refused(e, decoded)
            return
        except (aiohttp.ClientError, TimeoutError, OSError) as e:
            await self._retry(self.current() + backoff(message.attempts), type(e).__name__)
            return
        async with self.deliverer.runtime.writes.begin() as session:
            await outbox.record_sent(
                session, message.id, self.token, self.current(), response.get("ts")
            )
        self.report.sent += 1

    async def _refused(self, e: SlackApiError, decoded: Message) -> None:
        error = str(e.response.get("error") or f"http_{e.response.status_code}")
        if error in UNDELIVERABLE:
            await self._give_up(error, tell_channel_about=decoded)
        elif error in BROKEN_MESSAGE or self.message.attempts >= MAX_ATTEMPTS:
            logger.error(
                "outbox %s (%s) failed for good: %s", self.message.id, self.message.kind, error
            )
            await self._give_up(error)
        else:
            retry_after = e.response.headers.get("Retry-After") if e.response.headers else None
            wait = (
                timedelta(seconds=int(retry_after))
                if retry_after
                else backoff(self.message.attempts)
            )
            await self._retry(self.current() + wait, error)

    async def _retry(self, at: datetime, error: str) -> None:
        message = self.message
        logger.warning("outbox %s (%s) will retry at %s: %s", message.id, message.kind, at, error)
        async with self.deliverer.runtime.writes.begin() as session:
            await outbox.record_retry(session, message.id, self.token, at, error)
        self.report.retried += 1

    async def _give_up(self, error: str, tell_channel_about: Message | None = None) -> None:
        async with self.deliverer.runtime.writes.begin() as session:
            await outbox.record_failed(session, self.message.id, self.token, error)
            if tell_channel_about is not None:
                notice = _undeliverable_notice(self.message, tell_channel_about, error)
                if notice is not None:
                    await outbox.enqueue(session, [notice], self.current())
        self.report.failed += 1


def _undeliverable_notice(row: OutboxMessage, message: Message, error: str) -> NewMessage | None:
    """One note to the application's channel, unless that channel is what failed. Only the
    kinds that name the application's channel have one to tell."""
    match message:
        case Reminder() | GoLive() | BusinessStart() | BusinessStartNoContacts():
            channel, application = message.channel, message.application
        case _:
            return None
    if not channel or row.target == channel:
        return None
    to = f"<@{row.target}>" if row.target[:1] in "UW" else f"<#{row.target}>"
    notice = Undeliverable(application=application, what=message.KIND, to=to, error=error)
    return notice.for_outbox(
        dedupe_key=f"{Undeliverable.KIND}:{row.application_id}:{row.target}:{error}",
        team_id=row.team_id,
        target=channel,
        application_id=row.application_id,
    )
