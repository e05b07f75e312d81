"""Reading what every interaction payload carries (answering it: answers.py). Nothing here
trusts a channel or message named by the payload: it reads who clicked, in which workspace,
and the ids a use case will check. A field of another type than Slack's reads as missing
("" or {}), so a malformed payload never raises in a listener."""

from __future__ import annotations

import re
from typing import Any

from bot.blocks.checklist import parse_action_value
from bot.usecases.context import Actor

# A template's step number, "<phase>.<step>" (bot/checklists/ enforces it; the database
# keeps eight characters). A phase alone, "1", is not one.
STEP_NUMBER = re.compile(r"[1-9][0-9]{0,2}\.[1-9][0-9]{0,3}")


def text(value: Any) -> str:
    """A string field's value; "" when it is missing or not a string."""
    return value if isinstance(value, str) else ""


def mapping(value: Any) -> dict[str, Any]:
    """An object field's value; {} when it is missing or not an object."""
    return value if isinstance(value, dict) else {}


def actor_of(body: dict[str, Any]) -> Actor:
    """Who clicked or submitted, in which workspace (block actions and view submissions)."""
    user = mapping(body.get("user"))
    team = text(mapping(body.get("team")).get("id")) or text(user.get("team_id"))
    return Actor(team_id=team, user_id=text(user.get("id")))


def action_value(action: dict[str, Any]) -> str:
    """A button's value or a menu's chosen option's value."""
    return text(action.get("value")) or text(mapping(action.get("selected_option")).get("value"))


def step_target(action: dict[str, Any]) -> tuple[int, str, str] | None:
    """(application id, step, what) of a button's value or a menu's chosen option about one
    step; None for any other value, a phase included (marking "1" would mark the phase)."""
    target = parse_action_value(action_value(action))
    return target if target is not None and STEP_NUMBER.fullmatch(target[1]) else None


def message_blocks(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The clicked message's blocks that can be ours: objects with a string block_id."""
    blocks = mapping(body.get("message")).get("blocks")
    blocks = blocks if isinstance(blocks, list) else []
    return [b for b in blocks if isinstance(b, dict) and isinstance(b.get("block_id", ""), str)]


def submitted_view(view: Any) -> dict[str, Any]:
    """A submitted view as the form readers expect it: callback_id and private_metadata, and
    `state.values` as {block: {action: {field: value}}}, each value typed as Slack types it."""
    view, values = mapping(view), mapping(mapping(mapping(view).get("state")).get("values"))
    return {
        "callback_id": text(view.get("callback_id")),
        "private_metadata": text(view.get("private_metadata")),
        "state": {
            "values": {
                block: {action: _input(element) for action, element in mapping(inputs).items()}
                for block, inputs in values.items()
            }
        },
    }


def _input(element: Any) -> dict[str, Any]:
    # A chosen option is an object ({"value": …}); every other field this app reads is a string.
    return {
        key: {k: v for k, v in value.items() if text(v)} if key == "selected_option" else value
        for key, value in mapping(element).items()
        if isinstance(value, dict if key == "selected_option" else str)
    }
