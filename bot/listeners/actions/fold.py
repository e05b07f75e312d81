"""*Expand all*, *Collapse all* and each phase's *Expand*/*Collapse* on a checklist message."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks import checklist as blocks
from bot.followup import FollowUps
from bot.listeners.actions.redraw import clicked, redraw_other
from bot.listeners.answers import answering_refusals
from bot.listeners.payloads import action_value, actor_of, message_blocks
from bot.runtime import Runtime
from bot.usecases import checklist
from bot.usecases.context import Deps


def register(app: AsyncApp, runtime: Runtime, followups: FollowUps) -> None:
    @answering_refusals(runtime)
    async def refold(
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        client: AsyncWebClient,
        respond: AsyncRespond,
    ) -> None:
        """The checklist redrawn folded anew; only for members of the application's channel,
        and only on the application's own message or the clicked copy."""
        await ack()
        found = blocks.fold_after_click(
            action.get("action_id", ""), action_value(action), message_blocks(body)
        )
        if found is None:
            return
        application_id, fold = found
        shown = await checklist.show(
            deps=Deps(runtime, client), actor=actor_of(body), ref=application_id
        )
        application = shown.checklist.application
        channel, ts = application.checklist_channel_id, application.checklist_ts
        where = clicked(body, channel, ts)
        if where.recorded and channel and ts:
            followups.surfaces.redraw_message(client, application.id, channel, ts, fold)
        await redraw_other(where, respond, followups.surfaces, application.id, fold)

    for action_id in (blocks.TOGGLE_PHASE, blocks.EXPAND_ALL, blocks.COLLAPSE_ALL):
        app.action(action_id)(refold)
