"""Working days, working hours and digest occurrences, in a person's or channel's own zone.

Pure functions of `now`: nothing here reads the clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

SATURDAY = 5


def is_working_day(moment: datetime) -> bool:
    return moment.weekday() < SATURDAY


def parse_hhmm(text: str) -> time:
    hours, minutes = text.split(":")
    if hours == "24" and minutes == "00":
        return time.max
    return time(int(hours), int(minutes))


def format_hhmm(value: time) -> str:
    return "24:00" if value == time.max else value.strftime("%H:%M")


@dataclass(frozen=True, slots=True)
class WorkingHours:
    start: time
    end: time

    @staticmethod
    def parse(start: str, end: str) -> WorkingHours:
        return WorkingHours(parse_hhmm(start), parse_hhmm(end))

    def contains(self, local: datetime) -> bool:
        """Monday to Friday, from start up to (not including) end, in the local zone."""
        return is_working_day(local) and self.start <= local.time() < self.end


def add_working_days(start: datetime, days: int) -> datetime:
    """`start` moved on by `days` working days (weekends skipped), same time of day."""
    moment = start
    counted = 0
    while counted < days:
        moment += timedelta(days=1)
        if is_working_day(moment):
            counted += 1
    return moment


def working_days_between(start: datetime, end: datetime) -> int:
    """Whole working days from `start` to `end` (both in one zone): how long something waited."""
    days = 0
    moment = start + timedelta(days=1)
    while moment <= end:
        days += is_working_day(moment)
        moment += timedelta(days=1)
    return days


# ---- digests --------------------------------------------------------------------------------


def latest_occurrence(now: datetime, zone: ZoneInfo, at: time, weekday: int | None) -> datetime:
    """The most recent scheduled moment at or before `now` (UTC result): daily at `at`, or
    weekly on `weekday` (0 = Monday) at `at`, in `zone`."""
    local_now = now.astimezone(zone)
    day = local_now.date()
    for back in range(8):
        candidate_day = day - timedelta(days=back)
        if weekday is not None and candidate_day.weekday() != weekday:
            continue
        candidate = datetime.combine(candidate_day, at, tzinfo=zone)
        if candidate <= local_now:
            return candidate.astimezone(now.tzinfo)
    raise AssertionError("a daily or weekly schedule always occurs within 8 days")
