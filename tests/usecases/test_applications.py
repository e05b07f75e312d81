"""bot/usecases/applications.py: rename and archive (owner or workspace admin only) and
where the checklist message is, called directly with the real runtime and database."""

from __future__ import annotations

import pytest

from bot.usecases import applications, checklist
from bot.usecases.context import Actor, Deps
from storage.models import Application
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
