"""Reminders go to someone who can act on them: a step whose assignee is not in the
application's channel reminds the owner instead, and says why.

As in test_reminders.py: every application is created Wednesday 2026-11-25 10:00 UTC in #CPAY
(UALICE owns it; UALICE and UBOB are members, UCAROL is only in #COTHER), all three live in
Los Angeles, and an untouched step 1.1 is first reminded Friday 2026-11-27 at 17:00 UTC
(09:00 LA), then every working day at that time. Who is in a channel is what Slack's
`conversations.members` answers, cached by the directory; a membership event
(`member_left_channel`, `member_joined_channel`) drops the cached list, as in a workspace.
"""

from __future__ import annotations

import asyncio
import time

from bot.outbox_messages import Reminder
from tests.harness import event_body, signed_headers
from tests.scheduler.conftest import Sim, utc
from tests.slack_stub import SlackStub

FRIDAY = utc(2026, 11, 27, 17)
MONDAY = utc(2026, 11, 30, 17)
TUESDAY = utc(2026, 12, 1, 17)
STEP_1_1 = "Step *1.1* _Sign up and log in to Alipay Global Partner Developer Center_"


async def membership_changes(sim: Sim, slack: SlackStub, kind: str, user: str) -> None:
    """`user` leaves (member_left_channel) or joins (member_joined_channel) #CPAY: Slack's
    list changes and Slack tells the app, which drops its cached list."""
    members = slack.channel_members["CPAY"]
    if kind == "member_left_channel":
        members.remove(user)
    else:
        members.append(user)
    event = {
        "type": kind,
        "user": user,
        "channel": "CPAY",
        "channel_type": "C",
        "team": "T0001",
        "event_ts": f"{time.time():.6f}",
    }
    body = event_body(event)
    answer = await sim.app.post(body, signed_headers(body) | {"Content-Type": "application/json"})
    assert answer.status == 200
    # Bolt runs event listeners after the ack.
    await asyncio.sleep(0.3)


def reminders(result) -> list[tuple[str, str]]:
    """(recipient, mrkdwn of the blocks) of each reminder a pass sent."""
    return [(p.channel, p.markdown) for p in result.posts if p.kind == Reminder.KIND]


def instead_of(row) -> list[str | None]:
    """`instead_of` of each step a reminder row lists."""
    return [s["instead_of"] for a in row.payload["applications"] for s in a["steps"]]


def body(step_line: str, *extra: str) -> str:
    """A reminder's mrkdwn: its first line, then any extra lines, then no more."""
    return "\n".join([step_line, *extra])


STALLED_FRIDAY = (
    f"⏰ {STEP_1_1} of *Acme POS* in <#CPAY> has waited 2 working days (since 2026-11-25)."
)
STALLED_MONDAY = (
    f"⏰ {STEP_1_1} of *Acme POS* in <#CPAY> has waited 3 working days (since 2026-11-25)."
)


async def test_an_assignee_who_left_the_channel_is_not_reminded_the_owner_is_with_the_reason(
    sim: Sim, slack: SlackStub
) -> None:
    """1.1 assigned to UBOB Wednesday; UBOB leaves #CPAY Thursday: Friday's reminder goes to
    the owner UALICE, saying UBOB is not in #CPAY; UBOB gets nothing."""
    await sim.command("new Acme POS")
    await sim.command("assign 1.1 <@UBOB|bob>")
    sim.clock.now = utc(2026, 11, 26, 12)
    await membership_changes(sim, slack, "member_left_channel", "UBOB")

    result = await sim.run_pass(FRIDAY)

    assert reminders(result) == [
        (
            "UALICE",
            body(
                STALLED_FRIDAY,
                "<@UBOB> is not in <#CPAY>, so this comes to you as the owner of *Acme POS*.",
            ),
        )
    ]
    (row,) = await sim.outbox()
    assert (row.target, instead_of(row)) == ("UALICE", ["UBOB"])


async def test_an_assignee_back_in_the_channel_is_reminded_again(
    sim: Sim, slack: SlackStub
) -> None:
    """UBOB leaves before Friday (UALICE reminded) and rejoins over the weekend: Monday's
    reminder goes to UBOB again, without a reason line."""
    await sim.command("new Acme POS")
    await sim.command("assign 1.1 <@UBOB|bob>")
    await membership_changes(sim, slack, "member_left_channel", "UBOB")
    friday = await sim.run_pass(FRIDAY)
    assert [to for to, _ in reminders(friday)] == ["UALICE"]

    sim.clock.now = utc(2026, 11, 28, 12)
    await membership_changes(sim, slack, "member_joined_channel", "UBOB")
    monday = await sim.run_pass(MONDAY)

    assert reminders(monday) == [("UBOB", body(STALLED_MONDAY))]


