"""Clicks on the checklist message and the App Home: mark, unmark, fold, open the step menu."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncSession

from bot.blocks import checklist as blocks
from bot.blocks import modals, replies
from bot.blocks.home import MARK_FROM_HOME
from bot.listeners.access import (
    Refusal,
    application_for_click,
    change_application,
    require_member,
    team_of,
)
from bot.runtime import Runtime
from bot.services import checklist as svc
from bot.surfaces import Surfaces
from storage import repositories as repo
from storage.models import Application

logger = logging.getLogger(__name__)


async def _refuse(respond: AsyncRespond, message: str) -> None:
    await respond(response_type="ephemeral", replace_original=False, text=message)


def register(app: AsyncApp, runtime: Runtime, surfaces: Surfaces) -> None:
    async def toggle_step(
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        client: AsyncWebClient,
        respond: AsyncRespond,
    ) -> None:
        parsed = blocks.parse_action_value(action.get("value", ""))
        if parsed is None or parsed[2] not in ("mark", "unmark"):
            await ack()
            return
        application_id, step, what = parsed
        user_id, team_id = body["user"]["id"], team_of(body)
        try:
            application = await application_for_click(runtime, application_id, team_of(body))
            await require_member(runtime, client, team_id, user_id, application)

            async def toggle(
                session: AsyncSession, current: Application
            ) -> tuple[svc.MarkOutcome, str | None]:
                if what == "mark":
                    outcome = await svc.mark_steps(
                        session,
                        current,
                        [step],
                        actor_id=user_id,
                        now=runtime.clock(),
                        keyring=runtime.keyring,
                    )
                else:
                    outcome = await svc.unmark_steps(
                        session, current, [step], actor_id=user_id, now=runtime.clock()
                    )
                steps = await repo.steps_for_change(session, application_id)
                return outcome, next((s.assignee_id for s in steps if s.step == step), None)

            outcome, assignee = await change_application(runtime, application, toggle)
        except Refusal as refusal:
            await ack()
            await _refuse(respond, refusal.message)
            return
        # Acknowledged only once the change is committed, so a crash cannot lose a click.
        await ack()
        await _refresh_after_click(body, client, respond, surfaces, application_id)
        await surfaces.publish_homes(client, team_id, [assignee])
        if outcome.enqueued:
            await runtime.kick_outbox()

    async def refold(
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        client: AsyncWebClient,
        respond: AsyncRespond,
    ) -> None:
        """Expand or collapse one phase, or all of them; the message is redrawn folded so."""
        await ack()
        found = _fold_for(action, _message_blocks(body))
        if found is None:
            return
        application_id, fold = found
        if not await _refresh_after_click(body, client, respond, surfaces, application_id, fold):
            await _refuse(respond, "This checklist's application was deleted.")

    async def step_menu(
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        client: AsyncWebClient,
        respond: AsyncRespond,
    ) -> None:
        await ack()
        parsed = blocks.parse_action_value((action.get("selected_option") or {}).get("value", ""))
        if parsed is None:
            return
        application_id, step, what = parsed
        user_id, team_id = body["user"]["id"], team_of(body)
        try:
            application = await application_for_click(runtime, application_id, team_of(body))
            template = svc.template_for(application)
            if not template.has_step(step):
                raise Refusal(f"Step {step} is not in this application's checklist.")
            if what == "guide":
                view = modals.guide_modal(application.name, template.step(step), template.guide_url)
            else:
                await require_member(runtime, client, team_id, user_id, application)
                view = await _step_modal(runtime, client, team_id, body, application, step, what)
            await client.views_open(trigger_id=body["trigger_id"], view=view)
        except Refusal as refusal:
            await _refuse(respond, refusal.message)
        except SlackApiError as e:
            logger.warning("step menu modal not opened: %s", e.response["error"])

    app.action(blocks.TOGGLE_STEP)(toggle_step)
    app.action(MARK_FROM_HOME)(toggle_step)
    for action_id in (blocks.TOGGLE_PHASE, blocks.EXPAND_ALL, blocks.COLLAPSE_ALL):
        app.action(action_id)(refold)
    app.action(blocks.STEP_MENU)(step_menu)


def _fold_for(
    action: dict[str, Any], message_blocks: list[dict[str, Any]]
) -> tuple[int, blocks.Fold] | None:
    """(application, new fold) for a fold button, from the message's current fold."""
    if action["action_id"] == blocks.TOGGLE_PHASE:
        parsed = blocks.parse_action_value(action.get("value", ""))
        if parsed is None or not parsed[1].isdigit():
            return None
        application_id, phase, what = parsed
        fold = blocks.fold_from_blocks(message_blocks).with_phase(int(phase), what == "expand")
        return application_id, fold
    value = action.get("value", "")
    if not value.isdigit():
        return None
    phases = [
        int(b["block_id"].split(":")[1])
        for b in message_blocks
        if b.get("block_id", "").startswith("phase:")
    ]
    return int(value), blocks.Fold.all(phases, action["action_id"] == blocks.EXPAND_ALL)


