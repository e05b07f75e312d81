"""The outbox under Slack's faults: 429 with Retry-After, HTTP 500s, dropped connections, a mix
of them, bursts to one channel, and a process SIGKILLed between commit and send.

Each fault test computes three numbers, prints them (`pytest -s` shows them) and, when
ONBOARD_FAULT_REPORT names a file, appends them there as one JSON line:

- sent: outbox rows that reached the stand-in and are recorded as sent;
- duplicates: posts beyond one per outbox row (or scheduled-looking posts of no row);
- drops: outbox rows that never reached the stand-in.

The in-process tests drive `PassRunner.run_pass(now)` with explicit `now`s on a SQLite file, with
a fake-sleep pacer and slack_sdk's own retry waits recorded instead of slept, so they never
really wait. The SIGKILL tests run `python -m bot run` as operators do.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from aiohttp import web
from slack_sdk.http_retry import async_handler, builtin_async_handlers
from sqlalchemy import select

from bot.app import build_client
from bot.blocks.notifications import render
from bot.delivery import LEASE, ChannelPacer
from bot.outbox_messages import Digest, GoLive, Reminders, decode
from bot.scheduler import PassRunner, single_workspace
from bot.server import open_runtime
from storage import outbox
from storage.models import OutboxMessage
from storage.outbox import NewMessage
from tests.conftest import FakeClock
from tests.harness import RunningApp
from tests.scheduler.conftest import PacerTime, make_runner, utc
from tests.slack_stub import SlackStub
from tests.test_process import (
    STOP_DEADLINE,
    BotProcess,
    clean_environment,
    query,
    running_bot,
    start_bot,
)

# Read at import: the autouse fixture of tests/conftest.py hides every ONBOARD_* variable
# while a test runs.
FAULT_REPORT = os.environ.get("ONBOARD_FAULT_REPORT")

# Mon 2026-11-30 09:00 in Los Angeles, where the stand-in's users live: the applications made
# Wed 11-25 10:00 UTC (the `clock` fixture) have stalled by then, and daily 09:00 digests are due.
MONDAY_9_LA = utc(2026, 11, 30, 17)

# A checklist message posted by `status` (not an outbox message): "Acme POS: 4/19 steps done".
CHECKLIST_TEXT = re.compile(r": \d+/\d+ steps done$")


# ---- the three numbers ---------------------------------------------------------------------


@dataclass
class Tally:
    messages: int  # outbox rows
    sent: int
    duplicates: int
    drops: int
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "messages": self.messages,
            "sent": self.sent,
            "duplicates": self.duplicates,
            "drops": self.drops,
        } | self.extra


def stand_in_posts(slack: SlackStub) -> Counter[tuple[str, str]]:
    """(channel, fallback text) of every chat.postMessage the stand-in accepted, counted."""
    return Counter(
        (c.args["channel"], c.args.get("text", ""))
        for c in slack.calls_to("chat.postMessage")
        if c.answered_with == "ok"
    )


def tally(rows: list[tuple[str, str, str, dict[str, Any]]], posts: Counter) -> Tally:
    """rows: (status, kind, target, payload) of every outbox row; posts: `stand_in_posts`.

    A row is sent when its rendered message reached the stand-in and the row says so; a
    duplicate is a post beyond one per row, or a post that no row explains (other than a
    checklist posted by `status`); a drop is a row whose message never reached the stand-in."""
    expected: Counter[tuple[str, str]] = Counter()
    sent_rows: Counter[tuple[str, str]] = Counter()
    for status, kind, target, payload in rows:
        key = (target, render(decode(kind, payload))[0])
        expected[key] += 1
        if status == "sent":
            sent_rows[key] += 1
    sent = sum(min(n, posts[key]) for key, n in sent_rows.items())
    duplicates = sum(max(posts[key] - n, 0) for key, n in expected.items())
    duplicates += sum(
        n
        for (channel, text), n in posts.items()
        if (channel, text) not in expected and not CHECKLIST_TEXT.search(text)
    )
    drops = sum(max(n - posts[key], 0) for key, n in expected.items())
    return Tally(len(rows), sent, duplicates, drops)


def report(test: str, fault: str, numbers: Tally) -> None:
    line = {"test": test, "fault": fault} | numbers.as_dict()
    print(
        f"\n[{test}] fault={fault}: messages {numbers.messages}, sent {numbers.sent}, "
        f"duplicates {numbers.duplicates}, drops {numbers.drops} {numbers.extra or ''}"
    )
    if FAULT_REPORT:
        with open(FAULT_REPORT, "a", encoding="utf-8") as f:
            f.write(json.dumps(line, sort_keys=True) + "\n")


# ---- in-process passes -----------------------------------------------------------------------


@pytest.fixture
def retry_sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """slack_sdk's own retries (429 Retry-After, dropped connections) record their waits
    instead of sleeping them; nothing else's asyncio.sleep is touched."""
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    fake_asyncio = SimpleNamespace(sleep=sleep)
    monkeypatch.setattr(async_handler, "asyncio", fake_asyncio)
    monkeypatch.setattr(builtin_async_handlers, "asyncio", fake_asyncio)
    return slept


