"""One handler per `/onboard` subcommand: load, check access, call a service, say the result.

Each handler returns a `Reply`, which the listener sends as its `ack`, so the user's answer
comes in the same HTTP response; `after` is work that may follow the ack (posting a message,
uploading a file). Database changes are committed before the handler returns, so whatever
was acknowledged survives a crash.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncSession

from bot import command_parser as cmd
from bot.blocks import credentials as credential_blocks
from bot.blocks import replies
from bot.blocks.checklist import checklist_blocks, checklist_fallback_text
from bot.crypto import Keyring
from bot.listeners.access import Refusal, require_member, require_owner
from bot.runtime import Runtime
from bot.services import checklist as svc
from bot.services import credentials, digests, settings
from bot.services.export import export_application
from bot.surfaces import Surfaces
from storage import repositories as repo
from storage.models import Application

AfterAck = Callable[[], Awaitable[None]]


@dataclass
class Reply:
    text: str
    blocks: list[Any] | None = None
    in_channel: bool = False
    after: AfterAck | None = None


@dataclass
class Request:
    """One `/onboard` invocation, as the handlers need it."""

    runtime: Runtime
    client: AsyncWebClient
    team_id: str
    channel_id: str
    user_id: str
    trigger_id: str
    now: datetime
    respond: Callable[..., Awaitable[Any]]
    surfaces: Surfaces

    def transaction(self):
        return self.runtime.writes.begin()


# ---- finding the application and checking who may change it -------------------------------


async def _find(session: AsyncSession, req: Request, slug: str | None) -> Application:
    if slug is not None:
        application = await repo.application_by_slug(session, req.team_id, slug)
        if application is None:
            raise Refusal(f"There is no application `{slug}` here. `/onboard list` shows them.")
        return application
    found = await repo.applications_in_channel(session, req.team_id, req.channel_id)
    if not found:
        raise Refusal(
            "No application is bound to this channel. Start one here with "
            "`/onboard new <name>`, or name one with `--app <slug>`."
        )
    if len(found) > 1:
        slugs = ", ".join(f"`{a.slug}`" for a in found)
        raise Refusal(f"This channel has {len(found)} applications ({slugs}); add `--app <slug>`.")
    return found[0]


async def _application(req: Request, slug: str | None) -> Application:
    """The application the command is about, after checking the user may change it."""
    async with req.runtime.sessions() as session:
        application = await _find(session, req, slug)
    await require_member(req.runtime, req.client, req.team_id, req.user_id, application)
    return application


async def _require_owner(req: Request, application: Application, action: str) -> None:
    await require_owner(req.runtime, req.client, req.team_id, req.user_id, application, action)


async def _reload(session: AsyncSession, application: Application) -> Application:
    """The application inside this transaction; it may have been archived meanwhile."""
    current = await repo.application_by_id(session, application.id)
    if current is None or current.archived_at is not None:
        raise Refusal(f"{replies.app_label(application)} was archived; nothing was changed.")
    return current


async def _write(
    req: Request, application: Application, change: Callable[[AsyncSession, Application], Any]
) -> Any:
    """Run a change in one transaction, turning a service's refusal into ours."""
    try:
        async with req.transaction() as session:
            return await change(session, await _reload(session, application))
    except svc.ChecklistError as e:
        raise Refusal(e.message) from None


def _redraw(req: Request, application: Application, users: Iterable[str | None]) -> AfterAck:
    """After a change: refresh the channel's latest checklist and the Home of those it touched."""

    async def redraw() -> None:
        await req.surfaces.update_latest_message(req.client, application.id)
        await req.surfaces.publish_homes(req.client, req.team_id, users)

    return redraw


# ---- subcommands ----------------------------------------------------------------------------


async def help_(req: Request, command: cmd.Help) -> Reply:
    return Reply(cmd.help_text(command.topic))


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
    application = await _application(req, command.app)
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
    application = await _application(req, command.app)

    async def change(
        session: AsyncSession, current: Application
    ) -> tuple[str, list[str | None], int]:
        outcome = await svc.mark_steps(
            session,
            current,
            command.steps,
            actor_id=req.user_id,
            now=req.now,
            keyring=req.runtime.keyring,
            force=command.force,
        )
        checklist = await svc.load_checklist(session, current)
        touched = [checklist.step(n).assignee_id for n in outcome.changed]
        return replies.marked(checklist, outcome), touched, outcome.enqueued

    text, touched, enqueued = await _write(req, application, change)
    redraw = _redraw(req, application, touched)

    async def after() -> None:
        await redraw()
        if enqueued:
            await req.runtime.kick_outbox()

    return Reply(text, after=after)


async def unmark(req: Request, command: cmd.Unmark) -> Reply:
    application = await _application(req, command.app)

    async def change(session: AsyncSession, current: Application) -> tuple[str, list[str | None]]:
        outcome = await svc.unmark_steps(
            session, current, command.steps, actor_id=req.user_id, now=req.now
        )
        checklist = await svc.load_checklist(session, current)
        touched = [checklist.step(n).assignee_id for n in outcome.changed]
        return replies.unmarked(checklist, outcome), touched

    text, touched = await _write(req, application, change)
    return Reply(text, after=_redraw(req, application, touched))


