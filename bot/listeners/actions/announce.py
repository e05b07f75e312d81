"""Asking before a mark announces, and the answer: *Announce* / *Mark without announcing* /
*Cancel* on the preview. The buttons carry only the application and the steps; the mark
use case authorizes the clicker as it does the command."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks import announce as blocks
from bot.followup import FollowUps
from bot.listeners.answers import answering_refusals, respond_to_click
from bot.listeners.payloads import STEP_NUMBER, action_value, actor_of, text
from bot.runtime import Runtime
from bot.usecases import checklist
from bot.usecases.context import Deps


async def ask(
    body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient, marked: checklist.Marked
) -> None:
    """Show the clicker the question a mark asked (nothing was changed): ephemeral where the
    click has a response_url, in the app's DM from App Home (which has none)."""
    assert marked.asked is not None
    question_text, question_blocks = blocks.preview(marked.template, marked.asked)
    if text(body.get("response_url")):
        await respond(
            response_type="ephemeral",
            replace_original=False,
            text=question_text,
            blocks=question_blocks,
        )
    else:
        clicker = actor_of(body).user_id
        await client.chat_postMessage(channel=clicker, text=question_text, blocks=question_blocks)


def choice_of(action: dict[str, Any]) -> tuple[int, list[str], str] | None:
    parsed = blocks.parse_choice_value(action_value(action))
    if parsed is None or not all(STEP_NUMBER.fullmatch(s) for s in parsed[1]):
        return None
    return parsed


def register(app: AsyncApp, runtime: Runtime, followups: FollowUps) -> None:
    @answering_refusals(runtime)
    async def choose(
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        client: AsyncWebClient,
        respond: AsyncRespond,
    ) -> None:
        choice = choice_of(action)
        if choice is None or choice[2] == "cancel":
            await ack()
            if choice is not None:  # the question goes; nothing was changed
                await respond_to_click(body, respond, delete_original=True)
            return
        application_id, steps, what = choice
        actor = actor_of(body)
        done = await checklist.mark(
            Deps(runtime, client), actor, application_id, steps, announce=what == "announce"
        )
        await ack()  # once committed
        answer = blocks.chosen(
            done.template, list(done.about), what, done.already_done_by, actor.user_id
        )
        await respond_to_click(body, respond, replace_original=True, text=answer)
        await followups.after_change(client, done.followup)

    for action_id in blocks.CHOICES:
        app.action(action_id)(choose)
