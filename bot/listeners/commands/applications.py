"""Subcommands about the application as a whole: rename, archive, unarchive (owner only)."""

from __future__ import annotations

from bot import command_parser as cmd
from bot.blocks import replies
from bot.listeners.commands.request import Reply, Request
from bot.usecases import applications


async def rename(req: Request, command: cmd.Rename) -> Reply:
    renamed = await applications.rename(req.deps, req.actor, command.app, command.name)
    slug = renamed.followup.application.slug
    return Reply(
        replies.renamed(renamed.old_name, command.name, slug, await req.t()),
        in_channel=req.typed_in(renamed.followup.application.channel_id),
        after=req.after_change(renamed.followup),
    )


async def archive(req: Request, command: cmd.Archive) -> Reply:
    application = await applications.archive(req.deps, req.actor, command.app)
    return Reply(
        replies.archived(application, await req.t()),
        in_channel=req.typed_in(application.channel_id),
    )


async def unarchive(req: Request, command: cmd.Unarchive) -> Reply:
    done = await applications.unarchive(req.deps, req.actor, command.app)
    application = done.application
    text = replies.unarchived(application, done.in_channel, await req.t())
    return Reply(text, in_channel=req.typed_in(application.channel_id))
