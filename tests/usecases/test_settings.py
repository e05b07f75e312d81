"""bot/usecases/settings.py: reminders, the channel's digest and Alipay contacts, called
directly with the real runtime and database."""

from __future__ import annotations

from datetime import time

import pytest

from bot.usecases import applications, settings
from bot.usecases.context import Actor, Deps
from storage.models import Application
from tests.slack_stub import SlackStub
from tests.usecases.conftest import ACCESS_REFUSALS, Db, named


def _intents(deps: Deps, actor: Actor, ref) -> dict:
    return {
        "reminder_settings": lambda: settings.reminder_settings(deps, actor, ref),
        "set_reminders": lambda: settings.set_reminders(deps, actor, ref, after_days=5),
        "digest_schedule": lambda: settings.digest_schedule(deps, actor, ref),
        "set_digest": lambda: settings.set_digest(deps, actor, ref, cadence="daily"),
        "contacts": lambda: settings.contacts(deps, actor, ref),
        "add_contacts": lambda: settings.add_contacts(deps, actor, ref, ["UBOB"]),
        "remove_contacts": lambda: settings.remove_contacts(deps, actor, ref, ["UBOB"]),
        "set_contacts_channel": lambda: settings.set_contacts_channel(deps, actor, ref, "CPARTNER"),
    }


INTENTS = [
    "reminder_settings",
    "set_reminders",
    "digest_schedule",
    "set_digest",
    "contacts",
    "add_contacts",
    "remove_contacts",
    "set_contacts_channel",
]
CHANGES = ["set_reminders", "set_digest", "add_contacts", "remove_contacts", "set_contacts_channel"]


@pytest.mark.parametrize(("who", "ref", "says"), ACCESS_REFUSALS)
@pytest.mark.parametrize("intent", INTENTS)
async def test_every_settings_intent_refuses_who_may_not_see_the_application(
    deps: Deps, refuses, request, application: Application, intent, who, ref, says
) -> None:
    actor, ref = named(request, application, who, ref)
    await refuses(_intents(deps, actor, ref)[intent](), says)


@pytest.mark.parametrize("ref", ["id", "slug"])
@pytest.mark.parametrize("intent", CHANGES)
async def test_the_settings_of_an_archived_application_do_not_change(
    deps: Deps, refuses, owner: Actor, application: Application, intent, ref
) -> None:
    """Named by a click's id or by a typed slug, an archived application's reminders,
    contacts and channel digest stay as they were."""
    await settings.add_contacts(deps, owner, application.id, ["UBOB"])  # for remove_contacts
    await applications.archive(deps, owner, application.id)
    named_as = application.id if ref == "id" else application.slug
    await refuses(_intents(deps, owner, named_as)[intent](), "archived")


# ---- reminders --------------------------------------------------------------------------------


async def test_set_reminders_changes_what_is_given_and_records_old_and_new(
    deps: Deps, db: Db, member: Actor, application: Application
) -> None:
    after = await settings.set_reminders(deps, member, application.id, after_days=5)
    assert (after.remind_after_days, after.remind_start, after.reminders_on) == (5, "09:00", True)
    await settings.set_reminders(deps, member, None, hours=(time(8, 0), time(17, 30)))
    await settings.set_reminders(deps, member, "acme-pos", on=False)
    shown = await settings.reminder_settings(deps, member, application.id)
    assert (shown.remind_after_days, shown.remind_start, shown.remind_end) == (5, "08:00", "17:30")
    assert shown.reminders_on is False
    events = [(e.kind, e.old_value, e.new_value) for e in await db.events(application.id)][1:]
    assert events == [
        ("remind_after", "2", "5"),
        ("remind_hours", "09:00-18:00", "08:00-17:30"),
        ("reminders", "on", "off"),
    ]


# ---- digest -----------------------------------------------------------------------------------


async def test_a_new_digest_runs_in_the_time_zone_of_whoever_set_it(
    deps: Deps, slack: SlackStub, member: Actor, application: Application
) -> None:
    """Bob (in Shanghai) sets the first schedule: it runs in Shanghai time. Alice (in Los
    Angeles) then makes it weekly: the zone stays until one is given."""
    slack.add_user("UBOB", tz="Asia/Shanghai")
    assert await settings.digest_schedule(deps, member, application.id) is None
    daily = await settings.set_digest(deps, member, None, cadence="daily", at=time(9, 30))
    assert (daily.cadence, daily.at_time, daily.timezone) == ("daily", "09:30", "Asia/Shanghai")
    assert (daily.channel_id, daily.set_by, daily.effective_from) == ("CPAY", "UBOB", deps.now())
    alice = Actor(member.team_id, "UALICE", "CPAY")
    weekly = await settings.set_digest(deps, alice, "acme-pos", cadence="weekly", weekday=0)
    assert (weekly.cadence, weekly.weekday, weekly.at_time) == ("weekly", 0, "09:30")
    assert (weekly.timezone, weekly.set_by) == ("Asia/Shanghai", "UALICE")
    await settings.set_digest(deps, alice, None, timezone="Europe/Berlin")
    await settings.set_digest(deps, alice, None, cadence="off")
    stored = await settings.digest_schedule(deps, member, application.id)
    assert stored is not None and stored.id == daily.id
    assert (stored.cadence, stored.weekday, stored.timezone) == ("off", None, "Europe/Berlin")