@dataclass
class Passes:
    app: RunningApp
    slack: SlackStub
    clock: FakeClock
    runner: PassRunner
    pacer: PacerTime
    count: int = 0

    async def run(self, now: datetime):
        self.clock.now = now
        self.count += 1
        return await self.runner.run_pass(now)

    async def rows(self) -> list[OutboxMessage]:
        async with self.app.runtime.sessions() as session:
            return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))

    async def tally(self) -> Tally:
        rows = [(m.status, m.kind, m.target, m.payload) for m in await self.rows()]
        return tally(rows, stand_in_posts(self.slack))


@pytest.fixture
async def passes(app: RunningApp, slack: SlackStub, clock: FakeClock) -> Passes:
    runner, pacer = make_runner(app.runtime, app.settings, clock)
    return Passes(app, slack, clock, runner, pacer)


async def command(app: RunningApp, text: str, *, user: str, channel: str) -> str:
    result = await app.command(text, user=user, channel=channel)
    assert result.status == 200, result
    return result.text


CHANNELS = [f"CFAULT{i}" for i in range(1, 6)]
RECIPIENTS = [f"UREC{i:02}" for i in range(1, 31)]
# `mark 2.2` skips 1.1–1.5 and 2.1: all six are active, and stalled by Monday.
ACTIVE_AFTER_MARKING_2_2 = ("1.1", "1.2", "1.3", "1.4", "1.5", "2.1")


async def thirty_five_due(app: RunningApp, slack: SlackStub) -> None:
    """Five applications, one per channel, made Wed 10:00 UTC, each with six active steps
    assigned to six of thirty recipients (one step each) and a daily 09:00 digest: the pass
    of Mon 09:00 LA has 30 reminders (one DM to each recipient) and 5 digests due."""
    for user in RECIPIENTS:
        slack.add_user(user)
    for i, channel in enumerate(CHANNELS):
        six = RECIPIENTS[6 * i : 6 * i + 6]
        slack.channel_members[channel] = ["UALICE", *six, "UBOT"]
        await command(app, f"new Shop {i + 1}", user="UALICE", channel=channel)
        await command(app, "digest daily 09:00", user="UALICE", channel=channel)
        await command(app, "mark 2.2", user="UALICE", channel=channel)
        for n, step in enumerate(ACTIVE_AFTER_MARKING_2_2):
            who = six[n]
            # Each takes their own steps: no assignment DMs join the pass's messages.
            await command(app, f"assign {step} <@{who}|{who.lower()}>", user=who, channel=channel)


def script_failures(slack: SlackStub, failures: list[dict[str, Any]]) -> None:
    """Queue these chat.postMessage failures, in order."""
    for failure in failures:
        slack.fail("chat.postMessage", **failure)


