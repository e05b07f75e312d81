"""A person's own settings, the same in every application of their workspace: away until a
date (`/onboard away until 2026-12-07`) and their own public holidays (`/onboard my holidays
SG`).

These are personal, not an application's: changing them writes no application history. Like
every service, nothing here reads the clock or Slack: the caller gives `now` and the person's
own `today`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import N_
from bot.services.calendar import Holidays
from bot.services.errors import Refusal
from storage import repositories as repo

# A date that ends the latest anywhere: UTC-12 (the IANA name's sign is inverted). Someone
# whose zone Slack would not tell is taken as away until their day has ended everywhere.
LATEST_ZONE = ZoneInfo("Etc/GMT+12")


@dataclass(frozen=True, slots=True)
class Personal:
    """What the reminders need to know about one person."""

    away_until: date | None = None  # away through the end of this day, in their own zone
    holidays: str | None = None  # their own public holidays: a country code
    language: str | None = None  # the language they chose (`/onboard language`); None: Slack's


def is_away(away_until: date | None, zone: ZoneInfo | None, now: datetime) -> bool:
    """Whether someone away until `away_until` (the end of that day in `zone`) still is at
    `now`; back from the next day's midnight in their zone."""
    if away_until is None:
        return False
    return now.astimezone(zone or LATEST_ZONE).date() <= away_until


def a_year_after(day: date) -> date:
    """The same date a year later (29 February: 28 February)."""
    try:
        return day.replace(year=day.year + 1)
    except ValueError:
        return day.replace(year=day.year + 1, day=28)


def check_away_until(until: date, today: date) -> None:
    """Refuse a date in the past (before the person's own `today`) or more than a year on."""
    latest = a_year_after(today)
    dates = {
        "until": until.isoformat(),
        "today": today.isoformat(),
        "latest": latest.isoformat(),
        "example": (today + timedelta(days=7)).isoformat(),
    }
    if until < today:
        raise Refusal(
            N_(
                "{until} is in the past; nothing was changed. Give the last day you will be away,"
                " from today ({today}) to {latest}, as `YYYY-MM-DD`, `tomorrow`, `+3d` or `+2w`,"
                " e.g. `/onboard away until {example}`; or `/onboard away off` when you are back."
            ),
            **dates,
        )
    if until > latest:
        raise Refusal(
            N_(
                "{until} is more than a year ahead; nothing was changed. Give the last day you"
                " will be away, from today ({today}) to {latest}, as `YYYY-MM-DD`, `tomorrow`,"
                " `+3d` or `+2w`, e.g. `/onboard away until {example}`; or `/onboard away off`"
                " when you are back."
            ),
            **dates,
        )


async def personal(session: AsyncSession, team_id: str, user_id: str) -> Personal:
    row = await repo.person_settings(session, team_id, user_id)
    if row is None:
        return Personal()
    return Personal(row.away_until, row.holidays)


async def set_away(
    session: AsyncSession,
    team_id: str,
    user_id: str,
    until: date | None,
    *,
    today: date,
    now: datetime,
) -> Personal:
    """Away through the end of `until` in the person's zone (None: back now). `today` is the
    person's own date, which `until` may not be before."""
    if until is not None:
        check_away_until(until, today)
    row = await repo.person_settings_for_update(session, team_id, user_id, now)
    row.away_until = until
    row.updated_at = now
    return Personal(row.away_until, row.holidays)


async def set_holidays(
    session: AsyncSession, team_id: str, user_id: str, region: str | None, *, now: datetime
) -> Personal:
    """The person's own public holidays: a country code, or None for none."""
    row = await repo.person_settings_for_update(session, team_id, user_id, now)
    row.holidays = region
    row.updated_at = now
    return Personal(row.away_until, row.holidays)


async def for_pass(session: AsyncSession, now: datetime) -> dict[tuple[str, str], Personal]:
    """Everyone who may be away at `now` in some zone, or has their own holidays or language,
    keyed by (team, user): one query a pass. A date before yesterday (UTC) has ended in every
    zone."""
    rows = await repo.people_with_settings(session, away_from=now.date() - timedelta(days=1))
    return {(r.team_id, r.user_id): Personal(r.away_until, r.holidays, r.language) for r in rows}


class EitherHolidays:
    """Days off by either of two calendars: an application's and the reminded person's own."""

    __slots__ = ("first", "second")

    def __init__(self, first: Holidays, second: Holidays) -> None:
        self.first = first
        self.second = second

    def __contains__(self, day: object) -> bool:
        return day in self.first or day in self.second


def either(first: Holidays | None, second: Holidays | None) -> Holidays | None:
    """The days off of both calendars (None: weekends only)."""
    if first is None or second is None:
        return first if second is None else second
    return EitherHolidays(first, second)
