"""A reminder DM's controls (Mark done, Snooze, Reassign) and the offer to mark a next step."""

from __future__ import annotations

import contextlib

from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError

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
from bot.listeners.actions.click import Click, on_click
from bot.listeners.actions.step_menu import step_modal
from bot.listeners.payloads import message_blocks, step_target
from bot.runtime import Runtime
from bot.usecases import checklist, steps


async def _answer(click: Click, text: str) -> None:
    """The DM shows the answer: in place of the step's controls when it lists several. Built
    from the click's own blocks, not the outbox row: it goes back only to the clicker's own
    message (its response_url), and every control left in it authorizes again when used."""
    block_id = str(click.action.get("block_id") or "")
    blocks = answered_reminder(message_blocks(click.body), block_id, text)
    extra = {} if blocks is None else {"blocks": blocks}
    await click.answer(replace_original=True, text=text, **extra)


def register(app: AsyncApp, runtime: Runtime, followups: FollowUps) -> None:
    @on_click(runtime)
    async def mark_done(click: Click) -> None:
        target = step_target(click.action)
        if target is None:
            await click.ack()
            return
        application_id, step, _ = target
        marked = await checklist.mark(click.deps, click.actor, application_id, [step])
        await click.ack()  # once committed; then the message itself shows the answer
        if marked.asked is not None:  # a step that announces: nothing changed, it asks first
            await ask(click, marked)
            return
        number = (marked.outcome.changed or marked.outcome.unchanged)[0]
        await _answer(click, reminder_marked(marked.template, number, await click.reader()))
        await followups.after_change(click.client, marked.followup)

    @on_click(runtime)
    async def snooze(click: Click) -> None:
        target = step_target(click.action)
        if target is None:
            await click.ack()
            return
        application_id, step, what = target
        # "snooze:<choice>" from the menu; a bare "snooze" (older DMs' *Snooze 1 day*): tomorrow.
        choice = "tomorrow" if what == "snooze" else what.removeprefix("snooze:")
        snoozed = await steps.snooze(click.deps, click.actor, application_id, step, choice)
        await click.ack()
        t = await click.reader()
        answer = reminder_snoozed(
            snoozed.template, snoozed.step, snoozed.until, snoozed.zone_name, t
        )
        await _answer(click, answer)
        await followups.after_change(click.client, snoozed.followup)

    @on_click(runtime)
    async def reassign(click: Click) -> None:
        await click.ack()
        target = step_target(click.action)
        if target is None:
            return
        application_id, step, _ = target
        menu = await steps.open_step_menu(click.deps, click.actor, application_id, step, "assign")
        view = step_modal(menu, await click.reader())
        # An expired trigger opens nothing; nothing changed, and the button still works.
        with contextlib.suppress(SlackApiError):
            await click.client.views_open(trigger_id=click.body.get("trigger_id", ""), view=view)

    for action_id in (REMINDER_MARK, OFFER_MARK_ACTION):
        app.action(action_id)(mark_done)
    app.action(REMINDER_SNOOZE)(snooze)
    app.action(REMINDER_REASSIGN)(reassign)