N = 35
RATE_LIMITED = {"retry_after": 7}
SERVER_ERROR = {"status": 500}
DROPPED = {"drop_connection": True}
# Per message in one pass: slack_sdk retries a 429 twice (our AsyncRateLimitErrorRetryHandler);
# a 500 or a dropped connection not at all (a post is never retried blind:
# bot/slack_client.py; delivery checks whether it arrived first).
CALLS_PER_FAILED_SEND = {"429": 3, "500": 1, "dropped": 1}


@pytest.mark.parametrize(
    ("fault", "failures", "error", "retry_in", "failed_passes"),
    [
        # Every send of the first pass is refused 3 times (slack_sdk's own 2 retries honour
        # Retry-After 7, recorded not slept): the rows are due again exactly 7 s later.
        pytest.param("429", [RATE_LIMITED] * 3 * N, "ratelimited", [7], 1, id="429-retry-after-7"),
        # Two passes in a row get 500s: backoff 30 s, then 60 s.
        pytest.param("500", [SERVER_ERROR] * 2 * N, "internal_error", [30, 60], 2, id="http-500"),
        pytest.param("dropped", [DROPPED] * N, "ServerDisconnectedError", [30], 1, id="dropped"),
    ],
)
async def test_each_transient_fault_delays_but_never_drops_or_duplicates(
    app: RunningApp,
    slack: SlackStub,
    passes: Passes,
    retry_sleeps: list[float],
    fault: str,
    failures: list[dict[str, Any]],
    error: str,
    retry_in: list[int],
    failed_passes: int,
) -> None:
    """35 messages due Mon 09:00 LA (30 reminders, 5 digests); every send of the first pass
    (and for 500s, of the second) fails. The failed rows stay pending with the error, attempts
    counted, due again after Retry-After (7 s) or the backoff (30 s, then 60 s); a pass just
    before that claims nothing; the pass at it sends all 35, each once; none is ever failed."""
    await thirty_five_due(app, slack)
    script_failures(slack, failures)
    now = MONDAY_9_LA

    for attempt, wait in enumerate(retry_in, start=1):
        result = await passes.run(now)
        rows = await passes.rows()
        assert len(rows) == N
        assert Counter(m.kind for m in rows) == {Reminders.KIND: 30, Digest.KIND: 5}
        assert Counter(m.target for m in rows if m.kind == Reminders.KIND) == dict.fromkeys(
            RECIPIENTS, 1
        )
        if attempt <= failed_passes:
            assert (result.delivery.sent, result.delivery.retried) == (0, N)
            assert result.delivery.failed == 0
            assert {(m.status, m.attempts, m.last_error) for m in rows} == {
                ("pending", attempt, error)
            }
            # The wait counts from when Slack said it (the pass's now plus the seconds the
            # pass had run by then), so each row is due `wait` after its own refusal.
            retry_at = [m.next_attempt_at for m in rows]
            earliest_retry = now + timedelta(seconds=wait)
            assert all(
                earliest_retry <= at < earliest_retry + timedelta(seconds=5) for at in retry_at
            ), retry_at
            due_again = max(retry_at)
            # Just before the first is due, nothing is claimed (attempts unchanged) nor posted.
            calls = len(slack.calls_to("chat.postMessage"))
            early = await passes.run(min(retry_at) - timedelta(milliseconds=1))
            assert (early.claimed, early.delivery.sent, early.delivery.retried) == (0, 0, 0)
            assert len(slack.calls_to("chat.postMessage")) == calls
            assert {m.attempts for m in await passes.rows()} == {attempt}
            now = due_again

    final = await passes.run(now)
    assert (final.delivery.sent, final.delivery.retried, final.delivery.failed) == (N, 0, 0)
    later = await passes.run(now + timedelta(minutes=10))
    assert later.delivery.sent == 0

    rows = await passes.rows()
    assert {(m.status, m.attempts, m.last_error) for m in rows} == {
        ("sent", failed_passes + 1, None)
    }
    calls = slack.calls_to("chat.postMessage")
    refused = [c for c in calls if c.answered_with != "ok"]
    assert len(refused) == failed_passes * N * CALLS_PER_FAILED_SEND[fault]
    if fault == "429":
        assert len(retry_sleeps) == 2 * N
        assert all(7 <= s < 8 for s in retry_sleeps), retry_sleeps  # Retry-After + jitter
    numbers = await passes.tally()
    numbers.extra = {"refused_calls": len(refused), "passes": passes.count}
    report("delivery_faults", fault, numbers)
    assert (numbers.messages, numbers.sent, numbers.duplicates, numbers.drops) == (N, N, 0, 0)


