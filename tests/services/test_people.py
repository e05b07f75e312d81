"""Who is reminded when someone is away, and whose holidays count: the pure functions a pass
applies after `to_members` (bot/services/reminders.py), and the rules of bot/services/people.py.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.services.calendar import HolidayCalendars, WorkingHours
from bot.services.errors import Refusal
from bot.services.people import (
    Personal,
    a_year_after,
    check_away_until,
    either,
    is_away,
)
from bot.services.reminders import StepWatch, around_away, decide, to_members, with_own_holidays

LA = ZoneInfo("America/Los_Angeles")
NOW = datetime(2026, 12, 1, 17, tzinfo=UTC)  # Tue 09:00 in Los Angeles


def watch(recipient: str = "UBOB", owner: str = "UALICE", **changes) -> StepWatch:
    values = {
        "application_id": 1,
        "team_id": "T1",
        "application": "Acme POS",
        "slug": "acme-pos",
        "channel_id": "CPAY",
        "owner_id": owner,
        "step": "1.1",
        "title": "Sign up",
        "recipient": recipient,
        "waiting_since": datetime(2026, 11, 25, 10, tzinfo=UTC),
        "answered_at": datetime(2026, 11, 25, 10, tzinfo=UTC),
        "due_on": None,
        "active": True,
        "remind_after_days": 2,
        "hours": WorkingHours.parse("09:00", "18:00"),
    }
    return StepWatch(**(values | changes))


def routed(watches, away: dict[str, date], zone: ZoneInfo | None = LA) -> list[StepWatch]:
    return around_away(
        watches,
        lambda team, user: Personal(away[user]) if team == "T1" and user in away else None,
        lambda team, user: zone,
        NOW,
    )


def test_nobody_away_changes_nothing() -> None:
    watches = [watch(), watch(recipient="UALICE")]
    assert routed(watches, {}) == watches
    assert routed(watches, {"UBOB": date(2026, 11, 30)}) == watches  # back since Tue 00:00 LA


def test_an_away_assignee_gives_the_step_to_the_owner_saying_until_when() -> None:
    (w,) = routed([watch()], {"UBOB": date(2026, 12, 7)})
    assert (w.recipient, w.instead_of, w.away_until, w.nobody_present) == (
        "UALICE",
        "UBOB",
        date(2026, 12, 7),
        False,
    )
    due = decide(w, LA, NOW)
    assert due is not None
    line = due.line()
    assert (line.instead_of, line.away_until) == ("UBOB", date(2026, 12, 7))


@pytest.mark.parametrize("owner_away", [True, False])
def test_an_away_owner_is_dmed_about_nothing(owner_away: bool) -> None:
    """The owner's own step while they are away, or an away assignee's whose owner is away
    too: nobody is DMed; the watch stays (the channel may still be told)."""
    own = watch(recipient="UALICE")
    bobs = watch()
    away = {"UALICE": date(2026, 12, 1)} | ({"UBOB": date(2026, 12, 4)} if owner_away else {})
    result = routed([own, bobs], away)
    assert result[0].nobody_present and result[0].recipient == "UALICE"
    assert decide(result[0], LA, NOW) is None
    if owner_away:
        assert result[1].nobody_present and decide(result[1], LA, NOW) is None
    else:
        assert result[1] == bobs  # UBOB is here: his own step reaches him


def test_away_ends_at_midnight_in_the_persons_own_zone() -> None:
    until = date(2026, 11, 30)
    assert is_away(until, LA, datetime(2026, 12, 1, 7, 59, tzinfo=UTC))  # Mon 23:59 LA
    assert not is_away(until, LA, datetime(2026, 12, 1, 8, tzinfo=UTC))  # Tue 00:00 LA
    assert not is_away(None, LA, NOW)
    # Slack would not say where they live: away until the day has ended everywhere.
    assert is_away(until, None, datetime(2026, 12, 1, 11, 59, tzinfo=UTC))
    assert not is_away(until, None, datetime(2026, 12, 1, 12, tzinfo=UTC))


def test_not_in_the_channel_then_away_owner_means_nobody() -> None:
    """`to_members` gives an absent assignee's step to the owner; an away owner then gets
    nothing either."""
    members = to_members([watch()], lambda w: frozenset({"UALICE"}))
    (w,) = routed(members, {"UALICE": date(2026, 12, 7)})
    assert w.instead_of == "UBOB" and w.nobody_present


def test_another_workspaces_away_is_not_this_ones() -> None:
    w = watch(team_id="T2")
    assert routed([w], {"UBOB": date(2026, 12, 7)}) == [w]


def test_the_recipients_own_holidays_add_to_the_applications() -> None:
    calendars = HolidayCalendars()
    cn = calendars.get("CN")
    watches = [watch(holidays=cn), watch(recipient="UALICE", holidays=cn), watch()]
    personal = {"UBOB": Personal(holidays="US")}
    result = with_own_holidays(watches, lambda t, u: personal.get(u), calendars)
    assert date(2026, 11, 26) in result[0].holidays  # Thanksgiving, UBOB's
    assert date(2026, 10, 1) in result[0].holidays  # National Day, the application's
    assert result[1] == watches[1]  # UALICE has none of her own
    assert date(2026, 11, 26) in result[2].holidays and date(2026, 10, 1) not in result[2].holidays


def test_either_calendar() -> None:
    assert either(None, None) is None
    assert either({date(2026, 1, 1)}, None) == {date(2026, 1, 1)}
    both = either({date(2026, 1, 1)}, {date(2026, 1, 2)})
    assert date(2026, 1, 1) in both and date(2026, 1, 2) in both and date(2026, 1, 3) not in both


def test_the_away_date_is_from_today_to_a_year_on() -> None:
    today = date(2026, 11, 25)
    check_away_until(today, today)
    check_away_until(date(2027, 11, 25), today)
    with pytest.raises(Refusal, match="in the past"):
        check_away_until(date(2026, 11, 24), today)
    with pytest.raises(Refusal, match="more than a year ahead"):
        check_away_until(date(2027, 11, 26), today)
    assert a_year_after(date(2028, 2, 29)) == date(2029, 2, 28)
