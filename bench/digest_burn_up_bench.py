"""The weekly digest's burn-up: what it adds to preparing a digest pass over many channels.

The same database (one application a channel, its steps done over the last ten weeks, every
change in the history) prepares every channel's digest twice in one process: with daily
schedules (no burn-up: the baseline) and with weekly ones (the burn-ups of every channel, in
one go). The ratio is the burn-up's cost; its statements do not grow with the channels.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import event, insert, update

from bot.analytics.channel_burn_up import channel_burn_ups
from bot.checklists import get_template
from bot.services import digests
from storage.db import create_engine, create_sessionmaker, upgrade
from storage.models import Application, DigestSchedule, Event, StepState

TEAM = "TBENCH"
NOW = datetime(2026, 11, 30, 9, 30, tzinfo=UTC)  # a Monday, after every 09:00 UTC digest
RUNS = 3


@dataclass(frozen=True)
class Result:
    channels: int
    daily_seconds: float  # preparing every channel's daily digest: no burn-up
    weekly_seconds: float  # the same with every channel's burn-up
    burn_up_statements: int


async def _populate(session, channels: int, seed: int = 15) -> None:
    rng = random.Random(seed)
    template = get_template()
    start = NOW - timedelta(weeks=10)
    apps, states, events, schedules = [], [], [], []
    for app_id in range(1, channels + 1):
        apps.append(
            {
                "id": app_id,
                "team_id": TEAM,
                "slug": f"app-{app_id}",
                "name": f"App {app_id}",
                "channel_id": f"C{app_id}",
                "owner_id": "UOWNER",
                "template_key": template.key,
                "template_version": template.version,
                "created_at": start,
            }
        )
        reached = rng.randint(0, len(template.steps))
        moment = start
        for step in template.steps:
            done = None
            if step.position < reached:
                moment += timedelta(hours=rng.uniform(1, 80))
                if moment < NOW:
                    done = moment
                    events.append(
                        {
                            "application_id": app_id,
                            "step": step.number,
                            "actor_id": "UOWNER",
                            "kind": "marked",
                            "created_at": done,
                        }
                    )
            states.append(
                {
                    "application_id": app_id,
                    "step": step.number,
                    "position": step.position,
                    "done_at": done,
                    "changed_at": done or start,
                }
            )
        schedules.append(
            {
                "team_id": TEAM,
                "channel_id": f"C{app_id}",
                "cadence": "daily",
                "at_time": "09:00",
                "timezone": "UTC",
                "set_by": "UOWNER",
                "effective_from": start,
            }
        )
    events.sort(key=lambda e: e["created_at"])
    for model, rows in (
        (Application, apps),
        (StepState, states),
        (Event, events),
        (DigestSchedule, schedules),
    ):
        for first in range(0, len(rows), 20_000):
            await session.execute(insert(model), rows[first : first + 20_000])


async def _prepare_time(sessions) -> float:
    times = []
    for _ in range(RUNS):
        async with sessions() as session:
            started = time.perf_counter()
            prepared = await digests.prepare(session, NOW)
            times.append(time.perf_counter() - started)
        assert all(p.message is not None for p in prepared)
    return statistics.median(times)


async def _measure(channels: int) -> Result:
    with tempfile.TemporaryDirectory() as folder:
        engine = create_engine(f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}")
        try:
            await upgrade(engine)
            sessions = create_sessionmaker(engine, writes=True)
            async with sessions.begin() as session:
                await _populate(session, channels)
            daily = await _prepare_time(sessions)
            async with sessions.begin() as session:
                await session.execute(update(DigestSchedule).values(cadence="weekly", weekday=0))
            weekly = await _prepare_time(sessions)

            statements = 0

            def count(_conn, _cursor, statement: str, *_args) -> None:
                nonlocal statements
                statements += statement.lstrip().upper().startswith(("SELECT", "WITH"))

            event.listen(engine.sync_engine, "before_cursor_execute", count)
            async with sessions() as session:
                found = await channel_burn_ups(
                    session, [(TEAM, f"C{i}") for i in range(1, channels + 1)], NOW
                )
            event.remove(engine.sync_engine, "before_cursor_execute", count)
            assert len(found) == channels
        finally:
            await engine.dispose()
    return Result(channels, daily, weekly, statements)


def run(channels: int) -> Result:
    return asyncio.run(_measure(channels))


def rows(channels: int, row) -> list[str]:
    """The bench table's row (bench/__main__.py `_row`)."""
    result = run(channels)
    return [
        row(
            f"weekly digests' burn-ups, {result.channels:,} channels",
            f"{result.weekly_seconds:.2f} s",
            f"daily {result.daily_seconds:.2f} s",
            f"{result.weekly_seconds / result.daily_seconds:.2f}×",
            f"{result.burn_up_statements} statements for all",
            None,
        )
    ]


if __name__ == "__main__":
    for size in (100, 1_000):
        found = run(size)
        print(
            f"{size:,} channels: daily {found.daily_seconds:.3f} s, weekly (with burn-ups)"
            f" {found.weekly_seconds:.3f} s, {found.weekly_seconds / found.daily_seconds:.2f}×,"
            f" burn-ups in {found.burn_up_statements} statements"
        )