# ---- contacts ---------------------------------------------------------------------------------


async def test_contacts_are_added_once_and_removed(
    deps: Deps, db: Db, member: Actor, application: Application
) -> None:
    added = await settings.add_contacts(deps, member, application.id, ["UCAROL", "UBOB"])
    assert (added.application.id, added.people) == (application.id, ["UBOB", "UCAROL"])
    again = await settings.add_contacts(deps, member, None, ["UBOB"])
    assert again.people == ["UBOB", "UCAROL"]
    removed = await settings.remove_contacts(deps, member, "acme-pos", ["UBOB"])
    assert removed.people == ["UCAROL"]
    assert (await settings.contacts(deps, member, application.id)).people == ["UCAROL"]
    events = [(e.kind, e.old_value, e.new_value) for e in await db.events(application.id)][1:]
    assert events == [
        ("contact_added", None, "UCAROL"),
        ("contact_added", None, "UBOB"),
        ("contact_removed", "UBOB", None),
    ]


@pytest.mark.parametrize(
    ("people", "says"),
    [
        (["UBOB", "UNOBODY"], "<@UNOBODY> isn't an active member here; nobody was added."),
        (["UGONE"], "<@UGONE> isn't an active member here"),
    ],
)
async def test_adding_someone_who_is_not_an_active_member_adds_nobody(
    deps: Deps, slack: SlackStub, refuses, member: Actor, application: Application, people, says
) -> None:
    slack.add_user("UGONE")["deleted"] = True
    await refuses(settings.add_contacts(deps, member, application.id, people), says)


@pytest.mark.parametrize(
    ("people", "says"),
    [
        (["UCAROL", "UBOB"], "<@UBOB> is not a contact; nothing was removed."),
        (["UBOB", "UALICE"], "<@UBOB>, <@UALICE> are not a contact; nothing was removed."),
    ],
)
async def test_removing_someone_who_is_not_a_contact_removes_nobody(
    deps: Deps, db: Db, refuses, member: Actor, application: Application, people, says
) -> None:
    """Carol, who is a contact, stays one when the same call names a non-contact."""
    await settings.add_contacts(deps, member, application.id, ["UCAROL"])
    await refuses(settings.remove_contacts(deps, member, application.id, people), says)
    assert (await settings.contacts(deps, member, application.id)).people == ["UCAROL"]


async def test_the_contacts_channel_is_set_and_cleared(
    deps: Deps, db: Db, member: Actor, application: Application
) -> None:
    await settings.set_contacts_channel(deps, member, application.id, "CPARTNER")
    assert (await db.application(application.id)).contacts_channel_id == "CPARTNER"
    found = await settings.set_contacts_channel(deps, member, None, None)
    assert found.application.contacts_channel_id is None
    assert (await db.application(application.id)).contacts_channel_id is None
    events = [
        (e.old_value, e.new_value) for e in await db.events(application.id, "contacts_channel")
    ]
    assert events == [(None, "CPARTNER"), ("CPARTNER", None)]


@pytest.mark.parametrize(
    ("channel", "says"),
    [
        # A public channel the bot was never invited to.
        ("CNOBOT", "I'm not in <#CNOBOT>, so I couldn't post there. Type `/invite @Onboard`"),
        # A private one without the bot: Slack does not even show it to the bot.
        ("CSECRET", "I can't see <#CSECRET>: it is private and I'm not in it"),
        ("CGONE", "I can't see <#CGONE>"),
        ("CARCHIVED", "<#CARCHIVED> is archived"),
    ],
)
async def test_a_contacts_channel_the_bot_cannot_post_in_is_refused_with_how_to_invite_it(
    deps: Deps, refuses, slack: SlackStub, member: Actor, application: Application, channel, says
) -> None:
    slack.channel_members |= {"CNOBOT": ["UALICE"], "CSECRET": ["UALICE"]}
    slack.channel_members["CARCHIVED"] = ["UALICE", "UBOT"]
    slack.private_channels.add("CSECRET")
    slack.archived_channels.add("CARCHIVED")
    message = await refuses(settings.set_contacts_channel(deps, member, None, channel), says)
    if channel != "CARCHIVED":
        assert f"in <#{channel}>, then set it again. Nothing was changed." in message


async def test_a_contacts_channel_slack_cannot_check_now_is_refused_not_assumed(
    deps: Deps, refuses, slack: SlackStub, member: Actor, application: Application
) -> None:
    slack.fail("conversations.info", error="fatal_error")
    await refuses(
        settings.set_contacts_channel(deps, member, None, "CPARTNER"),
        "I couldn't check that I can post in <#CPARTNER> (Slack said `fatal_error`)",
    )


async def test_clearing_the_contacts_channel_asks_slack_nothing(
    deps: Deps, slack: SlackStub, member: Actor, application: Application
) -> None:
    slack.clear()
    await settings.set_contacts_channel(deps, member, None, None)
    assert slack.calls_to("conversations.info") == []
