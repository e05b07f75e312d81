"""Sending the outbox to Slack: claimed rows out, results back, nothing dropped.

Slack allows about one message a second per channel, so messages to one channel go one after
another with a pause; different channels are sent concurrently. A message Slack could not
take now is retried on a later pass with backoff; one it can never take (the channel or person
is gone) is kept as failed, and the application's channel hears about it once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks.notifications import render
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
    """At most one message a second to one channel, across passes of this process."""

    interval: float = 1.0
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    clock: Callable[[], float] = time.monotonic
    _last: dict[str, float] = field(default_factory=dict)

    async def wait_turn(self, channel: str) -> None:
        last = self._last.get(channel)
        if last is not None:
            delay = last + self.interval - self.clock()
            if delay > 0:
                await self.sleep(delay)
        self._last[channel] = self.clock()


@dataclass
class Deliverer:
    runtime: Runtime
    client_for: ClientFor
    pacer: ChannelPacer = field(default_factory=ChannelPacer)
    concurrency: int = 16

    async def deliver_due(self, now: datetime) -> DeliveryReport:
        async with self.runtime.writes.begin() as session:
            claimed = await outbox.claim_due(session, now, lease=LEASE)
        report = DeliveryReport()
        by_target: dict[str, list[OutboxMessage]] = defaultdict(list)
        for message in claimed:
            by_target[message.target].append(message)
        gate = asyncio.Semaphore(self.concurrency)

        async def send_in_turn(messages: list[OutboxMessage]) -> None:
            async with gate:
                for message in messages:
                    await self.pacer.wait_turn(message.target)
                    await self._deliver(message, now, report)

        await asyncio.gather(*(send_in_turn(m) for m in by_target.values()))
        return report

    async def _deliver(self, message: OutboxMessage, now: datetime, report: DeliveryReport) -> None:
        text, blocks = render(message.kind, message.payload)
        client = await self.client_for(message.team_id)
        try:
            if client is None:
                raise _NoToken()
            response = await client.chat_postMessage(
                channel=message.target, text=text, blocks=blocks, unfurl_links=False
            )
        except SlackApiError as e:
            await self._failed_send(message, now, report, e)
            return
        except _NoToken:
            await self._give_up(message, now, "no token for this workspace", report)
            return
        except (aiohttp.ClientError, TimeoutError, OSError) as e:
            await self._retry(message, now + backoff(message.attempts), type(e).__name__, report)
            return
        async with self.runtime.writes.begin() as session:
            await outbox.record_sent(session, message.id, now, response.get("ts"))
        report.sent += 1

    async def _failed_send(
        self, message: OutboxMessage, now: datetime, report: DeliveryReport, e: SlackApiError
    ) -> None:
        error = str(e.response.get("error") or f"http_{e.response.status_code}")
        if error in UNDELIVERABLE:
            await self._give_up(message, now, error, report, tell_channel=True)
        elif error in BROKEN_MESSAGE or message.attempts >= MAX_ATTEMPTS:
            logger.error("outbox %s (%s) failed for good: %s", message.id, message.kind, error)
            await self._give_up(message, now, error, report)
        else:
            retry_after = e.response.headers.get("Retry-After") if e.response.headers else None
            wait = timedelta(seconds=int(retry_after)) if retry_after else backoff(message.attempts)
            await self._retry(message, now + wait, error, report)

    async def _retry(
        self, message: OutboxMessage, at: datetime, error: str, report: DeliveryReport
    ) -> None:
        logger.warning("outbox %s (%s) will retry at %s: %s", message.id, message.kind, at, error)
        async with self.runtime.writes.begin() as session:
            await outbox.record_retry(session, message.id, at, error)
        report.retried += 1

    async def _give_up(
        self,
        message: OutboxMessage,
        now: datetime,
        error: str,
        report: DeliveryReport,
        tell_channel: bool = False,
    ) -> None:
        async with self.runtime.writes.begin() as session:
            await outbox.record_failed(session, message.id, error)
            if tell_channel:
                notice = _undeliverable_notice(message, error)
                if notice is not None:
                    await outbox.enqueue(session, [notice], now)
        report.failed += 1


class _NoToken(Exception):
    pass


def _undeliverable_notice(message: OutboxMessage, error: str) -> NewMessage | None:
    """One note to the application's channel, unless that channel is what failed."""
    channel = message.payload.get("channel")
    application = message.payload.get("application")
    if (
        not channel
        or not application
        or message.target == channel
        or message.kind == "undeliverable"
    ):
        return None
    to = f"<@{message.target}>" if message.target[:1] in "UW" else f"<#{message.target}>"
    return NewMessage(
        dedupe_key=f"undeliverable:{message.application_id}:{message.target}:{error}",
        team_id=message.team_id,
        kind="undeliverable",
        target=channel,
        payload={"application": application, "what": message.kind, "to": to, "error": error},
        application_id=message.application_id,
    )
