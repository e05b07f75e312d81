"""Submissions of the credentials modal and the signature diagnosis modal."""

from __future__ import annotations

import contextlib
import json
import re
from typing import Any

from cryptography.fernet import InvalidToken
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncSession

from bot.alipay.signature import verify
from bot.blocks import credentials as blocks
from bot.listeners.access import (
    Refusal,
    application_for_click,
    change_application,
    require_member,
    require_owner,
    team_of,
)
from bot.runtime import Runtime
from bot.services import checklist as svc
from bot.services import credentials
from storage.models import Application


def _values(view: dict[str, Any]) -> dict[str, Any]:
    return {block: action.get("value") for block, action in _actions(view).items()}


def _actions(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {block: actions.get("value", {}) for block, actions in view["state"]["values"].items()}


def _context(view: dict[str, Any]) -> tuple[int, str] | None:
    try:
        data = json.loads(view.get("private_metadata") or "")
        return int(data["application_id"]), str(data.get("channel_id") or "")
    except (ValueError, KeyError, TypeError, OverflowError):
        return None


def register(app: AsyncApp, runtime: Runtime) -> None:
    async def credentials_submitted(
        ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
    ) -> None:
        context = _context(view)
        first_field = blocks.field_block_id("sandbox", "client_id")
        if context is None or runtime.keyring is None:
            await ack(response_action="errors", errors={first_field: "Reopen this form."})
            return
        application_id, channel_id = context
        user_id, team_id = body["user"]["id"], team_of(body)
        entered = {k: v.strip() for k, v in _values(view).items() if v and v.strip()}
        # Check every value first, so one bad field changes nothing at all.
        errors = {}
        for block_id, value in entered.items():
            environment, field = block_id.split(".")
            try:
                credentials.normalize(environment, field, value)
            except Refusal as e:
                errors[block_id] = e.message[:150]
        if not entered:
            errors[first_field] = "Fill in at least one value, or cancel."
        try:
            application = await application_for_click(runtime, application_id, team_of(body))
            await require_owner(runtime, client, team_id, user_id, application, "change")
        except Refusal as refusal:
            errors[first_field] = refusal.message[:150]
        if errors:
            await ack(response_action="errors", errors=errors)
            return
        template = svc.template_for(application)

        async def save(session: AsyncSession, current: Application) -> list:
            results = []
            for block_id, value in entered.items():
                environment, field = block_id.split(".")
                result = await credentials.set_value(
                    session,
                    runtime.keyring,
                    current,
                    template,
                    environment,
                    field,
                    value,
                    actor_id=user_id,
                    now=runtime.clock(),
                )
                results.append((environment, field, result))
            return results

        try:
            results = await change_application(runtime, application, save)
        except Refusal as refusal:
            await ack(response_action="errors", errors={first_field: refusal.message[:150]})
            return
        await ack()
        # One confirmation for the whole form, offering the steps it completed.
        ready = sorted({n for *_, r in results for n in r.steps_ready})
        text, message_blocks = blocks.saved_many(
            application, template, [(env, field, r.shown) for env, field, r in results], ready
        )
        # The values are saved; the confirmation is a courtesy.
        with contextlib.suppress(SlackApiError):
            await client.chat_postEphemeral(
                channel=channel_id or application.channel_id,
                user=user_id,
                text=text,
                blocks=message_blocks,
            )

    async def diagnose_submitted(
        ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
    ) -> None:
        context = _context(view)
        if context is None:
            await ack(response_action="errors", errors={"request_line": "Reopen this form."})
            return
        values = _values(view)
        key_choice = (_actions(view).get("key", {}).get("selected_option") or {}).get("value")
        errors: dict[str, str] = {}
        request_line = (values.get("request_line") or "").split()
        if len(request_line) != 2:
            errors["request_line"] = (
                "Give the method and the path, e.g. POST /ams/api/v1/payments/pay"
            )
        headers = _headers(values.get("headers") or "")
        missing = [h for h in ("client-id", "request-time", "signature") if h not in headers]
        if missing:
            errors["headers"] = f"Missing {', '.join(missing)}: paste those header lines."
        key_text = await _key(runtime, client, body, context[0], key_choice, values, errors)
        if errors:
            await ack(response_action="errors", errors=errors)
            return
        method, path = request_line
        verdict = verify(
            key_text,
            method,
            path,
            headers["client-id"],
            headers["request-time"],
            values.get("body") or "",
            headers["signature"],
        )
        await ack(
            response_action="update",
            view=blocks.diagnosis(verdict.valid, verdict.reason, verdict.content),
        )

    app.view(blocks.CREDENTIALS_MODAL)(credentials_submitted)
    app.view(blocks.DIAGNOSE_MODAL)(diagnose_submitted)


_HEADER = re.compile(r"^\s*([A-Za-z-]+)\s*:\s*(.+?)\s*$")


def _headers(text: str) -> dict[str, str]:
    """Header lines as pasted (any case, extra spaces), by lower-case name."""
    found = {}
    for line in text.splitlines():
        match = _HEADER.match(line)
        if match:
            found[match.group(1).lower()] = match.group(2)
    return found


async def _key(
    runtime: Runtime,
    client: AsyncWebClient,
    body: dict[str, Any],
    application_id: int,
    choice: str | None,
    values: dict[str, Any],
    errors: dict[str, str],
) -> str:
    """The key text to check with: pasted, or one stored for the application."""
    if choice in (None, "pasted"):
        pasted = values.get("pasted_key") or ""
        if not pasted.strip():
            errors["pasted_key"] = "Paste the public key to check with, or pick a stored one."
        return pasted
    try:
        application = await application_for_click(runtime, application_id, team_of(body))
        await require_member(runtime, client, team_of(body), body["user"]["id"], application)
        async with runtime.sessions() as session:
            stored = await credentials.load(session, runtime.keyring, application_id)
    except Refusal as refusal:
        errors["key"] = refusal.message[:150]
        return ""
    except (InvalidToken, AttributeError):
        errors["key"] = "The stored credentials cannot be read here."
        return ""
    environment, field = choice.split(".")
    key = stored.get((environment, field))
    if key is None:
        errors["key"] = f"No {environment} {credentials.LABELS[field]} is stored; paste one."
        return ""
    return key
