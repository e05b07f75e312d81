"""Away (`/onboard away until 2026-12-07`, `away off`) and a person's own public holidays
(`/onboard my holidays US`), over simulated days.

As in test_reminders.py: the application is created Wednesday 2026-11-25 10:00 UTC in #CPAY
(UALICE owns it; UALICE and UBOB are members), everyone lives in Los Angeles, and an untouched
step 1.1 is first reminded Friday 2026-11-27 at 17:00 UTC (09:00 LA), then every working day
at that time. Passes here run once a day at 17:00 UTC.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from bot.blocks.notifications import REMINDER_SNOOZE
from bot.outbox_messages import Reminder, Reminders
from storage.models import Event, PersonSettings
from tests.harness import click, signed_headers, slash_command_body
from tests.scheduler.conftest import LA, Sim, run_passes, sent, utc
from tests.scheduler.test_reminders import latest_dm, snooze_options, step_state
from tests.slack_stub import SlackStub

DAY = timedelta(days=1)
FRIDAY = utc(2026, 11, 27, 17)
MONDAY = utc(2026, 11, 30, 17)
AWAY_LINE = "<@UBOB> is away until Mon 7 Dec, so this comes to you as the owner of *Acme POS*."


def days(posts) -> list[tuple[str, str]]:
    """(local day in LA, recipient) of each post."""
    return [(p.local(LA).strftime("%a %m-%d"), p.channel) for p in posts]


async def bobs_step(sim: Sim) -> None:
    await sim.command("new Acme POS")
    await sim.command("assign 1.1 <@UBOB|bob>")


async def event_count(sim: Sim) -> int:
    async with sim.app.runtime.sessions() as session:
        return await session.scalar(select(func.count()).select_from(Event)) or 0


async def person_rows(sim: Sim) -> list[tuple]:
    async with sim.app.runtime.sessions() as session:
        rows = await session.scalars(select(PersonSettings).order_by(PersonSettings.user_id))
        return [(r.team_id, r.user_id, r.away_until, r.holidays) for r in rows]


async def test_a_week_away_reminds_the_owner_with_the_away_line_and_bob_again_the_day_after(
    sim: Sim,
) -> None:
    """UBOB is away until Mon 12-07: Fri 11-27 to Mon 12-07 the owner UALICE gets 1.1's
    reminders, each saying so, and UBOB none; Tue 12-08 UBOB is reminded again."""
    await bobs_step(sim)
    events = await event_count(sim)
    reply = await sim.command("away until 2026-12-07", user="UBOB", channel="DUBOB")
    assert "You are away until Mon 7 Dec 2026" in reply.text
    assert "Back on Tue 8 Dec" in reply.text

    results = await run_passes(sim, FRIDAY, utc(2026, 12, 10), DAY)

    reminders = sent(results, Reminder.KIND)
    assert days(reminders) == [
        ("Fri 11-27", "UALICE"),
        ("Mon 11-30", "UALICE"),
        ("Tue 12-01", "UALICE"),
        ("Wed 12-02", "UALICE"),
        ("Thu 12-03", "UALICE"),
        ("Fri 12-04", "UALICE"),
        ("Mon 12-07", "UALICE"),
        ("Tue 12-08", "UBOB"),
        ("Wed 12-09", "UBOB"),
    ]
    assert all(AWAY_LINE in p.markdown for p in reminders if p.channel == "UALICE")
    assert all("away" not in p.markdown for p in reminders if p.channel == "UBOB")
    rows = [r for r in await sim.outbox() if r.kind == Reminders.KIND]
    first, last = (row.payload["applications"][0]["steps"][0] for row in (rows[0], rows[-1]))
    assert (first["instead_of"], first["away_until"]) == ("UBOB", "2026-12-07")
    assert last["away_until"] is None
    # Away is personal: no application's history records it.
    assert await event_count(sim) == events


async def test_away_ends_at_the_end_of_the_day_in_the_persons_own_zone(
    sim: Sim, slack: SlackStub
) -> None:
    """Reminder hours 00:00-24:00 and passes every hour: UBOB (Los Angeles) away until Mon
    11-30 is back at midnight LA, 08:00 UTC on Tue 12-01, not at midnight UTC."""
    await bobs_step(sim)
    await sim.command("remind hours 00:00-24:00")
    await sim.command("away until 2026-11-30", user="UBOB")

    results = await run_passes(sim, utc(2026, 12, 1, 0), utc(2026, 12, 1, 10), timedelta(hours=1))

    reminders = sent(results, Reminder.KIND)
    assert [(p.at.hour, p.channel) for p in reminders] == [(0, "UALICE"), (8, "UBOB")]


async def test_away_off_ends_it_at_once(sim: Sim) -> None:
    await bobs_step(sim)
    await sim.command("away until 2026-12-07", user="UBOB")
    friday = await sim.run_pass(FRIDAY)
    assert days(friday.posts) == [("Fri 11-27", "UALICE")]

    sim.clock.now = utc(2026, 11, 28, 20)
    reply = await sim.command("away off", user="UBOB")
    assert "Welcome back" in reply.text
    assert "You are not away" in (await sim.command("away", user="UBOB")).text
    monday = await sim.run_pass(MONDAY)

    assert days(monday.posts) == [("Mon 11-30", "UBOB")]
    assert "away" not in monday.posts[0].markdown
    assert "You were not away" in (await sim.command("away off", user="UBOB")).text


async def test_an_away_owner_of_their_own_step_is_not_reminded_and_nobody_else_is(
    sim: Sim,
) -> None:
    """UALICE owns the application and 1.1 is nobody's (so hers); 1.2 is UBOB's, overdue from
    Friday. While she is away nobody is DMed about 1.1; UBOB still hears about 1.2."""
    await sim.command("new Acme POS")
    await sim.command("assign 1.2 <@UBOB|bob>")
    await sim.command("due 1.2 2026-11-26")
    await sim.command("away until 2026-12-01")

    results = await run_passes(sim, FRIDAY, utc(2026, 12, 3), DAY)

    step_of: dict[str, list[tuple[str, str]]] = {"UALICE": [], "UBOB": []}
    for post in sent(results, Reminder.KIND):
        step_of[post.channel].append((post.local(LA).strftime("%m-%d"), post.text.split()[1]))
    assert step_of == {
        "UALICE": [("12-02", "1.1")],
        "UBOB": [("11-27", "1.2"), ("11-30", "1.2"), ("12-01", "1.2"), ("12-02", "1.2")],
    }


async def test_an_assignee_and_owner_both_away_means_no_dm_at_all(sim: Sim) -> None:
    await bobs_step(sim)
    await sim.command("away until 2026-11-30", user="UBOB")
    await sim.command("away until 2026-11-30")

    results = await run_passes(sim, FRIDAY, utc(2026, 12, 2), DAY)

    assert days(sent(results, Reminder.KIND)) == [("Tue 12-01", "UBOB")]


async def test_a_persons_own_holidays_are_days_off_in_their_reminders(sim: Sim) -> None:
    """Thu 11-26 is Thanksgiving in the US. With `my holidays US` it is not a working day for
    UBOB: 1.1 has waited 2 working days on Monday (Fri, Mon), not on Friday (Thu, Fri)."""
    await bobs_step(sim)
    reply = await sim.command("my holidays us", user="UBOB", channel="DUBOB")
    assert "Public holidays in US are days off in your reminders" in reply.text

    results = await run_passes(sim, FRIDAY, utc(2026, 12, 1), DAY)

    reminders = sent(results, Reminder.KIND)
    assert days(reminders) == [("Mon 11-30", "UBOB")]
    assert "has waited 2 working days (since 2026-11-25)" in reminders[0].text


async def test_the_owners_own_holidays_are_not_the_assignees(sim: Sim) -> None:
    await bobs_step(sim)
    await sim.command("my holidays US")  # UALICE's, not UBOB's

    friday = await sim.run_pass(FRIDAY)

    assert days(friday.posts) == [("Fri 11-27", "UBOB")]
    assert "has waited 2 working days (since 2026-11-25)" in friday.posts[0].text


async def test_own_holidays_skip_the_holiday_itself(sim: Sim, slack: SlackStub) -> None:
    """Created Tue 11-24 (clock moved back): 1.1 stalls Thu 11-26 for everyone else; with `my
    holidays US` UBOB hears on Fri 11-27 instead, and `my holidays off` counts it again."""
    sim.clock.now = utc(2026, 11, 24, 10)
    await bobs_step(sim)
    await sim.command("my holidays US", user="UBOB")

    results = await run_passes(sim, utc(2026, 11, 26, 17), utc(2026, 11, 28), DAY)
    assert days(sent(results, Reminder.KIND)) == [("Fri 11-27", "UBOB")]

    reply = await sim.command("my holidays off", user="UBOB")
    assert "Public holidays of your own: none" in reply.text


async def test_bad_inputs_are_refused_and_change_nothing(sim: Sim, slack: SlackStub) -> None:
    """Today is Wed 11-25 in Los Angeles (10:00 UTC); in Kiritimati (UTC+14) it is already
    Thu 11-26, so 11-25 is in the past there."""
    slack.add_user("UKIRI", tz="Pacific/Kiritimati")
    await sim.command("new Acme POS")
    refused = {
        "away until 2026-11-24": "2026-11-24 is in the past; nothing was changed.",
        "away until 2027-11-26": "2027-11-26 is more than a year ahead; nothing was changed.",
        "away until 2026-02-30": "`2026-02-30` is not a date on the calendar",
        "away until next week": "`next` is not a date I can read",
        "away until 7/12/2026": "`7/12/2026` is not a date I can read",
        "away until +366d": "2027-11-26 is more than a year ahead; nothing was changed.",
        "away until +53w": "`+53w` is too far ahead",
        "away until +9999999d": "`+9999999d` is not a date I can read",
        "away until none": "`none` is not a date I can read",
        "away until": "Until when?",
        "away maybe": "`maybe` is not something `away` takes",
        "away off now": "`away` takes nothing after `off`",
        "away until 2026-12-07 --app acme-pos": "takes no `--app`",
        "my holidays XX": "`XX` is not a country whose public holidays I know",
        "my holidays": "Whose public holidays?",
        "my away": "`away` is not one of your settings",
    }
    for text, says in refused.items():
        reply = await sim.command(text, user="UBOB")
        assert says in reply.text, (text, reply.text)
        assert reply.body["response_type"] == "ephemeral"
    assert (
        "from today (2026-11-25) to 2027-11-25"
        in (await sim.command("away until 2026-11-24", user="UBOB")).text
    )
    assert (
        "2026-11-25 is in the past"
        in (await sim.command("away until 2026-11-25", user="UKIRI")).text
    )

    assert await person_rows(sim) == []
    shown = (await sim.command("my", user="UBOB")).text
    assert "You are not away" in shown and "Public holidays of your own: none" in shown

    # The edges are valid: today in the person's own zone, and a year from it.
    assert (
        "away until Wed 25 Nov 2026"
        in (await sim.command("away until 2026-11-25", user="UBOB")).text
    )
    assert (
        "away until Thu 25 Nov 2027"
        in (await sim.command("away until 2027-11-25", user="UBOB")).text
    )


async def test_the_same_user_id_in_another_workspace_is_someone_else(
    sim: Sim, slack: SlackStub
) -> None:
    await bobs_step(sim)
    body = slash_command_body(
        "away until 2026-12-07", user_id="UBOB", channel_id="DOTHER", team_id="T0002"
    )
    answer = await sim.app.post(body, signed_headers(body))
    assert answer.status == 200 and "You are away until" in answer.text
    assert await person_rows(sim) == [("T0002", "UBOB", FRIDAY.date() + 10 * DAY, None)]

    friday = await sim.run_pass(FRIDAY)

    assert days(friday.posts) == [("Fri 11-27", "UBOB")]
    assert "You are not away" in (await sim.command("away", user="UBOB")).text


async def test_my_shows_both_settings_from_a_dm(sim: Sim) -> None:
    await sim.command("away until 2026-12-07", user="UBOB", channel="DUBOB")
    await sim.command("my holidays SG", user="UBOB", channel="DUBOB")

    shown = (await sim.command("my", user="UBOB", channel="DUBOB")).text

    assert shown.startswith("*Your settings* (in every application)")
    assert "You are away until Mon 7 Dec 2026" in shown
    assert "Public holidays in SG are days off in your reminders" in shown
    assert await person_rows(sim) == [("T0001", "UBOB", FRIDAY.date() + 10 * DAY, "SG")]


async def test_snoozing_until_tomorrow_skips_the_snoozers_own_holiday(
    sim: Sim, slack: SlackStub
) -> None:
    """Created Mon 11-23 (clock moved back), 1.1 assigned to UBOB, who set `my holidays US`:
    reminded Wed 11-25 09:00 LA, UBOB snoozes it until *Tomorrow*. Thu 11-26 is Thanksgiving,
    a day off in his reminders, so the snooze ends as Friday's hours start (before: Thursday
    09:00, and a reminder on his holiday)."""
    sim.clock.now = utc(2026, 11, 23, 10)
    await bobs_step(sim)
    await sim.command("my holidays US", user="UBOB")
    wednesday = await sim.run_pass(utc(2026, 11, 25, 17))
    assert days(wednesday.posts) == [("Wed 11-25", "UBOB")]
    ts, message = latest_dm(slack, "UBOB")

    sim.clock.now = utc(2026, 11, 25, 17, 10)
    answer = await click(
        sim.app, "UBOB", ts, REMINDER_SNOOZE, snooze_options(message)["Tomorrow"], user="UBOB"
    )

    assert answer.status == 200
    (response,) = await slack.wait_for("response_url:click")
    assert (
        "no reminder before Fri 2026-11-27 09:00 (America/Los_Angeles)" in (response.args["text"])
    )
    state = await step_state(sim, "1.1")
    assert state.snoozed_until == utc(2026, 11, 27, 17)


async def test_away_takes_the_relative_days_due_takes_counted_in_the_persons_own_zone(
    sim: Sim, slack: SlackStub
) -> None:
    """Wed 2026-11-25 10:00 UTC: Wednesday in Los Angeles, already Thursday in Kiritimati
    (UTC+14), so each one's `tomorrow` and `+2w` is a day apart."""
    slack.add_user("UKIRI", tz="Pacific/Kiritimati")
    said = {
        ("away until tomorrow", "UBOB"): "away until Thu 26 Nov 2026",
        ("away until tomorrow", "UKIRI"): "away until Fri 27 Nov 2026",
        ("away until +3d", "UBOB"): "away until Sat 28 Nov 2026",
        ("away +2w", "UBOB"): "away until Wed 9 Dec 2026",
        ("away until 2w", "UKIRI"): "away until Thu 10 Dec 2026",
        ("away today", "UBOB"): "away until Wed 25 Nov 2026",
        ("away until +365d", "UBOB"): "away until Thu 25 Nov 2027",
    }
    for (text, user), says in said.items():
        reply = await sim.command(text, user=user)
        assert says in reply.text, (text, reply.text)
