"""The reminder DM's blocks: one step, several steps, and a step answered in place."""

from __future__ import annotations

from datetime import date

from bot.blocks.notifications import answered_reminder, reminders
from bot.outbox_messages import RemindedApplication, RemindedStep, Reminders
from tests.blocks.slack_limits import check_message


def step(number: str) -> RemindedStep:
    return RemindedStep(
        step=number,
        title="Sign up",
        reason="stalled",
        waited_days=2,
        since=date(2026, 11, 25),
        due_on=None,
    )


def dm(*numbers: str, more: int = 0) -> Reminders:
    steps = tuple(step(n) for n in numbers)
    return Reminders(
        applications=(RemindedApplication(7, "Acme POS", "acme-pos", "CPAY", steps),), more=more
    )


def as_dicts(message: Reminders) -> list[dict]:
    text, blocks = reminders(message)
    return check_message(text, blocks)


def test_a_dm_of_one_step_is_answered_by_replacing_it_whole() -> None:
    blocks = as_dicts(dm("1.1"))
    (actions,) = [b for b in blocks if b["type"] == "actions"]

    assert answered_reminder(blocks, actions["block_id"], "✅ done") is None


def test_one_step_answered_keeps_the_other_steps_controls() -> None:
    blocks = as_dicts(dm("1.1", "1.2", "1.3"))
    first, second, third = [b["block_id"] for b in blocks if b["type"] == "actions"]

    answered = answered_reminder(blocks, second, "✅ You marked 1.2 done.")

    assert answered is not None
    check_message("x", answered)
    assert [b["block_id"] for b in answered if b["type"] == "actions"] == [first, third]
    (done,) = [b for b in answered if b.get("block_id") == second]
    assert done["type"] == "context"
    assert done["elements"][0]["text"] == "✅ You marked 1.2 done."


def test_a_block_id_not_in_the_dm_changes_nothing() -> None:
    blocks = as_dicts(dm("1.1", "1.2"))

    assert answered_reminder(blocks, "reminder:99", "✅") is None
    assert answered_reminder(blocks, "checklist", "✅") is None


def test_more_than_fit_shows_the_count_left_and_says_where_the_rest_are() -> None:
    blocks = as_dicts(dm(*(f"1.{n}" for n in range(1, 40)), more=5))

    assert len(blocks) <= 50
    shown = len([b for b in blocks if b["type"] == "actions"])
    assert blocks[-1]["elements"][0]["text"].startswith(f"…and {39 + 5 - shown} more; ")
