"""Which application an actor names, and whether they may see or change it.

Every use case starts here, so a rule is written once: the application must be in the actor's
workspace and not archived, the actor must be a member of its channel, and some actions are
for its owner (or a workspace admin) only. An application id from a button or a form is
treated as a claim to check, never as permission. Only `archived_for_owner` (for `unarchive`)
looks for an archived application in a channel. Whether someone is in a channel is decided by
`require_channel_member` (and `is_channel_member`), also for a channel that only a click names
(the second-application question is ephemeral and records nothing).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from bot.blocks.replies import app_label
from bot.i18n import N_
from bot.monitoring import logs
from bot.services.checklist import UNARCHIVE_WITHIN
from bot.services.errors import Phrase, Refusal
from bot.slack_directory import MembershipUnknown
from bot.usecases.context import Actor, Deps
from storage import repositories as repo
from storage.models import FORMER_MEMBER, Application

T = TypeVar("T")

# How an actor names an application: an id carried by a button or form, a slug typed with
# `--app`, or None for the one bound to the channel the command was typed in.
AppRef = int | str | None

# Database ids are 64-bit; a larger number in a forged payload names nothing.
_MAX_ID = 2**63 - 1
GONE = N_("This checklist's application was deleted, so there is nothing to change.")
SLUGS_SHOWN = 10  # of a channel's applications named in a refusal, which stays short
NOT_YOURS = N_(
    "Only members of this checklist's channel can see or change it; join the channel first."
)
# What `require_owner` says for each action (one whole sentence each, for translation).
# Who owns an application whose owner was forgotten.
FORMER_OWNER = N_("a former member")
OWNER_ONLY = {
    "rename": N_("Only the owner of {app} ({owner}) or a workspace admin can rename it."),
    "archive": N_("Only the owner of {app} ({owner}) or a workspace admin can archive it."),
    "unarchive": N_("Only the owner of {app} ({owner}) or a workspace admin can unarchive it."),
    "change the credentials of": N_(
        "Only the owner of {app} ({owner}) or a workspace admin can change the credentials of it."
    ),
}


async def find(deps: Deps, actor: Actor, ref: AppRef) -> Application:
    """The application `ref` names in the actor's workspace, archived ones included (a typed
    slug reads an archived one's history and export; `for_member` refuses a click on one). A
    snapshot, possibly a few seconds old (bot/application_lookup.py): `change` reloads it
    inside the transaction and refuses an archived one. Who may see it is for the caller.
    The rest of the request's log lines name it (bot/monitoring/logs.py)."""
    application = await _find(deps, actor, ref)
    logs.bind_application(application.id)
    return application


async def _find(deps: Deps, actor: Actor, ref: AppRef) -> Application:
    runtime = deps.runtime
    if isinstance(ref, int):
        if not 0 < ref <= _MAX_ID:
            raise Refusal(GONE)
        async with runtime.sessions() as session:
            application = await repo.application_by_id(session, ref)
        # One of another workspace (a channel shared between two) is as good as gone.
        if application is None or application.team_id != actor.team_id:
            raise Refusal(GONE)
        return application
    if ref is not None:
        found = await runtime.applications.by_slug(runtime.sessions, actor.team_id, ref)
        if found is None:
            raise Refusal(
                N_("There is no application `{ref}` here. `/onboard list` shows them."), ref=ref
            )
        return found
    in_channel = await runtime.applications.in_channel(
        runtime.sessions, actor.team_id, actor.channel_id or ""
    )
    if not in_channel:
        raise Refusal(
            N_(
                "No application is bound to this channel. Start one here with "
                "`/onboard new &lt;name&gt;`, or name one with `--app &lt;slug&gt;`."
            )
        )
    if len(in_channel) > 1:
        slugs = ", ".join(f"`{a.slug}`" for a in in_channel[:SLUGS_SHOWN])
        if len(in_channel) > SLUGS_SHOWN:
            raise Refusal(
                N_(
                    "This channel has {count} applications ({slugs} and {more} more"
                    " (`/onboard list`)); add `--app &lt;slug&gt;`."
                ),
                count=len(in_channel),
                slugs=slugs,
                more=len(in_channel) - SLUGS_SHOWN,
            )
        raise Refusal(
            N_("This channel has {count} applications ({slugs}); add `--app &lt;slug&gt;`."),
            count=len(in_channel),
            slugs=slugs,
        )
    return in_channel[0]


async def for_member(deps: Deps, actor: Actor, ref: AppRef) -> Application:
    """The application, if the actor is a member of its channel. For a click's id, a
    non-member learns nothing of what the id names (an id can be guessed, a slug is typed by
    someone who knows it), and an archived application is refused once membership is known."""
    application = await find(deps, actor, ref)
    await require_member(deps, actor, application, name_it=not isinstance(ref, int))
    if isinstance(ref, int) and application.archived_at is not None:
        raise Refusal(
            N_("{app} is archived; its checklist no longer changes."), app=app_label(application)
        )
    return application


