"""Subcommands that show the checklist: help, new, list, status, history, export."""

from __future__ import annotations

from slack_sdk.errors import SlackApiError

from bot import command_parser as cmd
from bot.blocks import replies
from bot.blocks.checklist import checklist_blocks, checklist_fallback_text
from bot.blocks.help import help_blocks, help_fallback, help_text
from bot.blocks.new_app import ask_another
from bot.i18n import translator
from bot.listeners.commands.request import Reply, Request
from bot.services.checklist import template_for
from bot.usecases import applications, checklist, languages


async def help_(req: Request, command: cmd.Help) -> Reply:
    t = await req.t()
    if command.topic is not None:
        return Reply(help_text(command.topic, t))
    return Reply(help_fallback(t), blocks=help_blocks(t))


async def new(req: Request, command: cmd.NewApp) -> Reply:
    created = await checklist.create(req.deps, req.actor, command.name, another=command.another)
    if isinstance(created, checklist.AskFirst):
        return Reply(*ask_another(created.name, created.existing))
    # Said in the channel, so in its language (its first application's creator's by default).
    language = await languages.channel_language(req.deps, req.actor.team_id, created.channel_id)
    text = replies.created(created, template_for(created), translator(language))
    return Reply(text, in_channel=True)


async def list_(req: Request, command: cmd.ListApps) -> Reply:
    found = await checklist.list_applications(req.deps, req.actor)
    return Reply(replies.application_listing(found, command.page, await req.t()))


async def status(req: Request, command: cmd.Status) -> Reply:
    shown = await checklist.show(req.deps, req.actor, command.app, command.phase)
    t = translator(shown.language)
    blocks = checklist_blocks(shown.checklist, req.deps.now().date(), phase=command.phase, t=t)
    text = checklist_fallback_text(shown.checklist, t)
    if not shown.in_its_channel:
        return Reply(text, blocks=blocks)
    application = shown.checklist.application

    async def post() -> None:
        try:
            posted = await req.deps.client.chat_postMessage(
                channel=application.channel_id, text=text, blocks=blocks
            )
        except SlackApiError as e:
            await req.respond(
                text=replies.checklist_not_posted(e.response["error"], await req.t()),
                blocks=blocks,
                response_type="ephemeral",
            )
            return
        await applications.record_checklist_message(
            req.deps, application, posted["channel"], posted["ts"]
        )

    return Reply("", after=post)


async def history(req: Request, command: cmd.History) -> Reply:
    page = await checklist.history(req.deps, req.actor, command.app, command.step)
    text, blocks = replies.history_blocks(
        page.application,
        page.events,
        page.step,
        page.more,
        older=False,
        zone=page.zone,
        t=await req.t(),
    )
    return Reply(text, blocks=blocks)


async def export(req: Request, command: cmd.Export) -> Reply:
    application, files = await checklist.export(req.deps, req.actor, command.app, command.fmt)
    t = await req.t()

    async def upload() -> None:
        # Into the application's own channel: its members are the ones who may read it.
        try:
            await req.deps.client.files_upload_v2(
                channel=application.channel_id,
                file_uploads=[
                    {"content": f.content, "filename": f.filename, "title": f.title} for f in files
                ],
                initial_comment=replies.export_comment(application, req.actor.user_id, t),
            )
        except SlackApiError as e:
            await req.respond(
                text=replies.export_not_uploaded(e.response["error"], t),
                response_type="ephemeral",
            )

    elsewhere = not req.typed_in(application.channel_id)
    text = replies.export_started(application, command.fmt, elsewhere, t)
    return Reply(text, after=upload)
