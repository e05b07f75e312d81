"""LOG_FORMAT=json: every line `onboard-bot run` writes during a whole session is one JSON
object with the request, workspace and application it is about where known, tracebacks as a
field, and no secret in any of it. The bot runs as a real process against the Slack stand-in,
at DEBUG so that Bolt's and aiohttp's own lines are in the log too."""

from __future__ import annotations

import io
import json
import logging
import signal
import time
from pathlib import Path

from cryptography.fernet import Fernet

from bot.monitoring import logs
from tests.harness import SIGNING_SECRET
from tests.slack_stub import SlackStub
from tests.test_process import STOP_DEADLINE, running_bot


def wait_for(condition, what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_a_whole_session_logs_one_json_object_per_line_without_secrets(
    tmp_path: Path, slack: SlackStub
) -> None:
    key = Fernet.generate_key().decode()
    env = {"LOG_FORMAT": "json", "LOG_LEVEL": "DEBUG", "ONBOARD_ENCRYPTION_KEYS": key}
    with running_bot(tmp_path, slack, data_dir=tmp_path / "data", extra_env=env) as bot:
        wait_for(lambda: "scheduler pass" in bot.log(), "the first pass")
        bot.ok_command("new Acme POS", slack=slack)
        bot.ok_command("mark 1.1", slack=slack)
        bot.ok_command("status", slack=slack)  # posts the checklist message
        slack.wait_for_sync("chat.postMessage")
        bot.ok_command("creds set sandbox client-id SANDBOX_5Y3A2N2YEB3002022", slack=slack)
        # The error: Slack's connection drops under the checklist's redraw after a mark.
        slack.fail("chat.update", drop_connection=True, times=5)
        bot.ok_command("mark 1.2", slack=slack)
        wait_for(lambda: "redrawing" in bot.log(), "the failed redraw")
        bot.process.send_signal(signal.SIGTERM)
        bot.process.wait(timeout=STOP_DEADLINE)
        log = bot.log()

    records = []
    for line in log.splitlines():
        record = json.loads(line)  # every line, whoever wrote it
        assert isinstance(record, dict), line
        assert {"timestamp", "level", "logger", "message"} <= record.keys(), line
        records.append(record)
    assert len(records) > 20  # Bolt's DEBUG lines included
    assert any(r["message"] == "stopped" for r in records)
    assert any(r["message"].startswith("first scheduler pass") for r in records)

    requests = [r for r in records if r.get("request_id")]
    assert requests and all(r["team_id"] == "T0001" for r in requests)
    assert len({r["request_id"] for r in requests}) >= 5  # one per command
    (failed,) = [r for r in records if r["message"].startswith("redrawing")]
    assert failed["level"] == "ERROR"
    assert failed["exception"].startswith("Traceback") and "chat_update" in failed["exception"]
    # Its redraw ran after the mark's ack, in a task of its own: it still names the request
    # and the application.
    assert failed["request_id"] and failed["application_id"] == 1

    for secret in (slack.bot_token, SIGNING_SECRET, key):
        assert secret not in log
    assert "xoxb-" not in log.replace("xoxb-…", "")


def test_a_token_in_a_traceback_is_redacted() -> None:
    stream = io.StringIO()
    handler = logs.handler("json", stream)
    logger = logging.getLogger("tests.json_logs")
    logger.addHandler(handler)
    try:
        try:
            raise ValueError("refused xoxb-1234-5678-abcdefghijkl")
        except ValueError:
            logger.error("call failed with xapp-1-A0-secret", exc_info=True)
    finally:
        logger.removeHandler(handler)
    record = json.loads(stream.getvalue())
    assert record["message"] == "call failed with xapp-…"
    assert "xoxb-…" in record["exception"] and "abcdefghijkl" not in record["exception"]
