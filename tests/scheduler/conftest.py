"""Driving the scheduler through simulated time.

`sim` wraps a `PassRunner` over the running app's database and the Slack stand-in. Every pass is
given its `now` explicitly, the app's clock is moved to that moment first (so a button clicked
"after" a pass happens at the pass's time), and the per-channel pacer is given a fake clock and
a fake sleep: nothing here ever really waits. `run_passes` runs passes at a fixed interval over a
stretch of simulated time and returns what each pass posted.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.app import build_client
from bot.delivery import ChannelPacer
from bot.outbox_messages import (
    Assignment,
    BusinessStart,
    BusinessStartNoContacts,
    Digest,
    Escalation,
    GoLive,
    Reminder,
    Undeliverable,
)
from bot.runtime import Runtime
from bot.scheduler import PassReport, PassRunner, single_workspace
from storage.models import Application, OutboxMessage
from tests.conftest import FakeClock
from tests.harness import CommandResult, RunningApp
from tests.slack_stub import SlackStub

LA = ZoneInfo("America/Los_Angeles")
SHANGHAI = ZoneInfo("Asia/Shanghai")


def utc(*parts: int) -> datetime:
    """utc(2026, 11, 27, 17) is 2026-11-27 17:00 UTC."""
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


@dataclass
class PacerTime:
    """A fake monotonic clock and sleep for `ChannelPacer`: the clock follows the simulated
    time, and sleeping only records the delay asked for (and moves the fake clock on)."""

    clock: FakeClock
    slept: list[float] = field(default_factory=list)
    _offset: float = 0.0

    def monotonic(self) -> float:
        return self.clock.now.timestamp() + self._offset

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self._offset += seconds


def fake_pacer(clock: FakeClock) -> tuple[ChannelPacer, PacerTime]:
    time = PacerTime(clock)
    return ChannelPacer(sleep=time.sleep, clock=time.monotonic), time


def make_runner(runtime: Runtime, settings: Any, clock: FakeClock) -> tuple[PassRunner, PacerTime]:
    """A PassRunner as `onboard-bot tick` builds one, with a fake-sleep pacer."""
    client = build_client(settings, runtime.http_session())
    runner = PassRunner.create(runtime, single_workspace(client))
    runner.deliverer.pacer, time = fake_pacer(clock)
    return runner, time


@dataclass(frozen=True)
class Post:
    """One chat.postMessage Slack accepted."""

    at: datetime  # the `now` of the pass that sent it
    channel: str  # a channel ID, or a user ID for a DM
    text: str
    blocks: list[dict[str, Any]]

    @property
    def kind(self) -> str:
        text = self.text
        # A reminder DM (of one step or several), an escalation (of one step or several).
        if " has waited " in text or " was due " in text:
            return Reminder.KIND
        if text.endswith((" is stuck", " are stuck")):
            return Escalation.KIND
        if text.startswith(("Daily digest", "Weekly digest")):
            return Digest.KIND
        if text.endswith(" is live in production"):
            return GoLive.KIND
        if text.endswith("has started business"):
            return BusinessStart.KIND
        if "no Alipay contacts" in text:
            return BusinessStartNoContacts.KIND
        if text.startswith("Couldn't deliver"):
            return Undeliverable.KIND
        return "other"

    @property
    def markdown(self) -> str:
        """All the mrkdwn/plain text of the blocks, one block a line."""
        lines = []
        for block in self.blocks:
            text = block.get("text")
            if isinstance(text, dict):
                lines.append(text.get("text", ""))
            for element in block.get("elements") or []:
                if isinstance(element, dict) and element.get("type") in ("mrkdwn", "plain_text"):
                    lines.append(element.get("text", ""))
        return "\n".join(lines)

    def local(self, zone: ZoneInfo) -> datetime:
        return self.at.astimezone(zone)


@dataclass
class PassResult:
    at: datetime
    report: PassReport
    posts: list[Post]


@dataclass
class Sim:
    """The scheduler of the running app, driven by explicit `now`s."""

    app: RunningApp
    slack: SlackStub
    clock: FakeClock
    runner: PassRunner
    pacer: PacerTime
    passes: list[PassResult] = field(default_factory=list)

    @property
    def posts(self) -> list[Post]:
        return [p for result in self.passes for p in result.posts]

    def posts_of(self, kind: str) -> list[Post]:
        return [p for p in self.posts if p.kind == kind]

    async def run_pass(self, now: datetime) -> PassResult:
        self.clock.now = now
        before = len(self.slack.calls)
        report = await self.runner.run_pass(now)
        posts = [
            Post(now, c.args["channel"], c.args.get("text", ""), c.args.get("blocks") or [])
            for c in self.slack.calls[before:]
            if c.method == "chat.postMessage" and c.answered_with == "ok"
        ]
        result = PassResult(now, report, posts)
        self.passes.append(result)
        return result

    async def command(
        self, text: str, *, user: str = "UALICE", channel: str = "CPAY", at: datetime | None = None
    ) -> CommandResult:
        """`/onboard <text>` at `at` (default: the clock's time); it must be accepted."""
        if at is not None:
            self.clock.now = at
        result = await self.app.command(text, user=user, channel=channel)
        assert result.status == 200, result
        await self._send_assignment_dms()
        return result

    async def _send_assignment_dms(self) -> None:
        """An assignment's DM goes right after the command, as `onboard-bot run` sends it
        (test_assignment_dm.py checks that path): passes then show what the scheduler sends."""
        async with self.app.runtime.sessions() as session:
            ids = list(
                await session.scalars(
                    select(OutboxMessage.id).where(
                        OutboxMessage.kind == Assignment.KIND, OutboxMessage.status == "pending"
                    )
                )
            )
        if ids:
            await self.runner.deliverer.deliver_queued(ids)

    async def outbox(self) -> list[OutboxMessage]:
        """The outbox rows but the assignment DMs (`command` sends those itself)."""
        async with self.app.runtime.sessions() as session:
            return list(
                await session.scalars(
                    select(OutboxMessage)
                    .where(OutboxMessage.kind != Assignment.KIND)
                    .order_by(OutboxMessage.id)
                )
            )

    async def application_id(self, slug: str) -> int:
        async with self.app.runtime.sessions() as session:
            found = await session.scalar(select(Application.id).where(Application.slug == slug))
        assert found is not None, slug
        return found


async def run_passes(
    sim: Sim, start: datetime, end: datetime, every: timedelta
) -> list[PassResult]:
    """A pass at `start`, `start + every`, … up to (not including) `end`; what each sent."""
    results = []
    now = start
    while now < end:
        results.append(await sim.run_pass(now))
        now += every
    return results


def sent(results: list[PassResult], kind: str | None = None) -> list[Post]:
    """Every post of these passes (of one kind), in order."""
    return [p for r in results for p in r.posts if kind is None or p.kind == kind]


@pytest.fixture
async def sim(app: RunningApp, slack: SlackStub, clock: FakeClock) -> AsyncIterator[Sim]:
    runner, pacer = make_runner(app.runtime, app.settings, clock)
    yield Sim(app, slack, clock, runner, pacer)
