"""`onboard-bot run` as a real process: HTTP on 127.0.0.1, a SQLite file, the Slack stub.

These tests treat the bot as operators run it: start it with environment variables, talk to
it over signed HTTP, kill it (gracefully or not) and start it again on the same data.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text

from storage.db import alembic_config
from tests.harness import SIGNING_SECRET, signed_headers, slash_command_body
from tests.slack_stub import SlackStub

STARTUP_DEADLINE = 20.0
STOP_DEADLINE = 10.0
HTTP_TIMEOUT = 10.0

# Environment variables the bot reads; a developer's own values must not leak into a test.
APP_VARIABLES = ("DATABASE_URL", "HOST", "PORT", "LOG_LEVEL")


# ---- starting and talking to the process ----------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def clean_environment() -> dict[str, str]:
    """PATH, HOME and the like from our environment, without any setting of the bot's."""
    return {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("SLACK_", "ONBOARD_")) and name not in APP_VARIABLES
    }


@dataclass
class BotProcess:
    process: subprocess.Popen[bytes]
    url: str
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def get(self, path: str) -> tuple[int, Any]:
        return _http(urllib.request.Request(self.url + path))

    def post_events(self, body: str, headers: dict[str, str]) -> tuple[int, Any]:
        request = urllib.request.Request(
            f"{self.url}/slack/events", data=body.encode(), headers=headers, method="POST"
        )
        return _http(request)

    def command(
        self, text: str, *, slack: SlackStub, user: str = "UALICE", channel: str = "CPAY"
    ) -> tuple[int, Any]:
        body = slash_command_body(
            text, user_id=user, channel_id=channel, response_url=slack.response_url()
        )
        return self.post_events(body, signed_headers(body))

    def ok_command(self, text: str, *, slack: SlackStub) -> dict[str, Any]:
        """Send a command that must be acknowledged (HTTP 200); returns the ack's JSON."""
        status, answer = self.command(text, slack=slack)
        assert status == 200, f"/onboard {text} answered {status}: {answer!r}\n{self.log()}"
        return answer if isinstance(answer, dict) else {}


def _http(request: urllib.request.Request) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as e:
        status, raw = e.code, e.read()
    try:
        return status, json.loads(raw) if raw else {}
    except ValueError:
        return status, raw.decode(errors="replace")


def _wait_until_healthy(bot: BotProcess) -> None:
    deadline = time.monotonic() + STARTUP_DEADLINE
    while time.monotonic() < deadline:
        if bot.process.poll() is not None:
            raise AssertionError(f"bot exited with {bot.process.returncode}:\n{bot.log()}")
        with contextlib.suppress(OSError):
            if bot.get("/healthz")[0] == 200:
                return
        time.sleep(0.05)
    raise AssertionError(f"bot not healthy within {STARTUP_DEADLINE}s:\n{bot.log()}")


def start_bot(
    workdir: Path, slack: SlackStub, *, data_dir: Path, extra_env: dict[str, str] | None = None
) -> BotProcess:
    """Start `onboard-bot run` in HTTP mode and wait until /healthz answers 200.

    The caller must stop it (see `running_bot`, which does so in a finally).
    """
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = {
        **clean_environment(),
        "SLACK_BOT_TOKEN": slack.bot_token,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.api_url,
        "ONBOARD_DATA_DIR": str(data_dir),
        "HOST": "127.0.0.1",
        "PORT": str(port),
        **(extra_env or {}),
    }
    log_path = workdir / f"bot-{port}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "run"],
            cwd=workdir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    bot = BotProcess(process, f"http://127.0.0.1:{port}", log_path)
    try:
        _wait_until_healthy(bot)
    except BaseException:
        _kill(bot.process)
        raise
    return bot


def _kill(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.kill()
    process.wait(timeout=STOP_DEADLINE)


@contextlib.contextmanager
def running_bot(
    workdir: Path, slack: SlackStub, *, data_dir: Path, extra_env: dict[str, str] | None = None
) -> Iterator[BotProcess]:
    bot = start_bot(workdir, slack, data_dir=data_dir, extra_env=extra_env)
    try:
        yield bot
    finally:
        _kill(bot.process)


def block_text_about(needle: str, blocks: list[dict[str, Any]]) -> str:
    """The first text object of a message's blocks that contains `needle`."""
    texts: list[str] = []

    def collect(node: object) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("text"), str):
                texts.append(node["text"])
            for value in node.values():
                collect(value)
        elif isinstance(node, list):
            for item in node:
                collect(item)

    collect(blocks)
    found = [t for t in texts if needle in t]
    assert found, f"no block text mentions {needle}: {texts}"
    return found[0]


# ---- reading the SQLite file directly ---------------------------------------------------------


def query(db_path: Path, sql: str, *params: object) -> list[tuple[Any, ...]]:
    with contextlib.closing(sqlite3.connect(db_path)) as connection:
        return connection.execute(sql, params).fetchall()


def count_events(db_path: Path) -> int:
    return query(db_path, "SELECT count(*) FROM events")[0][0]


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


# ---- tests --------------------------------------------------------------------------------------


def test_healthz_answers_ok(tmp_path: Path, slack: SlackStub) -> None:
    with running_bot(tmp_path / "run", slack, data_dir=tmp_path / "data") as bot:
        assert bot.get("/healthz") == (200, {"status": "ok"})


