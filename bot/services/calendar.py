"""Working days, working hours and digest occurrences, in a person's or channel's own zone.

Pure functions of `now`: nothing here reads the clock.
"""

from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

SATURDAY = 5

# Public holidays: any container of dates (a HolidayCalendar, a set). None: weekends only.
Holidays = Container[date]


def is_working_day(moment: datetime, holidays: Holidays | None = None) -> bool:
    """Monday to Friday, and not one of `holidays` (by `moment`'s own calendar date)."""
    if moment.weekday() >= SATURDAY:
        return False
    return holidays is None or moment.date() not in holidays


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

    def contains(self, local: datetime, holidays: Holidays | None = None) -> bool:
        """Monday to Friday except `holidays`, from start up to (not including) end, in the
        local zone."""
        return is_working_day(local, holidays) and self.start <= local.time() < self.end


def add_working_days(start: datetime, days: int, holidays: Holidays | None = None) -> datetime:
    """`start` moved on by `days` working days (weekends and `holidays` skipped), same time
    of day."""
    moment = start
    counted = 0
    while counted < days:
        moment += timedelta(days=1)
        if is_working_day(moment, holidays):
            counted += 1
    return moment


def working_days_between(start: datetime, end: datetime, holidays: Holidays | None = None) -> int:
    """Whole working days from `start` to `end` (both in one zone): how long something waited."""
    days = 0
    moment = start + timedelta(days=1)
    while moment <= end:
        days += is_working_day(moment, holidays)
        moment += timedelta(days=1)
    return days


# ---- public holidays ----------------------------------------------------------------------------


@cache
def holiday_regions() -> frozenset[str]:
    """The country codes the `holidays` package knows (ISO 3166-1 alpha-2, upper case)."""
    import holidays  # imported on first use: the package is large

    return frozenset(holidays.list_supported_countries())


class HolidayCalendar:
    """A country's public holidays as a container of dates, each year's read from the
    `holidays` package once, when first asked about. Build one per country per pass (see
    `HolidayCalendars`), not one per step."""

    __slots__ = ("_years", "region")

    def __init__(self, region: str) -> None:
        self.region = region
        self._years: dict[int, frozenset[date]] = {}

    def _year(self, year: int) -> frozenset[date]:
        found = self._years.get(year)
        if found is None:
            import holidays

            found = frozenset(holidays.country_holidays(self.region, years=year))
            self._years[year] = found
        return found

    def __contains__(self, day: object) -> bool:
        """Whether `day` (a date; a datetime counts by its date) is a public holiday."""
        if isinstance(day, datetime):
            day = day.date()
        elif not isinstance(day, date):
            return False
        year = self._years.get(day.year)
        if year is None:
            year = self._year(day.year)
        return day in year


class HolidayCalendars:
    """One HolidayCalendar per region, made when first asked for: a pass's cache."""

    def __init__(self) -> None:
        self._by_region: dict[str, HolidayCalendar] = {}

    def get(self, region: str | None) -> HolidayCalendar | None:
        if not region:
            return None
        found = self._by_region.get(region)
        if found is None:
            found = self._by_region[region] = HolidayCalendar(region)
        return found


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
