"""One reminder DM a person a pass (and a day), one escalation message a channel a pass.

As in test_reminders.py: applications are created Wednesday 2026-11-25 10:00 UTC in #CPAY,
owned by UALICE (Los Angeles); an untouched step is first reminded Friday 2026-11-27 at
17:00 UTC (09:00 LA), then every working day at that time.

The figure the issue asks for: after out-of-order marks (`mark 1.1 1.2 1.3 4.3` leaves the
14 open steps before 4.3 active) UALICE got 14 DMs in Friday's pass and 14 more on Monday, one a
step; now she gets one DM a pass listing the 14, and the steps are still counted one by one.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.blocks.notifications import REMINDER_MARK, REMINDER_SNOOZE
from bot.outbox_messages import Escalation, Reminder, Reminders, decode
from storage.models import OutboxStep
from tests.blocks.slack_limits import check_message
from tests.harness import click
from tests.scheduler.conftest import Sim, run_passes, sent, utc
from tests.scheduler.test_reminders import step_state
from tests.slack_stub import SlackStub

FRIDAY = utc(2026, 11, 27, 17)
MONDAY = utc(2026, 11, 30, 17)
HOUR = timedelta(hours=1)
OUT_OF_ORDER = "mark 1.1 1.2 1.3 4.3"  # 14 open steps before 4.3: all active, all stalling
FOURTEEN = ["1.4", "1.5", "2.1", "2.2", "2.3", "2.4", "2.5"]
FOURTEEN += ["3.1", "3.2", "3.3", "3.4", "3.5", "4.1", "4.2"]


async def covered(sim: Sim, outbox_id: int) -> list[tuple[int, str]]:
    """The (application, step) pairs recorded for one outbox row."""
    async with sim.app.runtime.sessions() as session:
        rows = await session.execute(
            select(OutboxStep.application_id, OutboxStep.step).where(
                OutboxStep.outbox_id == outbox_id
            )
        )
    return sorted((a, s) for a, s in rows)


def listed(payload: dict) -> list[str]:
    message = decode(Reminders.KIND, payload)
    assert isinstance(message, Reminders)
    return [s.step for a in message.applications for s in a.steps]


async def test_fourteen_stalled_steps_are_one_dm_a_pass_not_fourteen(sim: Sim) -> None:
    """`mark 1.1 1.2 1.3 4.3` on Wednesday; passes Fri 17:00 and Mon 17:00 UTC: UALICE gets one DM
    each (before: 14 each), listing the 14 steps in checklist order, each with its controls;
    each pass records the 14 steps it reminded of, for escalation counting."""
    await sim.command("new Acme POS")
    await sim.command(OUT_OF_ORDER)
    application_id = await sim.application_id("acme-pos")

    friday = await sim.run_pass(FRIDAY)
    monday = await sim.run_pass(MONDAY)

    dms_per_pass = [len([p for p in r.posts if p.channel == "UALICE"]) for r in (friday, monday)]
    assert dms_per_pass == [1, 1]  # one DM a step before this change: [14, 14]
    dm = friday.posts[0]
    assert dm.text == (
        "14 steps waiting on you: step 1.4 of Acme POS has waited 2 working days (since 2026-11-25)"
    )
    lines = dm.markdown.splitlines()
    assert lines[:2] == ["⏰ 14 steps waiting on you:", "*Acme POS* in <#CPAY>"]
    assert lines[2].startswith("*1.4* _")
    assert lines[2].endswith("_ has waited 2 working days (since 2026-11-25).")
    actions = [b for b in dm.blocks if b["type"] == "actions"]
    assert len(actions) == 14
    assert len(dm.blocks) == 1 + 1 + 2 * 14
    check_message(dm.text, dm.blocks)
    rows = await sim.outbox()
    assert [listed(r.payload) for r in rows] == [FOURTEEN, FOURTEEN]
    for row in rows:
        assert await covered(sim, row.id) == sorted((application_id, s) for s in FOURTEEN)


async def test_the_steps_stay_counted_one_by_one_and_escalate_in_one_channel_message(
    sim: Sim,
) -> None:
    """1.1 of Acme and 1.1 of Beta (both in #CPAY) assigned to UBOB Wednesday; hourly passes
    Fri 11-27 → Thu 12-03 00:00 UTC: one DM a working day listing both (Fri, Mon, Tue, Wed);
    after the third, one message to #CPAY naming both steps, who was reminded, how often and
    since when; never a second one about them."""
    await sim.command("new Acme POS")
    await sim.command("new Beta Kiosk --another")
    await sim.command("assign 1.1 <@UBOB|bob> --app acme-pos")
    await sim.command("assign 1.1 <@UBOB|bob> --app beta-kiosk")

    results = await run_passes(sim, utc(2026, 11, 27), utc(2026, 12, 3), HOUR)

    reminders = sent(results, Reminder.KIND)
    assert [(p.channel, p.at) for p in reminders] == [
        ("UBOB", utc(2026, 11, 27, 17)),
        ("UBOB", utc(2026, 11, 30, 17)),
        ("UBOB", utc(2026, 12, 1, 17)),
        ("UBOB", utc(2026, 12, 2, 17)),
    ]
    assert all(p.text.startswith("2 steps waiting on you") for p in reminders)
    (escalation,) = sent(results, Escalation.KIND)
    assert (escalation.channel, escalation.at) == ("CPAY", utc(2026, 12, 1, 18))
    assert escalation.text == "2 steps are stuck"
    title = "_Sign up and log in to Alipay Global Partner Developer Center_"
    assert escalation.markdown.splitlines() == [
        "⚠️ 2 steps had reminders with no answer. Could someone pick them up?",
        f"• Step *1.1* {title} of *Acme POS*: 3 reminders to <@UBOB> since 2026-11-25; "
        "owner <@UALICE>.",
        f"• Step *1.1* {title} of *Beta Kiosk*: 3 reminders to <@UBOB> since 2026-11-25; "
        "owner <@UALICE>.",
    ]
    check_message(escalation.text, escalation.blocks)


async def test_a_hundred_and_twenty_stalled_steps_are_one_dm_within_slacks_limits(
    sim: Sim,
) -> None:
    """Seven applications with 4.3 marked first (17 open steps each before it) and one
    untouched (1.1): 120 stalled steps of UALICE's. Friday's pass sends her one DM
    within Slack's limits (50 blocks), as many steps as fit and "…and N more" linking to her
    App Home; only the steps shown are recorded as reminded. The pass posts one message, so at
    Slack's one a second nothing waits: its time no longer grows with the steps."""
    for n in range(7):
        await sim.command(f"new Shop {n} --another")
        await sim.command(f"mark 4.3 --app shop-{n}")
    await sim.command("new Kiosk --another")

    result = await sim.run_pass(FRIDAY)

    (dm,) = result.posts
    assert dm.channel == "UALICE"
    check_message(dm.text, dm.blocks)
    assert len(dm.blocks) <= 50
    assert dm.text.startswith("120 steps waiting on you")
    (row,) = await sim.outbox()
    shown = listed(row.payload)
    assert 20 <= len(shown) < 120
    last = dm.blocks[-1]
    assert last["type"] == "context"
    assert last["elements"][0]["text"] == (
        f"…and {120 - len(shown)} more; <slack://app?team=T0001&amp;id=A0001&amp;tab=home|"
        "your App Home> lists every step of yours."
    )
    assert len(await covered(sim, row.id)) == len(shown)
    assert sum(sim.pacer.slept) == 0


async def test_a_reminder_shows_the_steps_latest_note_escaped_and_cut(sim: Sim) -> None:
    """Two notes on 1.1 Wednesday (the stall counts from then); Friday's reminder shows the
    later one, on one line, escaped, cut to fit, with its author."""
    await sim.command("new Acme POS")
    await sim.command("note 1.1 an older note")
    long_note = "<!channel> asked IT & Alipay\nagain " + "x" * 600
    await sim.command(f"note 1.1 {long_note}", user="UBOB")

    result = await sim.run_pass(FRIDAY)

    (dm,) = result.posts
    lines = dm.markdown.splitlines()
    assert lines[0].startswith("⏰ Step *1.1* ")
    note = lines[1]
    assert note.startswith(
        "📝 Latest note (<@UBOB>): &lt;!channel&gt; asked IT &amp; Alipay again xxx"
    )
    assert note.endswith("…") and len(note) < 400
    assert "older" not in dm.markdown
    check_message(dm.text, dm.blocks)


async def test_steps_of_an_application_with_later_hours_join_the_days_dm(sim: Sim) -> None:
    """Acme keeps 09:00–18:00, Beta has `remind hours 13:00-18:00`, both owned by UALICE;
    hourly passes Fri 11-27 → Tue 12-01 00:00 UTC: one DM a working day at 09:00 LA listing
    both steps (waiting for Beta's hours would leave its step out of every day's DM)."""
    await sim.command("new Acme POS")
    await sim.command("new Beta Kiosk --another")
    await sim.command("remind hours 13:00-18:00 --app beta-kiosk")

    results = await run_passes(sim, utc(2026, 11, 27), utc(2026, 12, 1), HOUR)

    reminders = sent(results, Reminder.KIND)
    assert [(p.channel, p.at) for p in reminders] == [
        ("UALICE", utc(2026, 11, 27, 17)),
        ("UALICE", utc(2026, 11, 30, 17)),
    ]
    rows = await sim.outbox()
    assert [
        [(a["application"], [s["step"] for s in a["steps"]]) for a in r.payload["applications"]]
        for r in rows
    ] == [[("Acme POS", ["1.1"]), ("Beta Kiosk", ["1.1"])]] * 2


async def test_answering_one_step_of_the_dm_keeps_the_others_answerable(
    sim: Sim, slack: SlackStub
) -> None:
    """Friday's DM lists the 14 steps; UALICE clicks *Mark done* on 1.5, then snoozes 2.1 for
    3 days: each answer takes the place of that step's controls, the other steps keep
    theirs; 1.5 is done and 2.1 snoozed."""
    await sim.command("new Acme POS")
    await sim.command(OUT_OF_ORDER)
    await sim.run_pass(FRIDAY)
    ts = max(slack.messages["UALICE"], key=float)
    message = slack.messages["UALICE"][ts]
    mark = [
        e["value"]
        for b in message["blocks"]
        for e in b.get("elements") or []
        if e.get("action_id") == REMINDER_MARK and e["value"].split("|")[1] == "1.5"
    ]

    sim.clock.now = FRIDAY + timedelta(minutes=5)
    await click(sim.app, "UALICE", ts, REMINDER_MARK, mark[0])
    (marked,) = await slack.wait_for("response_url:click")
    after_mark = marked.args["blocks"]
    slack.messages["UALICE"][ts]["blocks"] = after_mark  # as Slack would show it now
    snooze = mark[0].replace("|1.5|mark", "|2.1|snooze:3d")
    await click(sim.app, "UALICE", ts, REMINDER_SNOOZE, snooze)
    snoozed = (await slack.wait_for("response_url:click", count=2))[-1]

    blocks = snoozed.args["blocks"]
    answers = [b["elements"][0]["text"] for b in blocks if b["type"] == "context"]
    assert answers[0].startswith("✅ You marked 1.5 ")
    assert answers[1].startswith("😴 Snoozed 2.1 ")
    assert len([b for b in blocks if b["type"] == "actions"]) == 12
    assert snoozed.args["replace_original"] is True
    state = await step_state(sim, "2.1")
    assert state.snoozed_until == FRIDAY + timedelta(minutes=5, days=3)
