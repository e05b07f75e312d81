"""bot/usecases/access.py: which application an actor names, and who may see or change it.
Every other use case starts here, so these tests pin the rules down once."""

from __future__ import annotations

import pytest

from bot.services.errors import Refusal
from bot.usecases import access, applications, checklist
from bot.usecases.context import Actor, Deps
from storage.models import Application
from tests.slack_stub import SlackStub
from tests.usecases.conftest import FORGED_IDS, Db, forget_people


async def test_an_id_a_slug_and_the_channel_all_name_the_application(
    deps: Deps, owner: Actor, member: Actor, application: Application
) -> None:
    """A click's id, a typed slug and the channel a command is typed in find the same row."""
    for ref in (application.id, "acme-pos", None):
        found = await access.for_member(deps, member, ref)
        assert (found.id, found.slug, found.channel_id) == (application.id, "acme-pos", "CPAY")
    assert (await access.for_owner(deps, owner, application.id, "rename")).id == application.id


@pytest.mark.parametrize("forged", FORGED_IDS)
async def test_an_id_that_names_nothing_is_refused(
    deps: Deps, owner: Actor, application: Application, forged: int
) -> None:
    """Ids out of range (0, negative, beyond 64 bits) and unused ones read as a deleted app."""
    with pytest.raises(Refusal) as refused:
        await access.for_member(deps, owner, forged)
    assert refused.value.message == access.GONE


async def test_another_workspace_cannot_name_the_application_in_any_way(
    deps: Deps, other_workspace: Actor, application: Application
) -> None:
    """Same user id, same channel id, but another workspace: the id reads as gone, the slug
    as unknown, and the channel has no application there (the stub would say "member")."""
    with pytest.raises(Refusal) as by_id:
        await access.for_member(deps, other_workspace, application.id)
    assert by_id.value.message == access.GONE
    with pytest.raises(Refusal) as by_slug:
        await access.for_member(deps, other_workspace, "acme-pos")
    assert "There is no application `acme-pos` here" in by_slug.value.message
    with pytest.raises(Refusal) as by_channel:
        await access.for_member(deps, other_workspace, None)
    assert "No application is bound to this channel" in by_channel.value.message


async def test_each_workspace_finds_its_own_application_under_the_same_slug(
    deps: Deps, owner: Actor, other_workspace: Actor, application: Application
) -> None:
    """Slugs are per workspace: the other workspace's `acme-pos` is a different row."""
    theirs = await checklist.create(deps, other_workspace, "Acme POS")
    assert theirs.slug == "acme-pos" and theirs.id != application.id
    assert (await access.find(deps, owner, "acme-pos")).id == application.id
    assert (await access.find(deps, other_workspace, "acme-pos")).id == theirs.id


async def test_a_non_member_is_refused_and_told_to_join(
    deps: Deps, outsider: Actor, application: Application
) -> None:
    with pytest.raises(Refusal) as refused:
        await access.for_member(deps, outsider, "acme-pos")
    assert "Only members of <#CPAY> can change *Acme POS* (`acme-pos`)" in refused.value.message
    # By a click's id, which anyone can guess, nothing of what it names is said.
    with pytest.raises(Refusal) as refused:
        await access.for_member(deps, outsider, application.id)
    assert refused.value.message == access.NOT_YOURS


async def test_membership_slack_will_not_tell_is_refused_not_assumed(
    deps: Deps, slack: SlackStub, member: Actor, application: Application
) -> None:
    """When Slack won't list the channel's members, nobody is let through."""
    slack.fail("conversations.members", error="not_in_channel")
    with pytest.raises(Refusal) as refused:
        await access.for_member(deps, member, "acme-pos")
    assert "I can't see who is in <#CPAY>" in refused.value.message
    assert "`not_in_channel`" in refused.value.message


async def test_a_channel_with_two_applications_needs_a_slug(
    deps: Deps, owner: Actor, application: Application
) -> None:
    second = await checklist.create(deps, owner, "Acme POS", another=True)
    assert second.slug == "acme-pos-2"
    with pytest.raises(Refusal) as refused:
        await access.find(deps, owner, None)
    assert "This channel has 2 applications (`acme-pos`, `acme-pos-2`)" in refused.value.message
    assert (await access.find(deps, owner, "acme-pos-2")).id == second.id


async def test_a_channel_with_many_applications_names_ten_and_counts_the_rest(
    deps: Deps, owner: Actor, application: Application
) -> None:
    """With 250 applications in a channel, the refusal stays short (Slack advises at most
    4,000 characters): ten slugs, then how many more and where to see them."""
    for n in range(2, 251):
        await checklist.create(deps, owner, f"Acme POS {n}", another=True)
    with pytest.raises(Refusal) as refused:
        await access.find(deps, owner, None)
    message = refused.value.message
    assert "This channel has 250 applications" in message
    assert message.count("`acme-pos") == 10 and "and 240 more (`/onboard list`)" in message
    assert len(message) < 600