async def assign(req: Request, command: cmd.Assign) -> Reply:
    application = await _application(req, command.app)
    person = await req.runtime.directory.person(req.client, req.team_id, command.user_id)
    if person is None or person.deleted:
        what = "isn't a user in this workspace" if person is None else "is deactivated"
        raise Refusal(f"<@{command.user_id}> {what}; pick someone from Slack's @ list.")
    template = svc.template_for(application)

    async def change(session: AsyncSession, current: Application) -> tuple[str, str | None]:
        return await svc.assign_step(
            session, current, command.step, command.user_id, actor_id=req.user_id, now=req.now
        )

    number, old = await _write(req, application, change)
    was = f" (was <@{old}>)" if old and old != command.user_id else ""
    return Reply(
        f"Assigned {replies.step_label(template, number)} to <@{command.user_id}>{was}.",
        after=_redraw(req, application, [old, command.user_id]),
    )


async def unassign(req: Request, command: cmd.Unassign) -> Reply:
    application = await _application(req, command.app)
    template = svc.template_for(application)

    async def change(session: AsyncSession, current: Application) -> tuple[str, str | None]:
        return await svc.assign_step(
            session, current, command.step, None, actor_id=req.user_id, now=req.now
        )

    number, old = await _write(req, application, change)
    if old is None:
        return Reply(f"{replies.step_label(template, number)} had no assignee.")
    return Reply(
        f"Unassigned {replies.step_label(template, number)} (was <@{old}>).",
        after=_redraw(req, application, [old]),
    )


async def due(req: Request, command: cmd.SetDue) -> Reply:
    application = await _application(req, command.app)
    template = svc.template_for(application)
    try:
        number = svc.step_number(template, command.step)
    except svc.ChecklistError as e:
        raise Refusal(e.message) from None
    # "tomorrow" and the past are judged in the assignee's time zone (else the caller's).
    async with req.runtime.sessions() as session:
        state = await repo.step_for_update(session, application.id, number)
    whose = (state.assignee_id if state else None) or req.user_id
    person = await req.runtime.directory.person(req.client, req.team_id, whose)
    zone = person.timezone if person else None
    today = req.now.astimezone(zone).date() if zone else req.now.date()
    try:
        due_on = svc.resolve_due(command.due, today)
    except svc.ChecklistError as e:
        raise Refusal(e.message) from None

    async def change(session: AsyncSession, current: Application):
        return await svc.set_due(
            session, current, number, due_on, actor_id=req.user_id, now=req.now
        )

    await _write(req, application, change)
    return Reply(
        replies.due_set(template, number, due_on, str(zone or "UTC")),
        after=_redraw(req, application, [state.assignee_id if state else None]),
    )


async def note(req: Request, command: cmd.AddNote) -> Reply:
    application = await _application(req, command.app)
    template = svc.template_for(application)

    async def change(session: AsyncSession, current: Application) -> str:
        return await svc.add_note(
            session, current, command.step, command.text, actor_id=req.user_id, now=req.now
        )

    number = await _write(req, application, change)
    return Reply(
        f"Noted on {replies.step_label(template, number)}.", after=_redraw(req, application, [])
    )


async def history(req: Request, command: cmd.History) -> Reply:
    application = await _application(req, command.app)
    try:
        async with req.runtime.sessions() as session:
            events, more = await svc.history(session, application, command.step)
    except svc.ChecklistError as e:
        raise Refusal(e.message) from None
    step = svc.step_number(svc.template_for(application), command.step) if command.step else None
    text, blocks = replies.history_blocks(application, events, step, more, older=False)
    return Reply(text, blocks=blocks)


async def export(req: Request, command: cmd.Export) -> Reply:
    application = await _application(req, command.app)
    async with req.runtime.sessions() as session:
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
    application = await _application(req, command.app)
    await _require_owner(req, application, "rename")

    async def change(session: AsyncSession, current: Application) -> str:
        return await svc.rename(session, current, command.name, actor_id=req.user_id, now=req.now)

    old = await _write(req, application, change)
    return Reply(
        f"Renamed *{cmd.escape_mrkdwn(old)}* to *{cmd.escape_mrkdwn(command.name)}* "
        f"(`{application.slug}` stays the same).",
        in_channel=True,
    )


async def archive(req: Request, command: cmd.Archive) -> Reply:
    application = await _application(req, command.app)
    await _require_owner(req, application, "archive")

    async def change(session: AsyncSession, current: Application) -> bool:
        return await svc.archive(session, current, actor_id=req.user_id, now=req.now)

    await _write(req, application, change)
    return Reply(
        f"Archived {replies.app_label(application)}: no more reminders or digests. "
        "Its history stays and `/onboard export --app "
        f"{application.slug}` still works.",
        in_channel=True,
    )


