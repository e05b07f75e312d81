"""A custom step's declared inputs and outputs (`Spec`), reading the one and checking the
other. Each step's `Spec` is what manifest.yml declares for its callback_id
(tests/test_manifest.py compares them): inputs are read only through it, so a value of another
type, or a required one missing, fails the step saying so (`BadInput`, in English, like every
step error); outputs are checked against it before they are sent."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bot.listeners.payloads import mapping

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