async def for_owner(deps: Deps, actor: Actor, ref: AppRef, action: str) -> Application:
    """The application, if the actor is in its channel and owns it (or administers the
    workspace). `action` (a key of `OWNER_ONLY`) picks what a refused actor is told: "Only
    the owner … can {action} it"."""
    application = await for_member(deps, actor, ref)
    await require_owner(deps, actor, application, action)
    return application


async def archived_for_owner(deps: Deps, actor: Actor, ref: AppRef) -> Application:
    """The archived application `ref` names (a typed slug, or the one archived application of
    the actor's channel), if the actor is in its channel and owns it or administers the
    workspace: only `unarchive` looks for archived applications in a channel."""
    if ref is not None:
        application = await find(deps, actor, ref)
        if application.archived_at is None:
            raise Refusal(
                N_("{app} is not archived; there is nothing to undo."), app=app_label(application)
            )
    else:
        async with deps.runtime.sessions() as session:
            every = await repo.applications_in_channel(
                session, actor.team_id, actor.channel_id or "", include_archived=True
            )
        archived = [a for a in every if a.archived_at is not None]
        if not archived:
            raise Refusal(
                N_(
                    "No application of this channel is archived. To bring back one of another "
                    "channel, add `--app &lt;slug&gt;`."
                )
            )
        now = deps.now()
        restorable = [
            a for a in archived if a.archived_at and now - a.archived_at <= UNARCHIVE_WITHIN
        ]
        # None restorable: the latest archived, so that the refusal says why it stays archived.
        archived = restorable or archived[-1:]
        if len(archived) > 1:
            slugs = ", ".join(f"`{a.slug}`" for a in archived[-SLUGS_SHOWN:])
            raise Refusal(
                N_(
                    "This channel has {count} applications archived in the last {days} days"
                    " (the latest: {slugs}); add `--app &lt;slug&gt;`."
                ),
                count=len(archived),
                days=UNARCHIVE_WITHIN.days,
                slugs=slugs,
            )
        application = archived[0]
    await require_member(deps, actor, application)
    await require_owner(deps, actor, application, "unarchive")
    return application


async def require_member(
    deps: Deps, actor: Actor, application: Application, *, name_it: bool = True
) -> None:
    """Refused unless the actor is in the application's channel; `name_it=False` refuses
    without naming the application or its channel."""
    if name_it:
        joining = Refusal(
            N_("Only members of <#{channel}> can change {app}; join the channel first."),
            channel=application.channel_id,
            app=app_label(application),
        )
    else:
        joining = None
    await require_channel_member(deps, actor, application.channel_id, refusal=joining)


async def require_channel_member(
    deps: Deps, actor: Actor, channel_id: str, *, refusal: Refusal | None = None
) -> None:
    """Refused unless the actor is in `channel_id`, as Slack says now; refused too when Slack
    will not say (membership is never assumed). `refusal` is what a non-member is told
    (ending "; join the channel first.") and names the channel in the other refusal too; None
    names neither (for a channel taken from a click, which may be forged)."""
    try:
        members = await deps.runtime.directory.channel_members(
            deps.client, actor.team_id, channel_id
        )
    except MembershipUnknown as e:
        if refusal is None:
            raise Refusal(NOT_YOURS) from None
        raise Refusal(
            N_(
                "I can't see who is in <#{channel}> (Slack said `{error}`), so I "
                "can't check you may change it. Invite me there with `/invite @Onboard`."
            ),
            channel=channel_id,
            error=e.error,
        ) from None
    if actor.user_id not in members:
        raise Refusal(NOT_YOURS) if refusal is None else refusal


async def is_channel_member(deps: Deps, team_id: str, user_id: str, channel_id: str) -> bool | None:
    """Whether `user_id` is in `channel_id` as Slack says now, None when Slack will not say:
    the same rule as `require_channel_member`, for telling (not refusing) someone else."""
    try:
        members = await deps.runtime.directory.channel_members(deps.client, team_id, channel_id)
    except MembershipUnknown:
        return None
    return user_id in members


async def require_owner(deps: Deps, actor: Actor, application: Application, action: str) -> None:
    if actor.user_id == application.owner_id:
        return
    person = await deps.runtime.directory.person(deps.client, actor.team_id, actor.user_id)
    if person is None or not person.is_admin:
        owner: object = f"<@{application.owner_id}>"
        if application.owner_id == FORMER_MEMBER:  # forgotten (`onboard-bot forget-user`)
            owner = Phrase(FORMER_OWNER)
        raise Refusal(OWNER_ONLY[action], app=app_label(application), owner=owner)


async def change(
    deps: Deps,
    application: Application,
    unit: Callable[[AsyncSession, Application], Awaitable[T]],
) -> T:
    """Run `unit` on the application as it is inside a write transaction, which changes
    arriving together may share (storage/writes.py): so `unit` may run twice and must touch
    only the session. Refused if the application was archived meanwhile."""

    async def reloaded(session: AsyncSession) -> T:
        current = await repo.application_by_id(session, application.id)
        if current is None or current.archived_at is not None:
            raise Refusal(
                N_("{app} was archived; nothing was changed."), app=app_label(application)
            )
        return await unit(session, current)

    return await deps.runtime.writes.run(reloaded)
