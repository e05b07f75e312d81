"""Submissions of the step menu's modals: assign, due date, note.

A bad value or a refusal comes back as an inline error on the form's field and changes
nothing; a good one is committed before the modal closes.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks import modals
from bot.followup import FollowUps
from bot.i18n import N_
from bot.listeners.answers import told
from bot.listeners.payloads import actor_of, submitted_view
from bot.runtime import Runtime
from bot.services.due_dates import DueSpec
from bot.services.errors import Refusal
from bot.usecases import steps
from bot.usecases.context import Deps

FIELDS = {
    modals.ASSIGN: modals.ASSIGNEE_BLOCK,
    modals.DUE: modals.DUE_BLOCK,
    modals.NOTE: modals.NOTE_BLOCK,
}


def _input(view: dict[str, Any], block: str, action: str) -> dict[str, Any]:
    values = (view.get("state") or {}).get("values") or {}
    return (values.get(block) or {}).get(action) or {}


def _due(view: dict[str, Any]) -> DueSpec:
    picked = _input(view, modals.DUE_BLOCK, modals.DUE_ACTION).get("selected_date")
    try:
        return DueSpec("date", date.fromisoformat(picked)) if picked else DueSpec("none")
    except (TypeError, ValueError):
        raise Refusal(N_("Pick a date from the calendar.")) from None


def register(app: AsyncApp, runtime: Runtime, followups: FollowUps) -> None:
    async def submitted(
        ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
    ) -> None:
        view = submitted_view(view)
        callback_id = view["callback_id"]
        field = FIELDS[callback_id]  # Bolt routes only these here
        context = modals.ModalContext.decode(view["private_metadata"])
        deps, actor = Deps(runtime, client), actor_of(body)
        try:
            if context is None:
                raise Refusal(N_("This form is damaged; reopen it."))
            app_id, step = context.application_id, context.step
            if callback_id == modals.ASSIGN:
                picked = _input(view, modals.ASSIGNEE_BLOCK, modals.ASSIGNEE_ACTION)
                if not picked.get("selected_user"):
                    raise Refusal(N_("Pick the person who owns this step."))
                done = await steps.assign(deps, actor, app_id, step, picked["selected_user"])
            elif callback_id == modals.DUE:
                done = await steps.set_due(deps, actor, app_id, step, _due(view))
            else:
                text = _input(view, modals.NOTE_BLOCK, modals.NOTE_ACTION).get("value") or ""
                done = await steps.add_note(deps, actor, app_id, step, text)
        except Refusal as refusal:
            message = await told(deps, actor, refusal)
            await ack(response_action="errors", errors={field: message[:2000]})
            return
        await ack()
        await followups.after_change(client, done.followup)

    for callback_id in FIELDS:
        app.view(callback_id)(submitted)
