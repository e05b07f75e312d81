"""`onboard-bot` as operators run it: a subprocess with a clean environment, cwd a tmp dir."""

from __future__ import annotations

import asyncio
import csv
import json
import os
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory

from storage.db import alembic_config
from tests.harness import SIGNING_SECRET, TEAM_ID, RunningApp
from tests.slack_stub import SlackStub

CLI_TIMEOUT = 30.0
APP_VARIABLES = ("DATABASE_URL", "HOST", "PORT", "LOG_LEVEL")
TABLES = {"alembic_version", "applications", "step_states", "notes", "events"}


def clean_environment() -> dict[str, str]:
    """PATH, HOME and the like from our environment, without any setting of the bot's."""
    return {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("SLACK_", "ONBOARD_")) and name not in APP_VARIABLES
    }


def onboard_bot(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `onboard-bot <args>` to completion (killed if it outlives CLI_TIMEOUT)."""
    cwd.mkdir(parents=True, exist_ok=True)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env={**clean_environment(), **(env or {})},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT,
        check=False,
    )


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    """The single stderr line of a run that must stop with exit code 2."""
    assert result.returncode == 2, result
    lines = result.stderr.splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got:\n{result.stderr}"
    assert "Traceback" not in result.stderr
    return lines[0]


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A working directory with no .env in it."""
    path = tmp_path / "cwd"
    path.mkdir()
    return path


@pytest.fixture
def serving_env(tmp_path: Path) -> dict[str, str]:
    """Everything `run` needs over HTTP; tests spoil one setting at a time.

    The Web API URL is a closed local port: nothing reaches Slack, and a bot that ignored
    the spoiled setting would stop at its start-up auth.test, naming SLACK_API_URL instead.
    """
    return {
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": "http://127.0.0.1:9/api/",
        "ONBOARD_DATA_DIR": str(tmp_path / "data"),
        "HOST": "127.0.0.1",
        "PORT": "0",
    }


# ---- settings: missing, wrong, from .env, never leaked ----------------------------------------


def test_run_without_bot_token_names_it(workdir: Path) -> None:
    result = onboard_bot("run", cwd=workdir)
    assert "SLACK_BOT_TOKEN" in one_line_error(result)
    assert result.stdout == ""


def test_run_over_http_without_signing_secret_names_it(workdir: Path) -> None:
    result = onboard_bot("run", cwd=workdir, env={"SLACK_BOT_TOKEN": "xoxb-test"})
    assert "SLACK_SIGNING_SECRET" in one_line_error(result)


@pytest.mark.parametrize(
    ("name", "value"),
    [("PORT", "abc"), ("LOG_LEVEL", "LOUD"), ("SLACK_BOT_TOKEN", "nope")],
)
def test_run_with_a_bad_value_names_the_setting(
    workdir: Path, serving_env: dict[str, str], name: str, value: str
) -> None:
    result = onboard_bot("run", cwd=workdir, env={**serving_env, name: value})
    assert name in one_line_error(result)


def test_dotenv_in_the_working_directory_is_read(workdir: Path) -> None:
    (workdir / ".env").write_text("SLACK_BOT_TOKEN=xoxb-from-dotenv\n", encoding="utf-8")
    line = one_line_error(onboard_bot("run", cwd=workdir))
    assert "SLACK_SIGNING_SECRET" in line
    assert "SLACK_BOT_TOKEN" not in line


@pytest.mark.parametrize(
    "env",
    [
        pytest.param({"SLACK_BOT_TOKEN": "xoxb-secret-value-123"}, id="missing-signing-secret"),
        pytest.param({"SLACK_BOT_TOKEN": "nope-secret-value-123"}, id="bad-bot-token"),
        pytest.param(
            {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xoxb-secret-value-123"},
            id="bad-app-token",
        ),
        pytest.param({"SLACK_SIGNING_SECRET": "secret-value-123", "PORT": "abc"}, id="bad-port"),
    ],
)
def test_setting_errors_never_print_secrets(workdir: Path, env: dict[str, str]) -> None:
    result = onboard_bot("run", cwd=workdir, env=env)
    one_line_error(result)
    assert "secret-value" not in result.stdout + result.stderr


@pytest.mark.parametrize(
    "argv",
    [["--help"], ["run", "--help"], ["db", "upgrade", "--help"], ["export", "--help"]],
    ids=" ".join,
)
def test_help_exits_0(workdir: Path, argv: list[str]) -> None:
    result = onboard_bot(*argv, cwd=workdir)
    assert result.returncode == 0, result
    assert result.stdout.startswith("usage: onboard-bot")


# ---- db upgrade -------------------------------------------------------------------------------


def test_db_upgrade_creates_the_schema_and_can_run_twice(workdir: Path) -> None:
    env = {"ONBOARD_DATA_DIR": "data"}
    for _ in range(2):
        result = onboard_bot("db", "upgrade", cwd=workdir, env=env)
        assert result.returncode == 0, result
        assert "up to date" in result.stdout

    db = workdir / "data" / "onboard.db"
    with closing(sqlite3.connect(db)) as connection:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
        versions = connection.execute("SELECT version_num FROM alembic_version").fetchall()
    assert tables >= TABLES
    assert versions == [(ScriptDirectory.from_config(alembic_config()).get_current_head(),)]


# ---- export -------------------------------------------------------------------------------------


async def create_acme(app: RunningApp) -> None:
    """Acme POS with 1.1 done and a note on 1.2, through the running app."""
    for text in ("new Acme POS", "mark 1.1", "note 1.2 =SUM(A1) waiting on IT"):
        result = await app.command(text)
        assert result.status == 200, result


async def export(app: RunningApp, workdir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`onboard-bot export` on the data directory of the in-process app."""
    env = {"ONBOARD_DATA_DIR": str(app.settings.onboard_data_dir)}
    # In a thread: the app's event loop stays free while the CLI runs.
    return await asyncio.to_thread(onboard_bot, "export", *args, cwd=workdir, env=env)


async def test_export_json_to_stdout(app: RunningApp, workdir: Path) -> None:
    await create_acme(app)
    result = await export(
        app, workdir, "acme-pos", "--team", TEAM_ID, "--format", "json", "-o", "-"
    )
    assert result.returncode == 0, result

    document = json.loads(result.stdout)
    application = document["application"]
    assert (application["name"], application["slug"]) == ("Acme POS", "acme-pos")
    assert (application["channel"], application["owner"]) == ("CPAY", "UALICE")
    assert application["progress"] == {"done": 1, "skipped": 0, "total": 19}
    steps = {s["step"]: s for s in document["steps"]}
    assert len(steps) == 19
    assert (steps["1.1"]["done"], steps["1.1"]["done_by"]) == (True, "UALICE")
    assert steps["1.2"]["done"] is False
    assert [n["text"] for n in steps["1.2"]["notes"]] == ["=SUM(A1) waiting on IT"]
    assert [(e["kind"], e["step"]) for e in document["history"]] == [
        ("created", None),
        ("marked", "1.1"),
        ("noted", "1.2"),
    ]


async def test_export_csv_writes_checklist_and_history(
    app: RunningApp, workdir: Path, tmp_path: Path
) -> None:
    await create_acme(app)
    out = tmp_path / "out"
    result = await export(
        app, workdir, "acme-pos", "--team", TEAM_ID, "--format", "csv", "-o", str(out)
    )
    assert result.returncode == 0, result

    assert sorted(p.name for p in out.iterdir()) == [
        "acme-pos-checklist.csv",
        "acme-pos-history.csv",
    ]
    with (out / "acme-pos-checklist.csv").open(encoding="utf-8", newline="") as f:
        steps = {row["step"]: row for row in csv.DictReader(f)}
    with (out / "acme-pos-history.csv").open(encoding="utf-8", newline="") as f:
        history = list(csv.DictReader(f))

    assert len(steps) == 19
    assert (steps["1.1"]["done"], steps["1.1"]["done_by"]) == ("True", "UALICE")
    assert steps["1.2"]["done"] == "False"
    assert steps["1.2"]["notes"] == "UALICE: =SUM(A1) waiting on IT"
    assert [(row["kind"], row["step"], row["actor"]) for row in history] == [
        ("created", "", "UALICE"),
        ("marked", "1.1", "UALICE"),
        ("noted", "1.2", "UALICE"),
    ]
    # A cell that would start like a formula is defused for spreadsheets.
    assert history[2]["new"] == "'=SUM(A1) waiting on IT"


async def test_export_of_an_unknown_slug_exits_2_naming_it(app: RunningApp, workdir: Path) -> None:
    await create_acme(app)
    result = await export(app, workdir, "no-such-app", "--team", TEAM_ID, "-o", "-")
    line = one_line_error(result)
    assert line == "onboard-bot: no application 'no-such-app' in team 'T0001'"
    assert result.stdout == ""


# ---- a token Slack refuses (checked with auth.test at start) ------------------------------------


@pytest.fixture
def refused_token_env(serving_env: dict[str, str], slack: SlackStub) -> dict[str, str]:
    assert "xoxb-refused-secret-value" not in slack.tokens
    return {
        **serving_env,
        "SLACK_API_URL": slack.api_url,
        "SLACK_BOT_TOKEN": "xoxb-refused-secret-value",
    }


def test_run_with_a_token_slack_refuses_names_it(
    workdir: Path, refused_token_env: dict[str, str], slack: SlackStub
) -> None:
    result = onboard_bot("run", cwd=workdir, env=refused_token_env)
    line = one_line_error(result)
    assert "SLACK_BOT_TOKEN" in line
    assert "invalid_auth" in line
    assert "secret-value" not in result.stdout + result.stderr
    assert [c.answered_with for c in slack.calls_to("auth.test")] == ["error:invalid_auth"]
