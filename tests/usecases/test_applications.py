"""bot/usecases/applications.py: rename, archive and unarchive (owner or workspace admin only) and
where the checklist message is, called directly with the real runtime and database."""

from __future__ import annotations

import pytest

from bot.usecases import applications, checklist
from bot.usecases.context import Actor, Deps
from storage.models import Application
from tests.conftest import FakeClock
from tests.slack_stub import SlackStub
from tests.usecases.conftest import ACCESS_REFUSALS, Db, forget_people, named


def _intents(deps: Deps, actor: Actor, ref) -> dict:
    return {
        "rename": lambda: applications.rename(deps, actor, ref, "Acme Kiosk"),
        "archive": lambda: applications.archive(deps, actor, ref),
    }


@pytest.mark.parametrize(("who", "ref", "says"), ACCESS_REFUSALS)
@pytest.mark.parametrize("intent", ["rename", "archive"])
async def test_rename_and_archive_refuse_who_may_not_see_the_application(
    deps: Deps, refuses, request, application: Application, intent, who, ref, says
) -> None:
    actor, ref = named(request, application, who, ref)
    await refuses(_intents(deps, actor, ref)[intent](), says)


@pytest.mark.parametrize(("intent", "action"), [("rename", "rename"), ("archive", "archive")])
async def test_a_member_who_is_not_the_owner_is_refused(
    deps: Deps, refuses, member: Actor, application: Application, intent, action
) -> None:
    await refuses(
        _intents(deps, member, application.id)[intent](),
        f"Only the owner of *Acme POS* (`acme-pos`) (<@UALICE>) or a workspace admin can {action}",
    )


async def test_the_owner_renames_and_history_keeps_the_old_name(
    deps: Deps, db: Db, owner: Actor, application: Application
) -> None:
    renamed = await applications.rename(deps, owner, None, "Acme Kiosk")
    assert renamed.old_name == "Acme POS"
    assert renamed.followup.application.name == "Acme Kiosk"
    assert renamed.followup.redraw_checklist
    stored = await db.application(application.id)
    assert (stored.name, stored.slug) == ("Acme Kiosk", "acme-pos")  # the slug stays
    (event,) = await db.events(application.id, "renamed")
    assert (event.actor_id, event.old_value, event.new_value) == (
        "UALICE",
        "Acme POS",
        "Acme Kiosk",
    )


async def test_renaming_to_the_same_name_records_nothing(
    deps: Deps, db: Db, owner: Actor, application: Application
) -> None:
    before = await db.snapshot()
    assert (await applications.rename(deps, owner, application.id, "Acme POS")).old_name == (
        "Acme POS"
    )
    assert await db.snapshot() == before


async def test_a_workspace_admin_renames_and_archives_what_they_do_not_own(
    deps: Deps, db: Db, slack: SlackStub, member: Actor, application: Application
) -> None:
    slack.add_user("UBOB", is_admin=True)
    forget_people(deps)
    await applications.rename(deps, member, application.id, "Acme Kiosk")
    await applications.archive(deps, member, "acme-pos")
    assert (await db.application(application.id)).archived_at == deps.now()
    assert [(e.kind, e.actor_id) for e in await db.events(application.id)] == [
        ("created", "UALICE"),
        ("renamed", "UBOB"),
        ("archived", "UBOB"),
    ]


async def test_archive_stops_every_change_and_frees_the_channel(
    deps: Deps, db: Db, refuses, owner: Actor, application: Application
) -> None:
    archived = await applications.archive(deps, owner, application.id)
    assert archived.id == application.id and archived.archived_at == deps.now()
    assert (await db.application(application.id)).archived_at == deps.now()
    await refuses(applications.archive(deps, owner, application.id), "is archived")
    await refuses(applications.archive(deps, owner, "acme-pos"), "archived")
    await refuses(applications.rename(deps, owner, application.id, "Acme Kiosk"), "is archived")
    await refuses(applications.rename(deps, owner, None, "Acme Kiosk"), "No application is bound")
    assert len(await db.events(application.id, "archived")) == 1
    # The channel may start a new application, which the channel now names on its own.
    again = await checklist.create(deps, owner, "Acme POS")
    assert again.slug == "acme-pos-2"
    assert (await checklist.show(deps, owner, None)).checklist.application.id == again.id


async def test_the_checklist_message_is_remembered_for_redraws(
    deps: Deps, db: Db, member: Actor, application: Application
) -> None:
    await applications.record_checklist_message(deps, application, "CPAY", "1700000000.000100")
    stored = await db.application(application.id)
    assert (stored.checklist_channel_id, stored.checklist_ts) == ("CPAY", "1700000000.000100")
    marked = await checklist.mark(deps, member, application.id, ["1.1"])
    assert marked.followup.application.checklist_ts == "1700000000.000100"


# ---- unarchive ----------------------------------------------------------------------------------


