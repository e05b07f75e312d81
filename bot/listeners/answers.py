"""Answering the person who clicked or submitted, in their language: a refusal (nothing was
changed) or a reply through the click's response_url."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.i18n import Translator, translator
from bot.listeners.payloads import actor_of, text
from bot.runtime import Runtime
from bot.services.errors import Refusal
from bot.usecases.context import Actor, Deps
from bot.usecases.languages import person_language


async def reader(deps: Deps, actor: Actor) -> Translator:
    """The translator of the person who clicked or submitted: what only they see is in their
    language."""
    return translator(await person_language(deps, actor.team_id, actor.user_id))


def said(error: Any, t: Translator) -> str:
    """What a `Refusal` or a parse error says, in the reader's language when it can say it so
    (`.text(t)`); else its `.message` as written."""
    text_in = getattr(error, "text", None)
    return text_in(t) if callable(text_in) else str(getattr(error, "message", error))


async def told(deps: Deps, actor: Actor, error: Any) -> str:
    """`said` to `actor`, in their language; their language is asked only of an error that
    can say itself in it (one that cannot costs no lookup)."""
    if not callable(getattr(error, "text", None)):
        return str(getattr(error, "message", error))
    return said(error, await reader(deps, actor))


async def said_to(runtime: Runtime, client: AsyncWebClient, body: dict, error: Any) -> str:
    """`told` to whoever clicked or submitted `body`."""
    return await told(Deps(runtime, client), actor_of(body), error)


async def respond_to_click(body: dict[str, Any], respond: AsyncRespond, **message: Any) -> None:
    """Answer through the click's response_url; a click on App Home or in a modal has none,
    and Bolt's `respond` raises without one."""
    if text(body.get("response_url")):
        await respond(**message)


ActionHandler = Callable[[AsyncAck, dict, dict, AsyncWebClient, AsyncRespond], Awaitable[None]]


def answering_refusals(runtime: Runtime) -> Callable[[ActionHandler], ActionHandler]:
    """A block action listener that answers a `Refusal` with an ephemeral message to the
    clicker (nothing was changed), in the clicker's language. A handler that changes something
    acks once the change is committed; one that only opens or shows something may ack first (a
    second ack is harmless)."""

    def answering(handler: ActionHandler) -> ActionHandler:
        async def listener(
            ack: AsyncAck,
            body: dict[str, Any],
            action: dict[str, Any],
            client: AsyncWebClient,
            respond: AsyncRespond,
        ) -> None:
            try:
                await handler(ack, body, action, client, respond)
            except Refusal as refusal:
                await ack()
                clicker = actor_of(body)
                message = await told(Deps(runtime, client), clicker, refusal)
                if text(body.get("response_url")):
                    await respond(response_type="ephemeral", replace_original=False, text=message)
                elif clicker.user_id:  # App Home has no response_url: tell them in the app's DM
                    await client.chat_postMessage(channel=clicker.user_id, text=message)

        listener.__name__ = handler.__name__
        return listener

    return answering
