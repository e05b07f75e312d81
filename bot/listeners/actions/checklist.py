"""*Mark done* / *Undo* on the checklist message and on App Home. *Mark done* on a step that
announces may ask first (bot/listeners/actions/announce.py): the same question as the command,
ephemeral, so the choice goes through the same buttons and the same use case."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.blocks import checklist as blocks
from bot.blocks.home import MARK_FROM_HOME
from bot.followup import FollowUps
from bot.listeners.actions.announce import ask
from bot.listeners.actions.click import Click, on_click
from bot.listeners.actions.redraw import clicked, redraw_other
from bot.listeners.payloads import step_target
from bot.runtime import Runtime
from bot.usecases import checklist


def register(app: AsyncApp, runtime: Runtime, followups: FollowUps) -> None:
    @on_click(runtime)
    async def toggle_step(click: Click) -> None:
        target = step_target(click.action)
        if target is None or target[2] not in ("mark", "unmark"):
            await click.ack()
            return
        application_id, step, what = target
        if what == "mark":
            done = await checklist.mark(click.deps, click.actor, application_id, [step])
        else:
            done = await checklist.unmark(click.deps, click.actor, application_id, [step])
        # Acknowledged only once the change is committed, so a crash cannot lose a click.
        await click.ack()
        if done.asked is not None:  # nothing changed: the question is the answer
            await ask(click, done)
            return
        application = done.followup.application
        where = clicked(click.body, application.checklist_channel_id, application.checklist_ts)
        await followups.after_change(
            click.client,
            done.followup,
            fold=where.fold if where.recorded else None,
            homes=[click.actor.user_id] if where.on_home else [],
        )
        await redraw_other(where, click.respond, followups.surfaces, application.id)

    app.action(blocks.TOGGLE_STEP)(toggle_step)
    app.action(MARK_FROM_HOME)(toggle_step)
