"""A reminder DM's controls (Mark done, Snooze, Reassign) and the offer to mark a next step."""

from __future__ import annotations

import contextlib
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks.credentials import OFFER_MARK_ACTION
from bot.blocks.notifications import (
    REMINDER_MARK,
    REMINDER_REASSIGN,
    REMINDER_SNOOZE,
    answered_reminder,
)
from bot.blocks.replies import reminder_marked, reminder_snoozed
from bot.followup import FollowUps
from bot.listeners.actions.announce import ask
from bot.listeners.actions.step_menu import step_modal
from bot.listeners.answers import answering_refusals, reader, respond_to_click
from bot.listeners.payloads import actor_of, message_blocks, step_target
from bot.runtime import Runtime
from bot.usecases import checklist, steps
from bot.usecases.context import Deps


async def _answer(
    body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond, text: str
) -> None:
    """The DM shows the answer: in place of the step's controls when it lists several. Built
    from the click's own blocks, not the outbox row: it goes back only to the clicker's own
    message (its response_url), and every control left in it authorizes again when used."""
    blocks = answered_reminder(message_blocks(body), str(action.get("block_id") or ""), text)
    extra = {} if blocks is None else {"blocks": blocks}
    await respond_to_click(body, respond, replace_original=True, text=text, **extra)


def register(app: AsyncApp, runtime: Runtime, followups: FollowUps) -> None:
    @answering_refusals(runtime)
    async def mark_done(
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        client: AsyncWebClient,
        respond: AsyncRespond,
    ) -> None:
        target = step_target(action)
        if target is None:
            await ack()
            return
        application_id, step, _ = target
        deps, actor = Deps(runtime, client), actor_of(body)
        marked = await checklist.mark(deps, actor, application_id, [step])
        await ack()  # once committed; then the message itself shows the answer
        if marked.asked is not None:  # a step that announces: nothing changed, it asks first
            await ask(body, respond, client, marked)
            return
        number = (marked.outcome.changed or marked.outcome.unchanged)[0]
        await _answer(
            body,
            action,
            respond,
            reminder_marked(marked.template, number, await reader(deps, actor)),
        )
        await followups.after_change(client, marked.followup)

    @answering_refusals(runtime)
    async def snooze(
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        client: AsyncWebClient,
        respond: AsyncRespond,
    ) -> None:
        target = step_target(action)
        if target is None:
            await ack()
            return
        application_id, step, what = target
        # "snooze:<choice>" from the menu; a bare "snooze" (older DMs' *Snooze 1 day*): tomorrow.
        choice = "tomorrow" if what == "snooze" else what.removeprefix("snooze:")
        deps = Deps(runtime, client)
        snoozed = await steps.snooze(deps, actor := actor_of(body), application_id, step, choice)
        await ack()
        t = await reader(deps, actor)
        answer = reminder_snoozed(
            snoozed.template, snoozed.step, snoozed.until, snoozed.zone_name, t
        )
        await _answer(body, action, respond, answer)
        await followups.after_change(client, snoozed.followup)

    @answering_refusals(runtime)
    async def reassign(
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        client: AsyncWebClient,
        respond: AsyncRespond,
    ) -> None:
        await ack()
        target = step_target(action)
        if target is None:
            return
        application_id, step, _ = target
        deps, actor = Deps(runtime, client), actor_of(body)
        menu = await steps.open_step_menu(deps, actor, application_id, step, "assign")
        view = step_modal(menu, await reader(deps, actor))
        # An expired trigger opens nothing; nothing changed, and the button still works.
        with contextlib.suppress(SlackApiError):
            await client.views_open(trigger_id=body.get("trigger_id", ""), view=view)

    for action_id in (REMINDER_MARK, OFFER_MARK_ACTION):
        app.action(action_id)(mark_done)
    app.action(REMINDER_SNOOZE)(snooze)
    app.action(REMINDER_REASSIGN)(reassign)
