"""Intents about a person's own settings: away until a date, their own public holidays.

A person changes only their own settings, from any channel or a DM: there is no application
to find or authorize against, and nothing is written to an application's history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import people
from bot.services.due_dates import DueSpec, day_named
from bot.services.people import Personal
from bot.usecases.context import Actor, Deps, today_for


@dataclass(frozen=True, slots=True)
class MySettings:
    """A person's settings as they stand, and their own `today` (in their Slack zone)."""

    away_until: date | None  # None when not away now (never, off, or the day has passed)
    holidays: str | None
    today: date
    was_away: bool = False  # before this change: whether they were away


async def _today(deps: Deps, actor: Actor) -> date:
    return (await today_for(deps, actor)).date


def _outcome(found: Personal, today: date, was_away: bool = False) -> MySettings:
    away = found.away_until if found.away_until is not None and found.away_until >= today else None
    return MySettings(away, found.holidays, today, was_away)


async def my_settings(deps: Deps, actor: Actor) -> MySettings:
    today = await _today(deps, actor)
    async with deps.runtime.sessions() as session:
        found = await people.personal(session, actor.team_id, actor.user_id)
    return _outcome(found, today)


async def set_away(deps: Deps, actor: Actor, until: date | DueSpec | None) -> MySettings:
    """Away through the end of `until` (a date, or days from today: `tomorrow`, `+2w`) in the
    person's own zone; None: back now. A day before the person's today or more than a year on
    is refused, changing nothing."""
    today = await _today(deps, actor)
    last_day = _last_day(until, today)

    async def unit(session: AsyncSession) -> MySettings:
        now = deps.now()
        before = await people.personal(session, actor.team_id, actor.user_id)
        was_away = before.away_until is not None and before.away_until >= today
        found = await people.set_away(
            session, actor.team_id, actor.user_id, last_day, today=today, now=now
        )
        return _outcome(found, today, was_away)

    return await deps.runtime.writes.run(unit)


def _last_day(until: date | DueSpec | None, today: date) -> date | None:
    if until is None or isinstance(until, date):
        return until
    return day_named(until, today)


async def set_my_holidays(deps: Deps, actor: Actor, region: str | None) -> MySettings:
    """The person's own public holidays: a country code, or None for none."""
    today = await _today(deps, actor)

    async def unit(session: AsyncSession) -> MySettings:
        found = await people.set_holidays(
            session, actor.team_id, actor.user_id, region, now=deps.now()
        )
        return _outcome(found, today)

    return await deps.runtime.writes.run(unit)
