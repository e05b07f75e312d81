"""Reminders about stalled and overdue steps, over simulated days.

Every application here is created on Wednesday 2026-11-25 at 10:00 UTC (the `clock` fixture):
02:00 that morning in Los Angeles, 18:00 in Shanghai. UALICE, UBOB and UCAROL live in
Los Angeles (UTC-8 in November), UMEI in Shanghai (UTC+8). With the defaults (stalled after 2
working days, reminders 09:00–18:00 Monday–Friday in the recipient's zone), an untouched step 1.1
owned by a Los Angeles user is first reminded on Friday 2026-11-27 at 09:00 LA = 17:00 UTC.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.blocks.checklist import parse_action_value
from bot.blocks.notifications import REMINDER_MARK, REMINDER_REASSIGN, REMINDER_SNOOZE
from bot.outbox_messages import Escalation, Reminder
from bot.slack_directory import SlackDirectory
from storage.models import StepState
from tests.harness import click
from tests.scheduler.conftest import LA, SHANGHAI, Post, Sim, run_passes, sent, utc
from tests.slack_stub import SlackStub

HOUR = timedelta(hours=1)
HALF_HOUR = timedelta(minutes=30)


def when(posts: list[Post]) -> list[tuple[str, object]]:
    """(recipient, UTC time) of each post, in order."""
    return [(p.channel, p.at) for p in posts]


def latest_dm(slack: SlackStub, user: str) -> tuple[str, dict]:
    """The ts and message of the newest DM the stand-in holds for `user`."""
    ts = max(slack.messages[user], key=float)
    return ts, slack.messages[user][ts]


def buttons(message: dict) -> dict[str, str]:
    """action_id -> value of the message's buttons."""
    return {
        e["action_id"]: e["value"]
        for b in message["blocks"]
        for e in b.get("elements") or []
        if e.get("type") == "button"
    }


def snooze_options(message: dict) -> dict[str, str]:
    """label -> value of the message's (first) Snooze menu."""
    for b in message["blocks"]:
        for e in b.get("elements") or []:
            if e.get("action_id") == REMINDER_SNOOZE:
                return {o["text"]["text"]: o["value"] for o in e["options"]}
    raise AssertionError("no Snooze menu")


async def step_state(sim: Sim, step: str, slug: str = "acme-pos") -> StepState:
    application_id = await sim.application_id(slug)
    async with sim.app.runtime.sessions() as session:
        state = await session.scalar(
            select(StepState).where(
                StepState.application_id == application_id, StepState.step == step
            )
        )
    assert state is not None
    return state


async def test_reminder_dm_names_step_application_waited_time_and_has_its_controls(
    sim: Sim, slack: SlackStub
) -> None:
    """Created Wed 10:00 UTC; one pass Fri 2026-11-27 17:00 UTC (09:00 LA) → one DM to the
    owner about 1.1, waited 2 working days, with Mark done / a Snooze menu (1 hour, tomorrow,
    3 days, next week) / Reassign…."""
    await sim.command("new Acme POS")
    application_id = await sim.application_id("acme-pos")

    result = await sim.run_pass(utc(2026, 11, 27, 17))

    assert (result.report.planned, result.report.claimed, result.report.delivery.sent) == (1, 1, 1)
    (dm,) = result.posts
    assert dm.channel == "UALICE"  # no assignee: the application's owner
    assert dm.text == "Step 1.1 of Acme POS has waited 2 working days (since 2026-11-25)"
    assert dm.markdown.splitlines()[0] == (
        "⏰ Step *1.1* _Sign up and log in to Alipay Global Partner Developer Center_ of "
        "*Acme POS* in <#CPAY> has waited 2 working days (since 2026-11-25)."
    )
    (actions,) = [b for b in dm.blocks if b["type"] == "actions"]
    labels = [(e.get("text") or e["placeholder"])["text"] for e in actions["elements"]]
    assert labels == ["Mark done", "Snooze…", "Reassign…"]
    values = buttons({"blocks": dm.blocks})
    assert {k: parse_action_value(v) for k, v in values.items()} == {
        REMINDER_MARK: (application_id, "1.1", "mark"),
        REMINDER_REASSIGN: (application_id, "1.1", "assign"),
    }
    options = snooze_options({"blocks": dm.blocks})
    assert {label: parse_action_value(v) for label, v in options.items()} == {
        "1 hour": (application_id, "1.1", "snooze:1h"),
        "Tomorrow": (application_id, "1.1", "snooze:tomorrow"),
        "3 days": (application_id, "1.1", "snooze:3d"),
        "Next week": (application_id, "1.1", "snooze:week"),
    }


