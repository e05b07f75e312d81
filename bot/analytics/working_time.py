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
from datetime import date, datetime, timedelta
from functools import cache

DAY = timedelta(days=1)
SECONDS_A_DAY = 86_400
# Days are counted from the Unix epoch, 1970-01-01, a Thursday (weekday 3).
_EPOCH_WEEKDAY = 3
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


@cache
def _weekday_holidays(region: str, year: int) -> tuple[int, ...]:
    """The region's public holidays of `year` that fall Monday to Friday, as days since the
    epoch, sorted: weekends are never working days, so only these take anything more away."""
    import holidays  # imported on first use: the package is large

    return tuple(
        sorted(
            d.toordinal() - _EPOCH_ORDINAL
            for d in holidays.country_holidays(region, years=year)
            if d.weekday() < 5
        )
    )


def _weekdays_before(day: int) -> int:
    """How many Mondays to Fridays there are from the Monday before the epoch (day -3) up to
    (not including) `day`, a day since the epoch."""
    weeks, rest = divmod(day + _EPOCH_WEEKDAY, 7)
    return weeks * 5 + min(rest, 5)


def _year_of(day: int) -> int:
    return date.fromordinal(day + _EPOCH_ORDINAL).year


class WorkingTime:
    """Working days of one holiday region (None: weekends are the only days off)."""

    __slots__ = ("region",)

    def __init__(self, region: str | None) -> None:
        self.region = region or None

    def _holidays_in(self, first: int, last: int) -> int:
        """Weekday public holidays in [first, last), days since the epoch."""
        if self.region is None or first >= last:
            return 0
        count = 0
        for year in range(_year_of(first), _year_of(last - 1) + 1):
            days = _weekday_holidays(self.region, year)
            count += bisect_left(days, last) - bisect_left(days, first)
        return count

    def _is_working(self, day: int) -> bool:
        if (day + _EPOCH_WEEKDAY) % 7 >= 5:
            return False
        return self.region is None or day not in _weekday_holidays(self.region, _year_of(day))

    def is_working(self, day: date) -> bool:
        return self._is_working(day.toordinal() - _EPOCH_ORDINAL)

    def whole_days(self, first: date, last: date) -> int:
        """Working days in [first, last)."""
        return self._whole_days(
            first.toordinal() - _EPOCH_ORDINAL, last.toordinal() - _EPOCH_ORDINAL
        )

    def _whole_days(self, first: int, last: int) -> int:
        if first >= last:
            return 0
        # `_weekdays_before(last) - _weekdays_before(first)`, inline: it runs for every interval.
        weeks_last, rest_last = divmod(last + _EPOCH_WEEKDAY, 7)
        weeks_first, rest_first = divmod(first + _EPOCH_WEEKDAY, 7)
        weekdays = (weeks_last - weeks_first) * 5 + min(rest_last, 5) - min(rest_first, 5)
        if self.region is None:
            return weekdays
        return weekdays - self._holidays_in(first, last)

    def days(self, start: datetime, end: datetime) -> float:
        """Working days in [start, end), fractional (0.0 when end is not after start)."""
        if end <= start:
            return 0.0
        # Seconds since the epoch: whole days and the part of a day, with no calendar objects.
        first, start_part = divmod(start.timestamp(), SECONDS_A_DAY)
        last, end_part = divmod(end.timestamp(), SECONDS_A_DAY)
        first, last = int(first), int(last)
        if first == last:
            return (end_part - start_part) / SECONDS_A_DAY if self._is_working(first) else 0.0
        total = float(self._whole_days(first + 1, last))
        if self._is_working(first):
            total += 1 - start_part / SECONDS_A_DAY
        if self._is_working(last):
            total += end_part / SECONDS_A_DAY
        return total


@cache
def working_time(region: str | None) -> WorkingTime:
    """The shared WorkingTime of a region."""
    return WorkingTime(region)
