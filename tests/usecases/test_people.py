"""bot/usecases/people.py: a person's own settings (away, holidays), called directly with the
real runtime and database. Anyone may change their own, from any channel or a DM; nothing else
is touched, and no application's history."""

from __future__ import annotations

from datetime import date, timedelta

from bot.usecases import people
from bot.usecases.context import Actor, Deps
from storage.models import Application
from tests.harness import TEAM_ID
from tests.slack_stub import SlackStub
from tests.usecases.conftest import OTHER_TEAM, Db

TODAY = date(2026, 11, 25)  # the clock's date in Los Angeles


async def test_away_and_back_in_a_dm_writes_no_history(
    deps: Deps, db: Db, application: Application
) -> None:
    bob = Actor(TEAM_ID, "UBOB", "DUBOB")
    events = [e.id for e in await db.events(application.id)]

    away = await people.set_away(deps, bob, date(2026, 12, 7))
    assert (away.away_until, away.today, away.was_away) == (date(2026, 12, 7), TODAY, False)
    assert (await people.my_settings(deps, bob)).away_until == date(2026, 12, 7)

    back = await people.set_away(deps, bob, None)
    assert (back.away_until, back.was_away) == (None, True)
    assert [e.id for e in await db.events(application.id)] == events


async def test_a_date_out_of_range_is_refused_and_changes_nothing(deps: Deps, refuses) -> None:
    bob = Actor(TEAM_ID, "UBOB", "CPAY")
    await people.set_my_holidays(deps, bob, "SG")
    await refuses(people.set_away(deps, bob, TODAY - timedelta(days=1)), "in the past")
    await refuses(people.set_away(deps, bob, date(2027, 11, 26)), "more than a year ahead")


async def test_today_is_the_persons_own(deps: Deps, refuses, slack: SlackStub) -> None:
    """10:00 UTC Wednesday is already Thursday in Kiritimati (UTC+14)."""
    slack.add_user("UKIRI", tz="Pacific/Kiritimati")
    kiri = Actor(TEAM_ID, "UKIRI", "CPAY")
    await refuses(people.set_away(deps, kiri, TODAY), "2026-11-25 is in the past")
    assert (await people.set_away(deps, kiri, TODAY + timedelta(days=1))).today == date(
        2026, 11, 26
    )


async def test_an_away_date_that_has_passed_shows_as_not_away(deps: Deps, app) -> None:
    bob = Actor(TEAM_ID, "UBOB", "CPAY")
    await people.set_away(deps, bob, TODAY)
    app.clock.advance(days=1)
    assert (await people.my_settings(deps, bob)).away_until is None
    assert (await people.set_away(deps, bob, None)).was_away is False


async def test_settings_are_per_workspace(deps: Deps) -> None:
    here, there = Actor(TEAM_ID, "UBOB", "CPAY"), Actor(OTHER_TEAM, "UBOB", "CPAY")
    await people.set_away(deps, there, date(2026, 12, 7))
    await people.set_my_holidays(deps, there, "US")

    mine = await people.my_settings(deps, here)
    assert (mine.away_until, mine.holidays) == (None, None)
    theirs = await people.my_settings(deps, there)
    assert (theirs.away_until, theirs.holidays) == (date(2026, 12, 7), "US")

    cleared = await people.set_my_holidays(deps, there, None)
    assert (cleared.away_until, cleared.holidays) == (date(2026, 12, 7), None)