async def test_stall_reached_on_friday_reminds_friday_then_monday_never_at_the_weekend(
    sim: Sim,
) -> None:
    """Hourly passes Fri 2026-11-27 00:00 → Tue 12-01 00:00 UTC: the step stalls Fri 02:00 LA;
    reminders Fri 09:00 LA and Mon 09:00 LA (17:00 UTC), nothing Sat/Sun."""
    await sim.command("new Acme POS")

    results = await run_passes(sim, utc(2026, 11, 27), utc(2026, 12, 1), HOUR)

    assert len(results) == 96
    reminders = sent(results)
    assert when(reminders) == [
        ("UALICE", utc(2026, 11, 27, 17)),
        ("UALICE", utc(2026, 11, 30, 17)),
    ]
    assert [p.local(LA).strftime("%a %H:%M") for p in reminders] == ["Fri 09:00", "Mon 09:00"]
    assert [p.text for p in reminders] == [
        "Step 1.1 of Acme POS has waited 2 working days (since 2026-11-25)",
        "Step 1.1 of Acme POS has waited 3 working days (since 2026-11-25)",
    ]


async def test_la_and_shanghai_assignees_are_reminded_only_in_their_own_working_hours(
    sim: Sim, slack: SlackStub
) -> None:
    """Two applications, 1.1 assigned Wed 10:00 UTC to UBOB (LA) and UMEI (Shanghai); hourly
    passes Thu 11-26 00:00 → Wed 12-02 00:00 UTC. UBOB: Fri, Mon, Tue at 17:00 UTC (09:00 LA).
    UMEI: stalled Fri 18:00 Shanghai, the end of her day, so Mon and Tue at 01:00 UTC."""
    slack.add_user("UMEI", tz="Asia/Shanghai")
    slack.channel_members["CPAY"].append("UMEI")
    await sim.command("new Acme POS")
    await sim.command("new Beta Kiosk --another")
    assigned = await sim.command("assign 1.1 <@UBOB|bob> --app acme-pos")
    assert "Assigned" in assigned.text
    assigned = await sim.command("assign 1.1 <@UMEI|mei> --app beta-kiosk")
    assert "Assigned" in assigned.text

    results = await run_passes(sim, utc(2026, 11, 26), utc(2026, 12, 2), HOUR)

    reminders = sent(results, Reminder.KIND)
    bob = [p for p in reminders if p.channel == "UBOB"]
    mei = [p for p in reminders if p.channel == "UMEI"]
    assert len(reminders) == len(bob) + len(mei) == 5
    assert [p.at for p in bob] == [
        utc(2026, 11, 27, 17),
        utc(2026, 11, 30, 17),
        utc(2026, 12, 1, 17),
    ]
    assert [p.at for p in mei] == [utc(2026, 11, 30, 1), utc(2026, 12, 1, 1)]
    assert all("Acme POS" in p.text for p in bob)
    assert all("Beta Kiosk" in p.text for p in mei)
    # In their own zones: a weekday morning at nine, for both.
    assert {p.local(LA).strftime("%H:%M") for p in bob} == {"09:00"}
    assert {p.local(SHANGHAI).strftime("%H:%M") for p in mei} == {"09:00"}
    assert [p.local(SHANGHAI).strftime("%a") for p in mei] == ["Mon", "Tue"]


async def test_one_reminder_a_working_day_however_often_passes_run(sim: Sim) -> None:
    """Passes every 30 min Mon 11-30 00:00 → Wed 12-02 00:00 UTC (96 passes), step stalled
    since Fri: exactly one reminder Monday and one Tuesday, each at the first pass at 09:00 LA."""
    await sim.command("new Acme POS")

    results = await run_passes(sim, utc(2026, 11, 30), utc(2026, 12, 2), HALF_HOUR)

    assert len(results) == 96
    assert when(sent(results)) == [
        ("UALICE", utc(2026, 11, 30, 17)),
        ("UALICE", utc(2026, 12, 1, 17)),
    ]
    outbox = await sim.outbox()
    # One a person a day, by their own calendar.
    assert [m.dedupe_key for m in outbox] == [
        "reminders:T0001:UALICE:2026-11-30",
        "reminders:T0001:UALICE:2026-12-01",
    ]