def test_sigkill_loses_no_acknowledged_change(tmp_path: Path, slack: SlackStub) -> None:
    data_dir = tmp_path / "data"
    with running_bot(tmp_path / "first", slack, data_dir=data_dir) as bot:
        for change in (
            "new Acme POS",
            "mark 1.1 1.2",
            "assign 1.3 <@UBOB|bob>",
            "due 1.3 2099-01-01",
            'note 1.3 "waiting on IT"',
        ):
            bot.ok_command(change, slack=slack)
        bot.process.send_signal(signal.SIGKILL)  # no graceful stop, right after the last ack
        assert bot.process.wait(timeout=STOP_DEADLINE) == -signal.SIGKILL

    # On disk, before anything opens the database again.
    db = data_dir / "onboard.db"
    assert query(db, "SELECT kind, step, actor_id, new_value FROM events ORDER BY id") == [
        ("created", None, "UALICE", "Acme POS"),
        ("marked", "1.1", "UALICE", "done"),
        ("marked", "1.2", "UALICE", "done"),
        ("assigned", "1.3", "UALICE", "UBOB"),
        ("due", "1.3", "UALICE", "2099-01-01"),
        ("noted", "1.3", "UALICE", "waiting on IT"),
    ]
    steps = {
        step: (done_by, assignee, due_on)
        for step, done_by, assignee, due_on in query(
            db, "SELECT step, done_by, assignee_id, due_on FROM step_states"
        )
    }
    assert steps["1.1"] == ("UALICE", None, None)
    assert steps["1.2"] == ("UALICE", None, None)
    assert steps["1.3"] == (None, "UBOB", "2099-01-01")
    assert query(db, "SELECT step, author_id, text FROM notes") == [
        ("1.3", "UALICE", "waiting on IT")
    ]

    # And the restarted bot serves all of it.
    with running_bot(tmp_path / "second", slack, data_dir=data_dir) as bot:
        history = bot.ok_command("history", slack=slack)["text"]
        for line in (
            "created the application",
            "marked 1.1 done",
            "marked 1.2 done",
            "assigned 1.3 to <@UBOB>",
            "set 1.3 due 2099-01-01",
            "noted on 1.3: “waiting on IT”",
        ):
            assert line in history

        # The assignment DM to UBOB, queued before the kill, may go out now too: the checklist
        # is the post to #CPAY.
        bot.ok_command("status", slack=slack)
        deadline = time.monotonic() + 5
        while not (to_channel := slack_posts_to(slack, "CPAY")) and time.monotonic() < deadline:
            time.sleep(0.02)
        (posted,) = to_channel
    assert posted["channel"] == "CPAY"
    assert posted["text"] == "Acme POS: 2/19 steps done"
    assert "✅ *1.1*" in block_text_about("*1.1*", posted["blocks"])
    assert "✅ *1.2*" in block_text_about("*1.2*", posted["blocks"])
    step_3 = block_text_about("*1.3*", posted["blocks"])
    assert "✅ *1.3*" not in step_3
    assert "<@UBOB>" in step_3
    assert "due 2099-01-01" in step_3


def test_bad_signatures_get_401_and_change_nothing(tmp_path: Path, slack: SlackStub) -> None:
    db = tmp_path / "data" / "onboard.db"
    with running_bot(tmp_path / "run", slack, data_dir=tmp_path / "data") as bot:
        bot.ok_command("new Acme POS", slack=slack)
        events_before = count_events(db)
        body = slash_command_body(
            "mark 1.1", user_id="UALICE", channel_id="CPAY", response_url=slack.response_url()
        )
        unsigned = {"Content-Type": "application/x-www-form-urlencoded"}
        forged = signed_headers(body, secret="not-the-signing-secret")
        stale = signed_headers(body, timestamp=int(time.time()) - 5 * 60 - 30)

        for name, headers in (("forged", forged), ("stale", stale), ("unsigned", unsigned)):
            status, _answer = bot.post_events(body, headers)
            assert status == 401, f"{name} request answered {status}"

        assert count_events(db) == events_before
        assert query(db, "SELECT done_at FROM step_states WHERE step = '1.1'") == [(None,)]
        # The very same body, signed properly, is what would have changed something.
        assert bot.post_events(body, signed_headers(body))[0] == 200
        assert count_events(db) == events_before + 1


def test_sigterm_stops_cleanly(tmp_path: Path, slack: SlackStub) -> None:
    with running_bot(tmp_path / "run", slack, data_dir=tmp_path / "data") as bot:
        bot.process.send_signal(signal.SIGTERM)
        assert bot.process.wait(timeout=5) == 0, bot.log()
        assert "stopped" in bot.log()


def test_runs_on_postgresql(tmp_path: Path, slack: SlackStub, postgres_url: str) -> None:
    data_dir = tmp_path / "data"
    with running_bot(
        tmp_path / "run", slack, data_dir=data_dir, extra_env={"DATABASE_URL": postgres_url}
    ) as bot:
        bot.ok_command("new Acme POS", slack=slack)
        marked = bot.ok_command("mark 1.1", slack=slack)["text"]
        assert "Marked done: 1.1" in marked
        history = bot.ok_command("history", slack=slack)["text"]
        assert "marked 1.1 done" in history
        assert "created the application" in history

    engine = create_engine(postgres_url)
    try:
        with engine.connect() as connection:
            version = connection.execute(text("SELECT version_num FROM alembic_version"))
            assert version.scalar_one() == head_revision()
    finally:
        engine.dispose()
    assert not (data_dir / "onboard.db").exists()


def slack_posts_to(slack: SlackStub, channel: str) -> list[dict]:
    """The arguments of every chat.postMessage to `channel` so far."""
    return [c.args for c in slack.calls_to("chat.postMessage") if c.args["channel"] == channel]
