"""Fractional working days, against days counted by hand on a 2026 calendar."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.analytics.working_time import working_time


def at(month: int, day: int, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("region", "start", "end", "days"),
    [
        (None, at(9, 7), at(9, 9), 2.0),  # Mon noon → Wed noon
        (None, at(9, 11), at(9, 14), 1.0),  # Fri noon → Mon noon: the weekend is nothing
        (None, at(9, 12), at(9, 13, 18), 0.0),  # within a weekend
        (None, at(9, 7, 6), at(9, 7, 18), 0.5),  # within one day
        (None, at(10, 16, 21, 36), at(10, 20, 9, 36), 1.5),  # .1 + Mon + .4
        (None, at(9, 30), at(10, 8), 6.0),  # no region: Golden Week is work
        ("CN", at(9, 30), at(10, 8), 1.0),  # Wed .5 + (Oct 1–7 off) + Thu .5
        ("CN", at(9, 21), at(9, 25), 3.5),  # Fri 09-25, Mid-Autumn, is off
        ("CN", at(9, 25), at(10, 8), 3.5),  # Mon–Wed 09-28..30, then Thu .5
        (None, datetime(2025, 12, 31, 12, tzinfo=UTC), at(1, 2), 2.0),  # Wed .5, Thu, Fri .5
        ("CN", datetime(2025, 12, 31, 12, tzinfo=UTC), at(1, 5), 1.0),  # Jan 1, 2 off: .5 + .5
        (None, at(9, 9), at(9, 7), 0.0),  # backwards: nothing
    ],
)
def test_working_days(region, start, end, days) -> None:
    assert working_time(region).days(start, end) == pytest.approx(days)
