"""`/onboard report`: the portfolio's figures and charts, only to the reader, in their language."""

from __future__ import annotations

from bot import command_parser as cmd
from bot.blocks.report import report_blocks
from bot.blocks.report_scope import scope_label
from bot.command_parser.report import typed
from bot.listeners.commands.request import Reply, Request
from bot.usecases import report as reports


async def report(req: Request, command: cmd.Report) -> Reply:
    reported = await reports.report(
        req.deps,
        req.actor,
        since=command.since,
        channel_id=command.channel_id,
        everywhere=command.everywhere,
    )
    t = await req.t()
    text, blocks = report_blocks(
        reported.report,
        reported.template,
        t,
        scope_label=scope_label(reported.scope, t),
        page=command.page,
        command=typed(command),
    )
    return Reply(text, blocks=blocks)
