"""`/readyz`: ready when the database answers and, where this process runs the scheduler, a
pass succeeded within 3 minutes; `/healthz` stays liveness. The clock is the test's."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from bot.app import build_client
from bot.scheduler import PassRunner, single_workspace, start_scheduler
from tests.conftest import FakeClock
from tests.harness import RunningApp
from tests.test_metrics import scrape


async def get(app: RunningApp, path: str) -> tuple[int, Any]:
    async with aiohttp.ClientSession() as http, http.get(f"{app.url}{path}") as r:
        return r.status, await r.json()


def runner(app: RunningApp) -> PassRunner:
    client = build_client(app.settings, app.runtime.http_session())
    return PassRunner.create(app.runtime, single_workspace(client))


async def test_ready_until_no_pass_for_three_minutes(app: RunningApp, clock: FakeClock) -> None:
    # Without a scheduler in this process only the database counts.
    status, body = await get(app, "/readyz")
    assert (status, body["scheduler"]) == (200, "not run in this process")

    passes = runner(app)
    first_pass = asyncio.Event()
    run_pass = passes.run_pass

    async def run_and_tell(now):
        try:
            return await run_pass(now)
        finally:
            first_pass.set()

    passes.run_pass = run_and_tell  # type: ignore[method-assign]
    scheduler = start_scheduler(passes, clock)  # APScheduler's first pass runs at once
    try:
        await asyncio.wait_for(first_pass.wait(), timeout=10)
        passes.run_pass = run_pass  # type: ignore[method-assign]
        status, body = await get(app, "/readyz")
        assert status == 200 and body["status"] == "ready"
        assert body["scheduler"] == f"last pass {clock.now.isoformat()}"

        clock.advance(minutes=3)
        assert (await get(app, "/readyz"))[0] == 200
        clock.advance(seconds=1)
        status, body = await get(app, "/readyz")
        assert status == 503
        assert body["failed"] == ["scheduler"] and body["database"] == "ok"
        assert (await get(app, "/healthz"))[0] == 200  # still alive: only not ready

        await passes.run_pass(clock.now)
        assert (await get(app, "/readyz"))[0] == 200
    finally:
        scheduler.shutdown(wait=False)


async def test_a_first_pass_gets_three_minutes(app: RunningApp, clock: FakeClock) -> None:
    app.runtime.passes_since = clock.now  # as start_scheduler does, before its first pass ends
    status, body = await get(app, "/readyz")
    assert (status, body["scheduler"]) == (200, "first pass still to finish")
    clock.advance(minutes=3, seconds=1)
    status, body = await get(app, "/readyz")
    assert status == 503 and body["failed"] == ["scheduler"]
    assert (
        body["scheduler"]
        == f"no successful pass since start at {app.runtime.passes_since.isoformat()}"
    )


async def test_a_failed_pass_does_not_count(app: RunningApp, clock: FakeClock, tmp_path) -> None:
    passes = runner(app)
    app.runtime.passes_since = clock.now
    await passes.run_pass(clock.now)
    clock.advance(minutes=2)
    # The pass's reads go to a database file that cannot be opened: the pass fails.
    gone = create_async_engine(f"sqlite+aiosqlite:///{tmp_path}/no/such/dir/onboard.db")
    app.runtime.long_reads = async_sessionmaker(gone)
    try:
        with pytest.raises(OperationalError):
            await passes.run_pass(clock.now)
    finally:
        await gone.dispose()
    clock.advance(minutes=2)
    status, body = await get(app, "/readyz")
    assert status == 503 and body["failed"] == ["scheduler"]
    _, samples = await scrape(app)
    assert samples[("onboard_pass_duration_seconds_count", (("result", "error"),))] == 1


async def test_not_ready_when_the_database_does_not_answer(app: RunningApp, tmp_path) -> None:
    gone = create_async_engine(f"sqlite+aiosqlite:///{tmp_path}/no/such/dir/onboard.db")
    app.runtime.sessions = async_sessionmaker(gone)
    try:
        status, body = await get(app, "/readyz")
        assert status == 503
        assert body["failed"] == ["database"] and body["database"] == "unreachable"
    finally:
        await gone.dispose()
