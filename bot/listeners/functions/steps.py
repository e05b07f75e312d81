"""What the three Workflow Builder steps share: their declared inputs and outputs, reading the
one and checking the other, and running a step once with one completion.

Each step's `Spec` is what manifest.yml declares for its callback_id (tests/test_manifest.py
compares them): inputs are read only through it, so a value of another type, or a required one
missing, fails the step saying so; outputs are checked against it before they are sent.

Slack may deliver a `function_executed` event again (a retry: the same event_id, which the
global middleware handles once); a step is also run at most once per function_execution_id,
recorded like an event, so a redelivery under another event id changes nothing twice either.

Error messages are English, whatever the user's language: Workflow Builder shows them to the
workflow's builder and in its activity log, not to a person in a conversation. A refusal says
the same as the command would (without Slack's escaping, as the message is plain text).
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt.context.complete.async_complete import AsyncComplete
from slack_bolt.context.fail.async_fail import AsyncFail
from slack_sdk.web.async_client import AsyncWebClient

from bot.followup import FollowUps
from bot.listeners.payloads import mapping, text
from bot.runtime import Runtime
from bot.services.errors import Refusal
from bot.usecases.context import Deps, Followup
from bot.usecases.events import first_delivery

logger = logging.getLogger(__name__)

STRING = "string"
INTEGER = "integer"
BOOLEAN = "boolean"
USER_ID = "slack#/types/user_id"
CHANNEL_ID = "slack#/types/channel_id"
DATE = "slack#/types/date"

USER = re.compile(r"[UW][A-Z0-9]{2,}")
CHANNEL = re.compile(r"[CG][A-Z0-9]{2,}")
DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
MAX_STRING = 200

FAILED = (
    "Onboard could not finish this step because of an error on its side. Nothing was "
    "changed unless the checklist shows it; try the workflow again later."
)


@dataclass(frozen=True, slots=True)
class Param:
    type: str
    required: bool = True


@dataclass(frozen=True, slots=True)
class Spec:
    """One custom step: its callback_id and the types of its inputs and outputs, as the
    manifest declares them."""

    callback_id: str
    inputs: dict[str, Param]
    outputs: dict[str, Param]


class BadInput(Exception):
    """An input the step cannot use: the message says which, and what is valid."""


def read_inputs(spec: Spec, raw: Any) -> dict[str, Any]:
    """The step's inputs by name, each of its declared type: a required one missing, or one
    of another type, is a `BadInput`. An optional one missing reads as None."""
    given = mapping(raw)
    values: dict[str, Any] = {}
    for name, param in spec.inputs.items():
        value = given.get(name)
        if value is None or value == "":
            if param.required:
                raise BadInput(f"The input `{name}` is required and was empty.")
            values[name] = None
            continue
        values[name] = _typed(name, param.type, value)
    return values


def _typed(name: str, kind: str, value: Any) -> Any:
    if kind == BOOLEAN:
        # Workflow Builder sends a boolean; a variable may arrive as its text.
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"
        raise BadInput(f"The input `{name}` must be true or false.")
    if not isinstance(value, str):
        raise BadInput(f"The input `{name}` must be text.")
    value = value.strip()
    if kind == USER_ID and not USER.fullmatch(value):
        raise BadInput(f"The input `{name}` must be a person (a Slack user id such as U012AB3CD).")
    if kind == CHANNEL_ID and not CHANNEL.fullmatch(value):
        raise BadInput(
            f"The input `{name}` must be a channel (a Slack channel id such as C012AB3CD)."
        )
    if len(value) > MAX_STRING:
        raise BadInput(f"The input `{name}` is {len(value)} characters long; at most {MAX_STRING}.")
    return value


def check_outputs(spec: Spec, outputs: dict[str, Any]) -> dict[str, Any]:
    """`outputs` as sent: every required output present, each of its declared type, none
    undeclared (a mistake here is the app's, so it raises)."""
    undeclared = outputs.keys() - spec.outputs.keys()
    missing = {n for n, p in spec.outputs.items() if p.required and outputs.get(n) is None}
    if undeclared or missing:
        raise ValueError(f"{spec.callback_id}: undeclared {undeclared}, missing {missing}")
    sent = {n: v for n, v in outputs.items() if v is not None}
    for name, value in sent.items():
        if not _is(spec.outputs[name].type, value):
            raise ValueError(
                f"{spec.callback_id}: output {name}={value!r} is no {spec.outputs[name].type}"
            )
    return sent


def _is(kind: str, value: Any) -> bool:
    match kind:
        case "boolean":
            return isinstance(value, bool)
        case "integer":
            return isinstance(value, int) and not isinstance(value, bool)
        case "slack#/types/user_id":
            return isinstance(value, str) and bool(USER.fullmatch(value))
        case "slack#/types/channel_id":
            return isinstance(value, str) and bool(CHANNEL.fullmatch(value))
        case "slack#/types/date":
            return isinstance(value, str) and bool(DAY.fullmatch(value))
    return isinstance(value, str)


def refused(refusal: Refusal) -> str:
    """A refusal as plain English text (the command's words, unescaped for plain text)."""
    return html.unescape(refusal.message)


@dataclass(frozen=True, slots=True)
class Done:
    """What a step's work returns: its outputs, and what follows once it has completed
    (redrawing the checklist, sending an announcement)."""

    outputs: dict[str, Any]
    after: Callable[[], Awaitable[None]] | None = None


Work = Callable[[Deps, str, dict[str, Any]], Awaitable[Done]]


async def run_step(
    spec: Spec,
    work: Work,
    *,
    runtime: Runtime,
    body: dict[str, Any],
    event: dict[str, Any],
    client: AsyncWebClient,
    complete: AsyncComplete,
    fail: AsyncFail,
) -> None:
    """Read the inputs, do the work once per function execution, complete or fail it."""
    team_id = text(body.get("team_id"))
    execution = text(event.get("function_execution_id"))
    if not execution or not await first_delivery(runtime, f"function:{execution}", team_id):
        return
    try:
        inputs = read_inputs(spec, event.get("inputs"))
        done = await work(Deps(runtime, client), team_id, inputs)
        outputs = check_outputs(spec, done.outputs)
    except BadInput as e:
        await fail(error=str(e))
        return
    except Refusal as refusal:
        await fail(error=refused(refusal))
        return
    except Exception:
        logger.exception("workflow step %s failed", spec.callback_id)
        await fail(error=FAILED)
        return
    await complete(outputs=outputs)
    if done.after is not None:
        try:
            await done.after()
        except Exception:
            logger.exception("workflow step %s: follow-up failed", spec.callback_id)


def register_step(
    app: Any, runtime: Runtime, spec: Spec, work: Work
) -> Callable[..., Awaitable[None]]:
    """Listen for `spec`'s function_executed events (Bolt acknowledges them itself)."""

    async def listener(
        body: dict[str, Any],
        event: dict[str, Any],
        client: AsyncWebClient,
        complete: AsyncComplete,
        fail: AsyncFail,
    ) -> None:
        await run_step(
            spec,
            work,
            runtime=runtime,
            body=body,
            event=event,
            client=client,
            complete=complete,
            fail=fail,
        )

    listener.__name__ = spec.callback_id
    app.function(spec.callback_id)(listener)
    return listener


def follow(
    followups: FollowUps, client: AsyncWebClient, followup: Followup
) -> Callable[[], Awaitable[None]]:
    """What follows a change the step made: as after the command (bot/followup.py)."""

    async def after() -> None:
        await followups.after_change(client, followup)

    return after