async def test_a_mix_of_faults_gets_everything_out_once_without_failing_a_row(
    app: RunningApp, slack: SlackStub, passes: Passes, retry_sleeps: list[float]
) -> None:
    """The same 35 messages against 140 failures cycling 429 (Retry-After 7), 500, dropped
    connection and 503, taken in whatever order the concurrent sends reach the stand-in:
    passes every 10 s send everything once within 10 minutes; a row is never failed, and
    every pending row that was tried carries its last error."""
    await thirty_five_due(app, slack)
    cycle = [RATE_LIMITED, SERVER_ERROR, DROPPED, {"status": 503}]
    script_failures(slack, [cycle[i % len(cycle)] for i in range(4 * N)])
    now = MONDAY_9_LA
    while now < MONDAY_9_LA + timedelta(minutes=10):
        await passes.run(now)
        rows = await passes.rows()
        assert "failed" not in {m.status for m in rows}
        pending = [m for m in rows if m.status == "pending"]
        assert all(m.last_error for m in pending if m.attempts > 0)
        if not pending:
            break
        now += timedelta(seconds=10)

    rows = await passes.rows()
    assert len(rows) == N
    assert {m.status for m in rows} == {"sent"}
    refused = [c for c in slack.calls_to("chat.postMessage") if c.answered_with != "ok"]
    assert Counter(c.answered_with for c in refused) == {
        "429": N,
        "500": N,
        "dropped": N,
        "503": N,
    }
    numbers = await passes.tally()
    numbers.extra = {
        "refused_calls": len(refused),
        "passes": passes.count,
        "max_attempts": max(m.attempts for m in rows),
    }
    report("delivery_faults", "mix", numbers)
    assert (numbers.messages, numbers.sent, numbers.duplicates, numbers.drops) == (N, N, 0, 0)


# ---- per-channel rate ---------------------------------------------------------------------------


def go_live(i: int, channel: str, *, marked_on: date = date(2026, 11, 25)) -> NewMessage:
    announcement = GoLive(
        application_id=i,
        application=f"App {i}",
        slug=f"app-{i}",
        channel=channel,
        marked_by="UALICE",
        marked_on=marked_on,
        step="3.4",
    )
    return announcement.for_outbox(
        dedupe_key=f"test-burst:{channel}:{i}", team_id="T0001", target=channel
    )


async def enqueue(app: RunningApp, messages: list[NewMessage], now: datetime) -> None:
    async with app.runtime.writes.begin() as session:
        assert len(await outbox.enqueue(session, messages, now)) == len(messages)


async def test_a_burst_to_one_channel_is_spread_a_second_apart_and_none_dropped(
    app: RunningApp, slack: SlackStub, passes: Passes, clock: FakeClock
) -> None:
    """Ten messages for #CPAY due in one pass: the pacer asks for nine waits of 1 s (the
    burst takes 9 s instead of being cut), all ten are sent in order, each once."""
    now = clock.now
    await enqueue(app, [go_live(i, "CPAY") for i in range(10)], now)

    result = await passes.run(now)

    assert result.delivery.sent == 10
    assert passes.pacer.slept == pytest.approx([1.0] * 9)
    posts = [c.args["text"] for c in slack.calls_to("chat.postMessage")]
    assert posts == [f"App {i} is live in production" for i in range(10)]
    numbers = await passes.tally()
    numbers.extra = {"pacer_waits": len(passes.pacer.slept), "waited_s": sum(passes.pacer.slept)}
    report("delivery_faults", "burst-one-channel", numbers)
    assert (numbers.messages, numbers.sent, numbers.duplicates, numbers.drops) == (10, 10, 0, 0)


