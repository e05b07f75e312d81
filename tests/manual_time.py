"""Time that moves only when a test says so, for code that takes `now` and `sleep`
(bot/coalescing.py): nothing sleeps for real, and a test sees every step."""

from __future__ import annotations

import asyncio


class ManualTime:
    def __init__(self) -> None:
        self.now = 0.0
        self._sleepers: list[tuple[float, asyncio.Future[None]]] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        woken: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._sleepers.append((self.now + seconds, woken))
        await woken

    def advance(self, seconds: float) -> None:
        """Move time on, waking whoever slept until then (they run at the loop's next turns)."""
        self.now += seconds
        due = [(d, f) for d, f in self._sleepers if d <= self.now]
        self._sleepers = [(d, f) for d, f in self._sleepers if d > self.now]
        for _, woken in due:
            if not woken.done():
                woken.set_result(None)

    @property
    def sleeping(self) -> int:
        return sum(1 for _, f in self._sleepers if not f.done())
