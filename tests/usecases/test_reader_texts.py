"""Texts a team trips on (issue 13): `status` in a DM, no history entry for a setting that
did not change, and history times in the reader's own time zone. The use cases are called
directly with the real runtime and database."""

from __future__ import annotations

from datetime import time
from zoneinfo import ZoneInfo

from bot.usecases import checklist, settings
from bot.usecases.context import Actor, Deps
from storage.models import Application
from tests.harness import TEAM_ID
from tests.slack_stub import SlackStub
from tests.usecases.conftest import Db, forget_people

# ---- status in a direct message ---------------------------------------------------------------


async def test_status_in_a_dm_says_applications_live_in_channels(
    deps: Deps, refuses, application: Application
) -> None:
    in_a_dm = Actor(TEAM_ID, "UBOB", "D0DIRECT")
    message = await refuses(
        checklist.show(deps, in_a_dm, None), "Applications live in channels", "--app &lt;slug&gt;"
    )
    assert "No application is bound" not in message
    assert "`/onboard status` in your team's channel" in message


async def test_status_in_a_dm_with_app_shows_the_checklist_there(
    deps: Deps, application: Application
) -> None:
    in_a_dm = Actor(TEAM_ID, "UBOB", "D0DIRECT")
    shown = await checklist.show(deps, in_a_dm, "acme-pos")
    assert shown.checklist.application.id == application.id and not shown.in_its_channel


async def test_status_in_a_channel_without_applications_keeps_the_generic_answer(
    deps: Deps, refuses, application: Application
) -> None:
    elsewhere = Actor(TEAM_ID, "UCAROL", "COTHER")
    await refuses(checklist.show(deps, elsewhere, None), "No application is bound")


# ---- no no-op history entries -----------------------------------------------------------------


async def test_setting_reminders_to_what_they_are_records_nothing(
    deps: Deps, db: Db, member: Actor, application: Application
) -> None:
    before = await db.events(application.id)
    await settings.set_reminders(deps, member, application.id, after_days=2)  # the default
    await settings.set_reminders(deps, member, None, hours=(time(9, 0), time(18, 0)))
    await settings.set_reminders(deps, member, "acme-pos", on=True)
    assert [e.id for e in await db.events(application.id)] == [e.id for e in before]
    # A real change after them is still recorded, once.
    await settings.set_reminders(deps, member, application.id, after_days=3, on=True)
    changes = [(e.kind, e.old_value, e.new_value) for e in await db.events(application.id)]
    assert changes[len(before) :] == [("remind_after", "2", "3")]


# ---- history times in the reader's own zone ---------------------------------------------------


async def test_history_carries_the_readers_time_zone(
    deps: Deps, slack: SlackStub, member: Actor, owner: Actor, application: Application
) -> None:
    slack.add_user("UBOB", tz="Asia/Shanghai")
    slack.add_user("UALICE", tz="Europe/London")
    forget_people(deps)
    assert (await checklist.history(deps, member, None, None)).zone == ZoneInfo("Asia/Shanghai")
    assert (await checklist.history(deps, owner, None, None)).zone == ZoneInfo("Europe/London")


async def test_history_is_in_utc_when_slack_does_not_know_the_readers_zone(
    deps: Deps, slack: SlackStub, member: Actor, application: Application
) -> None:
    slack.add_user("UBOB")["tz"] = None
    forget_people(deps)
    assert (await checklist.history(deps, member, None, None)).zone == ZoneInfo("UTC")
