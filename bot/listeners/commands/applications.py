"""Subcommands about the application as a whole: rename, archive (owner only)."""

from __future__ import annotations

from bot import command_parser as cmd
from bot.blocks import replies
from bot.listeners.commands.request import Reply, Request
from bot.usecases import applications


async def rename(req: Request, command: cmd.Rename) -> Reply:
    renamed = await applications.rename(req.deps, req.actor, command.app, command.name)
    slug = renamed.followup.application.slug
    return Reply(
        replies.renamed(renamed.old_name, command.name, slug),
        in_channel=req.typed_in(renamed.followup.application.channel_id),
        after=req.after_change(renamed.followup),
    )


async def archive(req: Request, command: cmd.Archive) -> Reply:
    application = await applications.archive(req.deps, req.actor, command.app)
    return Reply(
        f"Archived {replies.app_label(application)}: no more reminders or digests. "
        f"Its history stays and `/onboard export --app {application.slug}` still works.",
        in_channel=req.typed_in(application.channel_id),
    )
