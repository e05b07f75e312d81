"""The `/onboard` slash command: parse, run the subcommand, answer in the ack."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks import replies
from bot.command_parser import ParseError, parse_command
from bot.followup import FollowUps
from bot.i18n import ENGLISH_TRANSLATOR, Translator
from bot.listeners.after_ack import after_ack
from bot.listeners.answers import told
from bot.listeners.commands.subcommands import HANDLERS, Reply, Request
from bot.runtime import Runtime
from bot.services.errors import Refusal
from bot.usecases.context import Actor, Deps

logger = logging.getLogger(__name__)

FAILED = replies.FAILED
FOLLOW_UP_FAILED = replies.FOLLOW_UP_FAILED


async def _reader(request: Request) -> Translator:
    """The person's translator for a failure: English if even their language can't be had
    (the failure may be Slack's or the database's)."""
    try:
        return await request.t()
    except Exception:
        logger.exception("/onboard: no language for a failure message")
        return ENGLISH_TRANSLATOR


def _ack_body(reply: Reply) -> dict[str, Any]:
    body: dict[str, Any] = {
        "response_type": "in_channel" if reply.in_channel else "ephemeral",
        "text": reply.text,
    }
    if reply.blocks is not None:
        body["blocks"] = reply.blocks
    return body


async def handle_onboard(
    runtime: Runtime,
    followups: FollowUps,
    ack: AsyncAck,
    command: dict[str, Any],
    client: AsyncWebClient,
    respond: AsyncRespond,
) -> None:
    parsed = parse_command(command.get("text") or "")
    request = Request(
        deps=Deps(runtime, client),
        actor=Actor(
            team_id=command.get("team_id") or "",
            user_id=command.get("user_id") or "",
            channel_id=command.get("channel_id") or "",
        ),
        trigger_id=command.get("trigger_id") or "",
        respond=respond,
        followups=followups,
    )
    if isinstance(parsed, ParseError):
        await ack(response_type="ephemeral", text=await told(request.deps, request.actor, parsed))
        return
    try:
        reply = await HANDLERS[type(parsed)](request, parsed)
    except Refusal as refusal:
        await ack(response_type="ephemeral", text=await told(request.deps, request.actor, refusal))
        return
    except Exception:
        logger.exception("/onboard %s failed", type(parsed).__name__)
        await ack(response_type="ephemeral", text=(await _reader(request))._(FAILED))
        return
    if reply.text or reply.blocks:
        await ack(**_ack_body(reply))
    else:
        await ack()
    if reply.after is not None:
        # After the answer: Bolt (process_before_response, bot/app.py) answers Slack only once
        # this returns.
        after_ack(_follow_up(request, reply.after, respond, type(parsed).__name__), "/onboard")


async def _follow_up(
    request: Request, after: Callable[[], Awaitable[None]], respond: AsyncRespond, name: str
) -> None:
    try:
        await after()
    except Exception:
        logger.exception("/onboard %s follow-up failed", name)
        t = await _reader(request)
        await respond(response_type="ephemeral", text=t._(FOLLOW_UP_FAILED))


def register(app, runtime: Runtime, followups: FollowUps) -> None:
    async def onboard_command(
        ack: AsyncAck, command: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond
    ) -> None:
        await handle_onboard(runtime, followups, ack, command, client, respond)

    app.command("/onboard")(onboard_command)
