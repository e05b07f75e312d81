"""Subcommands that configure an application: reminders, the channel digest, Alipay contacts."""

from __future__ import annotations

from bot import command_parser as cmd
from bot.blocks import digest_schedule, replies
from bot.listeners.commands.request import Reply, Request
from bot.usecases import settings


async def remind(req: Request, command: cmd.Remind) -> Reply:
    if command.action == "show":
        application = await settings.reminder_settings(req.deps, req.actor, command.app)
    elif command.action == "after":
        application = await settings.set_reminders(
            req.deps, req.actor, command.app, after_days=command.after_days
        )
    elif command.action == "hours":
        assert command.start is not None and command.end is not None
        application = await settings.set_reminders(
            req.deps, req.actor, command.app, hours=(command.start, command.end)
        )
    elif command.action == "holidays":
        application = await settings.set_reminders(
            req.deps, req.actor, command.app, holidays=command.holidays or "off"
        )
    else:
        application = await settings.set_reminders(
            req.deps, req.actor, command.app, on=command.action == "on"
        )
    return Reply(replies.reminder_settings(application, await req.t()))


async def digest(req: Request, command: cmd.Digest) -> Reply:
    if command.action == "show":
        schedule = await settings.digest_schedule(req.deps, req.actor, command.app)
        return Reply(digest_schedule.describe(schedule, await req.t()))
    schedule = await settings.set_digest(
        req.deps,
        req.actor,
        command.app,
        cadence=None if command.action == "tz" else command.action,
        at=command.at,
        weekday=command.weekday,
        timezone=command.tz,
    )
    return Reply(
        digest_schedule.describe(schedule, await req.t()),
        in_channel=req.typed_in(schedule.channel_id),
    )


async def contacts(req: Request, command: cmd.Contacts) -> Reply:
    people = list(command.user_ids)
    if command.action == "add":
        found = await settings.add_contacts(req.deps, req.actor, command.app, people)
    elif command.action == "remove":
        found = await settings.remove_contacts(req.deps, req.actor, command.app, people)
    elif command.action == "channel":
        found = await settings.set_contacts_channel(
            req.deps, req.actor, command.app, command.channel_id
        )
    else:
        found = await settings.contacts(req.deps, req.actor, command.app)
    return Reply(replies.contacts(found.application, found.people, await req.t()))
