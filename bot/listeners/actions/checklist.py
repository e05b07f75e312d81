"""*Mark done* / *Undo* on the checklist message and on App Home. *Mark done* on a step that
announces may ask first (bot/listeners/actions/announce.py): the same question as the command,
ephemeral, so the choice goes through the same buttons and the same use case."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks import checklist as blocks
from bot.blocks.home import MARK_FROM_HOME
from bot.followup import FollowUps
from bot.listeners.actions.announce import ask
from bot.listeners.actions.redraw import clicked, redraw_other
from bot.listeners.answers import answering_refusals
from bot.listeners.payloads import actor_of, step_target
from bot.runtime import Runtime
from bot.usecases import checklist
from bot.usecases.context import Deps


def register(app: AsyncApp, runtime: Runtime, followups: FollowUps) -> None:
    @answering_refusals(runtime)
    async def toggle_step(
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        client: AsyncWebClient,
        respond: AsyncRespond,
    ) -> None:
        target = step_target(action)
        if target is None or target[2] not in ("mark", "unmark"):
            await ack()
            return
        application_id, step, what = target
        deps, actor = Deps(runtime, client), actor_of(body)
        if what == "mark":
            done = await checklist.mark(deps, actor, application_id, [step])
        else:
            done = await checklist.unmark(deps, actor, application_id, [step])
        # Acknowledged only once the change is committed, so a crash cannot lose a click.
        await ack()
        if done.asked is not None:  # nothing changed: the question is the answer
            await ask(body, respond, client, done)
            return
        application = done.followup.application
        where = clicked(body, application.checklist_channel_id, application.checklist_ts)
        await followups.after_change(
            client,
            done.followup,
            fold=where.fold if where.recorded else None,
            homes=[actor.user_id] if where.on_home else [],
        )
        await redraw_other(where, respond, followups.surfaces, application.id)

    app.action(blocks.TOGGLE_STEP)(toggle_step)
    app.action(MARK_FROM_HOME)(toggle_step)
