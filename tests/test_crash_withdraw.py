"""SIGKILL between claiming a withdrawal and recording Slack's answer to its chat.update.

`onboard-bot run` is a real process on a SQLite file, talking to the Web API stand-in over
HTTP. It marks 3.4 (--force: no question), and the go-live goes out at once after the ack.
`unmark 3.4` queues the withdrawal, which is claimed and sent at once: the stand-in applies
the chat.update and holds back its answer, and the test SIGKILLs the process then. The row is
left claimed (sending). `onboard-bot tick` after its lease updates the message again (an
update repeated gives the same message) and records it: the channel still holds exactly one
go-live, now saying it was withdrawn, and nothing new was posted.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.delivery import LEASE
from tests.slack_stub import SlackStub
from tests.test_crash_send import is_outbox_post
from tests.test_delivery_faults import sigkill, tick
from tests.test_process import STOP_DEADLINE, query, start_bot

WITHDRAWN = "Withdrawn: Shop, step 3.4 was marked not done"


def test_sigkill_after_slack_took_the_withdrawal_updates_once_more_and_posts_nothing(
    tmp_path: Path, slack: SlackStub
) -> None:
    data_dir = tmp_path / "data"
    db = data_dir / "onboard.db"
    hold = slack.hold_answers("chat.update", lambda args: args.get("text") == WITHDRAWN)
    bot = start_bot(tmp_path / "run", slack, data_dir=data_dir)
    try:
        for text in ("new Shop", "mark 3.4 --force"):
            status, answer = bot.command(text, slack=slack)
            assert status == 200, (text, answer, bot.log())
        (posted,) = slack.wait_for_sync("chat.postMessage")  # the go-live, at once
        assert posted.args["text"] == "Shop is live in production"
        status, answer = bot.command("unmark 3.4", slack=slack)
        assert status == 200, (answer, bot.log())
        hold.wait_held(1)  # Slack has updated it; the bot has not heard back
        sigkill(bot)
    finally:
        if bot.process.poll() is None:
            bot.process.kill()
            bot.process.wait(timeout=STOP_DEADLINE)
        hold.release()
    killed_at = datetime.now(UTC)

    ((status, attempts),) = query(
        db, "SELECT status, attempts FROM outbox WHERE kind = 'announcement-withdrawn'"
    )
    assert (status, attempts) == ("sending", 1)

    tick(slack, data_dir, tmp_path, killed_at + LEASE + timedelta(minutes=1))

    rows = query(db, "SELECT kind, status, attempts FROM outbox ORDER BY id")
    assert rows == [("go-live", "sent", 1), ("announcement-withdrawn", "sent", 2)]
    (channel,) = {c.args["channel"] for c in slack.calls_to("chat.update") if c.args.get("ts")}
    kept = list(slack.messages[channel].values())
    go_lives = [m for m in kept if m.get("metadata") and is_outbox_post(m)]
    assert [m["text"] for m in go_lives] == [WITHDRAWN]
    updates = [c for c in slack.calls_to("chat.update") if c.args.get("text") == WITHDRAWN]
    assert len(updates) == 2  # the one the dead process made, and the tick's
    assert len([c for c in slack.calls_to("chat.postMessage") if is_outbox_post(c.args)]) == 1
