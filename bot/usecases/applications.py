"""Intents about the application as a whole: rename, archive, unarchive, where its checklist
is posted."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import checklist as svc
from bot.services.errors import Refusal
from bot.usecases import access
from bot.usecases.access import AppRef
from bot.usecases.context import Actor, Deps, Followup
from storage import repositories as repo
from storage.models import Application


@dataclass(frozen=True, slots=True)
class Renamed:
    old_name: str
    followup: Followup


async def rename(deps: Deps, actor: Actor, ref: AppRef, name: str) -> Renamed:
    application = await access.for_owner(deps, actor, ref, "rename")

    async def unit(session: AsyncSession, current: Application) -> Renamed:
        old = await svc.rename(session, current, name, actor_id=actor.user_id, now=deps.now())
        return Renamed(old, Followup(current))

    return await access.change(deps, application, unit)


async def archive(deps: Deps, actor: Actor, ref: AppRef) -> Application:
    application = await access.for_owner(deps, actor, ref, "archive")

    async def unit(session: AsyncSession, current: Application) -> Application:
        await svc.archive(session, current, actor_id=actor.user_id, now=deps.now())
        return current

    return await access.change(deps, application, unit)


@dataclass(frozen=True, slots=True)
class Unarchived:
    application: Application
    # The channel's active applications now, this one included: more than one means `--app`.
    in_channel: int


async def unarchive(deps: Deps, actor: Actor, ref: AppRef) -> Unarchived:
    """Bring back an application archived in the last 30 days; owner (or admin) only."""
    application = await access.archived_for_owner(deps, actor, ref)

    async def unit(session: AsyncSession) -> Unarchived:
        current = await repo.application_by_id(session, application.id)
        if current is None:
            raise Refusal(access.GONE)
        await svc.unarchive(session, current, actor_id=actor.user_id, now=deps.now())
        active = await repo.applications_in_channel(session, current.team_id, current.channel_id)
        return Unarchived(current, len(active))

    return await deps.runtime.writes.run(unit)


async def record_checklist_message(
    deps: Deps, application: Application, channel_id: str, ts: str
) -> None:
    """Remember the checklist message just posted for `application` (which the poster was
    authorized to see): later changes redraw it. `channel_id` and `ts` come from Slack's
    answer to our own post, never from a payload."""
    async with deps.runtime.writes.begin() as session:
        await repo.record_checklist_message(session, application.id, channel_id, ts)