async def remind(req: Request, command: cmd.Remind) -> Reply:
    application = await _application(req, command.app)
    if command.action == "show":
        return Reply(replies.reminder_settings(application))

    async def change(session: AsyncSession, current: Application) -> Application:
        if command.action == "after":
            assert command.after_days is not None
            await settings.set_remind_after(
                session, current, command.after_days, actor_id=req.user_id, now=req.now
            )
        elif command.action == "hours":
            assert command.start is not None and command.end is not None
            await settings.set_remind_hours(
                session, current, command.start, command.end, actor_id=req.user_id, now=req.now
            )
        else:
            await settings.set_reminders_on(
                session, current, command.action == "on", actor_id=req.user_id, now=req.now
            )
        return current

    return Reply(replies.reminder_settings(await _write(req, application, change)))


async def digest(req: Request, command: cmd.Digest) -> Reply:
    application = await _application(req, command.app)
    channel_id = application.channel_id
    if command.action == "show":
        async with req.runtime.sessions() as session:
            schedule = await repo.digest_schedule(session, req.team_id, channel_id)
        return Reply(digests.describe(schedule))
    zone = command.tz
    if command.action in ("daily", "weekly"):
        async with req.runtime.sessions() as session:
            existing = await repo.digest_schedule(session, req.team_id, channel_id)
        if existing is None:
            # A new schedule runs in the time zone of whoever set it, until `digest tz`.
            person = await req.runtime.directory.person(req.client, req.team_id, req.user_id)
            zone = str(person.timezone) if person else "UTC"
    async with req.transaction() as session:
        schedule = await digests.set_schedule(
            session,
            team_id=req.team_id,
            channel_id=channel_id,
            set_by=req.user_id,
            now=req.now,
            cadence=command.action if command.action != "tz" else None,
            at=command.at,
            weekday=command.weekday,
            timezone=zone,
        )
        text = digests.describe(schedule)
    return Reply(text, in_channel=True)


async def contacts(req: Request, command: cmd.Contacts) -> Reply:
    application = await _application(req, command.app)
    if command.action == "add":
        for user_id in command.user_ids:
            person = await req.runtime.directory.person(req.client, req.team_id, user_id)
            if person is None or person.deleted:
                raise Refusal(f"<@{user_id}> isn't an active member here; nobody was added.")

    async def change(session: AsyncSession, current: Application) -> tuple[Application, list[str]]:
        if command.action == "add":
            await settings.add_contacts(
                session, current, command.user_ids, actor_id=req.user_id, now=req.now
            )
        elif command.action == "remove":
            removed = await settings.remove_contacts(
                session, current, command.user_ids, actor_id=req.user_id, now=req.now
            )
            missing = [u for u in command.user_ids if u not in removed]
            if missing:
                raise Refusal(
                    f"{', '.join(f'<@{u}>' for u in missing)} "
                    f"{'is' if len(missing) == 1 else 'are'} not a contact; nothing was removed."
                )
        elif command.action == "channel":
            await settings.set_contacts_channel(
                session, current, command.channel_id, actor_id=req.user_id, now=req.now
            )
        return current, await repo.contacts_of(session, current.id)

    if command.action == "list":
        async with req.runtime.sessions() as session:
            people = await repo.contacts_of(session, application.id)
        return Reply(replies.contacts(application, people))
    current, people = await _write(req, application, change)
    return Reply(replies.contacts(current, people))


def _keyring(req: Request) -> Keyring:
    if req.runtime.keyring is None:
        raise Refusal("Credentials are not available: the encryption keys are not loaded.")
    return req.runtime.keyring


def _modal_metadata(application: Application, req: Request) -> str:
    return json.dumps({"application_id": application.id, "channel_id": req.channel_id})


async def creds(req: Request, command: cmd.Creds) -> Reply:
    application = await _application(req, command.app)
    keyring = _keyring(req)
    if command.action == "show":
        async with req.runtime.sessions() as session:
            values = await credentials.load(session, keyring, application.id)
        return Reply(credential_blocks.shown(application, credentials.describe(values)))
    await _require_owner(req, application, "change the credentials of")
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

    result = await _write(req, application, change)
    text, blocks = credential_blocks.saved(
        application, template, command.environment, command.field, result.shown, result.steps_ready
    )
    return Reply(text, blocks=blocks)


async def diagnose(req: Request, command: cmd.Diagnose) -> Reply:
    application = await _application(req, command.app)
    view = credential_blocks.diagnose_modal(application, _modal_metadata(application, req))
    await req.client.views_open(trigger_id=req.trigger_id, view=view)
    return Reply("")


HANDLERS: dict[type, Callable[[Request, Any], Awaitable[Reply]]] = {
    cmd.Help: help_,
    cmd.NewApp: new,
    cmd.ListApps: list_,
    cmd.Status: status,
    cmd.Mark: mark,
    cmd.Unmark: unmark,
    cmd.Assign: assign,
    cmd.Unassign: unassign,
    cmd.SetDue: due,
    cmd.AddNote: note,
    cmd.History: history,
    cmd.Export: export,
    cmd.Remind: remind,
    cmd.Digest: digest,
    cmd.Contacts: contacts,
    cmd.Creds: creds,
    cmd.Diagnose: diagnose,
    cmd.Rename: rename,
    cmd.Archive: archive,
}