async def test_one_message_to_each_of_ten_channels_waits_for_nothing(
    app: RunningApp, slack: SlackStub, passes: Passes, clock: FakeClock
) -> None:
    now = clock.now
    channels = [f"CSPREAD{i}" for i in range(10)]
    await enqueue(app, [go_live(i, c) for i, c in enumerate(channels)], now)

    result = await passes.run(now)

    assert result.delivery.sent == 10
    assert passes.pacer.slept == []
    assert sorted(c.args["channel"] for c in slack.calls_to("chat.postMessage")) == channels
    numbers = await passes.tally()
    report("delivery_faults", "ten-channels", numbers)
    assert (numbers.messages, numbers.sent, numbers.duplicates, numbers.drops) == (10, 10, 0, 0)


def post_times(slack: SlackStub) -> list[tuple[str, float]]:
    """From now on, (channel, monotonic time) of every chat.postMessage the stand-in takes."""
    times: list[tuple[str, float]] = []
    post = slack._dispatch["chat.postMessage"]

    def timed(args: dict[str, Any], token: str | None) -> dict[str, Any]:
        answer = post(args, token)
        if answer.get("ok"):
            times.append((args["channel"], time.monotonic()))
        return answer

    slack._dispatch["chat.postMessage"] = timed
    return times


async def test_a_kick_during_a_paced_burst_keeps_one_second_between_messages(
    app: RunningApp, slack: SlackStub, clock: FakeClock
) -> None:
    """Real time, with a 0.5 s pacing interval to keep it short. A pass is sending three
    messages to #CPAY (paced 0.5 s apart); right after the first, a mark's kick delivers a
    fourth to #CPAY in the same process (the same Deliverer and pacer, as in `serve`). Every
    two posts to #CPAY must still be at least the interval apart."""
    interval = 0.5
    client = build_client(app.settings, app.runtime.http_session())
    runner = PassRunner.create(app.runtime, single_workspace(client))
    runner.deliverer.pacer = ChannelPacer(interval=interval)
    times = post_times(slack)
    now = clock.now
    await enqueue(app, [go_live(i, "CPAY") for i in range(3)], now)

    burst = asyncio.create_task(runner.deliverer.deliver_due(now))
    await slack.wait_for("chat.postMessage", 1)
    await enqueue(app, [go_live(3, "CPAY")], now)
    kick = await runner.deliverer.deliver_due(now)
    first = await burst

    assert first.sent + kick.sent == 4
    moments = sorted(t for channel, t in times if channel == "CPAY")
    gaps = [round(b - a, 3) for a, b in itertools.pairwise(moments)]
    print(f"\n[delivery_faults] gaps between posts to #CPAY: {gaps} (interval {interval})")
    assert min(gaps) >= interval * 0.9, gaps


# ---- long passes: slack_sdk's own 429 waits inside one claim -------------------------------


@dataclass
class SimulatedTime:
    """Seconds slept so far by one sender (its pacer and slack_sdk's retry waits), never
    really slept; `when(after, then)` runs `then` once the total first reaches `after`."""

    elapsed: float = 0.0
    _hook: tuple[float, Callable[[], Awaitable[Any]]] | None = None

    def monotonic(self) -> float:
        return self.elapsed

    async def sleep(self, seconds: float) -> None:
        self.elapsed += seconds
        if self._hook is not None and self.elapsed >= self._hook[0]:
            _, then = self._hook
            self._hook = None
            await then()

    def when(self, after: timedelta, then: Callable[[], Awaitable[Any]]) -> None:
        self._hook = (after.total_seconds(), then)


