"""Subcommands about Alipay credentials and signatures: `creds` and `diagnose`."""

from __future__ import annotations

import json

from sqlalchemy.ext.asyncio import AsyncSession

from bot import command_parser as cmd
from bot.blocks import credentials as credential_blocks
from bot.crypto import Keyring
from bot.listeners.access import Refusal
from bot.listeners.commands.request import (
    Reply,
    Request,
    apply_change,
    require_app_owner,
    resolve_application,
)
from bot.services import checklist as svc
from bot.services import credentials
from storage.models import Application


def _keyring(req: Request) -> Keyring:
    if req.runtime.keyring is None:
        raise Refusal("Credentials are not available: the encryption keys are not loaded.")
    return req.runtime.keyring


def _modal_metadata(application: Application, req: Request) -> str:
    return json.dumps({"application_id": application.id, "channel_id": req.channel_id})


async def creds(req: Request, command: cmd.Creds) -> Reply:
    application = await resolve_application(req, command.app)
    keyring = _keyring(req)
    if command.action == "show":
        async with req.runtime.sessions() as session:
            values = await credentials.load(session, keyring, application.id)
        return Reply(credential_blocks.shown(application, credentials.describe(values)))
    await require_app_owner(req, application, "change the credentials of")
    if command.action == "modal":
        async with req.runtime.sessions() as session:
            values = await credentials.load(session, keyring, application.id)
        view = credential_blocks.credentials_modal(
            application, credentials.describe(values), _modal_metadata(application, req)
        )
        await req.client.views_open(trigger_id=req.trigger_id, view=view)
        return Reply("")
    assert command.environment and command.field and command.value is not None
    template = svc.template_for(application)

    async def change(session: AsyncSession, current: Application) -> credentials.SetResult:
        return await credentials.set_value(
            session,
            keyring,
            current,
            template,
            command.environment,
            command.field,
            cmd.unescape_slack(command.value),
            actor_id=req.user_id,
            now=req.now,
        )

    result = await apply_change(req, application, change)
    text, blocks = credential_blocks.saved(
        application, template, command.environment, command.field, result.shown, result.steps_ready
    )
    return Reply(text, blocks=blocks)


async def diagnose(req: Request, command: cmd.Diagnose) -> Reply:
    application = await resolve_application(req, command.app)
    view = credential_blocks.diagnose_modal(application, _modal_metadata(application, req))
    await req.client.views_open(trigger_id=req.trigger_id, view=view)
    return Reply("")
