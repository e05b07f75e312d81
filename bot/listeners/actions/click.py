"""A click on a button or menu as every block-action listener takes it: Bolt's arguments, and
the `Deps` and `Actor` its use case is called with, so that a listener states only what is its
own (which value it reads, which use case it calls, what it answers).

The actor is who clicked, in which workspace (payloads.actor_of), never a channel or message
the payload names; the use case authorizes the clicker. A `Refusal` is told to the clicker
alone, in their language: nothing was changed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.i18n import Translator
from bot.listeners.answers import reader, respond_to_click, told
from bot.listeners.payloads import actor_of, text
from bot.runtime import Runtime
from bot.services.errors import Refusal
from bot.usecases.context import Actor, Deps


@dataclass(frozen=True, slots=True)
class Click:
    ack: AsyncAck
    body: dict[str, Any]
    action: dict[str, Any]
    client: AsyncWebClient
    respond: AsyncRespond
    deps: Deps
    actor: Actor  # who clicked, in which workspace; no channel

    async def reader(self) -> Translator:
        """The clicker's translator: what only they see is in their language."""
        return await reader(self.deps, self.actor)

    async def answer(self, **message: Any) -> None:
        """Answer through the click's response_url (a click on App Home or in a modal has
        none, and then nothing is said)."""
        await respond_to_click(self.body, self.respond, **message)


ClickHandler = Callable[[Click], Awaitable[None]]
BlockActionListener = Callable[
    [AsyncAck, dict[str, Any], dict[str, Any], AsyncWebClient, AsyncRespond], Awaitable[None]
]


def on_click(runtime: Runtime) -> Callable[[ClickHandler], BlockActionListener]:
    """A block action listener made of `handler(click)` that answers a `Refusal` with an
    ephemeral message to the clicker (in the app's DM from App Home, which has no
    response_url). A handler that changes something acks once the change is committed; one
    that only opens or shows something may ack first (a second ack is harmless)."""

    def listening(handler: ClickHandler) -> BlockActionListener:
        # Bolt passes a listener the arguments its signature names: these five, spelled out.
        async def listener(
            ack: AsyncAck,
            body: dict[str, Any],
            action: dict[str, Any],
            client: AsyncWebClient,
            respond: AsyncRespond,
        ) -> None:
            clicker = actor_of(body)
            click = Click(ack, body, action, client, respond, Deps(runtime, client), clicker)
            try:
                await handler(click)
            except Refusal as refusal:
                await ack()
                message = await told(click.deps, clicker, refusal)
                if text(body.get("response_url")):
                    await respond(response_type="ephemeral", replace_original=False, text=message)
                elif clicker.user_id:  # App Home has no response_url: tell them in the app's DM
                    await client.chat_postMessage(channel=clicker.user_id, text=message)

        listener.__name__ = handler.__name__
        return listener

    return listening