async def test_an_assignee_never_in_the_channel_reminds_the_owner(
    sim: Sim, slack: SlackStub
) -> None:
    """1.1 assigned to UCAROL, who is only in #COTHER: the owner is reminded, with the reason."""
    await sim.command("new Acme POS")
    await sim.command("assign 1.1 <@UCAROL|carol>")

    result = await sim.run_pass(FRIDAY)

    assert reminders(result) == [
        (
            "UALICE",
            body(
                STALLED_FRIDAY,
                "<@UCAROL> is not in <#CPAY>, so this comes to you as the owner of *Acme POS*.",
            ),
        )
    ]


async def test_an_owner_also_out_of_the_channel_is_still_reminded(
    sim: Sim, slack: SlackStub
) -> None:
    """UBOB (assignee) and then UALICE (owner) leave #CPAY: the owner is still the one
    reminded. Nobody else answers for the application; a click on the reminder tells them to
    join the channel, and after three unanswered reminders the channel itself hears."""
    await sim.command("new Acme POS")
    await sim.command("assign 1.1 <@UBOB|bob>")
    await membership_changes(sim, slack, "member_left_channel", "UBOB")
    await membership_changes(sim, slack, "member_left_channel", "UALICE")

    result = await sim.run_pass(FRIDAY)

    assert [to for to, _ in reminders(result)] == ["UALICE"]


async def test_an_assignee_in_the_channel_is_reminded_without_a_reason(
    sim: Sim, slack: SlackStub
) -> None:
    """UBOB stays in #CPAY: he is reminded, and the reminder has only its usual line."""
    await sim.command("new Acme POS")
    await sim.command("assign 1.1 <@UBOB|bob>")

    result = await sim.run_pass(FRIDAY)

    assert reminders(result) == [("UBOB", body(STALLED_FRIDAY))]
    (row,) = await sim.outbox()
    assert instead_of(row) == [None]


async def test_when_slack_will_not_list_the_channel_the_assignee_keeps_the_reminder(
    sim: Sim, slack: SlackStub
) -> None:
    """UBOB left, but Slack answers `conversations.members` with an error (say the bot was
    removed from the channel): not knowing is no evidence that he left, so he is reminded."""
    await sim.command("new Acme POS")
    await sim.command("assign 1.1 <@UBOB|bob>")
    await membership_changes(sim, slack, "member_left_channel", "UBOB")
    slack.fail("conversations.members", error="not_in_channel")

    result = await sim.run_pass(FRIDAY)

    assert [to for to, _ in reminders(result)] == ["UBOB"]


async def test_one_membership_lookup_per_channel_whatever_the_number_of_steps(
    sim: Sim, slack: SlackStub
) -> None:
    """Three applications in #CPAY and one in #COTHER, each with a step assigned to someone
    who is not in its channel (cache cold): the pass asks Slack once per channel, not once per
    step, and the owner is reminded of all four steps in one DM."""
    slack.add_user("UDAN")
    slack.channel_members["COTHER"].append("UALICE")
    for name in ("Acme POS", "Beta Kiosk", "Gamma Till"):
        await sim.command(f"new {name} --another")
        await sim.command(f"assign 1.1 <@UCAROL|carol> --app {name.lower().replace(' ', '-')}")
    await sim.command("new Delta Shop", channel="COTHER")
    await sim.command("assign 1.1 <@UDAN|dan>", channel="COTHER")
    sim.app.runtime.directory.forget_channel("T0001", "CPAY")
    sim.app.runtime.directory.forget_channel("T0001", "COTHER")
    before = len(slack.calls_to("conversations.members"))

    result = await sim.run_pass(FRIDAY)

    asked = [c.args["channel"] for c in slack.calls_to("conversations.members")[before:]]
    assert sorted(asked) == ["COTHER", "CPAY"]
    assert [to for to, _ in reminders(result)] == ["UALICE"]
    (row,) = await sim.outbox()
    assert sorted(instead_of(row)) == ["UCAROL", "UCAROL", "UCAROL", "UDAN"]
