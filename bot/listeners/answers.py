"""Answering the person who clicked or submitted, in their language: a refusal (nothing was
changed) or a reply through the click's response_url."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.i18n import Translator, translator
from bot.listeners.payloads import actor_of, text
from bot.runtime import Runtime
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
