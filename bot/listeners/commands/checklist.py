"""Subcommands about the checklist itself: creating, listing, marking, assigning, history."""

from __future__ import annotations

from slack_sdk.errors import SlackApiError
from sqlalchemy.ext.asyncio import AsyncSession

from bot import command_parser as cmd
from bot.blocks import replies
from bot.blocks.checklist import checklist_blocks, checklist_fallback_text
from bot.blocks.help import help_text
from bot.blocks.mrkdwn import escape_mrkdwn
from bot.listeners.access import Refusal
from bot.listeners.commands.request import (
    Reply,
    Request,
    apply_change,
    redraw_after,
    require_app_owner,
    resolve_application,
)
from bot.services import checklist as svc
from bot.services.due_dates import resolve_due
from bot.services.export import export_application
from storage import repositories as repo
from storage.models import Application


async def help_(req: Request, command: cmd.Help) -> Reply:
    return Reply(help_text(command.topic))


async def new(req: Request, command: cmd.NewApp) -> Reply:
    if req.channel_id.startswith("D"):
        raise Refusal(
            "An application belongs to a channel, and this is a direct message. "
            "Run `/onboard new <name>` in the channel your team works in."
        )
    async with req.transaction() as session:
        application = await svc.create_application(
            session,
            team_id=req.team_id,
            channel_id=req.channel_id,
            owner_id=req.user_id,
            name=command.name,
            now=req.now,
        )
    return Reply(replies.created(application, svc.template_for(application)), in_channel=True)


async def list_(req: Request, command: cmd.ListApps) -> Reply:
    async with req.runtime.sessions() as session:
        here = await repo.applications_in_channel(
            session, req.team_id, req.channel_id, include_archived=True
        )
        mine = [
            a
            for a in await repo.applications_with_steps_assigned_to(
                session, req.team_id, req.user_id
            )
            if a.channel_id != req.channel_id
        ]
        owned = await repo.active_applications(session, req.team_id)
        mine += [
            a
            for a in owned
            if a.owner_id == req.user_id and a.channel_id != req.channel_id and a not in mine
        ]
        everything = here + mine
        done = await repo.done_counts(session, [a.id for a in everything])
    totals = {a.id: len(svc.template_for(a).steps) for a in everything}
    text = replies.application_list("Applications in this channel", here, done, totals)
    if mine:
        text += "\n\n" + replies.application_list(
            "Yours in other channels (you own them or have steps)", mine, done, totals
        )
    return Reply(text)


async def status(req: Request, command: cmd.Status) -> Reply:
    application = await resolve_application(req, command.app)
    template = svc.template_for(application)
    if command.phase is not None and command.phase > len(template.phases):
        raise Refusal(f"There is no phase {command.phase}; phases are 1–{len(template.phases)}.")
    async with req.runtime.sessions() as session:
        checklist = await svc.load_checklist(session, application)
    blocks = checklist_blocks(checklist, req.now.date(), phase=command.phase)
    text = checklist_fallback_text(checklist)
    if req.channel_id != application.channel_id:
        return Reply(text, blocks=blocks)

    async def post() -> None:
        try:
            posted = await req.client.chat_postMessage(
                channel=application.channel_id, text=text, blocks=blocks
            )
        except SlackApiError as e:
            await req.respond(
                text=f"I couldn't post the checklist here (Slack said `{e.response['error']}`). "
                "Invite me to the channel with `/invite @Onboard`; here it is just for you.",
                blocks=blocks,
                response_type="ephemeral",
            )
            return
        async with req.transaction() as session:
            current = await repo.application_by_id(session, application.id)
            if current is not None:
                current.checklist_channel_id = posted["channel"]
                current.checklist_ts = posted["ts"]

    return Reply("", after=post)


async def mark(req: Request, command: cmd.Mark) -> Reply:
    application = await resolve_application(req, command.app)

    async def change(
        session: AsyncSession, current: Application
    ) -> tuple[str, list[str | None], int, Application]:
        outcome = await svc.mark_steps(
            session,
            current,
            command.steps,
            actor_id=req.user_id,
            now=req.now,
            keyring=req.runtime.keyring,
            force=command.force,
        )
        text = replies.marked(current, svc.template_for(current), outcome)
        return text, outcome.touched, outcome.enqueued, current

    text, touched, enqueued, current = await apply_change(req, application, change)
    redraw = redraw_after(req, current, touched)

    async def after() -> None:
        await redraw()
        if enqueued:
            await req.runtime.kick_outbox()

    return Reply(text, after=after)


async def unmark(req: Request, command: cmd.Unmark) -> Reply:
    application = await resolve_application(req, command.app)

    async def change(
        session: AsyncSession, current: Application
    ) -> tuple[str, list[str | None], Application]:
        outcome = await svc.unmark_steps(
            session, current, command.steps, actor_id=req.user_id, now=req.now
        )
        text = replies.unmarked(current, svc.template_for(current), outcome)
        return text, outcome.touched, current

    text, touched, current = await apply_change(req, application, change)
    return Reply(text, after=redraw_after(req, current, touched))