async def test_remind_after_1d_reminds_from_the_next_working_day(sim: Sim) -> None:
    """`remind after 1d` set Wed 10:00 UTC; hourly passes Wed 11:00 → Sat 11-28 00:00 UTC:
    reminders Thu and Fri at 17:00 UTC (with the default 2d, Thursday would be silent)."""
    await sim.command("new Acme POS")
    reply = await sim.command("remind after 1d")
    assert "1 working day" in reply.text

    results = await run_passes(sim, utc(2026, 11, 25, 11), utc(2026, 11, 28), HOUR)

    assert when(sent(results)) == [
        ("UALICE", utc(2026, 11, 26, 17)),
        ("UALICE", utc(2026, 11, 27, 17)),
    ]
    assert sent(results)[0].text == (
        "Step 1.1 of Acme POS has waited 1 working day (since 2026-11-25)"
    )


async def test_remind_hours_moves_reminders_into_the_new_window(sim: Sim) -> None:
    """`remind hours 10:00-12:00`; passes every 30 min Fri 11-27 12:00 → Tue 12-01 12:00 UTC:
    reminders at 10:00 LA (18:00 UTC) Friday and Monday, none outside 10:00–12:00 LA."""
    await sim.command("new Acme POS")
    reply = await sim.command("remind hours 10:00-12:00")
    assert "10:00" in reply.text and "12:00" in reply.text

    results = await run_passes(sim, utc(2026, 11, 27, 12), utc(2026, 12, 1, 12), HALF_HOUR)

    assert when(sent(results)) == [
        ("UALICE", utc(2026, 11, 27, 18)),
        ("UALICE", utc(2026, 11, 30, 18)),
    ]


async def test_remind_off_stops_reminders(sim: Sim) -> None:
    """Reminded Fri 17:00 UTC; `remind off` Fri 20:00 UTC; hourly passes to Wed 12-02 00:00 UTC
    send nothing more (Monday and Tuesday would have had one each)."""
    await sim.command("new Acme POS")
    first = await run_passes(sim, utc(2026, 11, 27, 12), utc(2026, 11, 27, 20), HOUR)
    assert when(sent(first)) == [("UALICE", utc(2026, 11, 27, 17))]

    reply = await sim.command("remind off", at=utc(2026, 11, 27, 20))
    assert "off" in reply.text.lower()
    later = await run_passes(sim, utc(2026, 11, 27, 20), utc(2026, 12, 2), HOUR)

    assert sent(later) == []


async def test_overdue_step_is_reminded_before_the_stall_threshold(sim: Sim) -> None:
    """`remind after 10d` and `due 1.1 2026-11-27` on Wed; hourly passes Fri 11-27 00:00 → Wed
    12-02 00:00 UTC: not on the due day, none at the weekend, then Mon and Tue 09:00 LA as
    overdue (the stall alone would wait until 12-09)."""
    await sim.command("new Acme POS")
    await sim.command("remind after 10d")
    reply = await sim.command("due 1.1 2026-11-27")
    assert "2026-11-27" in reply.text

    results = await run_passes(sim, utc(2026, 11, 27), utc(2026, 12, 2), HOUR)

    reminders = sent(results)
    assert when(reminders) == [
        ("UALICE", utc(2026, 11, 30, 17)),
        ("UALICE", utc(2026, 12, 1, 17)),
    ]
    assert {p.text for p in reminders} == {"Step 1.1 of Acme POS was due 2026-11-27"}


