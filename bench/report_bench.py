"""`/onboard report` over 10,000 applications on SQLite: its time and its number of queries.

`populate` fills a database with applications at every stage (bulk inserts, so it is quick);
tests/analytics/test_report_queries.py uses it to show the statement count does not grow.
"""

from __future__ import annotations

import asyncio
import random
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import event, func, insert, select

from bot.analytics.figures import Period, Scope
from bot.analytics.queries import portfolio_report
from bot.checklists import get_template
from storage.db import create_engine, create_sessionmaker, upgrade
from storage.models import Application, StepState

TEAM = "TBENCH"
NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
CHUNK = 20_000


async def populate(session, applications: int, *, seed: int = 15) -> None:
    """`applications` applications in 50 channels, created over the last 400 days, each done
    up to a random step (some skipped, some due), one in five with China's holidays."""
    rng = random.Random(seed)
    template = get_template()
    apps, states = [], []
    for app_id in range(1, applications + 1):
        created = NOW - timedelta(days=rng.uniform(1, 400))
        apps.append(
            {
                "id": app_id,
                "team_id": TEAM,
                "slug": f"app-{app_id}",
                "name": f"App {app_id}",
                "channel_id": f"C{app_id % 50}",
                "owner_id": f"U{app_id % 97}",
                "template_key": template.key,
                "template_version": template.version,
                "created_at": created,
                "remind_holidays": "CN" if app_id % 5 == 0 else None,
                "archived_at": created + timedelta(days=200) if app_id % 23 == 0 else None,
            }
        )
        reached = rng.randint(0, len(template.steps))
        moment = created
        for step in template.steps:
            finished = None
            if step.position < reached:
                moment += timedelta(hours=rng.uniform(1, 120))
                finished = moment if moment < NOW else None
            skipped = finished is not None and step.announces is None and rng.random() < 0.05
            states.append(
                {
                    "application_id": app_id,
                    "step": step.number,
                    "position": step.position,
                    "done_at": None if skipped else finished,
                    "skipped_at": finished if skipped else None,
                    "due_on": (created + timedelta(days=3 * step.position)).date()
                    if rng.random() < 0.1
                    else None,
                    "changed_at": finished or created,
                }
            )
    for start in range(0, len(apps), CHUNK):
        await session.execute(insert(Application), apps[start : start + CHUNK])
    for start in range(0, len(states), CHUNK):
        await session.execute(insert(StepState), states[start : start + CHUNK])


@dataclass(frozen=True, slots=True)
class ReportResult:
    applications: int
    seconds: float  # the best of the runs, wall clock
    cpu_seconds: float  # the best of the runs, CPU time of this process (all its threads):
    # on a machine others share, what the report itself costs
    queries: int
    # The baseline, in the same process on the same data: the best time of one bare grouped
    # read of every step (what any report must at least do), so a loaded machine shows as such.
    scan_seconds: float

    @property
    def ratio(self) -> float:
        return self.seconds / self.scan_seconds


def counting(engine) -> list[str]:
    """The statements `engine` runs from now on."""
    statements: list[str] = []

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _count(conn, cursor, statement, parameters, context, executemany) -> None:
        statements.append(statement)

    return statements


def report_time(applications: int = 10_000, runs: int = 3) -> ReportResult:
    async def run() -> ReportResult:
        with tempfile.TemporaryDirectory() as directory:
            engine = create_engine(f"sqlite+aiosqlite:///{Path(directory) / 'bench.db'}")
            try:
                await upgrade(engine)
                async with create_sessionmaker(engine, writes=True).begin() as session:
                    await populate(session, applications)
                sessions = create_sessionmaker(engine)
                statements = counting(engine)
                period = Period(NOW - timedelta(days=90), NOW)
                best = scan = cpu = float("inf")
                bare = select(StepState.application_id, func.count()).group_by(
                    StepState.application_id
                )
                for _ in range(runs):
                    async with sessions() as session:
                        started = time.perf_counter()
                        (await session.execute(bare)).all()
                        scan = min(scan, time.perf_counter() - started)
                    statements.clear()
                    async with sessions() as session:
                        started, cpu_started = time.perf_counter(), time.process_time()
                        await portfolio_report(session, Scope(TEAM, None), period, NOW)
                        best = min(best, time.perf_counter() - started)
                        cpu = min(cpu, time.process_time() - cpu_started)
                return ReportResult(applications, best, cpu, len(statements), scan)
            finally:
                await engine.dispose()

    return asyncio.run(run())


def rows(applications: int, row) -> list[str]:
    """The bench table's row (bench/__main__.py `_row`)."""
    result = report_time(applications)
    return [
        row(
            f"report, {result.applications:,} apps",
            f"{result.seconds:.2f} s (CPU {result.cpu_seconds:.2f} s)",
            f"{result.queries} queries",
            f"{result.ratio:.1f}× a bare read of every step",
            "< 1 s on SQLite",
            result.cpu_seconds < 1,
        )
    ]


if __name__ == "__main__":
    for size in (1_000, 10_000):
        found = report_time(size)
        print(
            f"report over {size:,} applications: {found.seconds:.3f} s "
            f"(CPU {found.cpu_seconds:.3f} s), {found.queries} "
            f"queries; a bare grouped read of every step {found.scan_seconds:.3f} s "
            f"(report = {found.ratio:.1f}×)"
        )