def simulated_sender(
    app: RunningApp, monkeypatch: pytest.MonkeyPatch
) -> tuple[PassRunner, SimulatedTime]:
    """A PassRunner as `serve` makes one, whose waits (pacer, slack_sdk's 429 retries) take
    simulated time."""
    sim = SimulatedTime()
    fake_asyncio = SimpleNamespace(sleep=sim.sleep)
    monkeypatch.setattr(async_handler, "asyncio", fake_asyncio)
    monkeypatch.setattr(builtin_async_handlers, "asyncio", fake_asyncio)
    runner = PassRunner.create(
        app.runtime, single_workspace(build_client(app.settings, app.runtime.http_session()))
    )
    runner.deliverer.pacer = ChannelPacer(sleep=sim.sleep, clock=sim.monotonic)
    runner.deliverer.monotonic = sim.monotonic
    return runner, sim


async def test_a_lease_that_runs_out_while_its_sender_still_works_sends_nothing_twice(
    app: RunningApp, slack: SlackStub, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Four go-lives for #CPAY claimed by replica A's pass at T; Slack answers 429 with
    Retry-After 60 seven times: slack_sdk waits 2 × 60 s per message inside A's pass, so A
    is still on the third message at T + 5 min, when replica B's pass claims the rows whose
    lease ran out and sends them. A must not post them again when its wait ends."""
    now = clock.now
    await enqueue(app, [go_live(i, "CPAY") for i in range(4)], now)
    slack.fail("chat.postMessage", retry_after=60, times=7)
    replica_a, sim = simulated_sender(app, monkeypatch)
    runtime_b = await open_runtime(app.settings)
    try:
        replica_b, _ = make_runner(runtime_b, app.settings, clock)
        b_passes = []

        async def pass_of_b() -> None:
            b_passes.append(await replica_b.run_pass(now + timedelta(seconds=sim.elapsed)))

        sim.when(LEASE, pass_of_b)
        a_pass = await replica_a.run_pass(now)
    finally:
        await runtime_b.close()

    assert len(b_passes) == 1, "A's pass never outlasted its lease"
    rows = [(m.status, m.kind, m.target, m.payload) for m in await rows_of(app)]
    numbers = tally(rows, stand_in_posts(slack))
    numbers.extra = {
        "a_sent": a_pass.delivery.sent,
        "b_sent": b_passes[0].delivery.sent,
        "a_pass_lasted_s": round(sim.elapsed),
    }
    report("delivery_faults", "lease-expires-during-429-waits", numbers)
    assert (numbers.messages, numbers.sent, numbers.duplicates, numbers.drops) == (4, 4, 0, 0)


async def test_retry_after_counts_from_when_slack_said_it(
    app: RunningApp, slack: SlackStub, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two messages for #CPAY; Slack answers 429 Retry-After 60 six times. slack_sdk waits
    60 s twice for each, so the second one's last 429 comes 4 minutes into the pass: it must
    not be due again before 5 minutes after the pass started (it is due after 1 minute)."""
    now = clock.now
    await enqueue(app, [go_live(i, "CPAY") for i in range(2)], now)
    slack.fail("chat.postMessage", retry_after=60, times=6)
    replica, sim = simulated_sender(app, monkeypatch)

    result = await replica.run_pass(now)

    assert (result.delivery.sent, result.delivery.retried) == (0, 2)
    assert sim.elapsed >= 240
    first, second = await rows_of(app)
    assert first.next_attempt_at >= now + timedelta(seconds=120 + 60)
    assert second.next_attempt_at >= now + timedelta(seconds=240 + 60), second.next_attempt_at


async def rows_of(app: RunningApp) -> list[OutboxMessage]:
    async with app.runtime.sessions() as session:
        return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


# ---- SIGKILL between commit and send (a real process) ------------------------------------


class Hang:
    """Make the stand-in hold calls to some methods without answering, until released.

    A held call is not recorded as a call (and never reaches the method), so whatever a
    killed process was sending never counts as delivered."""

    def __init__(self, slack: SlackStub) -> None:
        self.slack = slack
        self.methods: set[str] = set()
        self.held: list[str] = []
        self._released = threading.Event()
        self._answer = slack._answer

        async def answer(request: web.Request, method: str, *args: Any) -> web.StreamResponse:
            if method in self.methods:
                self.held.append(method)
                await asyncio.to_thread(self._released.wait, 60)
                return web.json_response({"ok": False, "error": "held"}, status=503)
            return await self._answer(request, method, *args)

        slack._answer = answer  # type: ignore[method-assign]

    def hold(self, method: str) -> None:
        self.methods.add(method)

    def wait_held(self, method: str, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while method not in self.held:
            assert time.monotonic() < deadline, f"no {method} call was held"
            time.sleep(0.01)

    def release(self) -> None:
        self.methods.clear()
        self._released.set()


@pytest.fixture
def hang(slack: SlackStub) -> Iterator[Hang]:
    h = Hang(slack)
    try:
        yield h
    finally:
        h.release()


def clear_failures(slack: SlackStub) -> None:
    with slack._lock:
        slack._failures.clear()


def tick(slack: SlackStub, data_dir: Path, cwd: Path, now: datetime) -> str:
    """`onboard-bot tick --now …` on the bot's data directory; returns its one line."""
    env = clean_environment() | {
        "SLACK_BOT_TOKEN": slack.bot_token,
        "SLACK_API_URL": slack.api_url,
        "ONBOARD_DATA_DIR": str(data_dir),
    }
    done = subprocess.run(
        [sys.executable, "-m", "bot", "tick", "--now", now.isoformat()],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done
    return done.stdout.strip()


def outbox_rows(db: Path) -> list[tuple[Any, ...]]:
    return query(
        db,
        "SELECT status, kind, target, payload, attempts, last_error, claimed_until, created_at "
        "FROM outbox ORDER BY id",
    )


def go_live_posts(slack: SlackStub) -> int:
    return stand_in_posts(slack)[("CPAY", "Acme POS is live in production")]


def wait_for(condition, what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def sigkill(bot: BotProcess) -> None:
    bot.process.send_signal(signal.SIGKILL)
    assert bot.process.wait(timeout=STOP_DEADLINE) == -signal.SIGKILL


def db_time(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize("moment", ["before-claim", "mid-send", "after-failed-send"])
def test_sigkill_between_commit_and_send_loses_nothing_and_sends_once(
    tmp_path: Path, slack: SlackStub, hang: Hang, moment: str
) -> None:
    """`mark 3.4` is acknowledged with its go-live already in the outbox (committed with the
    mark, before any pass); the process is SIGKILLed before the post reached Slack:

    - before-claim: the follow-up after the ack hangs (chat.update of the checklist) before
      the kick; the row is pending, never tried. A new process's start-up pass sends it.
    - mid-send: chat.postMessage hangs; the row is claimed (sending, 5 min lease). A tick
      inside the lease sends nothing; a tick after it sends it.
    - after-failed-send: every chat.postMessage drops the connection; the row is pending with
      the error and a 30 s backoff. Once Slack is back, a tick after the backoff sends it.

    Every way, the go-live reaches the stand-in exactly once."""
    data_dir = tmp_path / "data"
    db = data_dir / "onboard.db"
    bot = start_bot(tmp_path / "first", slack, data_dir=data_dir)
    try:
        bot.ok_command("new Acme POS", slack=slack)
        if moment == "before-claim":
            bot.ok_command("status", slack=slack)  # a checklist for the mark to redraw
            wait_for(
                lambda: query(db, "SELECT checklist_ts FROM applications")[0][0] is not None,
                "the checklist posted",
            )
            hang.hold("chat.update")
        elif moment == "mid-send":
            hang.hold("chat.postMessage")
        else:
            slack.fail("chat.postMessage", drop_connection=True, times=100)

        before = datetime.now(UTC)
        answer = bot.ok_command("mark 3.4 --force", slack=slack)
        assert "Marked done: 3.4" in answer["text"]

        # Right after the ack: the row is there, written with the mark (same `now`).
        ((status, kind, target, _payload, _attempts, _err, _until, created),) = outbox_rows(db)
        ((marked_at,),) = query(db, "SELECT created_at FROM events WHERE kind = 'marked'")
        assert (kind, target) == (GoLive.KIND, "CPAY")
        assert created == marked_at
        assert before - timedelta(seconds=1) <= db_time(created) <= datetime.now(UTC)
        assert status in ("pending", "sending")

        if moment == "before-claim":
            hang.wait_held("chat.update")
            assert outbox_rows(db)[0][:1] + outbox_rows(db)[0][4:6] == ("pending", 0, None)
        elif moment == "mid-send":
            hang.wait_held("chat.postMessage")
            (row,) = outbox_rows(db)
            assert (row[0], row[4]) == ("sending", 1)
            assert db_time(row[6]) >= db_time(created) + LEASE
        else:
            wait_for(lambda: outbox_rows(db)[0][5] is not None, "the failed send recorded")
            (row,) = outbox_rows(db)
            assert (row[0], row[4], row[5]) == ("pending", 1, "ServerDisconnectedError")
        sigkill(bot)
    finally:
        if bot.process.poll() is None:
            bot.process.kill()
            bot.process.wait(timeout=STOP_DEADLINE)

    assert go_live_posts(slack) == 0
    hang.release()
    clear_failures(slack)
    killed_at = datetime.now(UTC)

    lines = []
    if moment == "before-claim":
        # The dead process's own minute pass may have claimed the row just before the kill
        # (a slow machine); then it is not lost either, only held until its lease runs out.
        held_by_the_dead = outbox_rows(db)[0][0] == "sending"
        with running_bot(tmp_path / "second", slack, data_dir=data_dir):
            if not held_by_the_dead:
                wait_for(lambda: go_live_posts(slack) == 1, "the restarted bot's pass")
                # Stopping it between Slack's answer and its record would leave the row
                # claimed; this test is about the first process's death, not this one's.
                wait_for(lambda: outbox_rows(db)[0][0] == "sent", "the post recorded")
        if held_by_the_dead:
            lines.append(tick(slack, data_dir, tmp_path, killed_at + LEASE + timedelta(minutes=1)))
        lines.append(tick(slack, data_dir, tmp_path, killed_at + timedelta(minutes=1)))
    elif moment == "mid-send":
        lines.append(tick(slack, data_dir, tmp_path, killed_at + timedelta(minutes=1)))
        assert go_live_posts(slack) == 0, "sent while the dead process still held the lease"
        lines.append(tick(slack, data_dir, tmp_path, killed_at + LEASE + timedelta(minutes=1)))
        lines.append(tick(slack, data_dir, tmp_path, killed_at + LEASE + timedelta(minutes=2)))
    else:
        lines.append(tick(slack, data_dir, tmp_path, killed_at + timedelta(minutes=1)))
        lines.append(tick(slack, data_dir, tmp_path, killed_at + timedelta(minutes=2)))

    sent_by_ticks = [int(re.search(r"; sent (\d+),", line)[1]) for line in lines]  # type: ignore[index]
    expected_ticks = {"before-claim": [0], "mid-send": [0, 1, 0], "after-failed-send": [1, 0]}
    assert sent_by_ticks == expected_ticks[moment], lines
    rows = outbox_rows(db)
    assert [(r[0], r[1]) for r in rows] == [("sent", GoLive.KIND)]
    assert go_live_posts(slack) == 1
    numbers = tally([(r[0], r[1], r[2], json.loads(r[3])) for r in rows], stand_in_posts(slack))
    numbers.extra = {"attempts": rows[0][4]}
    report("sigkill", moment, numbers)
    assert (numbers.messages, numbers.sent, numbers.duplicates, numbers.drops) == (1, 1, 0, 0)
