"""Subcommands that configure an application: reminders, the channel digest, Alipay contacts."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot import command_parser as cmd
from bot.blocks import replies
from bot.listeners.access import Refusal
from bot.listeners.commands.request import (
    Reply,
    Request,
    apply_change,
    resolve_application,
)
from bot.services import digests, settings
from storage import repositories as repo
from storage.models import Application


async def remind(req: Request, command: cmd.Remind) -> Reply:
    application = await resolve_application(req, command.app)
    if command.action == "show":
        return Reply(replies.reminder_settings(application))

    async def change(session: AsyncSession, current: Application) -> Application:
        if command.action == "after":
            assert command.after_days is not None
            await settings.set_remind_after(
                session, current, command.after_days, actor_id=req.user_id, now=req.now
            )
        elif command.action == "hours":
            assert command.start is not None and command.end is not None
            await settings.set_remind_hours(
                session, current, command.start, command.end, actor_id=req.user_id, now=req.now
            )
        else:
            await settings.set_reminders_on(
                session, current, command.action == "on", actor_id=req.user_id, now=req.now
            )
        return current

    return Reply(replies.reminder_settings(await apply_change(req, application, change)))


async def digest(req: Request, command: cmd.Digest) -> Reply:
    application = await resolve_application(req, command.app)
    channel_id = application.channel_id
    if command.action == "show":
        async with req.runtime.sessions() as session:
            schedule = await repo.digest_schedule(session, req.team_id, channel_id)
        return Reply(digests.describe(schedule))
    zone = command.tz
    if command.action in ("daily", "weekly"):
        async with req.runtime.sessions() as session:
            existing = await repo.digest_schedule(session, req.team_id, channel_id)
        if existing is None:
            # A new schedule runs in the time zone of whoever set it, until `digest tz`.
            person = await req.runtime.directory.person(req.client, req.team_id, req.user_id)
            zone = str(person.timezone) if person else "UTC"
    async with req.transaction() as session:
        schedule = await digests.set_schedule(
            session,
            team_id=req.team_id,
            channel_id=channel_id,
            set_by=req.user_id,
            now=req.now,
            cadence=command.action if command.action != "tz" else None,
            at=command.at,
            weekday=command.weekday,
            timezone=zone,
        )
        text = digests.describe(schedule)
    return Reply(text, in_channel=True)


async def contacts(req: Request, command: cmd.Contacts) -> Reply:
    application = await resolve_application(req, command.app)
    if command.action == "add":
        for user_id in command.user_ids:
            person = await req.runtime.directory.person(req.client, req.team_id, user_id)
            if person is None or person.deleted:
                raise Refusal(f"<@{user_id}> isn't an active member here; nobody was added.")

    async def change(session: AsyncSession, current: Application) -> tuple[Application, list[str]]:
        if command.action == "add":
            await settings.add_contacts(
                session, current, command.user_ids, actor_id=req.user_id, now=req.now
            )
        elif command.action == "remove":
            removed = await settings.remove_contacts(
                session, current, command.user_ids, actor_id=req.user_id, now=req.now
            )
            missing = [u for u in command.user_ids if u not in removed]
            if missing:
                raise Refusal(
                    f"{', '.join(f'<@{u}>' for u in missing)} "
                    f"{'is' if len(missing) == 1 else 'are'} not a contact; nothing was removed."
                )
        elif command.action == "channel":
            await settings.set_contacts_channel(
                session, current, command.channel_id, actor_id=req.user_id, now=req.now
            )
        return current, await repo.contacts_of(session, current.id)

    if command.action == "list":
        async with req.runtime.sessions() as session:
            people = await repo.contacts_of(session, application.id)
        return Reply(replies.contacts(application, people))
    current, people = await apply_change(req, application, change)
    return Reply(replies.contacts(current, people))
