"""The buttons of the question a second `/onboard new` asks: *Create a second application*
and *Cancel*."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.blocks import replies
from bot.blocks.new_app import CANCEL, CREATE_ANOTHER
from bot.followup import FollowUps
from bot.i18n import translator
from bot.listeners.actions.click import Click, on_click
from bot.listeners.payloads import action_value, mapping, text
from bot.runtime import Runtime
from bot.services.checklist import template_for
from bot.usecases import checklist, languages
from bot.usecases.context import Actor


def register(app: AsyncApp, runtime: Runtime, followups: FollowUps) -> None:
    @on_click(runtime)
    async def create_another(click: Click) -> None:
        # The question was ephemeral and recorded nothing, so only the click's container says
        # where it was asked. A claim like the name in the button's value: the use case checks
        # the clicker is a member there (access.require_channel_member), as `new` would need.
        channel = text(mapping(click.body.get("container")).get("channel_id"))
        actor = Actor(click.actor.team_id, click.actor.user_id, channel)
        deps = click.deps
        application = await checklist.create_another(deps, actor, action_value(click.action))
        # Said in the channel, so in its language.
        language = await languages.channel_language(deps, actor.team_id, application.channel_id)
        await click.ack()
        await click.answer(delete_original=True)
        await click.answer(
            response_type="in_channel",
            replace_original=False,
            text=replies.created(application, template_for(application), translator(language)),
        )

    @on_click(runtime)
    async def cancel(click: Click) -> None:
        await click.ack()
        await click.answer(
            replace_original=True, text=replies.new_application_cancelled(await click.reader())
        )

    app.action(CREATE_ANOTHER)(create_another)
    app.action(CANCEL)(cancel)
