"""A scheduler pass over many applications, and a digest pass over many channels.

The database is filled directly (Core inserts), then one real pass runs against the Web API
stand-in. Queries are counted with SQLAlchemy's cursor events, at two sizes, to show the count
does not grow with the number of applications.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

from sqlalchemy import (
    String,
    and_,
    case,
    cast,
    create_engine,
    event,
    insert,
    literal,
    null,
    select,
    text,
    true,
    union_all,
)
from sqlalchemy.engine import make_url

from bot.app import build_client
from bot.checklists import get_template
from bot.config import Settings
from bot.delivery import ChannelPacer, Deliverer, DeliveryReport
from bot.runtime import Runtime
from bot.scheduler import PassRunner, single_workspace
from bot.server import open_runtime
from storage.models import Application, DigestSchedule, StepState, UTCDateTime
from tests.slack_stub import SlackStub

# Monday 2026-11-30 17:00 UTC: 09:00 in Los Angeles, where the stand-in's users live.
NOW = datetime(2026, 11, 30, 17, 0, tzinfo=UTC)
T = TypeVar("T")
# A PostgreSQL server the bench may create (and drop) a scratch database on; unset: the
# PostgreSQL rows are skipped.
POSTGRES_URL_VARIABLE = "ONBOARD_BENCH_POSTGRES_URL"
# A stalled application's assignee is U<USER_BASE + its id>, a user the stand-in knows.
USER_BASE = 1_000_000


@dataclass
class PassResult:
    applications: int
    seconds: float
    planning_seconds: float  # from the start of the pass until delivery begins
    planning_queries: int  # finding and claiming what is due (each page sent counts)
    # The same statements, an executemany counted once however many pages SQLAlchemy sends
    # it in (insertmanyvalues: the outbox INSERT … RETURNING goes 1,000 rows a page).
    planning_statements: int
    delivery_queries: int  # sending it: claims, pacing slots, results
    sent: int


async def _fill(runtime, applications: int, stalled_every: int, channels: int | None) -> None:
    """`applications` applications; every `stalled_every`-th has its step 1.1 stalled for a
    week with its own assignee; with `channels`, spread over that many channels, each with a
    daily digest due. The step rows (19 an application) are made by the database itself, one
    INSERT … SELECT over the applications and the template's steps, so 100,000 applications
    (1.9 M rows) take seconds, not minutes."""
    template = get_template()
    recent, old = NOW - timedelta(hours=1), NOW - timedelta(days=7)
    async with runtime.writes.begin() as session:
        rows = [
            {
                "team_id": "T0001",
                "slug": f"app-{i}",
                "name": f"App {i}",
                "channel_id": f"C{i % channels if channels else i}",
                "owner_id": "UOWNER",
                "template_key": template.key,
                "template_version": template.version,
                "created_at": old,
            }
            for i in range(applications)
        ]
        for start in range(0, len(rows), 5000):
            await session.execute(insert(Application), rows[start : start + 5000])
    async with runtime.writes.begin() as session:
        # The template's steps as rows (SQLite has no VALUES with column names).
        steps = union_all(
            *(
                select(literal(step.number).label("step"), literal(position).label("position"))
                for position, step in enumerate(template.steps)
            )
        ).subquery("template_steps")
        a = Application.__table__.c
        stalled = (a.id % stalled_every) == 0
        assignee = "U" + cast(a.id + USER_BASE, String)
        stamp = UTCDateTime()
        await session.execute(
            insert(StepState).from_select(
                ["application_id", "step", "position", "assignee_id", "changed_at"],
                select(
                    a.id,
                    steps.c.step,
                    steps.c.position,
                    case((and_(stalled, steps.c.position == 0), assignee), else_=null()),
                    case((stalled, literal(old, stamp)), else_=literal(recent, stamp)),
                ).select_from(Application.__table__.join(steps, true())),
            )
        )
        if channels:
            await session.execute(
                insert(DigestSchedule),
                [
                    {
                        "team_id": "T0001",
                        "channel_id": f"C{c}",
                        "cadence": "daily",
                        "at_time": "08:00",
                        "timezone": "America/Los_Angeles",
                        "set_by": "UOWNER",
                        "effective_from": old,
                    }
                    for c in range(channels)
                ],
            )
        if runtime.engine.dialect.name == "postgresql":
            # The statistics autovacuum would gather by itself, a little later.
            await session.execute(text("ANALYZE"))


@contextmanager
def scratch_postgres(server_url: str) -> Iterator[str]:
    """A fresh PostgreSQL database on the server `server_url` names (one the bench may
    create databases on, like the tests' ONBOARD_TEST_POSTGRES_URL), dropped afterwards."""
    admin_url = make_url(server_url).set(drivername="postgresql+psycopg")
    name = f"onboard_bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield admin_url.set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def postgres_server() -> str | None:
    """Where PostgreSQL rows run (ONBOARD_BENCH_POSTGRES_URL); None: they are skipped."""
    return os.environ.get(POSTGRES_URL_VARIABLE) or None


@asynccontextmanager
async def _runtime(
    slack: SlackStub, data_dir: Path, database_url: str | None
) -> AsyncIterator[tuple[Runtime, Settings]]:
    settings = Settings(
        slack_bot_token=slack.bot_token,
        slack_signing_secret="bench",
        slack_api_url=slack.api_url,
        onboard_data_dir=data_dir,
        database_url=database_url,
        _env_file=None,  # type: ignore[call-arg]
    )
    runtime = await open_runtime(settings)
    try:
        yield runtime, settings
    finally:
        await runtime.close()


async def _one_pass(
    applications: int,
    stalled_every: int = 100,
    channels: int | None = None,
    database_url: str | None = None,
) -> tuple[PassResult, SlackStub]:
    with tempfile.TemporaryDirectory() as tmp, SlackStub() as slack:
        for i in range(1, applications + 1):
            if i % stalled_every == 0:
                slack.add_user(f"U{USER_BASE + i}")
        async with _runtime(slack, Path(tmp), database_url) as (runtime, settings):
            await _fill(runtime, applications, stalled_every, channels)
            runner = PassRunner.create(
                runtime, single_workspace(build_client(settings, runtime.http_session()))
            )
            queries = statements = 0
            last_execution = None

            def count(_conn, _cursor, _statement, _parameters, context, _executemany) -> None:
                # An executemany's pages share one execution context: one statement.
                nonlocal queries, statements, last_execution
                queries += 1
                if context is None or context is not last_execution:
                    statements += 1
                last_execution = context

            planning = planning_statements = 0
            planned_at = 0.0
            deliver_due = runner.deliverer.deliver_due

            async def delivering(now):
                nonlocal planning, planning_statements, planned_at
                planning, planning_statements = queries, statements
                planned_at = time.perf_counter()
                return await deliver_due(now)

            runner.deliverer.deliver_due = delivering  # type: ignore[method-assign]
            for engine in runtime.owned_engines:  # the pass reads through one, writes the other
                event.listen(engine.sync_engine, "before_cursor_execute", count)
            started = time.perf_counter()
            report = await runner.run_pass(NOW)
            seconds = time.perf_counter() - started
            for engine in runtime.owned_engines:
                event.remove(engine.sync_engine, "before_cursor_execute", count)
    result = PassResult(
        applications,
        seconds,
        planned_at - started,
        planning,
        planning_statements,
        queries - planning,
        report.delivery.sent,
    )
    return result, slack


def reminder_pass(
    sizes: tuple[int, ...] = (1000, 10000), database_url: str | None = None
) -> list[PassResult]:
    return [asyncio.run(_one_pass(n, database_url=database_url))[0] for n in sizes]


@dataclass
class DeliveryResult:
    sent: int
    queries_per_message: float
    loop_cpu_ms_per_message: float  # the event loop thread's CPU, the Web API call left out


class InstantSlack:
    """Takes every post at once, in-process: what delivering costs besides the Web API call
    (building, sending and parsing the HTTP request) is Onboard's own work."""

    def __init__(self) -> None:
        self.posts = 0

    async def chat_postMessage(self, **_kwargs: object) -> dict[str, object]:
        self.posts += 1
        return {"ok": True, "ts": f"{self.posts}.000000"}


async def _delivery(messages: int, database_url: str | None) -> DeliveryResult:
    """A pass queues `messages` reminder DMs (one a person); then a sender delivers them to
    `InstantSlack`, its statements counted and the loop thread's CPU measured."""
    applications = messages * 10
    with tempfile.TemporaryDirectory() as tmp, SlackStub() as slack:
        for i in range(10, applications + 1, 10):
            slack.add_user(f"U{USER_BASE + i}")
        async with _runtime(slack, Path(tmp), database_url) as (runtime, settings):
            await _fill(runtime, applications, stalled_every=10, channels=None)
            runner = PassRunner.create(
                runtime, single_workspace(build_client(settings, runtime.http_session()))
            )

            async def queue_only(_now: datetime) -> DeliveryReport:
                return DeliveryReport()

            runner.deliverer.deliver_due = queue_only  # type: ignore[method-assign]
            await runner.run_pass(NOW)
            instant = InstantSlack()

            async def client_for(_team_id: str) -> InstantSlack:
                return instant

            deliverer = Deliverer(runtime, client_for, ChannelPacer(shared=True))  # type: ignore[arg-type]
            queries = 0

            def count(*_args) -> None:
                nonlocal queries
                queries += 1

            for engine in runtime.owned_engines:
                event.listen(engine.sync_engine, "before_cursor_execute", count)
            started = time.thread_time()
            report = await deliverer.deliver_due(NOW)
            cpu = time.thread_time() - started
            for engine in runtime.owned_engines:
                event.remove(engine.sync_engine, "before_cursor_execute", count)
    sent = max(report.sent, 1)
    return DeliveryResult(report.sent, queries / sent, cpu * 1000 / sent)


def delivery(messages: int = 1000, database_url: str | None = None) -> DeliveryResult:
    return asyncio.run(_delivery(messages, database_url))


@dataclass
class DigestResult:
    channels: int
    seconds: float
    sent: int
    min_gap_one_channel: float  # seconds between two messages to one channel (inf if none)
    burst_seconds: float  # five messages to one channel: first to last


def digest_pass(channels: int = 1000) -> DigestResult:
    # One application a channel, each channel's digest due; no stalled steps.
    result, slack = asyncio.run(_one_pass(channels, stalled_every=10**9, channels=channels))
    by_channel: dict[str, list[float]] = defaultdict(list)
    for call in slack.calls_to("chat.postMessage"):
        by_channel[call.args["channel"]].append(call.received_at)
    gaps = [b - a for times in by_channel.values() for a, b in itertools.pairwise(times)]
    return DigestResult(
        channels, result.seconds, result.sent, min(gaps, default=float("inf")), _burst()
    )


def _burst() -> float:
    """Five messages to one channel through the real pacer: how long they take."""

    async def run() -> float:
        pacer = ChannelPacer()
        started = time.perf_counter()
        for _ in range(5):
            await pacer.wait_for(await pacer.reserve("T0001", "CBURST", session=None))
        return time.perf_counter() - started

    return asyncio.run(run())


def _on(server: str | None, run: Callable[[str | None], T]) -> T:
    """`run(database_url)` on SQLite (server None), or on a scratch PostgreSQL database."""
    if server is None:
        return run(None)
    with scratch_postgres(server) as url:
        return run(url)


def scale_rows(row: Callable[..., str], applications: int = 100_000) -> list[str]:
    """Issue #16's scheduler rows: planning a pass over `applications` applications (1%
    stalled) beside one over a hundredth of them (the queries must not grow), and delivery's
    statements and loop CPU per message; on SQLite, and on PostgreSQL where
    ONBOARD_BENCH_POSTGRES_URL names a server."""
    server = postgres_server()
    databases = [("SQLite", None)] + ([("PostgreSQL", server)] if server else [])
    rows = []
    for name, where in databases:
        small, large = (
            _on(where, lambda url, n=n: asyncio.run(_one_pass(n, database_url=url))[0])
            for n in (applications // 100, applications)
        )
        rows.append(
            row(
                f"pass planning, {large.applications:,} apps (1% stalled), {name}",
                f"{large.planning_seconds:.2f} s, {large.planning_queries} queries",
                f"{small.applications:,} apps: {small.planning_queries} queries",
                "",
                "< 5 s, queries constant",
                large.planning_seconds < 5 and large.planning_queries <= small.planning_queries,
            )
        )
        sent = _on(where, lambda url: delivery(1000, url))
        rows.append(
            row(
                f"delivery per message sent ({sent.sent:,}), {name}",
                f"{sent.queries_per_message:.2f} queries",
                f"{sent.loop_cpu_ms_per_message:.2f} ms loop CPU",
                "",
                "≤ 2 queries, ≤ 1 ms CPU (Web API call aside)",
                sent.queries_per_message <= 2 and sent.loop_cpu_ms_per_message <= 1,
            )
        )
    if server is None:
        skipped = f"skipped: set {POSTGRES_URL_VARIABLE}"
        rows.append(row("pass and delivery, PostgreSQL", skipped, "", "", "", None))
    return rows


def digest_scale_rows(row: Callable[..., str], channels: int = 10_000) -> list[str]:
    """Issue #16's digest row: one pass over `channels` channels, each with its daily digest
    due (claims in the real pages of 1,000), beside one over a hundredth of them: the
    statements that plan it must not grow with the channels, and every due digest is sent in
    that pass, one to each channel; on SQLite, and on PostgreSQL where
    ONBOARD_BENCH_POSTGRES_URL names a server."""
    server = postgres_server()
    rows = []
    for name, where in [("SQLite", None)] + ([("PostgreSQL", server)] if server else []):
        (small, _), (large, slack) = (
            _on(
                where,
                lambda url, n=n: asyncio.run(
                    _one_pass(n, stalled_every=10**9, channels=n, database_url=url)
                ),
            )
            for n in (channels // 100, channels)
        )
        posts = Counter(c.args["channel"] for c in slack.calls_to("chat.postMessage"))
        rows.append(
            row(
                f"digest pass, {channels:,} channels due, {name}",
                f"{large.seconds:.1f} s, {large.sent:,} sent",
                f"planning {small.planning_statements} → {large.planning_statements} statements"
                f" ({small.planning_queries} → {large.planning_queries} with the outbox"
                " INSERT's 1,000-row pages)",
                "",
                "statements constant; every due digest sent, one a channel",
                large.planning_statements <= small.planning_statements
                and large.sent == channels
                and len(posts) == channels
                and max(posts.values()) == 1,
            )
        )
    if server is None:
        skipped = f"skipped: set {POSTGRES_URL_VARIABLE}"
        rows.append(row("digest pass, PostgreSQL", skipped, "", "", "", None))
    return rows
