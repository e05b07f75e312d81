"""The step menu on the checklist message: opens the modal for the chosen step and choice."""

from __future__ import annotations

import logging

from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError

from bot.blocks import checklist as blocks
from bot.blocks import modals
from bot.followup import FollowUps
from bot.i18n import Translator
from bot.listeners.actions.click import Click, on_click
from bot.listeners.payloads import step_target
from bot.runtime import Runtime
from bot.usecases import steps

logger = logging.getLogger(__name__)


def step_modal(menu: steps.StepMenu, t: Translator):
    """The modal a step menu choice opens, in its reader's language."""
    name, step = menu.application.name, menu.step
    context = modals.ModalContext(application_id=menu.application.id, step=step.number)
    if menu.choice == "guide":
        return modals.guide_modal(name, step, menu.template.guide_url, t)
    if menu.choice == "assign":
        return modals.assign_modal(context, name, step, menu.assignee_id, t)
    if menu.choice == "due":
        return modals.due_modal(context, name, step, menu.due_on, menu.zone_name, t)
    return modals.note_modal(context, name, step, t)


def register(app: AsyncApp, runtime: Runtime, followups: FollowUps) -> None:
    @on_click(runtime)
    async def step_menu(click: Click) -> None:
        await click.ack()
        target = step_target(click.action)
        if target is None:
            return
        application_id, step, choice = target
        menu = await steps.open_step_menu(click.deps, click.actor, application_id, step, choice)
        view = step_modal(menu, await click.reader())
        try:
            await click.client.views_open(trigger_id=click.body.get("trigger_id", ""), view=view)
        except SlackApiError as e:
            logger.warning("step menu modal not opened: %s", e.response["error"])

    app.action(blocks.STEP_MENU)(step_menu)
