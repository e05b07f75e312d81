"""`/onboard language`: the person's own language, or the channel's."""

from __future__ import annotations

from bot import command_parser as cmd
from bot.blocks import languages as texts
from bot.listeners.commands.request import Reply, Request
from bot.usecases import languages


async def language(req: Request, command: cmd.Language) -> Reply:
    if command.action == "mine":
        found = await languages.choose_mine(req.deps, req.actor, command.language)
        return Reply(texts.mine_reply(found))
    if command.action == "channel":
        assert command.language is not None
        found = await languages.choose_for_channel(req.deps, req.actor, command.language)
        return Reply(texts.channel_reply(found))
    return Reply(texts.languages_reply(await languages.show(req.deps, req.actor)))
