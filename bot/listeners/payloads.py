"""Reading what every interaction payload carries, and answering a refusal the way each kind
of listener must. Nothing here trusts a channel or message named by the payload: it reads who
clicked, in which workspace, and the ids a use case will check."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks.checklist import parse_action_value
from bot.services.errors import Refusal
from bot.usecases.context import Actor


def actor_of(body: dict[str, Any]) -> Actor:
    """Who clicked or submitted, in which workspace (block actions and view submissions)."""
    user = body.get("user") or {}
    team = (body.get("team") or {}).get("id") or user.get("team_id", "")
    return Actor(team_id=team, user_id=user.get("id", ""))


def action_target(action: dict[str, Any]) -> tuple[int, str, str] | None:
    """(application id, step or phase, what) of a button's value or a menu's chosen option."""
    value = action.get("value") or (action.get("selected_option") or {}).get("value") or ""
    return parse_action_value(value)


ActionHandler = Callable[[AsyncAck, dict, dict, AsyncWebClient, AsyncRespond], Awaitable[None]]


def answering_refusals(handler: ActionHandler) -> ActionHandler:
    """A block action listener that answers a `Refusal` with an ephemeral message to the
    clicker (nothing was changed). A handler that changes something acks once the change is
    committed; one that only opens or shows something may ack first (a second ack is
    harmless)."""

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
            if body.get("response_url"):
                await respond(
                    response_type="ephemeral", replace_original=False, text=refusal.message
                )
            else:  # App Home has no response_url: tell the clicker in the app's DM
                await client.chat_postMessage(channel=actor_of(body).user_id, text=refusal.message)

    listener.__name__ = handler.__name__
    return listener
