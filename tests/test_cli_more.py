"""`onboard-bot` as a team trips on it (issue 13, "CLI" and "Logs"): --version, bare help,
help text for every option, `tick --dry-run`, `teams`, and what `run` logs at start."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import re
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import closing
from importlib.metadata import version
from pathlib import Path

from bot.__main__ import build_parser
from bot.delivery import DeliveryReport
from bot.scheduler import PassReport, start_scheduler
from tests.harness import SIGNING_SECRET, TEAM_ID, RunningApp
from tests.scheduler.conftest import make_runner
from tests.scheduler.test_tick_cli import tick
from tests.slack_stub import SlackStub
from tests.test_cli import clean_environment, onboard_bot
from tests.test_oauth import (  # noqa: F401 (fixtures)
    CLIENT_ID,
    CLIENT_SECRET,
    installed,
    oauth_app,
    two_teams,
)

START_DEADLINE = 30.0
MONDAY_9_LA = "2026-11-30T17:00:00Z"


# ---- --version, bare help, help text ----------------------------------------------------------


def test_version_is_the_installed_packages(tmp_path: Path) -> None:
    result = onboard_bot("--version", cwd=tmp_path)
    assert result.returncode == 0, result
    assert result.stdout == f"onboard-bot {version('onboard')}\n"


def test_bare_command_prints_the_whole_help_and_exits_2(tmp_path: Path) -> None:
    """No verb is a usage error (exit 2, like argparse's own), but the reader gets every verb
    with its help rather than "the following arguments are required: VERB"."""
    result = onboard_bot(cwd=tmp_path)
    assert result.returncode == 2, result
    assert result.stdout == ""
    assert result.stderr.startswith("usage: onboard-bot")
    assert "required" not in result.stderr
    for verb in ("run", "tick", "teams", "export"):
        assert re.search(rf"^\s+{verb}\s+\S", result.stderr, re.MULTILINE), result.stderr


def _parsers(
    parser: argparse.ArgumentParser, name: str
) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    yield name, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for verb, sub in action.choices.items():
                yield from _parsers(sub, f"{name} {verb}")


def test_every_option_and_verb_has_help_text() -> None:
    missing = [
        f"{name} {action.option_strings or action.dest}"
        for name, parser in _parsers(build_parser(), "onboard-bot")
        for action in parser._actions
        if not action.help and not isinstance(action, argparse._SubParsersAction)
    ]
    assert missing == []
    assert "--dry-run" in onboard_bot("tick", "--help", cwd=Path.cwd()).stdout


# ---- tick: --dry-run and its counters ---------------------------------------------------------


def outbox_rows(app: RunningApp) -> list[tuple[str, str, str]]:
    db = app.settings.onboard_data_dir / "onboard.db"
    with closing(sqlite3.connect(db)) as connection:
        return connection.execute("SELECT kind, target, status FROM outbox ORDER BY id").fetchall()


async def test_tick_dry_run_lists_the_pass_and_sends_claims_and_writes_nothing(
    app: RunningApp, slack: SlackStub, tmp_path: Path
) -> None:
    for text, user, channel in (
        ("new Acme POS", "UALICE", "CPAY"),
        ("new Gamma Store", "UCAROL", "COTHER"),
    ):
        assert (await app.command(text, user=user, channel=channel)).status == 200
    slack.clear()
    before = outbox_rows(app)

    dry = await tick(app, slack, tmp_path, "--now", MONDAY_9_LA, "--dry-run")

    assert dry.returncode == 0, dry
    head, *lines = dry.stdout.splitlines()
    assert head == (
        "dry run as of 2026-11-30T17:00:00+00:00: would plan 2 messages, 2 of them new; "
        "dry run: nothing claimed, sent or written"
    )
    assert sorted(lines) == [
        f"  would send: reminders to UALICE in {TEAM_ID} step 1.1",
        f"  would send: reminders to UCAROL in {TEAM_ID} step 1.1",
    ]
    assert slack.calls_to("chat.postMessage") == []
    assert outbox_rows(app) == before

    # The real pass sends what the dry run listed; a dry run after it finds both queued.
    real = await tick(app, slack, tmp_path, "--now", MONDAY_9_LA)
    assert real.stdout.endswith(
        ": planned 2 messages, 2 of them new; sent 2, will retry 0, failed 0\n"
    )
    again = await tick(app, slack, tmp_path, "--now", MONDAY_9_LA, "--dry-run")
    assert "would plan 2 messages, 0 of them new" in again.stdout
    assert again.stdout.count("  already queued: reminders to ") == 2
    assert len(slack.calls_to("chat.postMessage")) == 2


# ---- teams ------------------------------------------------------------------------------------


def test_teams_with_one_bot_token_names_its_workspace(tmp_path: Path, slack: SlackStub) -> None:
    env = {"SLACK_BOT_TOKEN": slack.bot_token, "SLACK_API_URL": slack.api_url}
    result = onboard_bot("teams", cwd=tmp_path, env=env)
    assert result.returncode == 0, result
    assert result.stdout == f"{TEAM_ID}\tTest Team\n"
    assert [c.method for c in slack.calls] == ["auth.test"]


async def test_teams_with_oauth_lists_the_installed_workspaces(
    installed: RunningApp,  # noqa: F811
    two_teams: SlackStub,  # noqa: F811
    tmp_path: Path,
) -> None:
    env = {
        "SLACK_CLIENT_ID": CLIENT_ID,
        "SLACK_CLIENT_SECRET": CLIENT_SECRET,
        "SLACK_API_URL": two_teams.api_url,
        "ONBOARD_DATA_DIR": str(installed.settings.onboard_data_dir),
    }
    result = await asyncio.to_thread(onboard_bot, "teams", cwd=tmp_path, env=env)
    assert result.returncode == 0, result
    assert result.stdout == "T0001\tTeam T0001\nT0002\tTeam T0002\n"


# ---- what `run` logs at start -----------------------------------------------------------------


@contextlib.contextmanager
def run_on_port_0(tmp_path: Path, slack: SlackStub) -> Iterator[tuple[int, Path]]:
    """`onboard-bot run` over HTTP with PORT=0; yields the port its log names, and the log."""
    log_path = tmp_path / "bot.log"
    env = {
        **clean_environment(),
        "SLACK_BOT_TOKEN": slack.bot_token,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.api_url,
        "ONBOARD_DATA_DIR": str(tmp_path / "data"),
        "HOST": "127.0.0.1",
        "PORT": "0",
    }
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "run"],
            cwd=tmp_path,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + START_DEADLINE
        pattern = re.compile(r"listening on http://127\.0\.0\.1:(\d+)/slack/events")
        while not (found := pattern.search(log_path.read_text())) or "first scheduler pass" not in (
            log_path.read_text()
        ):
            assert process.poll() is None, log_path.read_text()
            assert time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.05)
        yield int(found[1]), log_path
    finally:
        process.kill()
        process.wait(timeout=10)


def test_run_logs_the_real_port_and_neither_bolts_token_warning_nor_apscheduler(
    tmp_path: Path, slack: SlackStub
) -> None:
    with run_on_port_0(tmp_path, slack) as (port, log_path):
        assert port != 0
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
            assert response.status == 200
        log = log_path.read_text()
    assert "will be unused" not in log
    assert "apscheduler" not in log
    # The first pass says the scheduler works; it sent nothing.
    assert "first scheduler pass: planned 0 messages, 0 of them new; sent 0," in log


async def test_passes_that_did_nothing_log_nothing_after_the_first(
    app: RunningApp, clock, caplog
) -> None:
    """The first pass after start logs one line; later ones only when they queued or sent."""
    caplog.set_level(logging.INFO)
    runner, _ = make_runner(app.runtime, app.settings, clock)
    reports = [
        PassReport(0, 0, DeliveryReport()),
        PassReport(3, 0, DeliveryReport()),
        PassReport(1, 1, DeliveryReport(sent=1)),
    ]
    ran = asyncio.Event()

    async def scripted_pass(_now):
        ran.set()
        return reports.pop(0)

    runner.run_pass = scripted_pass  # type: ignore[method-assign]
    scheduler = start_scheduler(runner, clock=clock)
    try:
        await asyncio.wait_for(ran.wait(), timeout=5)
        await asyncio.sleep(0.05)
        job = scheduler.get_job("pass")
        await job.func()  # the next minutes' passes, without waiting for them
        await job.func()
    finally:
        scheduler.shutdown(wait=False)
    lines = [r.getMessage() for r in caplog.records if "scheduler pass" in r.getMessage()]
    assert lines == [
        "first scheduler pass: planned 0 messages, 0 of them new; sent 0, will retry 0, failed 0",
        "scheduler pass: planned 1 message, 1 of them new; sent 1, will retry 0, failed 0",
    ]
