"""*Expand all*, *Collapse all* and each phase's *Expand*/*Collapse* on a checklist message."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.blocks import checklist as blocks
from bot.followup import FollowUps
from bot.listeners.actions.click import Click, on_click
from bot.listeners.actions.redraw import clicked, redraw_other
from bot.listeners.payloads import action_value, message_blocks
from bot.runtime import Runtime
from bot.usecases import checklist


def register(app: AsyncApp, runtime: Runtime, followups: FollowUps) -> None:
    @on_click(runtime)
    async def refold(click: Click) -> None:
        """The checklist redrawn folded anew; only for members of the application's channel,
        and only on the application's own message or the clicked copy."""
        await click.ack()
        found = blocks.fold_after_click(
            click.action.get("action_id", ""),
            action_value(click.action),
            message_blocks(click.body),
        )
        if found is None:
            return
        application_id, fold = found
        shown = await checklist.show(deps=click.deps, actor=click.actor, ref=application_id)
        application = shown.checklist.application
        channel, ts = application.checklist_channel_id, application.checklist_ts
        where = clicked(click.body, channel, ts)
        if where.recorded and channel and ts:
            followups.surfaces.redraw_message(click.client, application.id, channel, ts, fold)
        await redraw_other(where, click.respond, followups.surfaces, application.id, fold)

    for action_id in (blocks.TOGGLE_PHASE, blocks.EXPAND_ALL, blocks.COLLAPSE_ALL):
        app.action(action_id)(refold)