async def test_the_owner_unarchives_within_30_days_and_history_records_it(
    deps: Deps, db: Db, owner: Actor, application: Application, clock: FakeClock
) -> None:
    """Archived Wed 2026-11-25 10:00; `unarchive` in #CPAY 29 days later finds it by the
    channel, brings it back, and the channel names it again without `--app`."""
    await applications.archive(deps, owner, None)
    clock.advance(days=29)
    done = await applications.unarchive(deps, owner, None)
    assert (done.application.id, done.application.archived_at, done.in_channel) == (
        application.id,
        None,
        1,
    )
    assert (await db.application(application.id)).archived_at is None
    (event,) = await db.events(application.id, "unarchived")
    assert (event.actor_id, event.old_value) == ("UALICE", "2026-11-25T10:00:00+00:00")
    assert (await checklist.show(deps, owner, None)).checklist.application.id == application.id


async def test_after_30_days_unarchive_is_refused_clearly(
    deps: Deps, refuses, owner: Actor, application: Application, clock: FakeClock
) -> None:
    await applications.archive(deps, owner, None)
    clock.advance(days=30, seconds=1)
    await refuses(
        applications.unarchive(deps, owner, "acme-pos"),
        "was archived on 2026-11-25, more than 30 days ago",
        "can no longer be unarchived",
    )


async def test_a_member_who_is_not_the_owner_cannot_unarchive_but_an_admin_can(
    deps: Deps, refuses, slack: SlackStub, member: Actor, owner: Actor, application: Application
) -> None:
    await applications.archive(deps, owner, None)
    await refuses(applications.unarchive(deps, member, None), "Only the owner", "can unarchive it")
    await refuses(applications.unarchive(deps, member, "acme-pos"), "Only the owner")
    slack.add_user("UBOB", is_admin=True)
    forget_people(deps)
    assert (await applications.unarchive(deps, member, None)).application.archived_at is None


@pytest.mark.parametrize(
    ("who", "ref", "says"),
    [
        ("outsider", "slug", "Only members of <#CPAY>"),
        ("outsider", "channel", "No application of this channel is archived"),
        ("other_workspace", "slug", "There is no application `acme-pos` here"),
        ("other_workspace", "channel", "No application of this channel is archived"),
        ("owner", "no-such-app", "There is no application `no-such-app` here"),
    ],
)
async def test_unarchive_refuses_who_may_not_see_the_application(
    deps: Deps, refuses, request, owner: Actor, application: Application, who, ref, says
) -> None:
    await applications.archive(deps, owner, None)
    actor, ref = named(request, application, who, ref)
    await refuses(applications.unarchive(deps, actor, ref), says)


async def test_unarchive_finds_only_archived_applications_and_says_when_to_add_app(
    deps: Deps, refuses, owner: Actor, application: Application
) -> None:
    """Nothing archived: refused. `acme-pos` archived and `beta` started in #CPAY: other
    commands see only `beta`; unarchive finds `acme-pos` and says the channel now has two."""
    await refuses(applications.unarchive(deps, owner, None), "No application of this channel")
    await refuses(applications.unarchive(deps, owner, "acme-pos"), "is not archived")
    await applications.archive(deps, owner, None)
    beta = await checklist.create(deps, owner, "Beta")
    assert (await checklist.show(deps, owner, None)).checklist.application.id == beta.id
    done = await applications.unarchive(deps, owner, None)
    assert (done.application.slug, done.in_channel) == ("acme-pos", 2)


async def test_unarchive_without_app_skips_applications_archived_too_long_ago(
    deps: Deps, refuses, owner: Actor, application: Application, clock: FakeClock
) -> None:
    """`acme-pos` archived 35 days ago (too long to bring back), `beta` 15 days ago: the
    channel's one restorable application is `beta`, found without `--app`. Once both are
    past 30 days, the refusal says why of the latest."""
    await applications.archive(deps, owner, None)
    clock.advance(days=20)
    await checklist.create(deps, owner, "Beta")
    await applications.archive(deps, owner, None)
    clock.advance(days=15)
    done = await applications.unarchive(deps, owner, None)
    assert (done.application.slug, done.in_channel) == ("beta", 1)

    await applications.archive(deps, owner, None)
    clock.advance(days=31)
    await refuses(
        applications.unarchive(deps, owner, None),
        "`beta` was archived on 2026-12-30, more than 30 days ago",
    )


async def test_unarchive_without_app_asks_which_of_two_restorable_ones(
    deps: Deps, refuses, owner: Actor, application: Application, clock: FakeClock
) -> None:
    await applications.archive(deps, owner, None)
    await checklist.create(deps, owner, "Beta")
    await applications.archive(deps, owner, None)
    await refuses(
        applications.unarchive(deps, owner, None),
        "This channel has 2 applications archived in the last 30 days",
        "`acme-pos`, `beta`",
    )
