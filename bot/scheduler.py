"""The scheduler's pass: find what is due as of `now`, claim it, send it.

`run_pass(now)` is the whole job: `onboard-bot tick` calls it once, and inside `onboard-bot run`
APScheduler calls it every minute. APScheduler keeps its jobs in memory only; what was sent
lives in our own tables, so several processes may run passes at once and each message still
goes out once (see storage/outbox.py).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.executors.asyncio import AsyncIOExecutor
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger
from slack_sdk.web.async_client import AsyncWebClient

from bot.delivery import ChannelPacer, ClientFor, Deliverer, DeliveryReport
from bot.runtime import Runtime
from bot.services import digests, reminders
from bot.services.reminders import StepWatch
from bot.slack_directory import MembershipUnknown
from storage import outbox
from storage import repositories as repo

logger = logging.getLogger(__name__)

UTC_ZONE = ZoneInfo("UTC")
PASS_INTERVAL_SECONDS = 60
LOOKUPS_AT_ONCE = 8  # calls in flight to one Web API method while looking people up


@dataclass
class PassReport:
    planned: int
    claimed: int
    delivery: DeliveryReport

    def __str__(self) -> str:
        d = self.delivery
        return (
            f"planned {self.planned}, newly claimed {self.claimed}; "
            f"sent {d.sent}, to retry {d.retried}, failed {d.failed}"
        )


@dataclass
class PassRunner:
    runtime: Runtime
    client_for: ClientFor
    deliverer: Deliverer
    _running: asyncio.Lock = field(default_factory=asyncio.Lock)

    @classmethod
    def create(cls, runtime: Runtime, client_for: ClientFor) -> PassRunner:
        # Pacing is reserved in the database, so replicas share each channel's one a second.
        return cls(runtime, client_for, Deliverer(runtime, client_for, ChannelPacer(shared=True)))

    async def run_pass(self, now: datetime) -> PassReport:
        async with self._running:
            return await self._run_pass(now)

    async def wait_idle(self) -> None:
        """Return once no pass is running here (for a clean shutdown)."""
        async with self._running:
            return

    async def _run_pass(self, now: datetime) -> PassReport:
        async with self.runtime.long_reads() as session:
            watches = await reminders.candidates(session, now)
            prepared = await digests.prepare(session, now)
        # Who is in each channel and where each possible recipient lives are asked at once:
        # whether a step's assignee or its owner is reminded is known only once both answer.
        members, zones = await asyncio.gather(self._members(watches), self._zones(watches))
        watches = reminders.to_members(watches, members)
        async with self.runtime.writes.begin() as session:
            messages = await reminders.plan(
                session, watches, lambda w: zones.get((w.team_id, w.recipient)), now
            )
            messages += [p.message for p in prepared if p.message is not None]
            claimed = await outbox.enqueue(session, messages, now)
            await digests.record_claimed(session, prepared)
            # Slack retries an event within minutes; a day of event ids is plenty to dedupe.
            await repo.forget_events_before(session, now - timedelta(days=1))
        delivery = await self.deliverer.deliver_due(now)
        return PassReport(len(messages), len(claimed), delivery)

    async def _members(
        self, watches: list[StepWatch]
    ) -> Callable[[StepWatch], frozenset[str] | None]:
        """Who is in each channel with a step assigned to someone other than its owner (the
        only steps whose recipient may change): one lookup per channel, however many steps
        it has, cached by the directory like the zones. None for a channel Slack would not
        list."""
        channels = sorted({(w.team_id, w.channel_id) for w in watches if w.recipient != w.owner_id})
        gate = asyncio.Semaphore(LOOKUPS_AT_ONCE)

        async def members(team_id: str, channel_id: str) -> frozenset[str] | None:
            async with gate:
                client = await self.client_for(team_id)
                if client is None:
                    return None
                try:
                    return await self.runtime.directory.channel_members(client, team_id, channel_id)
                except MembershipUnknown:
                    return None

        found = await asyncio.gather(*(members(t, c) for t, c in channels))
        known = dict(zip(channels, found, strict=True))
        return lambda w: known.get((w.team_id, w.channel_id))

    async def _zones(self, watches: list[StepWatch]) -> dict[tuple[str, str], ZoneInfo | None]:
        """Each possible recipient's own time zone, from Slack (cached by the directory): the
        assignee's, and the owner's too where the owner may be reminded instead. None where
        Slack could not say now. A user Slack does not know gets UTC: the send will fail and
        the channel will hear of it."""
        people = {(w.team_id, w.recipient) for w in watches}
        people |= {(w.team_id, w.owner_id) for w in watches if w.recipient != w.owner_id}
        gate = asyncio.Semaphore(LOOKUPS_AT_ONCE)

        async def zone(team_id: str, user_id: str) -> tuple[tuple[str, str], ZoneInfo | None]:
            async with gate:
                client = await self.client_for(team_id)
                person = (
                    await self.runtime.directory.person(client, team_id, user_id)
                    if client is not None
                    else None
                )
            if person is None:
                return (team_id, user_id), UTC_ZONE
            return (team_id, user_id), person.timezone if person.zone_known else None

        return dict(await asyncio.gather(*(zone(t, u) for t, u in people)))


def single_workspace(client: AsyncWebClient) -> ClientFor:
    """Every team is served with the one bot token."""

    async def client_for(_team_id: str) -> AsyncWebClient:
        return client

    return client_for


def start_scheduler(runner: PassRunner, clock=lambda: datetime.now(UTC)) -> AsyncIOScheduler:
    """APScheduler in the running loop: a pass every minute, never two at once here."""

    async def scheduled_pass() -> None:
        try:
            report = await runner.run_pass(clock())
            logger.info("scheduler pass: %s", report)
        except Exception:
            logger.exception("scheduler pass failed; the next one retries")
        except asyncio.CancelledError:
            # Shutting down (APScheduler cancels running jobs): what was claimed and not sent
            # is sent by the next pass, here or in another replica, once its lease runs out.
            logger.info("scheduler pass stopped by shutdown")

    scheduler = AsyncIOScheduler(timezone=UTC, executors={"default": AsyncIOExecutor()})
    scheduler.add_job(
        scheduled_pass,
        IntervalTrigger(seconds=PASS_INTERVAL_SECONDS, timezone=UTC),
        id="pass",
        max_instances=1,
        coalesce=True,
        # When to run is APScheduler's business, in real time; what a pass sees as `now`
        # comes from `clock` (tests give a fixed one).
        next_run_time=datetime.now(UTC),
    )
    scheduler.start()
    return scheduler