async def test_three_unanswered_reminders_escalate_once_to_the_channel(sim: Sim) -> None:
    """1.1 assigned to UBOB; hourly passes Fri 11-27 00:00 → Fri 12-04 00:00 UTC: reminders
    Fri, Mon, Tue, Wed, Thu at 17:00 UTC; after the third (Tue), one escalation to #CPAY at the
    next pass (Tue 18:00 UTC) naming 1.1, UBOB and the owner UALICE; never a second one."""
    await sim.command("new Acme POS")
    await sim.command("assign 1.1 <@UBOB|bob>")

    results = await run_passes(sim, utc(2026, 11, 27), utc(2026, 12, 4), HOUR)

    reminders = sent(results, Reminder.KIND)
    assert [p.at for p in reminders] == [
        utc(2026, 11, 27, 17),
        utc(2026, 11, 30, 17),
        utc(2026, 12, 1, 17),
        utc(2026, 12, 2, 17),
        utc(2026, 12, 3, 17),
    ]
    assert {p.channel for p in reminders} == {"UBOB"}
    (escalation,) = sent(results, Escalation.KIND)
    assert (escalation.channel, escalation.at) == ("CPAY", utc(2026, 12, 1, 18))
    assert escalation.text == "Step 1.1 of Acme POS is stuck"
    assert escalation.markdown == (
        "⚠️ Step *1.1* _Sign up and log in to Alipay Global Partner Developer Center_ of "
        "*Acme POS* has had 3 reminders to <@UBOB> since 2026-11-25 with no answer. "
        "Owner of the application: <@UALICE>. Could someone pick it up?"
    )
    assert len(sent(results)) == 6


async def test_a_note_on_the_step_restarts_the_stall(sim: Sim) -> None:
    """Reminded Fri 17:00 UTC; UALICE notes 1.1 Fri 17:30 UTC (09:30 LA); hourly passes to
    Wed 12-02 00:00 UTC: no reminder Monday, the next one Tue 18:00 UTC (first pass after
    Tue 09:30 LA, 2 working days after the note), counting its wait from Friday."""
    await sim.command("new Acme POS")
    first = await run_passes(sim, utc(2026, 11, 27, 12), utc(2026, 11, 27, 18), HOUR)
    assert when(sent(first)) == [("UALICE", utc(2026, 11, 27, 17))]

    await sim.command(
        "note 1.1 waiting for the Developer Center invite", at=utc(2026, 11, 27, 17, 30)
    )
    later = await run_passes(sim, utc(2026, 11, 27, 18), utc(2026, 12, 2), HOUR)

    (reminder,) = sent(later)
    assert (reminder.channel, reminder.at) == ("UALICE", utc(2026, 12, 1, 18))
    assert reminder.text == "Step 1.1 of Acme POS has waited 2 working days (since 2026-11-27)"


@pytest.mark.parametrize(
    ("choice", "until", "said", "next_reminders"),
    [
        # Back an hour later, in a DM of its own: the person asked for it.
        ("1 hour", utc(2026, 11, 30, 18, 10), "Mon 2026-11-30 10:10", [utc(2026, 11, 30, 18, 30)]),
        # As Tuesday's working hours start (09:00 LA); the snooze is what the day's DM skips.
        ("Tomorrow", utc(2026, 12, 1, 17), "Tue 2026-12-01 09:00", [utc(2026, 12, 1, 17)]),
        ("3 days", utc(2026, 12, 3, 17, 10), "Thu 2026-12-03 09:10", [utc(2026, 12, 3, 17, 30)]),
        # Monday of next week, as working hours start.
        ("Next week", utc(2026, 12, 7, 17), "Mon 2026-12-07 09:00", [utc(2026, 12, 7, 17)]),
    ],
)
async def test_each_snooze_choice_holds_reminders_until_its_end(
    sim: Sim, slack: SlackStub, choice: str, until, said: str, next_reminders: list
) -> None:
    """Reminded Mon 11-30 17:00 UTC (09:00 LA); UALICE picks a Snooze choice at 17:10 UTC;
    passes every 30 min until the day after the snooze ends: the first reminder after the
    click is the first pass at or after its end (in working hours)."""
    await sim.command("new Acme POS")
    first = await sim.run_pass(utc(2026, 11, 30, 17))
    assert when(first.posts) == [("UALICE", utc(2026, 11, 30, 17))]
    ts, message = latest_dm(slack, "UALICE")

    sim.clock.now = utc(2026, 11, 30, 17, 10)
    answer = await click(
        sim.app, "UALICE", ts, REMINDER_SNOOZE, snooze_options(message)[choice], user="UALICE"
    )

    assert answer.status == 200
    (response,) = await slack.wait_for("response_url:click")
    assert response.args["text"] == (
        "😴 Snoozed 1.1 _Sign up and log in to Alipay Global Partner Developer Center_: "
        f"no reminder before {said} (America/Los_Angeles)."
    )
    state = await step_state(sim, "1.1")
    assert (state.snoozed_until, state.snoozed_at) == (until, utc(2026, 11, 30, 17, 10))
    end = next_reminders[0].replace(hour=0, minute=0) + timedelta(days=1)
    later = await run_passes(sim, utc(2026, 11, 30, 17, 30), end, HALF_HOUR)

    assert [p.at for p in sent(later)][: len(next_reminders)] == next_reminders
    assert [p.at for p in sent(later) if p.at < next_reminders[0]] == []


