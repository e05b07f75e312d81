"""`onboard-bot tick --now …` as an operator runs it: a subprocess on the app's data directory,
talking to the Slack stand-in, run twice at the same moment."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

from tests.harness import RunningApp
from tests.slack_stub import SlackStub

TIMEOUT = 60.0
APP_VARIABLES = ("DATABASE_URL", "HOST", "PORT", "LOG_LEVEL")


def tick_environment(app: RunningApp, slack: SlackStub) -> dict[str, str]:
    """Our environment without any of the bot's settings, then the stub's and the data dir."""
    clean = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("SLACK_", "ONBOARD_")) and name not in APP_VARIABLES
    }
    return clean | {
        "SLACK_BOT_TOKEN": slack.bot_token,
        "SLACK_API_URL": slack.api_url,
        "ONBOARD_DATA_DIR": str(app.settings.onboard_data_dir),
    }


async def tick(
    app: RunningApp, slack: SlackStub, cwd: Path, *args: str
) -> subprocess.CompletedProcess[str]:
    """`onboard-bot tick <args>`, in a thread so the app's event loop keeps serving."""
    return await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "bot", "tick", *args],
        cwd=cwd,
        env=tick_environment(app, slack),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


async def test_tick_twice_at_the_same_now_sends_the_due_reminders_once(
    app: RunningApp, slack: SlackStub, tmp_path: Path
) -> None:
    """Acme POS (#CPAY, UALICE) and Gamma Store (#COTHER, UCAROL) created Wed 11-25 10:00 UTC,
    untouched; `tick --now 2026-11-30T17:00:00Z` (Mon 09:00 LA) DMs both owners; the same tick
    again sends nothing and says `sent 0`."""
    for text, user, channel in (
        ("new Acme POS", "UALICE", "CPAY"),
        ("new Gamma Store", "UCAROL", "COTHER"),
    ):
        result = await app.command(text, user=user, channel=channel)
        assert result.status == 200, result
    slack.clear()
    cwd = tmp_path

    first = await tick(app, slack, cwd, "--now", "2026-11-30T17:00:00Z")

    assert first.returncode == 0, first
    assert first.stdout == (
        "pass as of 2026-11-30T17:00:00+00:00: planned 2 messages, 2 of them new; "
        "sent 2, will retry 0, failed 0\n"
    )
    dms = slack.calls_to("chat.postMessage")
    assert sorted((c.args["channel"], c.args["text"]) for c in dms) == [
        ("UALICE", "Step 1.1 of Acme POS has waited 3 working days (since 2026-11-25)"),
        ("UCAROL", "Step 1.1 of Gamma Store has waited 3 working days (since 2026-11-25)"),
    ]

    second = await tick(app, slack, cwd, "--now", "2026-11-30T17:00:00Z")

    assert second.returncode == 0, second
    assert second.stdout == (
        "pass as of 2026-11-30T17:00:00+00:00: planned 2 messages, 0 of them new; "
        "sent 0, will retry 0, failed 0\n"
    )
    assert len(slack.calls_to("chat.postMessage")) == 2


async def test_tick_with_a_bad_now_exits_2_with_one_line(
    app: RunningApp, slack: SlackStub, tmp_path: Path
) -> None:
    """`tick --now yesterday`: exit status 2, one line on stderr naming --now, nothing sent."""
    result = await tick(app, slack, tmp_path, "--now", "yesterday")

    assert result.returncode == 2, result
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "onboard-bot: --now 'yesterday' is not an ISO-8601 time; e.g. 2026-11-25T09:30:00+08:00"
    ]
    assert slack.calls_to("chat.postMessage") == []
