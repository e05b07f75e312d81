"""Redraws of one surface that fall due together, run as one.

A surface (a checklist message, a person's App Home) is rebuilt from the database each time
it is redrawn, so of several redraws asked for in the same moment only the last one matters:
`Coalescer.request(key, redraw)` replaces any redraw of that key still waiting, and
`redraw` reads the state when it runs, not when it was asked for.

Per key: at most one redraw is in flight; a surface idle for `interval` seconds is redrawn at
once; after a redraw starts, the next one waits until `interval` has passed, and everything
asked for meanwhile becomes that one redraw. A burst of changes to one application therefore
costs one redraw at its start and about one per `interval` after it, and a surface is never
staler than `interval` plus one redraw. Each process coalesces its own requests: several
replicas each redraw what they changed.

`flush()` runs whatever is waiting at once and returns when nothing is pending; the runtime
calls it on close, so a stop never loses the last redraw. Time (`now`, `sleep`) is
injectable, so tests move it by hand instead of sleeping.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field

logger = logging.getLogger(__name__)

Redraw = Callable[[], Awaitable[object]]

# Short enough that nobody waits on a stale surface, long enough that a burst of changes costs
# a handful of Web API calls: Slack limits chat.update and views.publish in calls a minute.
DEFAULT_INTERVAL = 1.0
# Idle surfaces whose interval has passed are forgotten once there are this many (or twice as
# many as after the last sweep), so the table stays as large as the surfaces in use.
SWEEP_AT = 256


@dataclass(eq=False, slots=True)
class _Surface:
    pending: Redraw | None = None  # the latest redraw asked for and not yet started
    # The requests `pending` stands for, told when it is done.
    waiters: list[asyncio.Future[None]] = field(default_factory=list)
    task: asyncio.Task[None] | None = None  # the worker, while anything is pending or running
    started: float = -math.inf  # when its last redraw started
    waiting: asyncio.Future[object] | None = None  # the wait for `interval`, cut short by flush


class Coalescer:
    def __init__(
        self,
        interval: float = DEFAULT_INTERVAL,
        *,
        now: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        self.interval = interval
        self._now = now
        self._sleep = sleep
        self._surfaces: dict[Hashable, _Surface] = {}
        self._sweep_at = SWEEP_AT
        self._hurry = 0  # > 0 while flushing: no waiting for the interval
        # What was asked for and what ran, for logs, tests and the benchmark.
        self.requested = 0
        self.redrawn = 0

    def request(self, key: Hashable, redraw: Redraw) -> asyncio.Future[None]:
        """Redraw the surface `key` soon, with the latest `redraw` asked for by then. The
        future is done once a redraw that started after this request has finished (failed
        redraws are logged, not raised): await it to act only after the surface shows what
        was committed before the request."""
        self.requested += 1
        loop = asyncio.get_running_loop()
        surface = self._surfaces.get(key)
        if surface is None:
            self._sweep()
            surface = self._surfaces[key] = _Surface()
        surface.pending = redraw
        drawn: asyncio.Future[None] = loop.create_future()
        surface.waiters.append(drawn)
        if surface.task is None:
            surface.task = loop.create_task(self._work(key, surface))
        return drawn

    def pending(self) -> int:
        """How many surfaces have a redraw waiting or running."""
        return sum(1 for s in self._surfaces.values() if s.task is not None)

    async def flush(self) -> None:
        """Run every waiting redraw now, and return once none is waiting or running (also
        those asked for meanwhile)."""
        self._hurry += 1
        try:
            while busy := [s.task for s in self._surfaces.values() if s.task is not None]:
                for surface in self._surfaces.values():
                    if surface.waiting is not None:
                        surface.waiting.cancel()
                await asyncio.wait(busy)
        finally:
            self._hurry -= 1

    async def _work(self, key: Hashable, surface: _Surface) -> None:
        try:
            while surface.pending is not None:
                await self._wait(surface, surface.started + self.interval - self._now())
                redraw, surface.pending = surface.pending, None
                waiters, surface.waiters = surface.waiters, []
                surface.started = self._now()
                try:
                    await redraw()
                except Exception:
                    # The next change redraws it again; a failed redraw must not stop them.
                    logger.exception("redrawing %s failed", key)
                finally:
                    _tell(waiters)
                self.redrawn += 1
        finally:
            surface.task = None  # if cancelled while waiting, the next request takes over

    async def _wait(self, surface: _Surface, seconds: float) -> None:
        if seconds <= 0 or self._hurry:
            return
        surface.waiting = asyncio.ensure_future(self._sleep(seconds))
        try:
            await asyncio.wait([surface.waiting])  # returns when slept or cancelled by flush
        finally:
            surface.waiting.cancel()
            surface.waiting = None

    def _sweep(self) -> None:
        if len(self._surfaces) < self._sweep_at:
            return
        now = self._now()
        for key, surface in list(self._surfaces.items()):
            if surface.task is None and surface.started + self.interval <= now:
                del self._surfaces[key]
        self._sweep_at = max(SWEEP_AT, 2 * len(self._surfaces))


def _tell(waiters: list[asyncio.Future[None]]) -> None:
    for waiter in waiters:
        if not waiter.done():
            waiter.set_result(None)
