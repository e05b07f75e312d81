"""Fractional working days between two moments, in constant time per call.

A working day is a UTC calendar day that is Monday to Friday and not a public holiday of the
application's `remind holidays` region (the same rule as bot/services/calendar.py
`is_working_day`). The working time from a to b is the part of [a, b) that falls on working
days, with one day = 24 hours: Friday 12:00 → Monday 12:00 is 0.5 + 0.5 = 1.0 working day.

The report measures tens of thousands of intervals, so a span is counted with arithmetic on
weeks and a sorted list of the region's weekday holidays (bisect), not a walk over its days.
"""

from __future__ import annotations

from bisect import bisect_left
from datetime import UTC, date, datetime, timedelta
from functools import cache

DAY = timedelta(days=1)
_MONDAY_ORDINAL = date(2001, 1, 1).toordinal()  # a Monday: weekday arithmetic starts there


@cache
def _weekday_holidays(region: str, year: int) -> tuple[date, ...]:
    """The region's public holidays of `year` that fall Monday to Friday, sorted: weekends
    are never working days, so only these take anything more away."""
    import holidays  # imported on first use: the package is large

    return tuple(
        sorted(d for d in holidays.country_holidays(region, years=year) if d.weekday() < 5)
    )


def _weekdays_before(day: date) -> int:
    """How many Mondays to Fridays there are from 2001-01-01 up to (not including) `day`."""
    days = day.toordinal() - _MONDAY_ORDINAL
    weeks, rest = divmod(days, 7)
    return weeks * 5 + min(rest, 5)


class WorkingTime:
    """Working days of one holiday region (None: weekends are the only days off)."""

    __slots__ = ("region",)

    def __init__(self, region: str | None) -> None:
        self.region = region or None

    def _holidays_in(self, first: date, last: date) -> int:
        """Weekday public holidays in [first, last)."""
        if self.region is None or first >= last:
            return 0
        count = 0
        for year in range(first.year, last.year + 1):
            days = _weekday_holidays(self.region, year)
            count += bisect_left(days, last) - bisect_left(days, first)
        return count

    def is_working(self, day: date) -> bool:
        if day.weekday() >= 5:
            return False
        return self.region is None or day not in _weekday_holidays(self.region, day.year)

    def whole_days(self, first: date, last: date) -> int:
        """Working days in [first, last)."""
        if first >= last:
            return 0
        return _weekdays_before(last) - _weekdays_before(first) - self._holidays_in(first, last)

    def days(self, start: datetime, end: datetime) -> float:
        """Working days in [start, end), fractional (0.0 when end is not after start)."""
        start, end = start.astimezone(UTC), end.astimezone(UTC)
        if end <= start:
            return 0.0
        first, last = start.date(), end.date()
        if first == last:
            return (end - start) / DAY if self.is_working(first) else 0.0
        midnight_after_start = datetime.combine(first + DAY, datetime.min.time(), UTC)
        midnight_of_end = datetime.combine(last, datetime.min.time(), UTC)
        total = float(self.whole_days(first + DAY, last))
        if self.is_working(first):
            total += (midnight_after_start - start) / DAY
        if self.is_working(last):
            total += (end - midnight_of_end) / DAY
        return total


@cache
def working_time(region: str | None) -> WorkingTime:
    """The shared WorkingTime of a region."""
    return WorkingTime(region)
