"""Submissions of the credentials form and the signature diagnosis form."""

from __future__ import annotations

import contextlib
import json
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.alipay.signature import verify
from bot.blocks import credentials as blocks
from bot.followup import FollowUps
from bot.i18n import N_
from bot.listeners.answers import reader, said, said_to
from bot.listeners.payloads import actor_of, submitted_view
from bot.runtime import Runtime
from bot.services.errors import Refusal
from bot.usecases import credentials
from bot.usecases.context import Deps

FIRST_FIELD = blocks.field_block_id("sandbox", "client_id")


def application_id_of(view: dict[str, Any]) -> int | None:
    """The application a form was opened for: a claim the use case checks."""
    try:
        return int(json.loads(view.get("private_metadata") or "")["application_id"])
    except (ValueError, KeyError, TypeError, OverflowError, RecursionError):
        return None


def register(app: AsyncApp, runtime: Runtime, _followups: FollowUps) -> None:
    async def credentials_submitted(
        ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
    ) -> None:
        view = submitted_view(view)
        entered = blocks.entered_credentials(view)
        # Every value is checked first, so one bad field changes nothing at all.
        problems = credentials.problems(entered)
        if problems:
            t = await reader(Deps(runtime, client), actor_of(body))
            errors = {blocks.field_block_id(*key): said(m, t)[:150] for key, m in problems.items()}
            await ack(response_action="errors", errors=errors)
            return
        try:
            application_id = application_id_of(view)
            if application_id is None:
                raise Refusal(N_("This form is damaged; reopen it."))
            if not entered:
                raise Refusal(N_("Fill in at least one value, or cancel."))
            saved = await credentials.save(
                Deps(runtime, client), actor_of(body), application_id, entered
            )
        except Refusal as refusal:
            await ack(
                response_action="errors",
                errors={FIRST_FIELD: (await said_to(runtime, client, body, refusal))[:150]},
            )
            return
        await ack()
        text, message_blocks = blocks.saved_many(
            saved.application, saved.template, saved.values, saved.steps_ready
        )
        # The values are saved; the confirmation, in the application's own channel, is a
        # courtesy.
        with contextlib.suppress(SlackApiError):
            await client.chat_postEphemeral(
                channel=saved.application.channel_id,
                user=actor_of(body).user_id,
                text=text,
                blocks=message_blocks,
            )

    async def diagnose_submitted(
        ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
    ) -> None:
        view = submitted_view(view)
        form = blocks.read_diagnosis(view)
        if isinstance(form, dict):
            await ack(response_action="errors", errors=form)
            return
        key = form.pasted_key
        if form.key_choice != "pasted":
            environment, _, field = form.key_choice.partition(".")
            try:
                application_id = application_id_of(view)
                if application_id is None:
                    raise Refusal(N_("This form is damaged; reopen it."))
                key = await credentials.stored_key(
                    Deps(runtime, client), actor_of(body), application_id, environment, field
                )
            except Refusal as refusal:
                await ack(
                    response_action="errors",
                    errors={"key": (await said_to(runtime, client, body, refusal))[:150]},
                )
                return
        headers = form.headers
        verdict = verify(
            key,
            form.method,
            form.path,
            headers["client-id"],
            headers["request-time"],
            form.body,
            headers["signature"],
        )
        await ack(
            response_action="update",
            view=blocks.diagnosis(verdict.valid, verdict.reason, verdict.content),
        )

    app.view(blocks.CREDENTIALS_MODAL)(credentials_submitted)
    app.view(blocks.DIAGNOSE_MODAL)(diagnose_submitted)