async def test_a_forged_snooze_choice_is_refused_and_changes_nothing(
    sim: Sim, slack: SlackStub
) -> None:
    """A click whose option value says `snooze:forever` (not one the menu offers): the DM
    stays, the answer names the valid choices, the step is not snoozed."""
    await sim.command("new Acme POS")
    await sim.run_pass(utc(2026, 11, 30, 17))
    ts, message = latest_dm(slack, "UALICE")
    forged = snooze_options(message)["1 hour"].replace("snooze:1h", "snooze:forever")
    for block in message["blocks"]:
        for element in block.get("elements") or []:
            for option in element.get("options") or []:
                if option["value"].endswith("snooze:1h"):
                    option["value"] = forged  # as a crafted request would carry it

    answer = await click(sim.app, "UALICE", ts, REMINDER_SNOOZE, forged, user="UALICE")

    assert answer.status == 200
    (response,) = await slack.wait_for("response_url:click")
    assert "not a snooze I offer" in response.args["text"]
    assert "1 hour, tomorrow, 3 days, next week" in response.args["text"]
    state = await step_state(sim, "1.1")
    assert (state.snoozed_until, state.snoozed_at) == (None, None)


async def test_a_snoozed_reminder_was_answered_and_does_not_count_toward_escalation(
    sim: Sim, slack: SlackStub
) -> None:
    """Reminded Fri and Mon 17:00 UTC; UALICE snoozes until tomorrow Mon 17:10 UTC; passes
    every 30 min to Thu 12-03 00:00 UTC: reminded Tue and Wed 17:00 UTC, two unanswered since
    the snooze, so no escalation yet (without it: an escalation Tue 17:30 UTC, counting Fri
    and Mon)."""
    await sim.command("new Acme POS")
    before = await run_passes(sim, utc(2026, 11, 27, 12), utc(2026, 11, 30, 17, 30), HALF_HOUR)
    assert [p.at for p in sent(before)] == [utc(2026, 11, 27, 17), utc(2026, 11, 30, 17)]
    ts, message = latest_dm(slack, "UALICE")
    sim.clock.now = utc(2026, 11, 30, 17, 10)
    await click(sim.app, "UALICE", ts, REMINDER_SNOOZE, snooze_options(message)["Tomorrow"])

    after = await run_passes(sim, utc(2026, 11, 30, 17, 30), utc(2026, 12, 3), HALF_HOUR)

    assert [p.at for p in sent(after, Reminder.KIND)] == [
        utc(2026, 12, 1, 17),
        utc(2026, 12, 2, 17),
    ]
    assert sent(after, Escalation.KIND) == []


async def test_mark_done_button_marks_the_step_and_the_next_step_waits_afresh(
    sim: Sim, slack: SlackStub
) -> None:
    """Reminded Fri 17:00 UTC; UBOB (assignee) clicks Mark done at 17:05 UTC; hourly passes to
    Wed 12-02 00:00 UTC: nothing more about 1.1; 1.2 is reminded once it has waited 2 working
    days from the mark, Tue 18:00 UTC."""
    await sim.command("new Acme POS")
    await sim.command("assign 1.1 <@UBOB|bob>")
    first = await sim.run_pass(utc(2026, 11, 27, 17))
    assert when(first.posts) == [("UBOB", utc(2026, 11, 27, 17))]
    ts, message = latest_dm(slack, "UBOB")

    sim.clock.now = utc(2026, 11, 27, 17, 5)
    answer = await click(
        sim.app, "UBOB", ts, REMINDER_MARK, buttons(message)[REMINDER_MARK], user="UBOB"
    )

    assert answer.status == 200
    state = await step_state(sim, "1.1")
    assert (state.done_at, state.done_by) == (utc(2026, 11, 27, 17, 5), "UBOB")
    (response,) = await slack.wait_for("response_url:click")
    assert response.args["text"].startswith("✅ You marked 1.1")
    later = await run_passes(sim, utc(2026, 11, 27, 18), utc(2026, 12, 2), HOUR)

    (reminder,) = sent(later)
    assert (reminder.channel, reminder.at) == ("UALICE", utc(2026, 12, 1, 18))
    assert reminder.text == "Step 1.2 of Acme POS has waited 2 working days (since 2026-11-27)"


