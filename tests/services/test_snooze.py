"""bot/services/snooze.py: when each snooze choice ends, in the snoozer's zone and calendar."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.services.calendar import WorkingHours
from bot.services.errors import Refusal
from bot.services.snooze import SNOOZE_CHOICES, check_choice, snooze_until

LA = ZoneInfo("America/Los_Angeles")
SHANGHAI = ZoneInfo("Asia/Shanghai")
NINE_TO_SIX = WorkingHours.parse("09:00", "18:00")
# Friday 2026-11-27 17:10 UTC: 09:10 in Los Angeles, 01:10 Saturday in Shanghai.
FRIDAY = datetime(2026, 11, 27, 17, 10, tzinfo=UTC)


@pytest.mark.parametrize(
    ("choice", "zone", "holidays", "ends"),
    [
        ("1h", LA, None, datetime(2026, 11, 27, 18, 10, tzinfo=UTC)),
        ("3d", LA, None, datetime(2026, 11, 30, 17, 10, tzinfo=UTC)),
        # Friday's tomorrow is Monday, as the working day starts (09:00 LA = 17:00 UTC).
        ("tomorrow", LA, None, datetime(2026, 11, 30, 17, tzinfo=UTC)),
        # A public holiday on Monday moves it to Tuesday.
        ("tomorrow", LA, {date(2026, 11, 30)}, datetime(2026, 12, 1, 17, tzinfo=UTC)),
        # Already Saturday in Shanghai: the next working day is Monday, 09:00 there.
        ("tomorrow", SHANGHAI, None, datetime(2026, 11, 30, 1, tzinfo=UTC)),
        ("week", LA, None, datetime(2026, 11, 30, 17, tzinfo=UTC)),
        ("week", LA, {date(2026, 11, 30)}, datetime(2026, 12, 1, 17, tzinfo=UTC)),
    ],
)
def test_each_choice_ends_where_it_says(choice, zone, holidays, ends) -> None:
    assert snooze_until(choice, FRIDAY, zone, NINE_TO_SIX, holidays) == ends


def test_next_week_from_a_monday_is_the_monday_after() -> None:
    monday = datetime(2026, 11, 30, 17, 10, tzinfo=UTC)
    ends = datetime(2026, 12, 7, 17, tzinfo=UTC)
    assert snooze_until("week", monday, LA, NINE_TO_SIX) == ends


def test_the_menu_offers_four_choices_in_order() -> None:
    assert list(SNOOZE_CHOICES.values()) == ["1 hour", "Tomorrow", "3 days", "Next week"]


@pytest.mark.parametrize("choice", ["", "1d", "forever", "Tomorrow", "snooze:1h"])
def test_any_other_choice_is_refused_naming_the_valid_ones(choice: str) -> None:
    with pytest.raises(Refusal) as refused:
        check_choice(choice)
    assert refused.value.message == (
        "That is not a snooze I offer; pick one of: 1 hour, tomorrow, 3 days, next week."
    )
