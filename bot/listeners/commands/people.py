"""Subcommands about the person's own settings, in every application: `away` and `my`."""

from __future__ import annotations

from bot import command_parser as cmd
from bot.blocks import people as texts
from bot.listeners.commands.request import Reply, Request
from bot.usecases import people


async def away(req: Request, command: cmd.Away) -> Reply:
    if command.action == "show":
        settings = await people.my_settings(req.deps, req.actor)
    else:
        settings = await people.set_away(req.deps, req.actor, command.until)
    return Reply(texts.away_reply(settings, command.action))


async def my(req: Request, command: cmd.My) -> Reply:
    if command.action == "holidays":
        settings = await people.set_my_holidays(req.deps, req.actor, command.holidays)
    else:
        settings = await people.my_settings(req.deps, req.actor)
    return Reply(texts.my_reply(settings))
