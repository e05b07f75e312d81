"""Submissions of the step menu's modals: assign, due date, note.

A bad value comes back as an inline error on its field (`response_action: errors`) and
changes nothing; a good one is committed before the modal closes.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncSession

from bot.blocks import modals
from bot.command_parser import MAX_NOTE
from bot.listeners.access import (
    Refusal,
    application_for_click,
    change_application,
    require_member,
    team_of,
)
from bot.runtime import Runtime
from bot.services import checklist as svc
from bot.services.due_dates import DueSpec, resolve_due
from bot.surfaces import Surfaces
from storage import repositories as repo
from storage.models import Application

logger = logging.getLogger(__name__)


def _value(view: dict[str, Any], block: str, action: str) -> dict[str, Any]:
    return view["state"]["values"].get(block, {}).get(action, {})


def register(app: AsyncApp, runtime: Runtime, surfaces: Surfaces) -> None:
    async def submitted(
        ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
    ) -> None:
        context = modals.ModalContext.decode(view.get("private_metadata", ""))
        callback_id = view.get("callback_id")
        field = {
            modals.ASSIGN: modals.ASSIGNEE_BLOCK,
            modals.DUE: modals.DUE_BLOCK,
            modals.NOTE: modals.NOTE_BLOCK,
        }[callback_id]
        if context is None:
            await ack(response_action="errors", errors={field: "This form is damaged; reopen it."})
            return
        user_id = body["user"]["id"]
        team_id = team_of(body)
        try:
            application = await application_for_click(runtime, context.application_id, team_id)
            await require_member(runtime, client, team_id, user_id, application)
            if callback_id == modals.ASSIGN:
                touched = await _assign(
                    runtime, client, team_id, user_id, application, context, view
                )
            elif callback_id == modals.DUE:
                touched = await _due(runtime, client, team_id, user_id, application, context, view)
            else:
                touched = await _note(runtime, user_id, application, context, view)
        except Refusal as refusal:
            await ack(response_action="errors", errors={field: refusal.message[:2000]})
            return
        await ack()
        if context.channel_id and context.message_ts:
            await surfaces.update_message(
                client, context.application_id, context.channel_id, context.message_ts
            )
        else:
            await surfaces.update_latest_message(client, context.application_id)
        await surfaces.publish_homes(client, team_id, touched)

    for callback_id in (modals.ASSIGN, modals.DUE, modals.NOTE):
        app.view(callback_id)(submitted)


async def _assign(
    runtime: Runtime,
    client: AsyncWebClient,
    team_id: str,
    user_id: str,
    application: Application,
    context: modals.ModalContext,
    view: dict[str, Any],
) -> list[str | None]:
    assignee = _value(view, modals.ASSIGNEE_BLOCK, modals.ASSIGNEE_ACTION).get("selected_user")
    if not assignee:
        raise Refusal("Pick the person who owns this step.")
    person = await runtime.directory.person(client, team_id, assignee)
    if person is None or person.deleted:
        raise Refusal("That person isn't an active member of this workspace; pick someone else.")

    async def assign(session: AsyncSession, current: Application) -> str | None:
        _, old = await svc.assign_step(
            session, current, context.step, assignee, actor_id=user_id, now=runtime.clock()
        )
        return old

    return [await change_application(runtime, application, assign), assignee]


async def _due(
    runtime: Runtime,
    client: AsyncWebClient,
    team_id: str,
    user_id: str,
    application: Application,
    context: modals.ModalContext,
    view: dict[str, Any],
) -> list[str | None]:
    picked = _value(view, modals.DUE_BLOCK, modals.DUE_ACTION).get("selected_date")
    async with runtime.sessions() as session:
        state = await repo.step_for_update(session, context.application_id, context.step)
    assignee = state.assignee_id if state else None
    person = await runtime.directory.person(client, team_id, assignee or user_id)
    now = runtime.clock()
    today = now.astimezone(person.timezone).date() if person else now.date()
    try:
        spec = DueSpec("date", date.fromisoformat(picked)) if picked else DueSpec("none")
    except ValueError:
        raise Refusal("Pick a date from the calendar.") from None
    due_on = resolve_due(spec, today)

    async def set_due(session: AsyncSession, current: Application) -> None:
        await svc.set_due(session, current, context.step, due_on, actor_id=user_id, now=now)

    await change_application(runtime, application, set_due)
    return [assignee]


async def _note(
    runtime: Runtime,
    user_id: str,
    application: Application,
    context: modals.ModalContext,
    view: dict[str, Any],
) -> list[str | None]:
    text = (_value(view, modals.NOTE_BLOCK, modals.NOTE_ACTION).get("value") or "").strip()
    if not text:
        raise Refusal("Write something: an empty note isn't saved.")
    if len(text) > MAX_NOTE:
        raise Refusal(f"That note is {len(text):,} characters; the most is {MAX_NOTE:,}.")

    async def add_note(session: AsyncSession, current: Application) -> str | None:
        await svc.add_note(
            session, current, context.step, text, actor_id=user_id, now=runtime.clock()
        )
        state = await repo.step_for_update(session, context.application_id, context.step)
        return state.assignee_id if state else None

    return [await change_application(runtime, application, add_note)]
