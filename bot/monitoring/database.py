"""Metrics read from the database: outbox depth, the oldest due message's age, applications
by phase. A Prometheus collector that reports a snapshot; the snapshot is refreshed (in the
app's event loop, before /metrics renders) at most once every `max_age`, however many
scrapes arrive, and its queries run on the runtime's `long_reads` engine (a worker thread on
SQLite), so a scrape storm neither loads the database nor stalls Slack's requests."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from bot.checklists import DEFAULT_TEMPLATE_KEY, TemplateError, get_template
from bot.runtime import Runtime
from storage.monitoring import FirstOpen, OutboxDepth, first_open_steps, outbox_depth

logger = logging.getLogger(__name__)

MAX_AGE_SECONDS = 15.0
DONE = "done"  # the phase label of an application with every step done or skipped


@dataclass
class Snapshot:
    taken_at: datetime
    outbox: OutboxDepth
    phases: dict[str, int]


def phases_of(rows: list[FirstOpen]) -> dict[str, int]:
    """Applications per phase ("1", "2", ... or "done"), from their first open steps."""
    counts: dict[str, int] = {}
    for row in rows:
        if row.position is None:
            phase = DONE
        else:
            try:
                template = get_template(row.template_key, row.template_version)
            except TemplateError:  # a template file removed since: the default's phases
                template = get_template(DEFAULT_TEMPLATE_KEY)
            steps = [s for s in template.steps if s.position == row.position]
            phase = str(steps[0].phase) if steps else str(template.steps[-1].phase)
        counts[phase] = counts.get(phase, 0) + row.count
    return counts


@dataclass(eq=False)  # the registry keeps its collectors in a dict
class DatabaseMetrics(Collector):
    runtime: Runtime
    max_age: float = MAX_AGE_SECONDS
    snapshot: Snapshot | None = None
    _refreshed: float | None = None  # time.monotonic() of the last refresh
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def refresh(self) -> None:
        """Read the database again if the snapshot is older than `max_age`; one reader at a
        time, and the scrapes that waited for it use its answer. A failed read keeps the old
        snapshot (its `taken_at` says how old) and is logged."""
        async with self._lock:
            if self._refreshed is not None and time.monotonic() - self._refreshed < self.max_age:
                return
            now = self.runtime.clock()
            try:
                async with self.runtime.long_reads() as session:
                    depth = await outbox_depth(session, now)
                    rows = await first_open_steps(session)
            except Exception:
                logger.exception("metrics: could not read the outbox and applications")
                return
            finally:
                self._refreshed = time.monotonic()
            self.snapshot = Snapshot(now, depth, phases_of(rows))

    def collect(self) -> Iterator[GaugeMetricFamily]:
        snapshot = self.snapshot
        if snapshot is None:
            return
        depth = GaugeMetricFamily(
            "onboard_outbox_messages",
            "Outbox messages waiting (pending, sending) or given up on (failed), by status.",
            labels=["status"],
        )
        for status, count in sorted(snapshot.outbox.by_status.items()):
            depth.add_metric([status], count)
        yield depth
        oldest = snapshot.outbox.oldest_due
        yield GaugeMetricFamily(
            "onboard_outbox_oldest_due_age_seconds",
            "How long the longest-waiting due outbox message has been due (0: none is due).",
            value=max((snapshot.taken_at - oldest).total_seconds(), 0.0) if oldest else 0.0,
        )
        phases = GaugeMetricFamily(
            "onboard_applications",
            "Applications not archived, by the phase of their first open step (done: none).",
            labels=["phase"],
        )
        for phase, count in sorted(snapshot.phases.items()):
            phases.add_metric([phase], count)
        yield phases
        yield GaugeMetricFamily(
            "onboard_database_metrics_timestamp_seconds",
            "When the outbox and application figures above were read.",
            value=snapshot.taken_at.timestamp(),
        )
