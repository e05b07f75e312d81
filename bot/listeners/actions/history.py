"""The *Older* button under a history reply."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks import replies
from bot.followup import FollowUps
from bot.listeners.answers import answering_refusals, reader, respond_to_click
from bot.listeners.payloads import action_value, actor_of
from bot.runtime import Runtime
from bot.usecases import checklist
from bot.usecases.context import Deps


def register(app: AsyncApp, runtime: Runtime, _followups: FollowUps) -> None:
    @answering_refusals(runtime)
    async def older_history(
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        client: AsyncWebClient,
        respond: AsyncRespond,
    ) -> None:
        await ack()
        parsed = replies.parse_older_value(action_value(action))
        if parsed is None:
            return
        application_id, step, before_id = parsed
        deps, actor = Deps(runtime, client), actor_of(body)
        page = await checklist.history(deps, actor, application_id, step, before_id)
        t = await reader(deps, actor)
        text, blocks = replies.history_blocks(
            page.application, page.events, page.step, page.more, older=True, zone=page.zone, t=t
        )
        await respond_to_click(body, respond, replace_original=True, text=text, blocks=blocks)

    app.action(replies.OLDER_HISTORY)(older_history)
