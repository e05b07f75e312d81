"""SIGKILL between Slack taking a go-live and the outbox recording it, twenty times.

`onboard-bot run` is a real process on a SQLite file, talking to the Web API stand-in over
HTTP. Each round restarts the bot on the same data, makes an application in its own channel
and marks 3.4; the go-live goes out at once after the ack. The stand-in keeps the post and
holds back its answer, and the test SIGKILLs the process as soon as the post is kept: Slack has
the message, the database says it is still being sent (claimed, unconfirmed). Each restart's
own start-up pass runs inside the earlier rounds' leases and must send nothing. Then
`onboard-bot tick` as of after the last lease finds every message in its channel's history by
its metadata and records it: each channel holds exactly one go-live.

One tick recovers all twenty rows (each by its own history lookup) rather than one tick per
round: a process start costs about two seconds here, and the rounds already start twenty.
The figures (kills, messages, duplicates, drops) are printed (`pytest -s`) and, when
ONBOARD_FAULT_REPORT names a file, appended to it as one JSON line.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.delivery import LEASE, METADATA_EVENT_TYPE
from tests.slack_stub import SlackStub
from tests.test_delivery_faults import Tally, report, sigkill, tick
from tests.test_process import STOP_DEADLINE, BotProcess, query, start_bot

KILLS = 20


def is_outbox_post(args: dict[str, Any]) -> bool:
    metadata = args.get("metadata")
    # Every outbox post names its row; a go-live under its own event type (onboard_went_live).
    return isinstance(metadata, dict) and metadata.get("event_type") in (
        METADATA_EVENT_TYPE,
        "onboard_went_live",
    )


def go_lives_kept(slack: SlackStub, channel: str) -> list[dict[str, Any]]:
    """The go-live announcements the stand-in holds in `channel`."""
    return [
        m
        for m in slack.messages.get(channel, {}).values()
        if m["text"].endswith(" is live in production")
    ]


def go_live_row(db: Path, channel: str) -> tuple[Any, ...]:
    (row,) = query(
        db,
        "SELECT id, status, attempts, unconfirmed_since, message_ts FROM outbox "
        "WHERE kind = 'go-live' AND target = ?",
        channel,
    )
    return row


def wait_for_start_up_pass(bot: BotProcess) -> str:
    """The restarted bot's first scheduler pass, once it has finished (its log line)."""
    deadline = time.monotonic() + 20
    while not (found := re.search(r"scheduler pass: .*", bot.log())):
        assert bot.process.poll() is None, bot.log()
        assert time.monotonic() < deadline, f"no scheduler pass logged:\n{bot.log()}"
        time.sleep(0.02)
    return found[0]


def test_sigkill_after_slack_took_the_go_live_never_sends_it_twice(
    tmp_path: Path, slack: SlackStub
) -> None:
    data_dir = tmp_path / "data"
    db = data_dir / "onboard.db"
    channels = [f"CKILL{n:02}" for n in range(KILLS)]
    kept: dict[str, dict[str, Any]] = {}
    started = time.monotonic()
    for channel in channels:
        slack.channel_members[channel] = ["UALICE", "UBOT"]
        hold = slack.hold_answers("chat.postMessage", is_outbox_post)
        bot = start_bot(tmp_path / f"run-{channel}", slack, data_dir=data_dir)
        try:
            # Inside the earlier rounds' leases: their rows are left alone.
            assert "; sent 0," in wait_for_start_up_pass(bot)
            for text in (f"new Shop {channel}", "mark 3.4 --force"):
                status, answer = bot.command(text, slack=slack, channel=channel)
                assert status == 200, (text, answer, bot.log())
            assert "Marked done: 3.4" in answer["text"]
            hold.wait_held(1)  # Slack has kept the go-live; the bot has not heard back
            sigkill(bot)
        finally:
            if bot.process.poll() is None:
                bot.process.kill()
                bot.process.wait(timeout=STOP_DEADLINE)
            hold.release()
        killed_at = datetime.now(UTC)

        # What the dead process left: a claimed row whose send is unconfirmed, one message.
        row_id, status, attempts, unconfirmed_since, message_ts = go_live_row(db, channel)
        assert (status, attempts, message_ts) == ("sending", 1, None)
        assert unconfirmed_since is not None
        (kept[channel],) = go_lives_kept(slack, channel)
        assert kept[channel]["metadata"]["event_payload"]["outbox_id"] == row_id
        # Nothing that an earlier round left was sent again by this round's process.
        assert all(go_lives_kept(slack, c) == [kept[c]] for c in kept)
    kill_seconds = time.monotonic() - started

    line = tick(slack, data_dir, tmp_path, killed_at + LEASE + timedelta(minutes=1))

    # The figures first, so that a failing run still reports them.
    posts = {channel: go_lives_kept(slack, channel) for channel in channels}
    rows = query(db, "SELECT status FROM outbox WHERE kind = 'go-live'")
    numbers = Tally(
        messages=len(rows),
        sent=sum(1 for (status,) in rows if status == "sent"),
        duplicates=sum(max(len(p) - 1, 0) for p in posts.values()),
        drops=sum(1 for p in posts.values() if not p),
        extra={
            "kills": KILLS,
            "posts": sum(len(p) for p in posts.values()),
            "seconds": round(time.monotonic() - started, 1),
            "kill_rounds_seconds": round(kill_seconds, 1),
        },
    )
    report("crash_send", "sigkill-after-slack-took-the-post", numbers)
    assert re.search(rf"; sent {KILLS},", line), line
    for channel in channels:
        assert posts[channel] == [kept[channel]], channel
        assert go_live_row(db, channel)[1:] == ("sent", 2, None, kept[channel]["ts"])
    # Each row was looked for once, in its own channel, and never posted again.
    history = slack.calls_to("conversations.history")
    assert sorted(c.args["channel"] for c in history) == channels
    assert len([c for c in slack.calls_to("chat.postMessage") if is_outbox_post(c.args)]) == KILLS
    assert (numbers.messages, numbers.sent, numbers.duplicates, numbers.drops) == (
        KILLS,
        KILLS,
        0,
        0,
    )
