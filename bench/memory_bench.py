"""Resident memory of `onboard-bot run` with 10,000 applications in its database, after its
start-up scheduler pass went over all of them and it answered commands."""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bench import processes
from bench.http_bench import load
from bench.scheduler_bench import USER_BASE, _fill
from bot.config import Settings
from bot.server import open_runtime
from tests.slack_stub import SlackStub


async def _database(data_dir: Path, api_url: str, applications: int) -> None:
    settings = Settings(
        slack_bot_token="xoxb-test",
        slack_signing_secret="bench",
        slack_api_url=api_url,
        onboard_data_dir=data_dir,
        _env_file=None,  # type: ignore[call-arg]
    )
    runtime = await open_runtime(settings)
    try:
        await _fill(runtime, applications, stalled_every=100, channels=None)
    finally:
        await runtime.close()


def _midday_zone() -> ZoneInfo:
    """A fixed-offset zone where it is about noon now. `onboard-bot run` plans on the real
    clock, so the stalled steps' assignees live there: their reminders are due (on a working
    day there) and the start-up pass sends them."""
    offset = 12 - datetime.now(UTC).hour  # hours ahead of UTC; Etc/GMT-N is UTC+N
    return ZoneInfo(f"Etc/GMT{-offset:+d}" if offset else "Etc/UTC")


def run(applications: int = 10000) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp, SlackStub() as slack:
        data_dir = Path(tmp) / "data"
        asyncio.run(_database(data_dir, slack.api_url, applications))
        zone = _midday_zone()
        for i in range(100, applications + 1, 100):
            slack.add_user(f"U{USER_BASE + i}", tz=zone.key)
        working_day = datetime.now(zone).weekday() < 5
        slack.channel_members["CBENCH"] = ["UBENCH"]
        port = processes.free_port()
        with processes.onboard(port, data_dir, slack.api_url, slack.bot_token) as process:
            idle = processes.rss_mb(process.pid)
            # The start-up pass reads every application; wait until it has sent its DMs.
            deadline = time.monotonic() + 120
            while working_day and len(slack.calls_to("chat.postMessage")) < applications // 100:
                if time.monotonic() > deadline:
                    break
                time.sleep(0.2)
            reminders = len(slack.calls_to("chat.postMessage"))
            load(port, 1, 1, ["new Bench"], process.pid)
            load(port, 500, 32, ["mark 1.1", "unmark 1.1", "status", "history"], process.pid)
            return {
                "idle_mb": idle,
                "after_pass_and_load_mb": processes.rss_mb(process.pid),
                "reminders_sent": reminders,
                "reminders_due": applications // 100 if working_day else 0,
            }


def scale_row(row: Callable[..., str], applications: int = 100_000) -> str:
    """Issue #16's memory row: `onboard-bot run` after its pass over `applications`."""
    memory = run(applications)
    return row(
        f"RSS with {applications:,} apps, after a pass",
        f"{memory['after_pass_and_load_mb']:.0f} MB",
        f"idle {memory['idle_mb']:.0f} MB, {memory['reminders_sent']:,} DMs sent",
        "",
        "< 250 MB",
        memory["after_pass_and_load_mb"] < 250
        and memory["reminders_sent"] >= memory["reminders_due"],
    )
