"""Subcommands about Alipay credentials and signatures: `creds` and `diagnose`."""

from __future__ import annotations

import json

from bot import command_parser as cmd
from bot.blocks import credentials as blocks
from bot.listeners.commands.request import Reply, Request
from bot.usecases import credentials


def _form_metadata(application_id: int) -> str:
    return json.dumps({"application_id": application_id})


async def creds(req: Request, command: cmd.Creds) -> Reply:
    if command.action == "show":
        masked = await credentials.show(req.deps, req.actor, command.app)
        return Reply(blocks.shown(masked.application, masked.rows))
    if command.action == "modal":
        masked = await credentials.open_form(req.deps, req.actor, command.app)
        view = blocks.credentials_modal(
            masked.application, masked.rows, _form_metadata(masked.application.id)
        )
        await req.deps.client.views_open(trigger_id=req.trigger_id, view=view)
        return Reply("")
    assert command.environment and command.field and command.value is not None
    value = cmd.unescape_slack(command.value)
    saved = await credentials.save(
        req.deps, req.actor, command.app, {(command.environment, command.field): value}
    )
    text, message_blocks = blocks.saved_many(
        saved.application, saved.template, saved.values, saved.steps_ready
    )
    return Reply(text, blocks=message_blocks)


async def diagnose(req: Request, command: cmd.Diagnose) -> Reply:
    application = await credentials.diagnosis_target(req.deps, req.actor, command.app)
    view = blocks.diagnose_modal(application, _form_metadata(application.id))
    await req.deps.client.views_open(trigger_id=req.trigger_id, view=view)
    return Reply("")
