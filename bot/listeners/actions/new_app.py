"""The buttons of the question a second `/onboard new` asks: *Create a second application*
and *Cancel*."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks import replies
from bot.blocks.new_app import CANCEL, CREATE_ANOTHER
from bot.followup import FollowUps
from bot.i18n import translator
from bot.listeners.answers import answering_refusals, reader, respond_to_click
from bot.listeners.payloads import action_value, actor_of, mapping, text
from bot.runtime import Runtime
from bot.services.checklist import template_for
from bot.usecases import checklist, languages
from bot.usecases.context import Actor, Deps


def register(app: AsyncApp, runtime: Runtime, followups: FollowUps) -> None:
    @answering_refusals(runtime)
    async def create_another(
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        client: AsyncWebClient,
        respond: AsyncRespond,
    ) -> None:
        # The question was ephemeral and recorded nothing, so only the click's container says
        # where it was asked. A claim like the name in the button's value: the use case checks
        # the clicker is a member there (access.require_channel_member), as `new` would need.
        channel = text(mapping(body.get("container")).get("channel_id"))
        clicker = actor_of(body)
        actor = Actor(clicker.team_id, clicker.user_id, channel)
        deps = Deps(runtime, client)
        application = await checklist.create_another(deps, actor, action_value(action))
        # Said in the channel, so in its language.
        language = await languages.channel_language(deps, actor.team_id, application.channel_id)
        await ack()
        await respond_to_click(body, respond, delete_original=True)
        await respond_to_click(
            body,
            respond,
            response_type="in_channel",
            replace_original=False,
            text=replies.created(application, template_for(application), translator(language)),
        )

    async def cancel(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond
    ) -> None:
        await ack()
        t = await reader(Deps(runtime, client), actor_of(body))
        text = replies.new_application_cancelled(t)
        await respond_to_click(body, respond, replace_original=True, text=text)

    app.action(CREATE_ANOTHER)(create_another)
    app.action(CANCEL)(cancel)
