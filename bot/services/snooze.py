"""How long a snooze holds a step's reminders: the choices a reminder DM offers, and when each
ends. Pure: `now`, the snoozer's zone, the application's hours and the days off (the
application's public holidays and the snoozer's own) are given."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.i18n import N_
from bot.services.calendar import Holidays, WorkingHours, is_working_day
from bot.services.errors import LIST_SEPARATOR_COMMA, Phrase, Refusal

# value (in the DM's menu) -> label (translated where shown), in the order the menu shows them
SNOOZE_CHOICES: dict[str, str] = {
    "1h": N_("1 hour"),
    "tomorrow": N_("Tomorrow"),
    "3d": N_("3 days"),
    "week": N_("Next week"),
}

# The same choices inside a sentence (lower case in English), for a refusal.
_IN_A_LIST: dict[str, str] = {
    "1h": N_("1 hour"),
    "tomorrow": N_("tomorrow"),
    "3d": N_("3 days"),
    "week": N_("next week"),
}


def check_choice(choice: str) -> str:
    if choice not in SNOOZE_CHOICES:
        raise Refusal(
            N_("That is not a snooze I offer; pick one of: {valid}."),
            valid=Phrase.joined(
                [Phrase(_IN_A_LIST[value]) for value in SNOOZE_CHOICES], LIST_SEPARATOR_COMMA
            ),
        )
    return choice


def _start_of(day: datetime, at: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day.date(), at, tzinfo=zone)


def _next_working_day(local: datetime, holidays: Holidays | None) -> datetime:
    day = local + timedelta(days=1)
    while not is_working_day(day, holidays):
        day += timedelta(days=1)
    return day


def snooze_until(
    choice: str,
    now: datetime,
    zone: ZoneInfo,
    hours: WorkingHours,
    holidays: Holidays | None = None,
) -> datetime:
    """When the snooze ends. "tomorrow" and "next week" end as the snoozer's working hours
    start (on the next working day; on the first working day of next week), so the reminder
    is back first thing rather than at the moment of the click a day later."""
    check_choice(choice)
    if choice == "1h":
        return now + timedelta(hours=1)
    if choice == "3d":
        return now + timedelta(days=3)
    local = now.astimezone(zone)
    if choice == "tomorrow":
        day = _next_working_day(local, holidays)
    else:
        monday = local + timedelta(days=7 - local.weekday())
        day = monday if is_working_day(monday, holidays) else _next_working_day(monday, holidays)
    return _start_of(day, hours.start, zone).astimezone(now.tzinfo)