async def test_owner_only_actions_refuse_members_and_admit_admins(
    deps: Deps, slack: SlackStub, member: Actor, application: Application
) -> None:
    """A member who is neither owner nor admin is refused; once Slack says they administer
    the workspace, the same call passes."""
    with pytest.raises(Refusal) as refused:
        await access.for_owner(deps, member, application.id, "rename")
    assert refused.value.message == (
        "Only the owner of *Acme POS* (`acme-pos`) (<@UALICE>) or a workspace admin can rename it."
    )
    slack.add_user("UBOB", is_admin=True)
    forget_people(deps)
    assert (await access.for_owner(deps, member, application.id, "rename")).id == application.id


async def test_an_admin_outside_the_channel_is_still_refused(
    deps: Deps, slack: SlackStub, outsider: Actor, application: Application
) -> None:
    """Being an admin does not replace being in the application's channel."""
    slack.add_user("UCAROL", is_admin=True)
    with pytest.raises(Refusal) as refused:
        await access.for_owner(deps, outsider, "acme-pos", "archive")
    assert "Only members of <#CPAY>" in refused.value.message


async def test_an_archived_application_is_refused_by_id(
    deps: Deps, owner: Actor, application: Application
) -> None:
    await applications.archive(deps, owner, application.id)
    with pytest.raises(Refusal) as refused:
        await access.for_member(deps, owner, application.id)
    assert "*Acme POS* (`acme-pos`) is archived" in refused.value.message
    with pytest.raises(Refusal) as by_channel:
        await access.for_member(deps, owner, None)
    assert "No application is bound to this channel" in by_channel.value.message


async def test_a_slug_still_names_an_archived_application_for_reading_only(
    deps: Deps, owner: Actor, application: Application
) -> None:
    """Archiving promises that history and `export --app <slug>` still work: a typed slug
    finds the archived application, a click's id does not, and any change is refused."""
    await applications.archive(deps, owner, application.id)
    found = await access.find(deps, owner, "acme-pos")
    assert found.id == application.id and found.archived_at is not None
    with pytest.raises(Refusal) as refused:
        await access.for_member(deps, owner, application.id)
    assert "archived" in refused.value.message
    with pytest.raises(Refusal) as refused:
        await access.change(deps, found, _never)
    assert "archived" in refused.value.message


async def _never(_session, _application) -> None:
    raise AssertionError("a change to an archived application ran")


async def test_change_refuses_an_application_archived_since_it_was_read(
    deps: Deps, db: Db, owner: Actor, application: Application
) -> None:
    """`change` reloads the row in its transaction: a snapshot read before the archive does
    not let a change through, and the unit is never run."""
    snapshot = await access.for_member(deps, owner, application.id)
    await applications.archive(deps, owner, application.id)
    ran = []

    async def unit(session, current):
        ran.append(current)

    before = await db.snapshot()
    with pytest.raises(Refusal) as refused:
        await access.change(deps, snapshot, unit)
    assert "was archived; nothing was changed" in refused.value.message
    assert ran == [] and await db.snapshot() == before


async def test_change_gives_the_unit_the_row_as_it_is_in_the_transaction(
    deps: Deps, db: Db, owner: Actor, application: Application
) -> None:
    """A stale snapshot's fields are not what the unit changes: the reloaded row is."""
    stale = await access.for_member(deps, owner, application.id)
    await applications.rename(deps, owner, application.id, "Acme Kiosk")

    async def unit(session, current: Application) -> str:
        current.remind_after_days = 5
        return current.name

    assert await access.change(deps, stale, unit) == "Acme Kiosk"
    stored = await db.application(application.id)
    assert (stored.name, stored.remind_after_days) == ("Acme Kiosk", 5)


async def test_require_channel_member_is_the_one_membership_rule(
    deps: Deps, slack: SlackStub, member: Actor, outsider: Actor
) -> None:
    """A member passes; a non-member is refused with the caller's words, or without naming
    the channel; a channel Slack won't list is refused saying so, or without naming it."""
    await access.require_channel_member(deps, member, "CPAY")
    with pytest.raises(Refusal) as named:
        await access.require_channel_member(
            deps, outsider, "CPAY", refusal=Refusal("Only members of X; join the channel first.")
        )
    assert named.value.message == "Only members of X; join the channel first."
    with pytest.raises(Refusal) as unnamed:
        await access.require_channel_member(deps, outsider, "CPAY")
    assert unnamed.value.message == access.NOT_YOURS
    with pytest.raises(Refusal) as unknown:
        await access.require_channel_member(
            deps, member, "CSECRET", refusal=Refusal("Only members of X; join the channel first.")
        )
    assert "I can't see who is in <#CSECRET> (Slack said `channel_not_found`)" in (
        unknown.value.message
    )
    with pytest.raises(Refusal) as unknown_unnamed:
        await access.require_channel_member(deps, member, "CSECRET")
    assert unknown_unnamed.value.message == access.NOT_YOURS


async def test_is_channel_member_says_none_when_slack_will_not_say(
    deps: Deps, member: Actor
) -> None:
    assert await access.is_channel_member(deps, member.team_id, "UBOB", "CPAY") is True
    assert await access.is_channel_member(deps, member.team_id, "UCAROL", "CPAY") is False
    assert await access.is_channel_member(deps, member.team_id, "UBOB", "CSECRET") is None
