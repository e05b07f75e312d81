"""The real APScheduler inside the app: it runs a pass at start and every minute after, with
`now` from the clock it is given (never slept for: the first pass runs at once)."""

from __future__ import annotations

import asyncio
import logging

from bot.scheduler import PASS_INTERVAL_SECONDS, start_scheduler
from tests.harness import RunningApp
from tests.scheduler.conftest import make_runner, utc
from tests.slack_stub import SlackStub


async def test_the_scheduler_runs_a_pass_at_start_with_its_clock(
    app: RunningApp, slack: SlackStub, clock
) -> None:
    """Wed 10:00 UTC: new app, UBOB (LA) takes 1.1 himself (so no assignment DM). The
    scheduler starts with its clock at Mon 2026-11-30 17:00 UTC (09:00 in LA), so its first
    pass reminds UBOB."""
    await app.command("new Acme POS")
    await app.command("assign 1.1 <@UBOB>", user="UBOB")
    runner, _ = make_runner(app.runtime, app.settings, clock)
    monday_morning_la = utc(2026, 11, 30, 17)
    scheduler = start_scheduler(runner, clock=lambda: monday_morning_la)
    try:
        (reminder,) = await slack.wait_for("chat.postMessage")
        job = scheduler.get_job("pass")
        assert job.trigger.interval.total_seconds() == PASS_INTERVAL_SECONDS
        assert job.max_instances == 1
    finally:
        scheduler.shutdown(wait=False)
        await runner.wait_idle()
    assert reminder.args["channel"] == "UBOB"
    assert "1.1" in reminder.args["text"]
    # One pass, as of the scheduler's clock: nothing more arrives.
    await asyncio.sleep(0.05)
    assert len(slack.calls_to("chat.postMessage")) == 1


async def test_a_pass_cut_short_by_shutdown_is_logged_as_one_line(
    app: RunningApp, clock, caplog
) -> None:
    """APScheduler cancels a running job when it shuts down; the pass's claims are sent by a
    later pass, so that is news, not an error with a traceback."""
    caplog.set_level(logging.INFO)
    runner, _ = make_runner(app.runtime, app.settings, clock)
    started = asyncio.Event()

    async def endless_pass(_now):
        started.set()
        await asyncio.Event().wait()

    runner.run_pass = endless_pass  # type: ignore[method-assign]
    scheduler = start_scheduler(runner, clock=clock)
    await asyncio.wait_for(started.wait(), timeout=5)
    scheduler.shutdown(wait=False)
    await asyncio.sleep(0.05)

    assert "scheduler pass stopped by shutdown" in caplog.text
    assert not [r for r in caplog.records if r.levelname == "ERROR" or r.exc_info]
