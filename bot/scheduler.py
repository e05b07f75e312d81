"""The scheduler's pass: find what is due as of `now`, claim it, send it.

`run_pass(now)` is the whole job: `onboard-bot tick` calls it once, and inside `onboard-bot run`
APScheduler calls it every minute. APScheduler keeps its jobs in memory only; what was sent
lives in our own tables, so several processes may run passes at once and each message still
goes out once (see storage/outbox.py).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.executors.asyncio import AsyncIOExecutor
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery import ChannelPacer, ClientFor, Deliverer, DeliveryReport
from bot.i18n import ENGLISH, language_of
from bot.outbox_messages import Reminders
from bot.runtime import Runtime
from bot.services import digests, people, reminders
from bot.services.calendar import HolidayCalendars
from bot.services.digests import PreparedDigest
from bot.services.reminders import StepWatch
from bot.slack_directory import MembershipUnknown
from storage import outbox
from storage import repositories as repo
from storage.lifecycle import purge_departed
from storage.models import OutboxMessage
from storage.outbox import NewMessage

logger = logging.getLogger(__name__)

UTC_ZONE = ZoneInfo("UTC")
ZoneOf = Callable[[StepWatch], ZoneInfo | None]  # a watch's recipient's zone
LanguageOf = Callable[[str, str], str]  # (team, person) → the language their DMs are in
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
            f"planned {_messages(self.planned)}, {self.claimed} of them new; "
            f"sent {d.sent}, will retry {d.retried}, failed {d.failed}"
        )

    @property
    def did_something(self) -> bool:
        """Whether the pass queued or sent anything (or tried to): worth a log line."""
        d = self.delivery
        return bool(self.claimed or d.sent or d.retried or d.failed)


def _messages(count: int) -> str:
    return f"{count} message" if count == 1 else f"{count} messages"


@dataclass
class PlannedMessage:
    """What a pass would queue, and whether the outbox has it already (then it is not sent
    again)."""

    message: NewMessage
    new: bool

    def __str__(self) -> str:
        m = self.message
        if len(m.covers) == 1:
            step = f" step {m.covers[0][1]}"
        elif m.covers:
            step = f" {len(m.covers)} steps"  # a reminder DM or an escalation listing several
        else:
            step = f" step {m.step}" if m.step else ""
        state = "would send" if self.new else "already queued"
        return f"{state}: {m.kind} to {m.target} in {m.team_id}{step}"


@dataclass
class DryRun:
    """What a pass as of `now` would send, planned without claiming, sending or writing."""

    planned: list[PlannedMessage]

    def __str__(self) -> str:
        new = sum(p.new for p in self.planned)
        return (
            f"would plan {_messages(len(self.planned))}, {new} of them new; "
            "dry run: nothing claimed, sent or written"
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
        """One pass as of `now`; its duration and, if it succeeded, when it ended (by the
        runtime's clock) go to the metrics, and the latter to /readyz."""
        async with self._running:
            started, ok = time.perf_counter(), False
            try:
                report = await self._run_pass(now)
                ok = True
                return report
            finally:
                self.runtime.metrics.pass_ended(
                    time.perf_counter() - started, at=self.runtime.clock(), ok=ok
                )

    async def wait_idle(self) -> None:
        """Return once no pass is running here (for a clean shutdown)."""
        async with self._running:
            return

    async def plan_pass(self, now: datetime) -> DryRun:
        """`tick --dry-run`: the messages a pass as of `now` would queue, each marked new or
        already in the outbox. Reads only: nothing is claimed, sent or written (Slack is
        asked who is in channels and where people live, as a pass does)."""
        async with self._running:
            watches, prepared, zone_of, language_of = await self._look_up(now)
            async with self.runtime.long_reads() as session:
                messages = await self._plan(session, watches, prepared, zone_of, language_of, now)
                queued = await _queued_keys(session, [m.dedupe_key for m in messages])
        return DryRun([PlannedMessage(m, m.dedupe_key not in queued) for m in messages])

    async def _look_up(
        self, now: datetime
    ) -> tuple[list[StepWatch], list[PreparedDigest], ZoneOf, LanguageOf]:
        """What a pass reads before it plans: the steps to watch (with who is reminded), the
        digests due and people's own settings, from the database; channel members and time
        zones (with each person's Slack language, in the same answer), from Slack."""
        async with self.runtime.long_reads() as session:
            watches = await reminders.candidates(session, now)
            prepared = await digests.prepare(session, now)
            personal = await people.for_pass(session, now)
        # Who is in each channel and where each possible recipient lives are asked at once:
        # whether a step's assignee or its owner is reminded is known only once both answer.
        members, found = await asyncio.gather(self._members(watches), self._zones(watches))
        zones = {person: zone for person, (zone, _) in found.items()}
        slack_languages = {person: language for person, (_, language) in found.items()}
        watches = reminders.to_members(watches, members)
        # Then who is away (`/onboard away until`), and the recipient's own holidays.
        watches = reminders.around_away(
            watches, lambda t, u: personal.get((t, u)), lambda t, u: zones.get((t, u)), now
        )
        watches = reminders.with_own_holidays(
            watches, lambda t, u: personal.get((t, u)), HolidayCalendars()
        )

        def language_for(team_id: str, user_id: str) -> str:
            # Their own choice, else their Slack's (read with their zone: no call of its own).
            own = personal.get((team_id, user_id))
            if own is not None and own.language:
                return own.language
            return slack_languages.get((team_id, user_id)) or ENGLISH

        return watches, prepared, lambda w: zones.get((w.team_id, w.recipient)), language_for

    async def _plan(
        self,
        session: AsyncSession,
        watches: list[StepWatch],
        prepared: list[PreparedDigest],
        zone_of: ZoneOf,
        language_of: LanguageOf,
        now: datetime,
    ) -> list[NewMessage]:
        messages = await self._linking_app_home(
            await reminders.plan(session, watches, zone_of, now, language_of)
        )
        return messages + [p.message for p in prepared if p.message is not None]

    async def _linking_app_home(self, messages: list[NewMessage]) -> list[NewMessage]:
        """The messages, each reminder DM with steps left out ("…and N more") linking to the
        recipient's App Home, which lists them all. Only such a DM asks Slack for the app's
        id, once per workspace per process (`SlackDirectory.app_home`)."""
        result = []
        for m in messages:
            if m.kind == Reminders.KIND and m.payload.get("more"):
                client = await self.client_for(m.team_id)
                home = await self.runtime.directory.app_home(client, m.team_id) if client else None
                if home is not None:
                    m = replace(m, payload={**m.payload, "app_home": home})
            result.append(m)
        return result

    async def _run_pass(self, now: datetime) -> PassReport:
        watches, prepared, zone_of, language_of = await self._look_up(now)
        async with self.runtime.writes.begin() as session:
            messages = await self._plan(session, watches, prepared, zone_of, language_of, now)
            claimed = await outbox.enqueue(session, messages, now)
            await digests.record_claimed(session, prepared)
            # Slack retries an event within minutes; a day of event ids is plenty to dedupe.
            await repo.forget_events_before(session, now - timedelta(days=1))
            await purge_departed(session, now, self.runtime.retention)  # bot/lifecycle/
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

    async def _zones(
        self, watches: list[StepWatch]
    ) -> dict[tuple[str, str], tuple[ZoneInfo | None, str | None]]:
        """Each possible recipient's own time zone and Slack language, from one Slack answer
        (cached by the directory): the assignee's, and the owner's too where the owner may be
        reminded instead. Zone None where Slack could not say now; language None where Slack
        did not say (English then). A user Slack does not know gets UTC: the send will fail and
        the channel will hear of it."""
        people = {(w.team_id, w.recipient) for w in watches}
        people |= {(w.team_id, w.owner_id) for w in watches if w.recipient != w.owner_id}
        gate = asyncio.Semaphore(LOOKUPS_AT_ONCE)

        async def zone(
            team_id: str, user_id: str
        ) -> tuple[tuple[str, str], tuple[ZoneInfo | None, str | None]]:
            async with gate:
                client = await self.client_for(team_id)
                person = (
                    await self.runtime.directory.person(client, team_id, user_id)
                    if client is not None
                    else None
                )
            if person is None:
                return (team_id, user_id), (UTC_ZONE, None)
            zone = person.timezone if person.zone_known else None
            return (team_id, user_id), (zone, language_of(person.locale))

        return dict(await asyncio.gather(*(zone(t, u) for t, u in people)))


async def _queued_keys(session: AsyncSession, keys: list[str]) -> set[str]:
    """Which of these dedupe keys the outbox holds already (a pass would not queue them)."""
    found: set[str] = set()
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        rows = await session.scalars(
            select(OutboxMessage.dedupe_key).where(OutboxMessage.dedupe_key.in_(chunk))
        )
        found.update(rows)
    return found


def single_workspace(client: AsyncWebClient) -> ClientFor:
    """Every team is served with the one bot token."""

    async def client_for(_team_id: str) -> AsyncWebClient:
        return client

    return client_for


def start_scheduler(runner: PassRunner, clock=lambda: datetime.now(UTC)) -> AsyncIOScheduler:
    """APScheduler in the running loop: a pass every minute, never two at once here."""

    first = True
    # From now on /readyz expects passes here (bot/monitoring/http.py).
    runner.runtime.passes_since = runner.runtime.clock()

    async def scheduled_pass() -> None:
        nonlocal first
        try:
            report = await runner.run_pass(clock())
            # A pass a minute that did nothing is not news (APScheduler's own INFO lines are
            # turned down in bot/__main__.py); the first one after start is, once.
            if report.did_something or first:
                logger.info("%sscheduler pass: %s", "first " if first else "", report)
            first = False
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
