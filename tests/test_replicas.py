"""Two `onboard-bot run` replicas on one PostgreSQL database, as behind a load balancer.

Both are real processes (HTTP on their own ports, their own data directories, one
DATABASE_URL, one ONBOARD_ENCRYPTION_KEYS) talking to one Slack stand-in. Commands, clicks and
events are spread over both, some at the same moment; then passes run in two `onboard-bot tick`
processes at once (the same code each replica's APScheduler runs every minute, given a `now`
when reminders and digests are due). Every change must land once, and every outbox message be
posted once: the numbers (sent, duplicates, drops) are printed and, when ONBOARD_FAULT_REPORT
names a file, appended to it as JSON lines (see tests/test_delivery_faults.py).
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import create_engine, text

from bot.blocks.checklist import TOGGLE_STEP
from bot.outbox_messages import Digest, GoLive, Reminders
from tests.harness import (
    block_actions_body,
    event_body,
    find_element,
    signed_headers,
)
from tests.slack_stub import SlackStub
from tests.test_delivery_faults import post_times, report, stand_in_posts, tally
from tests.test_process import (
    STOP_DEADLINE,
    BotProcess,
    _kill,
    clean_environment,
    start_bot,
)

TICK_TIMEOUT = 60.0


# ---- two replicas ----------------------------------------------------------------------------


@dataclass
class Replicas:
    a: BotProcess
    b: BotProcess
    env: dict[str, str]  # DATABASE_URL and ONBOARD_ENCRYPTION_KEYS, as both have them
    slack: SlackStub
    workdir: Path
    requests: int = 0  # commands, clicks and events sent to either replica

    async def command(
        self, bot: BotProcess, text: str, *, user: str = "UALICE", channel: str = "CPAY"
    ) -> str:
        """`/onboard <text>` through one replica; it must be acknowledged (HTTP 200)."""
        self.requests += 1
        status, answer = await asyncio.to_thread(
            bot.command, text, slack=self.slack, user=user, channel=channel
        )
        assert status == 200, f"/onboard {text} answered {status}: {answer!r}\n{bot.log()}"
        assert isinstance(answer, dict), answer
        return answer.get("text", "")

    async def post(self, bot: BotProcess, body: str, headers: dict[str, str]) -> int:
        self.requests += 1
        status, answer = await asyncio.to_thread(bot.post_events, body, headers)
        assert status == 200, f"answered {status}: {answer!r}\n{bot.log()}"
        return status

    def ticks_at_once(self, now: datetime, count: int = 2) -> list[str]:
        """`onboard-bot tick --now <now>` in `count` processes started together."""
        env = (
            clean_environment()
            | self.env
            | {
                "SLACK_BOT_TOKEN": self.slack.bot_token,
                "SLACK_API_URL": self.slack.api_url,
            }
        )
        processes = [
            subprocess.Popen(
                [sys.executable, "-m", "bot", "tick", "--now", now.isoformat()],
                cwd=self.workdir,
                env=env | {"ONBOARD_DATA_DIR": str(self.workdir / f"tick-{i}")},
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for i in range(count)
        ]
        lines = []
        for process in processes:
            out, err = process.communicate(timeout=TICK_TIMEOUT)
            assert process.returncode == 0, f"tick exited {process.returncode}:\n{out}\n{err}"
            lines.append(out.strip())
        return lines


def start_together(
    workdir: Path, slack: SlackStub, env: dict[str, str]
) -> tuple[BotProcess, BotProcess]:
    """Start replicas a and b at the same moment (own port and data directory each)."""
    with ThreadPoolExecutor(2) as pool:
        futures = [
            pool.submit(
                start_bot, workdir / name, slack, data_dir=workdir / f"data-{name}", extra_env=env
            )
            for name in ("a", "b")
        ]
    started = [f.result() for f in futures if f.exception() is None]
    if len(started) < 2:
        for bot in started:
            _kill(bot.process)
        raise next(f.exception() for f in futures if f.exception() is not None)  # type: ignore[misc]
    return started[0], started[1]


@pytest.fixture
def replicas(tmp_path: Path, slack: SlackStub, postgres_url: str) -> Iterator[Replicas]:
    env = {"DATABASE_URL": postgres_url, "ONBOARD_ENCRYPTION_KEYS": Fernet.generate_key().decode()}
    a, b = start_together(tmp_path, slack, env)
    try:
        yield Replicas(a, b, env, slack, tmp_path)
    finally:
        _kill(a.process)
        _kill(b.process)


def pg(url: str, sql: str) -> list[tuple[Any, ...]]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(sql))]
    finally:
        engine.dispose()


def next_monday_morning_in_la(after: datetime) -> datetime:
    """17:30 UTC (09:30 or 10:30 in Los Angeles, where the stand-in's users live) on the
    first Monday at least six days after `after`: at least three working days later."""
    day = (after + timedelta(days=6)).date()
    day += timedelta(days=(7 - day.weekday()) % 7)
    return datetime(day.year, day.month, day.day, 17, 30, tzinfo=UTC)


def sent_in(lines: list[str]) -> list[tuple[int, int]]:
    """(newly claimed, sent) from each tick's line."""
    found = []
    for line in lines:
        claimed = int(line.split(", ")[1].split(" of them new;")[0])
        sent = int(line.split("; sent ")[1].split(",")[0])
        found.append((claimed, sent))
    return found


def wait_until(condition, what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def click_body(slack: SlackStub, channel: str, step: str, *, user: str) -> str:
    """Clicking the mark button of `step` on the checklist message the stand-in holds."""
    ((ts, held),) = slack.messages[channel].items()
    message = dict(held, ts=ts, type="message")
    value = next(
        e["value"]
        for b in message["blocks"]
        for e in [*(b.get("elements") or []), b.get("accessory") or {}]
        if e.get("action_id") == TOGGLE_STEP and e.get("value", "").endswith(f"|{step}|mark")
    )
    block, element = find_element(message, TOGGLE_STEP, value)
    action = {
        "action_id": TOGGLE_STEP,
        "block_id": block["block_id"],
        "type": "button",
        "text": element["text"],
        "value": value,
        "action_ts": f"{time.time():.6f}",
    }
    return block_actions_body(
        user_id=user,
        action=action,
        container={"type": "message", "message_ts": ts, "channel_id": channel},
        message=message,
        response_url=slack.response_url(f"click-{step}"),
    )


class Rendezvous:
    """Hold the stand-in's answers to `method` until `count` calls wait, then answer them all
    (and every later one) normally: processes that each make such a call in their pass run
    the rest of it at the same moment."""

    def __init__(self, slack: SlackStub, method: str, count: int, timeout: float = 15.0) -> None:
        self.count = count
        self.waiting = 0
        self.met = threading.Event()
        answer = slack._answer

        async def held(request: Any, called: str, *args: Any) -> Any:
            if called == method and not self.met.is_set():
                self.waiting += 1  # the stand-in's one loop thread: no race
                if self.waiting >= count:
                    self.met.set()
                await asyncio.to_thread(self.met.wait, timeout)
            return await answer(request, called, *args)

        slack._answer = held  # type: ignore[method-assign]
        self._restore = lambda: setattr(slack, "_answer", answer)

    def close(self) -> None:
        self.met.set()
        self._restore()


RETRY = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
THROUGH_3_3 = "mark 1 2 3.1 3.2 3.3"


# ---- tests ---------------------------------------------------------------------------------------


async def test_two_replicas_apply_each_change_once_and_send_each_message_once(
    replicas: Replicas, slack: SlackStub, postgres_url: str
) -> None:
    """Acme POS (#CPAY, UALICE), Beta Kiosk (#COTHER, UCAROL) and Gamma Store (#CGO, UALICE),
    driven through both replicas, several requests at the same moment: marks of different
    steps, the same step marked on both, a click and Slack's retry of it sent to the other
    replica, an App Home event and its retry likewise, and go-live (3.4) marked on A while B
    runs, and on both at once. Then two ticks at once on a Monday morning in Los Angeles, and
    two more on Tuesday. Every change is one event; every outbox row one post."""
    a, b = replicas.a, replicas.b
    cmd = replicas.command
    slack.add_user("UERIN")
    slack.channel_members["CGO"] = ["UALICE", "UERIN", "UBOT"]

    await asyncio.gather(
        cmd(a, "new Acme POS"),
        cmd(b, "new Beta Kiosk", user="UCAROL", channel="COTHER"),
        cmd(a, "new Gamma Store", channel="CGO"),
    )
    await asyncio.gather(
        cmd(a, "mark 1.1"),
        cmd(b, "mark 1.2", user="UBOB"),
        cmd(b, THROUGH_3_3, user="UCAROL", channel="COTHER"),
        cmd(a, THROUGH_3_3, channel="CGO"),
    )
    same_step = await asyncio.gather(cmd(a, "mark 1.3"), cmd(b, "mark 1.3", user="UBOB"))
    assert sum("Marked done: 1.3" in t for t in same_step) == 1, same_step
    await asyncio.gather(
        cmd(b, "mark 1.4", user="UBOB"), cmd(a, "assign 1.5 <@UBOB|bob>", user="UBOB")
    )
    await cmd(b, "due 1.5 tomorrow", user="UBOB")
    # People take their own steps: no assignment DMs join the messages counted below.
    await cmd(a, "assign 3.5 <@UERIN|erin>", user="UERIN", channel="CGO")
    await asyncio.gather(
        cmd(b, "digest daily 09:00"),
        cmd(a, "digest daily 09:00", user="UCAROL", channel="COTHER"),
        cmd(b, "digest weekly mon 09:00", channel="CGO"),
    )

    # Clicks: the checklist posted through A, two buttons clicked at once through A and B, and
    # Slack's retry of the first click (same payload) landing on B.
    await cmd(a, "status")
    wait_until(lambda: len(slack.messages.get("CPAY", {})) == 1, "the checklist")
    first = click_body(slack, "CPAY", "2.1", user="UALICE")
    second = click_body(slack, "CPAY", "2.2", user="UBOB")
    await asyncio.gather(
        replicas.post(a, first, signed_headers(first)),
        replicas.post(b, second, signed_headers(second)),
        replicas.post(b, first, signed_headers(first) | RETRY),
    )
    # An App Home event and Slack's retry of it, to both replicas at once: one views.publish.
    publishes = len(slack.calls_to("views.publish"))
    home = event_body({"type": "app_home_opened", "user": "UERIN", "channel": "D1", "tab": "home"})
    headers = signed_headers(home) | {"Content-Type": "application/json"}
    await asyncio.gather(replicas.post(a, home, headers), replicas.post(b, home, headers | RETRY))

    # Go-live: on A while B runs; then Beta's on both at once.
    await cmd(a, "mark 3.4 --force", channel="CGO")
    go_live = ("CGO", "Gamma Store is live in production")
    wait_until(lambda: stand_in_posts(slack)[go_live] == 1, "Gamma's go-live")
    both = await asyncio.gather(
        cmd(a, "mark 3.4 --force", user="UCAROL", channel="COTHER"),
        cmd(b, "mark 3.4 --force", user="UCAROL", channel="COTHER"),
    )
    assert sum("Marked done: 3.4" in t for t in both) == 1, both
    beta_live = ("COTHER", "Beta Kiosk is live in production")
    wait_until(lambda: stand_in_posts(slack)[beta_live] == 1, "Beta's go-live")
    wait_until(lambda: len(slack.calls_to("views.publish")) > publishes, "the Home")
    await asyncio.sleep(0.3)  # room for a second publish, which must not come
    assert len(slack.calls_to("views.publish")) == publishes + 1

    # Every change landed once: the history is exactly what was asked, nothing twice.
    events = pg(
        postgres_url,
        "SELECT a.slug, e.kind, e.step FROM events e JOIN applications a "
        "ON a.id = e.application_id ORDER BY e.id",
    )
    phase_1_to_3_3 = [f"1.{i}" for i in range(1, 6)] + [f"2.{i}" for i in range(1, 6)]
    phase_1_to_3_3 += ["3.1", "3.2", "3.3"]
    expected_events = Counter(
        [("acme-pos", "created", None)]
        + [("acme-pos", "marked", s) for s in ("1.1", "1.2", "1.3", "1.4", "2.1", "2.2")]
        + [("acme-pos", "assigned", "1.5"), ("acme-pos", "due", "1.5")]
        + [("beta-kiosk", "created", None)]
        + [("beta-kiosk", "marked", s) for s in [*phase_1_to_3_3, "3.4"]]
        + [("beta-kiosk", "announced", "3.4")]
        + [("gamma-store", "created", None), ("gamma-store", "assigned", "3.5")]
        + [("gamma-store", "marked", s) for s in [*phase_1_to_3_3, "3.4"]]
        + [("gamma-store", "announced", "3.4")]
    )
    assert Counter(events) == expected_events
    duplicates_of_changes = len(events) - len(set(events))
    assert duplicates_of_changes == 0
    assert len(set(events)) == len(expected_events)

    # Passes: two ticks at once when reminders and digests are due, twice.
    # Each tick asks Slack for the three recipients' time zones (users.info) before it plans
    # and claims: the stand-in answers none until all six questions are in, so both ticks
    # plan, enqueue, claim and send at the same moment.
    monday = next_monday_morning_in_la(datetime.now(UTC))
    ticks = []
    for now in (monday, monday + timedelta(days=1)):
        rendezvous = Rendezvous(slack, "users.info", count=6)
        try:
            lines = replicas.ticks_at_once(now)
        finally:
            rendezvous.close()
        assert rendezvous.waiting == 6, "the two ticks did not meet"
        print(f"\n[replicas] ticks at {now.isoformat()}: {lines}")
        ticks.append(sent_in(lines))
    on_monday, on_tuesday = ticks
    # Claimed and sent across both ticks: 3 reminders (UBOB: Acme 1.5, UCAROL: Beta 3.5, UERIN:
    # Gamma 3.5) and 3 digests on Monday (CGO's weekly one too), 3 + 2 on Tuesday.
    assert [sum(c for c, _ in on_monday), sum(s for _, s in on_monday)] == [6, 6], on_monday
    assert [sum(c for c, _ in on_tuesday), sum(s for _, s in on_tuesday)] == [5, 5], on_tuesday

    rows = pg(postgres_url, "SELECT status, kind, target, payload FROM outbox ORDER BY id")
    assert Counter(r[1] for r in rows) == {Reminders.KIND: 6, Digest.KIND: 5, GoLive.KIND: 2}
    assert {r[0] for r in rows} == {"sent"}
    payloads = [(s, k, t, p if isinstance(p, dict) else json.loads(p)) for s, k, t, p in rows]
    numbers = tally(payloads, stand_in_posts(slack))
    numbers.extra = {
        "requests": replicas.requests,
        "events": len(events),
        "duplicate_events": duplicates_of_changes,
        "ticks": len(on_monday) + len(on_tuesday),
    }
    report("replicas", "two-replicas-postgresql", numbers)
    assert (numbers.messages, numbers.sent, numbers.duplicates, numbers.drops) == (13, 13, 0, 0)
    assert a.process.poll() is None and b.process.poll() is None


async def test_one_replica_keeps_a_second_between_its_own_posts_to_a_channel(
    replicas: Replicas, slack: SlackStub
) -> None:
    """Two go-lives for #CPAY marked one after the other through the same replica: its pacer
    holds the second until a second after the first."""
    times = post_times(slack)
    a = replicas.a
    await replicas.command(a, "new One")
    await replicas.command(a, "new Two --another")
    await replicas.command(a, "mark 3.4 --force --app one")
    wait_until(lambda: len(times) == 1, "One's go-live")
    await replicas.command(a, "mark 3.4 --force --app two")
    wait_until(lambda: len(times) == 2, "Two's go-live")

    gap = times[1][1] - times[0][1]
    print(f"\n[replicas] one replica: {gap:.3f} s between two posts to #CPAY")
    assert gap >= 0.95


async def test_two_replicas_keep_a_second_between_posts_to_a_channel(
    replicas: Replicas, slack: SlackStub
) -> None:
    """Two go-lives for #CPAY: the first marked through A, the second through B right after
    A posted the first. The channel must still get at most one message a second."""
    times = post_times(slack)
    a, b = replicas.a, replicas.b
    await replicas.command(a, "new One")
    await replicas.command(b, "new Two --another")
    await replicas.command(a, "mark 3.4 --force --app one")
    wait_until(lambda: len(times) == 1, "One's go-live")
    await replicas.command(b, "mark 3.4 --force --app two")
    wait_until(lambda: len(times) == 2, "Two's go-live")

    gap = times[1][1] - times[0][1]
    print(f"\n[replicas] two replicas: {gap:.3f} s between two posts to #CPAY")
    assert gap >= 0.95


def test_a_replica_with_its_own_generated_key_refuses_to_start(
    tmp_path: Path, slack: SlackStub, postgres_url: str
) -> None:
    """Without ONBOARD_ENCRYPTION_KEYS each replica makes a key in its own data directory: the
    first one's key guards the database, the second's cannot read it, so the second stops at
    start with one line naming the setting, and the first keeps serving. Given the first's
    key, the second starts."""
    env = {"DATABASE_URL": postgres_url}
    first = start_bot(tmp_path / "a", slack, data_dir=tmp_path / "data-a", extra_env=env)
    try:
        second = subprocess.run(
            [sys.executable, "-m", "bot", "run"],
            cwd=tmp_path,
            env=clean_environment()
            | env
            | {
                "SLACK_BOT_TOKEN": slack.bot_token,
                "SLACK_SIGNING_SECRET": "s",
                "SLACK_API_URL": slack.api_url,
                "ONBOARD_DATA_DIR": str(tmp_path / "data-b"),
                "HOST": "127.0.0.1",
                "PORT": "0",
            },
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=STOP_DEADLINE * 3,
            check=False,
        )
        assert second.returncode != 0
        errors = [line for line in second.stderr.splitlines() if "ONBOARD_ENCRYPTION_KEYS" in line]
        assert errors and "cannot decrypt" in errors[-1], second.stderr
        assert (tmp_path / "data-b" / "encryption.key").exists()
        assert first.get("/healthz") == (200, {"status": "ok"})

        key = (tmp_path / "data-a" / "encryption.key").read_text().strip()
        third = start_bot(
            tmp_path / "c",
            slack,
            data_dir=tmp_path / "data-c",
            extra_env=env | {"ONBOARD_ENCRYPTION_KEYS": key},
        )
        _kill(third.process)
    finally:
        _kill(first.process)
