"""Intents that configure an application: reminders, the channel's digest, Alipay contacts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import N_
from bot.services import digests, settings
from bot.services.errors import Refusal
from bot.usecases import access
from bot.usecases.access import AppRef
from bot.usecases.context import Actor, Deps
from storage import repositories as repo
from storage.models import Application, DigestSchedule


async def reminder_settings(deps: Deps, actor: Actor, ref: AppRef) -> Application:
    return await access.for_member(deps, actor, ref)


async def set_reminders(
    deps: Deps,
    actor: Actor,
    ref: AppRef,
    *,
    after_days: int | None = None,
    hours: tuple[time, time] | None = None,
    on: bool | None = None,
    holidays: str | Literal["off"] | None = None,
) -> Application:
    """Change whichever of the reminder settings are given; returns the application after.
    `holidays` is a country code, or "off" for no public holidays (None leaves it)."""
    application = await access.for_member(deps, actor, ref)

    async def unit(session: AsyncSession, current: Application) -> Application:
        who, now = actor.user_id, deps.now()
        if after_days is not None:
            await settings.set_remind_after(session, current, after_days, actor_id=who, now=now)
        if hours is not None:
            await settings.set_remind_hours(session, current, *hours, actor_id=who, now=now)
        if on is not None:
            await settings.set_reminders_on(session, current, on, actor_id=who, now=now)
        if holidays is not None:
            region = None if holidays == "off" else holidays
            await settings.set_remind_holidays(session, current, region, actor_id=who, now=now)
        return current

    return await access.change(deps, application, unit)


async def digest_schedule(deps: Deps, actor: Actor, ref: AppRef) -> DigestSchedule | None:
    application = await access.for_member(deps, actor, ref)
    async with deps.runtime.sessions() as session:
        return await repo.digest_schedule(session, actor.team_id, application.channel_id)


async def set_digest(
    deps: Deps,
    actor: Actor,
    ref: AppRef,
    *,
    cadence: Literal["daily", "weekly", "off"] | None = None,
    at: time | None = None,
    weekday: int | None = None,
    timezone: str | None = None,
) -> DigestSchedule:
    """Change the digest of the application's channel; unset arguments keep their value. A
    new schedule runs in the time zone of whoever set it, until one is given."""
    application = await access.for_member(deps, actor, ref)
    channel_id = application.channel_id
    if cadence in ("daily", "weekly") and timezone is None:
        async with deps.runtime.sessions() as session:
            existing = await repo.digest_schedule(session, actor.team_id, channel_id)
        if existing is None:
            person = await deps.runtime.directory.person(deps.client, actor.team_id, actor.user_id)
            timezone = str(person.timezone) if person else "UTC"

    async def unit(session: AsyncSession, _current: Application) -> DigestSchedule:
        return await digests.set_schedule(
            session,
            team_id=actor.team_id,
            channel_id=channel_id,
            set_by=actor.user_id,
            now=deps.now(),
            cadence=cadence,
            at=at,
            weekday=weekday,
            timezone=timezone,
        )

    # Through the application's change, so one archived meanwhile sets nothing.
    return await access.change(deps, application, unit)


@dataclass(frozen=True, slots=True)
class Contacts:
    application: Application
    people: list[str]


async def contacts(deps: Deps, actor: Actor, ref: AppRef) -> Contacts:
    application = await access.for_member(deps, actor, ref)
    async with deps.runtime.sessions() as session:
        return Contacts(application, await repo.contacts_of(session, application.id))


async def add_contacts(deps: Deps, actor: Actor, ref: AppRef, user_ids: list[str]) -> Contacts:
    application = await access.for_member(deps, actor, ref)
    for user_id in user_ids:
        person = await deps.runtime.directory.person(deps.client, actor.team_id, user_id)
        if person is None or person.deleted:
            raise Refusal(
                N_("{person} isn't an active member here; nobody was added."),
                person=f"<@{user_id}>",
            )

    async def unit(session: AsyncSession, current: Application) -> Contacts:
        await settings.add_contacts(
            session, current, user_ids, actor_id=actor.user_id, now=deps.now()
        )
        return Contacts(current, await repo.contacts_of(session, current.id))

    return await access.change(deps, application, unit)


async def remove_contacts(deps: Deps, actor: Actor, ref: AppRef, user_ids: list[str]) -> Contacts:
    application = await access.for_member(deps, actor, ref)

    async def unit(session: AsyncSession, current: Application) -> Contacts:
        removed = await settings.remove_contacts(
            session, current, user_ids, actor_id=actor.user_id, now=deps.now()
        )
        missing = [u for u in user_ids if u not in removed]
        if missing:
            raise Refusal(
                N_("{people} is not a contact; nothing was removed.")
                if len(missing) == 1
                else N_("{people} are not a contact; nothing was removed."),
                people=", ".join(f"<@{u}>" for u in missing),
            )
        return Contacts(current, await repo.contacts_of(session, current.id))

    return await access.change(deps, application, unit)


async def set_contacts_channel(
    deps: Deps, actor: Actor, ref: AppRef, channel_id: str | None
) -> Contacts:
    application = await access.for_member(deps, actor, ref)
    if channel_id is not None:
        await _check_bot_can_post(deps, channel_id)

    async def unit(session: AsyncSession, current: Application) -> Contacts:
        await settings.set_contacts_channel(
            session, current, channel_id, actor_id=actor.user_id, now=deps.now()
        )
        return Contacts(current, await repo.contacts_of(session, current.id))

    return await access.change(deps, application, unit)


async def _check_bot_can_post(deps: Deps, channel_id: str) -> None:
    """Refused unless the bot can post in the channel: the business-start announcement goes
    there, weeks later, when nobody is watching for a failure."""
    problem = await deps.runtime.directory.cannot_post_in(deps.client, channel_id)
    if problem is None:
        return
    channel = f"<#{channel_id}>"
    if problem == "not_in_channel":
        raise Refusal(
            N_(
                "I'm not in {channel}, so I couldn't post there. Type `/invite @Onboard` in"
                " {channel}, then set it again. Nothing was changed."
            ),
            channel=channel,
        )
    if problem == "channel_not_found":
        raise Refusal(
            N_(
                "I can't see {channel}: it is private and I'm not in it, or it no longer exists."
                " Type `/invite @Onboard` in {channel}, then set it again. Nothing was changed."
            ),
            channel=channel,
        )
    if problem == "is_archived":
        raise Refusal(
            N_("{channel} is archived, so nobody would read it there. Pick another."),
            channel=channel,
        )
    raise Refusal(
        N_(
            "I couldn't check that I can post in {channel} (Slack said `{problem}`). Nothing was "
            "changed; try again in a minute."
        ),
        channel=channel,
        problem=problem,
    )
