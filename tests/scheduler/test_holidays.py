"""Public holidays as days off (`/onboard remind holidays CN`), over simulated days.

China's National Day Golden Week 2026 runs Thursday 2026-10-01 to Wednesday 2026-10-07 (the
`holidays` package lists Oct 1-3, 5, 6 and 7; Oct 4 is a Sunday); Thursday 2026-10-08 is the
first working day after. UMEI lives in Shanghai (UTC+8) and creates the application on Monday
2026-09-28 at 09:00 Shanghai (01:00 UTC), so with the defaults (stalled after 2 working days,
09:00-18:00 in her zone) step 1.1 is first reminded on Wednesday 2026-09-30 at 09:00 Shanghai.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from bot.command_parser import ParseError, Remind, parse_command
from bot.services.calendar import (
    HolidayCalendar,
    HolidayCalendars,
    add_working_days,
    is_working_day,
    working_days_between,
)
from storage.models import Event
from tests.scheduler.conftest import SHANGHAI, PassResult, Post, Sim, run_passes, sent, utc
from tests.slack_stub import SlackStub

HALF_HOUR = timedelta(minutes=30)
GOLDEN_WEEK = (date(2026, 10, 1), date(2026, 10, 7))


def in_golden_week(post: Post) -> bool:
    return GOLDEN_WEEK[0] <= post.local(SHANGHAI).date() <= GOLDEN_WEEK[1]


async def golden_week(sim: Sim, slack: SlackStub, holidays: str | None) -> list[PassResult]:
    """UMEI's application, with `remind holidays <holidays>` when given; passes every 30 minutes
    from Tue 2026-09-29 00:00 UTC to Sat 2026-10-10 00:00 UTC."""
    slack.add_user("UMEI", tz="Asia/Shanghai")
    slack.channel_members["CPAY"].append("UMEI")
    await sim.command("new Acme POS", user="UMEI", at=utc(2026, 9, 28, 1))
    if holidays is not None:
        reply = await sim.command(f"remind holidays {holidays}", user="UMEI")
        assert f"Public holidays in {holidays} are not working days" in reply.text
    return await run_passes(sim, utc(2026, 9, 29), utc(2026, 10, 10), HALF_HOUR)


async def test_golden_week_with_cn_holidays_sends_nothing_and_resumes_on_the_8th(
    sim: Sim, slack: SlackStub
) -> None:
    results = await golden_week(sim, slack, "CN")

    reminders, escalations = sent(results, "reminder"), sent(results, "escalation")
    assert [p for p in reminders + escalations if in_golden_week(p)] == []
    # Wed 09-30 before the holiday; then Thu 10-08 and Fri 10-09, each at 09:00 Shanghai.
    assert [p.local(SHANGHAI).strftime("%a %m-%d %H:%M") for p in reminders] == [
        "Wed 09-30 09:00",
        "Thu 10-08 09:00",
        "Fri 10-09 09:00",
    ]
    assert {p.channel for p in reminders} == {"UMEI"}
    # The holiday is not counted as waiting: Tue, Wed, Thu, Fri.
    assert [p.text for p in reminders] == [
        "Step 1.1 of Acme POS has waited 2 working days (since 2026-09-28)",
        "Step 1.1 of Acme POS has waited 3 working days (since 2026-09-28)",
        "Step 1.1 of Acme POS has waited 4 working days (since 2026-09-28)",
    ]
    # The third unanswered reminder (Fri 10-09) is what tells the channel, half an hour on.
    assert [p.local(SHANGHAI).strftime("%a %m-%d %H:%M") for p in escalations] == [
        "Fri 10-09 09:30"
    ]


async def test_golden_week_without_holidays_reminds_and_escalates_during_the_week(
    sim: Sim, slack: SlackStub
) -> None:
    results = await golden_week(sim, slack, None)

    reminders, escalations = sent(results, "reminder"), sent(results, "escalation")
    in_week = [p.local(SHANGHAI).strftime("%a %m-%d") for p in reminders if in_golden_week(p)]
    assert in_week == ["Thu 10-01", "Fri 10-02", "Mon 10-05", "Tue 10-06", "Wed 10-07"]
    assert [p.local(SHANGHAI).strftime("%a %m-%d %H:%M") for p in escalations] == [
        "Fri 10-02 09:30"
    ]


async def test_an_escalation_due_on_a_holiday_waits_for_the_next_working_day(
    sim: Sim, slack: SlackStub
) -> None:
    """Created Wed 09-23; Fri 09-25 is the Mid-Autumn Festival, so 1.1 stalls Mon 09-28 and is
    reminded Mon, Tue, Wed. With one pass a day at 09:00 Shanghai the escalation would fall on
    Thu 10-01; it is sent on Thu 10-08 instead, the first working day after."""
    slack.add_user("UMEI", tz="Asia/Shanghai")
    slack.channel_members["CPAY"].append("UMEI")
    await sim.command("new Acme POS", user="UMEI", at=utc(2026, 9, 23, 1))
    await sim.command("remind holidays CN", user="UMEI")

    results = await run_passes(sim, utc(2026, 9, 24, 1), utc(2026, 10, 10), timedelta(days=1))

    day = "%a %m-%d"
    assert [p.local(SHANGHAI).strftime(day) for p in sent(results, "reminder")] == [
        "Mon 09-28",
        "Tue 09-29",
        "Wed 09-30",
        "Thu 10-08",
        "Fri 10-09",
    ]
    assert [p.local(SHANGHAI).strftime(day) for p in sent(results, "escalation")] == ["Thu 10-08"]


async def test_holidays_off_counts_them_again(sim: Sim, slack: SlackStub) -> None:
    slack.add_user("UMEI", tz="Asia/Shanghai")
    slack.channel_members["CPAY"].append("UMEI")
    await sim.command("new Acme POS", user="UMEI", at=utc(2026, 9, 28, 1))
    await sim.command("remind holidays CN", user="UMEI")
    reply = await sim.command("remind holidays off", user="UMEI")
    assert "Public holidays count as working days" in reply.text

    result = await sim.run_pass(utc(2026, 10, 1, 1))  # Thu 10-01 09:00 Shanghai

    assert [p.kind for p in result.posts] == ["reminder"]


async def test_remind_shows_the_setting_and_history_records_each_change(
    sim: Sim, slack: SlackStub
) -> None:
    await sim.command("new Acme POS")
    assert "Public holidays count as working days" in (await sim.command("remind")).text
    await sim.command("remind holidays cn")
    shown = (await sim.command("remind")).text
    assert "Public holidays in CN are not working days" in shown
    await sim.command("remind holidays SG")
    await sim.command("remind holidays off")
    bad = await sim.command("remind holidays XX")
    assert "`XX` is not a country" in bad.text

    application_id = await sim.application_id("acme-pos")
    async with sim.app.runtime.sessions() as session:
        events = list(
            await session.scalars(
                select(Event)
                .where(Event.application_id == application_id, Event.kind == "remind_holidays")
                .order_by(Event.id)
            )
        )
    assert [(e.actor_id, e.old_value, e.new_value) for e in events] == [
        ("UALICE", None, "CN"),
        ("UALICE", "CN", "SG"),
        ("UALICE", "SG", None),
    ]


# --- the parser ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("remind holidays CN", Remind("holidays", holidays="CN")),
        ("remind holidays cn", Remind("holidays", holidays="CN")),
        ("remind HOLIDAYS hk", Remind("holidays", holidays="HK")),
        ("remind holidays ＳＧ", Remind("holidays", holidays="SG")),
        ("remind holiday US", Remind("holidays", holidays="US")),
        ("remind holidays off", Remind("holidays", holidays=None)),
        ("remind holidays none", Remind("holidays", holidays=None)),
        ("remind holidays OFF", Remind("holidays", holidays=None)),
        ("remind holidays CN --app acme", Remind("holidays", holidays="CN", app="acme")),
        ("remind --app acme holidays gb", Remind("holidays", holidays="GB", app="acme")),
    ],
)
def test_remind_holidays_forms(text: str, expected: Remind) -> None:
    assert parse_command(text) == expected


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("remind holidays", ["Whose public holidays?", "`CN`", "`remind holidays off`"]),
        ("remind holidays XX", ["`XX` is not a country", "`CN`", "`HK`", "`US`", "`off`"]),
        ("remind holidays China", ["`China` is not a country", "`CN`"]),
        ("remind holidays 86", ["`86` is not a country"]),
        ("remind holidays CN US", ["one country code after `holidays`", "`US`"]),
        ("remind holidays <@U123|mei>", ["is not a country"]),
        ("remind holidays " + "Z" * 2000, ["is not a country"]),
    ],
)
def test_remind_holidays_errors(text: str, says: list[str]) -> None:
    result = parse_command(text)
    assert isinstance(result, ParseError), result
    for part in says:
        assert part in result.message


def test_remind_usage_and_unknown_setting_mention_holidays() -> None:
    result = parse_command("remind bogus")
    assert isinstance(result, ParseError)
    assert "`holidays CN`" in result.message
    assert "holidays" in parse_command("remind holidays CN US").message  # type: ignore[union-attr]


# --- the calendar -------------------------------------------------------------------------------


def test_calendar_functions_skip_holidays_only_when_given() -> None:
    cn = HolidayCalendar("CN")
    start = utc(2026, 9, 30, 1).astimezone(SHANGHAI)  # Wed 09:00
    assert is_working_day(start) and is_working_day(start, cn)
    assert is_working_day(utc(2026, 10, 1, 1)) and not is_working_day(utc(2026, 10, 1, 1), cn)
    assert add_working_days(start, 1).date() == date(2026, 10, 1)
    assert add_working_days(start, 1, cn).date() == date(2026, 10, 8)
    assert add_working_days(start, 1, {date(2026, 10, 1)}).date() == date(2026, 10, 2)
    end = utc(2026, 10, 8, 1).astimezone(SHANGHAI)
    assert working_days_between(start, end) == 6
    assert working_days_between(start, end, cn) == 1
    assert date(2026, 10, 1) in cn and date(2026, 10, 8) not in cn
    assert utc(2026, 10, 1, 1) in cn  # a datetime is taken by its date


def test_one_calendar_per_region_per_pass() -> None:
    calendars = HolidayCalendars()
    assert calendars.get(None) is None and calendars.get("") is None
    assert calendars.get("CN") is calendars.get("CN")
    assert calendars.get("CN") is not calendars.get("HK")