async def test_reassign_button_opens_the_assign_modal(sim: Sim, slack: SlackStub) -> None:
    """Reminded Fri 17:00 UTC; UALICE clicks Reassign… → the assign modal opens for step 1.1;
    nothing about the step changes."""
    await sim.command("new Acme POS")
    await sim.run_pass(utc(2026, 11, 27, 17))
    ts, message = latest_dm(slack, "UALICE")

    answer = await click(
        sim.app, "UALICE", ts, REMINDER_REASSIGN, buttons(message)[REMINDER_REASSIGN]
    )

    assert answer.status == 200
    (opened,) = await slack.wait_for("views.open")
    assert "1.1" in str(opened.args["view"])
    state = await step_state(sim, "1.1")
    assert (state.assignee_id, state.done_at) == (None, None)


async def test_archived_application_is_never_reminded(sim: Sim) -> None:
    """Two applications in #CPAY created Wed; acme-pos archived at once; hourly passes Fri 11-27
    00:00 → Tue 12-01 00:00 UTC: only beta-kiosk is reminded (Fri and Mon)."""
    await sim.command("new Acme POS")
    await sim.command("new Beta Kiosk --another")
    reply = await sim.command("archive --app acme-pos")
    assert "Archived" in reply.text

    results = await run_passes(sim, utc(2026, 11, 27), utc(2026, 12, 1), HOUR)

    reminders = sent(results)
    assert [p.text for p in reminders] == [
        "Step 1.1 of Beta Kiosk has waited 2 working days (since 2026-11-25)",
        "Step 1.1 of Beta Kiosk has waited 3 working days (since 2026-11-25)",
    ]


async def test_a_failed_time_zone_lookup_does_not_remind_outside_the_persons_hours(
    sim: Sim, slack: SlackStub
) -> None:
    """Step stalled since Fri; the directory cache is cold and users.info answers HTTP 500 once at
    the Mon 11-30 09:00 UTC pass (01:00 LA): no DM then; the one reminder of the day goes out at
    the 17:00 UTC pass (09:00 LA). Today: a DM at 01:00 LA, and none at 09:00 LA."""
    await sim.command("new Acme POS")
    sim.app.runtime.directory = SlackDirectory()
    slack.fail("users.info", status=500)

    results = [await sim.run_pass(utc(2026, 11, 30, hour)) for hour in (9, 17)]

    assert when(sent(results)) == [("UALICE", utc(2026, 11, 30, 17))]


async def test_the_since_date_is_the_recipients_own_date(sim: Sim, slack: SlackStub) -> None:
    """1.1 assigned to UMEI (Shanghai) Wed 11-25 20:00 UTC, Thu 04:00 in Shanghai; first
    reminder Mon 11-30 01:00 UTC (09:00 Shanghai): 'has waited 2 working days (since 2026-11-26)',
    her Thursday, not the UTC date 2026-11-25."""
    slack.add_user("UMEI", tz="Asia/Shanghai")
    slack.channel_members["CPAY"].append("UMEI")
    await sim.command("new Acme POS")
    await sim.command("assign 1.1 <@UMEI|mei>", at=utc(2026, 11, 25, 20))

    results = await run_passes(sim, utc(2026, 11, 30), utc(2026, 11, 30, 3), HOUR)

    (reminder,) = sent(results)
    assert (reminder.channel, reminder.at) == ("UMEI", utc(2026, 11, 30, 1))
    assert reminder.text == "Step 1.1 of Acme POS has waited 2 working days (since 2026-11-26)"
