"""Running a Workflow Builder step: once per function execution, with one completion.

Slack may deliver a `function_executed` event again (a retry: the same event_id, which the
global middleware handles once); a step is also run at most once per function_execution_id,
recorded like an event, so a redelivery under another event id changes nothing twice either.

Error messages are English, whatever the user's language: Workflow Builder shows them to the
workflow's builder and in its activity log, not to a person in a conversation. A refusal says
the same as the command would, and every error is shown as plain text: the mrkdwn of a
refusal or an input's error (escapes, `code`, *bold*, mentions) is turned into plain text first.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.complete.async_complete import AsyncComplete
from slack_bolt.context.fail.async_fail import AsyncFail
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks.mrkdwn import plain_text
from bot.listeners.functions.parameters import BadInput, Spec, check_outputs, read_inputs
from bot.listeners.payloads import text
from bot.runtime import Runtime
from bot.services.errors import Refusal
from bot.usecases.context import Deps
from bot.usecases.events import first_delivery

logger = logging.getLogger(__name__)

EXECUTION_ID = re.compile(r"[A-Za-z0-9]{1,50}")
FAILED = (
    "Onboard could not finish this step because of an error on its side. Nothing was "
    "changed unless the checklist shows it; try the workflow again later."
)


@dataclass(frozen=True, slots=True)
class Done:
    """What a step's work returns: its outputs, and what follows once it has completed
    (redrawing the checklist, sending an announcement)."""

    outputs: dict[str, Any]
    after: Callable[[], Awaitable[None]] | None = None


Work = Callable[[Deps, str, dict[str, Any]], Awaitable[Done]]


def register_step(app: AsyncApp, runtime: Runtime, spec: Spec, work: Work) -> None:
    """Listen for `spec`'s function_executed events (Bolt acknowledges them itself): read the
    inputs, do the work once per function execution, complete or fail it."""

    async def listener(
        body: dict[str, Any],
        event: dict[str, Any],
        client: AsyncWebClient,
        complete: AsyncComplete,
        fail: AsyncFail,
    ) -> None:
        team_id = text(body.get("team_id"))
        execution = text(event.get("function_execution_id"))
        # Slack's ids are short and alphanumeric; another fits no record, so it is not run.
        if not EXECUTION_ID.fullmatch(execution):
            return
        if not await first_delivery(runtime, f"function:{execution}", team_id):
            return
        try:
            inputs = read_inputs(spec, event.get("inputs"))
            done = await work(Deps(runtime, client), team_id, inputs)
            outputs = check_outputs(spec, done.outputs)
        except BadInput as e:
            await _finish(spec, _failing(fail, str(e)))
            return
        except Refusal as refusal:
            await _finish(spec, _failing(fail, refusal.message))
            return
        except Exception:
            logger.exception("workflow step %s failed", spec.callback_id)
            await _finish(spec, _failing(fail, FAILED))
            return
        await _finish(spec, complete(outputs=outputs))
        if done.after is not None:
            try:
                await done.after()
            except Exception:
                logger.exception("workflow step %s: follow-up failed", spec.callback_id)

    listener.__name__ = spec.callback_id
    app.function(spec.callback_id)(listener)


def _failing(fail: AsyncFail, message: str) -> Awaitable[object]:
    """Failing the step with `message`, which Workflow Builder shows as plain text, not mrkdwn."""
    return fail(error=plain_text(message))


async def _finish(spec: Spec, completing: Awaitable[object]) -> None:
    """Send the completion; Slack refusing it (the execution timed out or was completed) is
    logged, not raised: there is no one else to tell."""
    try:
        await completing
    except SlackApiError as e:
        error = e.response.get("error")
        logger.warning("workflow step %s: completion refused: %s", spec.callback_id, error)
    except (aiohttp.ClientError, TimeoutError, OSError) as e:
        logger.warning("workflow step %s: completion not sent: %s", spec.callback_id, e)
