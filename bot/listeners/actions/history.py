"""The *Older* button under a history reply."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.blocks import replies
from bot.followup import FollowUps
from bot.listeners.actions.click import Click, on_click
from bot.listeners.payloads import action_value
from bot.runtime import Runtime
from bot.usecases import checklist


def register(app: AsyncApp, runtime: Runtime, _followups: FollowUps) -> None:
    @on_click(runtime)
    async def older_history(click: Click) -> None:
        await click.ack()
        parsed = replies.parse_older_value(action_value(click.action))
        if parsed is None:
            return
        application_id, step, before_id = parsed
        page = await checklist.history(click.deps, click.actor, application_id, step, before_id)
        t = await click.reader()
        text, blocks = replies.history_blocks(
            page.application, page.events, page.step, page.more, older=True, zone=page.zone, t=t
        )
        await click.answer(replace_original=True, text=text, blocks=blocks)

    app.action(replies.OLDER_HISTORY)(older_history)
