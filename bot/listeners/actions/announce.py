"""Asking before a mark announces, and the answer: *Announce* / *Mark without announcing* /
*Cancel* on the preview. The buttons carry only the application and the steps; the mark
use case authorizes the clicker as it does the command."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.blocks import announce as blocks
from bot.followup import FollowUps
from bot.listeners.actions.click import Click, on_click
from bot.listeners.payloads import STEP_NUMBER, action_value, text
from bot.runtime import Runtime
from bot.usecases import checklist


async def ask(click: Click, marked: checklist.Marked) -> None:
    """Show the clicker the question a mark asked (nothing was changed): ephemeral where the
    click has a response_url, in the app's DM from App Home (which has none)."""
    assert marked.asked is not None
    question_text, question_blocks = blocks.preview(marked.template, marked.asked)
    if text(click.body.get("response_url")):
        await click.respond(
            response_type="ephemeral",
            replace_original=False,
            text=question_text,
            blocks=question_blocks,
        )
    else:
        await click.client.chat_postMessage(
            channel=click.actor.user_id, text=question_text, blocks=question_blocks
        )


def choice_of(action: dict[str, Any]) -> tuple[int, list[str], str] | None:
    parsed = blocks.parse_choice_value(action_value(action))
    if parsed is None or not all(STEP_NUMBER.fullmatch(s) for s in parsed[1]):
        return None
    return parsed


def register(app: AsyncApp, runtime: Runtime, followups: FollowUps) -> None:
    @on_click(runtime)
    async def choose(click: Click) -> None:
        choice = choice_of(click.action)
        if choice is None or choice[2] == "cancel":
            await click.ack()
            if choice is not None:  # the question goes; nothing was changed
                await click.answer(delete_original=True)
            return
        application_id, steps, what = choice
        done = await checklist.mark(
            click.deps, click.actor, application_id, steps, announce=what == "announce"
        )
        await click.ack()  # once committed
        answer = blocks.chosen(
            done.template, list(done.about), what, done.already_done_by, click.actor.user_id
        )
        await click.answer(replace_original=True, text=answer)
        await followups.after_change(click.client, done.followup)

    for action_id in blocks.CHOICES:
        app.action(action_id)(choose)