def _message_blocks(body: dict[str, Any]) -> list[dict[str, Any]]:
    return (body.get("message") or {}).get("blocks") or []


async def _refresh_after_click(
    body: dict[str, Any],
    client: AsyncWebClient,
    respond: AsyncRespond,
    surfaces: Surfaces,
    application_id: int,
    fold: blocks.Fold | None = None,
) -> bool:
    """Redraw the surface that was clicked: a channel message, an ephemeral one, or Home.
    False when the application is gone."""
    container = body.get("container") or {}
    if fold is None:
        fold = blocks.fold_from_blocks(_message_blocks(body))
    if container.get("type") == "view":  # App Home: republish it for the clicker
        await surfaces.publish_home(client, team_of(body), body["user"]["id"])
        return True
    if container.get("is_ephemeral"):
        rendered = await surfaces.render_checklist(application_id, fold)
        if rendered is None:
            return False
        await respond(replace_original=True, text=rendered.text, blocks=rendered.blocks)
        return True
    channel_id, ts = container.get("channel_id"), container.get("message_ts")
    if not (channel_id and ts):
        return True
    return await surfaces.update_message(client, application_id, channel_id, ts, fold)


async def _step_modal(
    runtime: Runtime,
    client: AsyncWebClient,
    team_id: str,
    body: dict[str, Any],
    application,
    step: str,
    what: str,
):
    container = body.get("container") or {}
    context = modals.ModalContext(
        application_id=application.id,
        step=step,
        channel_id=None if container.get("is_ephemeral") else container.get("channel_id"),
        message_ts=None if container.get("is_ephemeral") else container.get("message_ts"),
    )
    template = svc.template_for(application)
    async with runtime.sessions() as session:
        state = await repo.step_for_update(session, application.id, step)
    assert state is not None
    if what == "assign":
        return modals.assign_modal(
            context, application.name, template.step(step), state.assignee_id
        )
    if what == "due":
        whose = state.assignee_id or body["user"]["id"]
        person = await runtime.directory.person(client, team_id, whose)
        zone = str(person.timezone) if person else "UTC"
        return modals.due_modal(context, application.name, template.step(step), state.due_on, zone)
    if what == "note":
        return modals.note_modal(context, application.name, template.step(step))
    raise Refusal(f"`{what}` is not something the step menu does.")


def register_history(app: AsyncApp, runtime: Runtime) -> None:
    async def older_history(
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        client: AsyncWebClient,
        respond: AsyncRespond,
    ) -> None:
        await ack()
        parts = action.get("value", "").split("|")
        if len(parts) != 3 or not parts[0].isdigit() or not parts[2].isdigit():
            return
        application_id, step, before_id = int(parts[0]), parts[1] or None, int(parts[2])
        try:
            application = await application_for_click(runtime, application_id, team_of(body))
            await require_member(runtime, client, team_of(body), body["user"]["id"], application)
            async with runtime.sessions() as session:
                events, more = await svc.history(session, application, step, before_id=before_id)
        except Refusal as refusal:
            await _refuse(respond, refusal.message)
            return
        text, history_blocks = replies.history_blocks(application, events, step, more, older=True)
        await respond(replace_original=True, text=text, blocks=history_blocks)

    app.action(replies.OLDER_HISTORY)(older_history)