async def assign(req: Request, command: cmd.Assign) -> Reply:
    application = await resolve_application(req, command.app)
    person = await req.runtime.directory.person(req.client, req.team_id, command.user_id)
    if person is None or person.deleted:
        what = "isn't a user in this workspace" if person is None else "is deactivated"
        raise Refusal(f"<@{command.user_id}> {what}; pick someone from Slack's @ list.")
    template = svc.template_for(application)

    async def change(session: AsyncSession, current: Application) -> tuple[str, str | None]:
        return await svc.assign_step(
            session, current, command.step, command.user_id, actor_id=req.user_id, now=req.now
        )

    number, old = await apply_change(req, application, change)
    was = f" (was <@{old}>)" if old and old != command.user_id else ""
    return Reply(
        f"Assigned {replies.step_label(template, number)} to <@{command.user_id}>{was}.",
        after=redraw_after(req, application, [old, command.user_id]),
    )


async def unassign(req: Request, command: cmd.Unassign) -> Reply:
    application = await resolve_application(req, command.app)
    template = svc.template_for(application)

    async def change(session: AsyncSession, current: Application) -> tuple[str, str | None]:
        return await svc.assign_step(
            session, current, command.step, None, actor_id=req.user_id, now=req.now
        )

    number, old = await apply_change(req, application, change)
    if old is None:
        return Reply(f"{replies.step_label(template, number)} had no assignee.")
    return Reply(
        f"Unassigned {replies.step_label(template, number)} (was <@{old}>).",
        after=redraw_after(req, application, [old]),
    )


async def due(req: Request, command: cmd.SetDue) -> Reply:
    application = await resolve_application(req, command.app)
    template = svc.template_for(application)
    try:
        number = svc.step_number(template, command.step)
    except Refusal as e:
        raise Refusal(e.message) from None
    # "tomorrow" and the past are judged in the assignee's time zone (else the caller's).
    async with req.runtime.sessions() as session:
        state = await repo.step_for_update(session, application.id, number)
    whose = (state.assignee_id if state else None) or req.user_id
    person = await req.runtime.directory.person(req.client, req.team_id, whose)
    zone = person.timezone if person else None
    today = req.now.astimezone(zone).date() if zone else req.now.date()
    try:
        due_on = resolve_due(command.due, today)
    except Refusal as e:
        raise Refusal(e.message) from None

    async def change(session: AsyncSession, current: Application):
        return await svc.set_due(
            session, current, number, due_on, actor_id=req.user_id, now=req.now
        )

    await apply_change(req, application, change)
    return Reply(
        replies.due_set(template, number, due_on, str(zone or "UTC")),
        after=redraw_after(req, application, [state.assignee_id if state else None]),
    )


async def note(req: Request, command: cmd.AddNote) -> Reply:
    application = await resolve_application(req, command.app)
    template = svc.template_for(application)

    async def change(session: AsyncSession, current: Application) -> str:
        return await svc.add_note(
            session, current, command.step, command.text, actor_id=req.user_id, now=req.now
        )

    number = await apply_change(req, application, change)
    return Reply(
        f"Noted on {replies.step_label(template, number)}.",
        after=redraw_after(req, application, []),
    )


async def history(req: Request, command: cmd.History) -> Reply:
    application = await resolve_application(req, command.app)
    try:
        async with req.runtime.sessions() as session:
            events, more = await svc.history(session, application, command.step)
    except Refusal as e:
        raise Refusal(e.message) from None
    step = svc.step_number(svc.template_for(application), command.step) if command.step else None
    text, blocks = replies.history_blocks(application, events, step, more, older=False)
    return Reply(text, blocks=blocks)


async def export(req: Request, command: cmd.Export) -> Reply:
    application = await resolve_application(req, command.app)
    async with req.runtime.long_reads() as session:
        files = await export_application(session, application, command.fmt)

    async def upload() -> None:
        try:
            await req.client.files_upload_v2(
                channel=req.channel_id,
                file_uploads=[
                    {"content": f.content, "filename": f.filename, "title": f.title} for f in files
                ],
                initial_comment=f"Export of {replies.app_label(application)} for <@{req.user_id}>",
            )
        except SlackApiError as e:
            await req.respond(
                text=f"I couldn't upload the export here (Slack said `{e.response['error']}`). "
                "Invite me to the channel with `/invite @Onboard` and try again.",
                response_type="ephemeral",
            )

    label = replies.app_label(application)
    return Reply(f"Exporting {label} as {command.fmt.upper()}…", after=upload)


async def rename(req: Request, command: cmd.Rename) -> Reply:
    application = await resolve_application(req, command.app)
    await require_app_owner(req, application, "rename")

    async def change(session: AsyncSession, current: Application) -> str:
        return await svc.rename(session, current, command.name, actor_id=req.user_id, now=req.now)

    old = await apply_change(req, application, change)
    return Reply(
        f"Renamed *{escape_mrkdwn(old)}* to *{escape_mrkdwn(command.name)}* "
        f"(`{application.slug}` stays the same).",
        in_channel=True,
    )


async def archive(req: Request, command: cmd.Archive) -> Reply:
    application = await resolve_application(req, command.app)
    await require_app_owner(req, application, "archive")

    async def change(session: AsyncSession, current: Application) -> bool:
        return await svc.archive(session, current, actor_id=req.user_id, now=req.now)

    await apply_change(req, application, change)
    return Reply(
        f"Archived {replies.app_label(application)}: no more reminders or digests. "
        "Its history stays and `/onboard export --app "
        f"{application.slug}` still works.",
        in_channel=True,
    )
