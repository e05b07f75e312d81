"""The coalescer on its own, with time moved by hand: a burst of requests for one surface
becomes a redraw at once and then at most one per interval, each with the latest state."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.coalescing import Coalescer
from tests.manual_time import ManualTime


async def turns(n: int = 20) -> None:
    """Let the loop run what is ready (the redraws here do no I/O)."""
    for _ in range(n):
        await asyncio.sleep(0)


class Surface:
    """A surface whose redraw shows `state` as it is when the redraw runs."""

    def __init__(self, state: int = 0) -> None:
        self.state = state
        self.shown: list[int] = []
        self.in_flight = 0
        self.most_in_flight = 0
        self.gate: asyncio.Event | None = None  # set: redraws wait for it

    async def redraw(self) -> None:
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            state = self.state  # read, then sent
            if self.gate is not None:
                await self.gate.wait()
            self.shown.append(state)
        finally:
            self.in_flight -= 1


@pytest.fixture
def time() -> ManualTime:
    return ManualTime()


@pytest.fixture
def redraws(time: ManualTime) -> Coalescer:
    return Coalescer(1.0, now=time, sleep=time.sleep)


async def test_an_idle_surface_is_redrawn_at_once(redraws: Coalescer) -> None:
    surface = Surface(state=7)
    redraws.request("s", surface.redraw)
    await turns()
    assert surface.shown == [7]  # no time passed


async def test_a_burst_of_1000_changes_in_5_seconds_redraws_a_few_times_and_shows_the_last(
    redraws: Coalescer, time: ManualTime
) -> None:
    surface = Surface()
    for change in range(1, 1001):  # a change every 5 ms
        surface.state = change
        redraws.request("s", surface.redraw)
        time.advance(0.005)
        await turns(2)
    time.advance(1.0)
    await turns()

    assert redraws.requested == 1000
    assert 2 <= len(surface.shown) <= 7  # once at once, then about once a second
    assert surface.shown[-1] == 1000  # the latest state wins
    assert surface.shown == sorted(surface.shown)
    assert redraws.pending() == 0


async def test_requests_in_the_same_moment_become_one_redraw(redraws: Coalescer) -> None:
    surface = Surface()
    for change in range(1, 101):
        surface.state = change
        redraws.request("s", surface.redraw)
    await turns()
    assert surface.shown == [100]


async def test_one_redraw_in_flight_and_requests_during_it_make_exactly_one_more(
    redraws: Coalescer, time: ManualTime
) -> None:
    surface = Surface()
    surface.gate = asyncio.Event()
    redraws.request("s", surface.redraw)
    await turns()
    assert surface.in_flight == 1
    for change in range(1, 51):  # while the first is in flight, and long after its interval
        surface.state = change
        redraws.request("s", surface.redraw)
        time.advance(0.1)
        await turns(2)
    assert surface.most_in_flight == 1 and surface.shown == []
    surface.gate.set()
    await turns()
    assert surface.shown == [0, 50]  # the interval had passed: the next one at once
    time.advance(10)
    await turns()
    assert surface.shown == [0, 50] and surface.most_in_flight == 1


async def test_the_next_redraw_waits_out_the_interval_then_comes_by_itself(
    redraws: Coalescer, time: ManualTime
) -> None:
    surface = Surface()
    redraws.request("s", surface.redraw)
    await turns()
    surface.state = 1
    redraws.request("s", surface.redraw)
    time.advance(0.9)
    await turns()
    assert surface.shown == [0]
    time.advance(0.1)
    await turns()
    assert surface.shown == [0, 1]  # stale for no longer than the interval


async def test_surfaces_do_not_wait_for_each_other(redraws: Coalescer, time: ManualTime) -> None:
    one, other = Surface(1), Surface(2)
    redraws.request("one", one.redraw)
    await turns()
    redraws.request("one", one.redraw)
    redraws.request("other", other.redraw)
    await turns()
    assert (one.shown, other.shown) == ([1], [2])


async def test_flush_runs_what_waits_without_waiting_for_time(
    redraws: Coalescer, time: ManualTime
) -> None:
    surface = Surface()
    redraws.request("s", surface.redraw)
    await turns()
    surface.state = 1
    redraws.request("s", surface.redraw)
    await turns()
    assert surface.shown == [0] and time.sleeping == 1

    await asyncio.wait_for(redraws.flush(), 1)  # time never moves: flush must not wait for it

    assert surface.shown == [0, 1]
    assert redraws.pending() == 0


async def test_the_future_is_done_once_a_redraw_started_after_the_request_is_done(
    redraws: Coalescer, time: ManualTime
) -> None:
    surface = Surface()
    first = redraws.request("s", surface.redraw)
    await turns()
    assert first.done() and surface.shown == [0]
    surface.state = 1
    second = redraws.request("s", surface.redraw)
    await turns()
    assert not second.done()
    time.advance(1)
    await turns()
    assert second.done() and surface.shown == [0, 1]


async def test_a_failed_redraw_is_logged_and_the_next_still_runs(
    redraws: Coalescer, time: ManualTime, caplog: pytest.LogCaptureFixture
) -> None:
    surface = Surface(state=1)

    async def broken() -> None:
        raise RuntimeError("the database went away")

    with caplog.at_level(logging.ERROR, logger="bot.coalescing"):
        drawn = redraws.request("s", broken)
        await turns()
    assert drawn.done() and drawn.exception() is None
    assert "redrawing s failed" in caplog.text
    redraws.request("s", surface.redraw)
    time.advance(1)
    await turns()
    assert surface.shown == [1]


async def test_idle_surfaces_are_forgotten(redraws: Coalescer, time: ManualTime) -> None:
    for key in range(1000):
        redraws.request(key, Surface().redraw)
        await turns(2)
        time.advance(0.01)
    assert len(redraws._surfaces) < 600  # the ones whose interval passed are swept
