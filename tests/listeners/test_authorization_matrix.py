"""Every interactive intent, tried by every kind of actor and by an attacker, the way Slack
sends it: signed block_actions and view_submission payloads over HTTP.

The workspace has two applications: *Acme POS* in #CPAY (owner UALICE, member UBOB) and
*Victim* in #COTHER (owner UCAROL), each with its checklist message posted; Acme's step 1.1
is done. Rows:

- `owner`, `member`: UALICE and UBOB acting on Acme; allowed (owner-only intents: owner only);
- `outsider`: UCAROL acting on Acme, whose channel she is not in: refused;
- `other workspace`: UALICE's id, but the payload's team is another workspace: refused;
- `forged id`: UBOB, with Victim's application id in the button value or `private_metadata`:
  refused;
- `forged container` / `forged metadata`: UBOB acting on his own Acme, but the payload names
  Victim's channel and checklist message as the one to redraw: allowed on Acme, and Victim's
  message is never touched.

A refused attempt changes nothing in the database and shows nothing of either application:
the only answer is the refusal, to the actor alone.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.blocks import checklist as blocks
from bot.blocks import credentials as credential_blocks
from bot.blocks import modals, replies
from bot.blocks.notifications import REMINDER_MARK, REMINDER_REASSIGN, REMINDER_SNOOZE
from storage.models import (
    Application,
    Contact,
    Credential,
    Event,
    Note,
    OutboxMessage,
    StepState,
)
from tests.harness import (
    TEAM_ID,
    RunningApp,
    block_actions_body,
    signed_headers,
    view_submission_body,
)
from tests.slack_stub import SlackStub

OTHER_TEAM = "T0OTHER"
ACTORS = {
    "owner": ("UALICE", TEAM_ID),
    "member": ("UBOB", TEAM_ID),
    "outsider": ("UCAROL", TEAM_ID),
    "other workspace": ("UALICE", OTHER_TEAM),
    "forged id": ("UBOB", TEAM_ID),
    "forged container": ("UBOB", TEAM_ID),
    "forged metadata": ("UBOB", TEAM_ID),
}
# What shows an application's content, or changes a surface; a refusal makes none of these.
SHOWING = ("chat.update", "chat.postMessage", "chat.postEphemeral", "views.open", "views.publish")


@dataclass
class World:
    app: RunningApp
    slack: SlackStub
    acme: int
    acme_ts: str
    victim: int
    victim_ts: str


@pytest.fixture
async def world(app: RunningApp, slack: SlackStub) -> World:
    await app.command("new Acme POS")
    await app.command("mark 1.1")
    await app.command("status")
    await app.command("new Victim", user="UCAROL", channel="COTHER")
    await app.command("status", user="UCAROL", channel="COTHER")
    await slack.wait_for("chat.postMessage", count=2)
    async with app.runtime.sessions() as session:
        acme, victim = (await session.scalars(select(Application).order_by(Application.id))).all()
    # Wait for both checklist messages to be recorded, as later redraws rely on it.
    for _ in range(200):
        async with app.runtime.sessions() as session:
            recorded = [
                (await session.get(Application, a.id, populate_existing=True)).checklist_ts
                for a in (acme, victim)
            ]
        if all(recorded):
            break
        await _yield()
    acme_ts, victim_ts = recorded
    assert acme_ts and victim_ts
    slack.clear()
    return World(app, slack, acme.id, acme_ts, victim.id, victim_ts)


async def _yield() -> None:
    await asyncio.sleep(0.01)


async def snapshot(app: RunningApp) -> tuple[Any, ...]:
    """Everything an intent could change."""
    async with app.runtime.sessions() as session:
        states = (
            await session.execute(
                select(
                    StepState.application_id,
                    StepState.step,
                    StepState.done_at,
                    StepState.assignee_id,
                    StepState.due_on,
                    StepState.snoozed_until,
                ).order_by(StepState.application_id, StepState.position)
            )
        ).all()
        applications = (
            await session.execute(
                select(Application.name, Application.archived_at).order_by(Application.id)
            )
        ).all()
        counts = [
            await session.scalar(select(func.count()).select_from(model))
            for model in (Event, Note, OutboxMessage, Credential, Contact)
        ]
    return tuple(states), tuple(applications), tuple(counts)


# ---- the attempts: each sends one signed request, as its actor, aimed at its target -------


@dataclass(frozen=True)
class Attempt:
    kind: str  # "button" or "modal"
    action_or_callback: str
    value: Callable[[int], str]  # the button value or private_metadata, for an application id
    owner_only: bool = False
    values: dict[str, Any] | None = None  # a modal's submitted state


def _note_state(text: str = "checked with Alipay") -> dict[str, Any]:
    return {modals.NOTE_BLOCK: {modals.NOTE_ACTION: {"type": "plain_text_input", "value": text}}}


def _metadata(step: str) -> Callable[[int], str]:
    return lambda app_id: json.dumps({"application_id": app_id, "step": step})


ATTEMPTS: dict[str, Attempt] = {
    "mark button": Attempt(
        "button", blocks.TOGGLE_STEP, lambda a: blocks.action_value(a, "1.3", "mark")
    ),
    "unmark button": Attempt(
        "button", blocks.TOGGLE_STEP, lambda a: blocks.action_value(a, "1.1", "unmark")
    ),
    "expand all": Attempt("button", blocks.EXPAND_ALL, str),
    "collapse all": Attempt("button", blocks.COLLAPSE_ALL, str),
    "toggle phase": Attempt(
        "button", blocks.TOGGLE_PHASE, lambda a: blocks.action_value(a, 1, "expand")
    ),
    "step menu: assign": Attempt(
        "menu", blocks.STEP_MENU, lambda a: blocks.action_value(a, "1.2", "assign")
    ),
    "step menu: due": Attempt(
        "menu", blocks.STEP_MENU, lambda a: blocks.action_value(a, "1.2", "due")
    ),
    "step menu: note": Attempt(
        "menu", blocks.STEP_MENU, lambda a: blocks.action_value(a, "1.2", "note")
    ),
    "step menu: guide": Attempt(
        "menu", blocks.STEP_MENU, lambda a: blocks.action_value(a, "1.2", "guide")
    ),
    "older history": Attempt(
        "button", replies.OLDER_HISTORY, lambda a: replies.older_value(a, None, 10**6)
    ),
    "reminder: mark done": Attempt(
        "button", REMINDER_MARK, lambda a: blocks.action_value(a, "1.4", "mark")
    ),
    "reminder: snooze": Attempt(
        "button", REMINDER_SNOOZE, lambda a: blocks.action_value(a, "1.1", "snooze")
    ),
    "reminder: reassign": Attempt(
        "button", REMINDER_REASSIGN, lambda a: blocks.action_value(a, "1.1", "reassign")
    ),
    "credentials offer: mark": Attempt(
        "button", credential_blocks.OFFER_MARK, lambda a: blocks.action_value(a, "1.5", "mark")
    ),
    "assign modal": Attempt(
        "modal",
        modals.ASSIGN,
        _metadata("1.2"),
        values={
            modals.ASSIGNEE_BLOCK: {
                modals.ASSIGNEE_ACTION: {"type": "users_select", "selected_user": "UBOB"}
            }
        },
    ),
    "due modal": Attempt(
        "modal",
        modals.DUE,
        _metadata("1.2"),
        values={
            modals.DUE_BLOCK: {
                modals.DUE_ACTION: {"type": "datepicker", "selected_date": "2026-12-24"}
            }
        },
    ),
    "note modal": Attempt("modal", modals.NOTE, _metadata("1.2"), values=_note_state()),
    "credentials form": Attempt(
        "modal",
        credential_blocks.CREDENTIALS_MODAL,
        lambda a: json.dumps({"application_id": a}),
        owner_only=True,
        values={
            credential_blocks.field_block_id("sandbox", "client_id"): {
                "value": {"type": "plain_text_input", "value": "SANDBOX_5Y3A2N2YEB3002022"}
            }
        },
    ),
}


def _forged_metadata(attempt: Attempt, application_id: int, world: World) -> str:
    """The metadata of a form on Acme that also names Victim's message to redraw, as forms
    used to carry."""
    data = json.loads(attempt.value(application_id))
    return json.dumps(data | {"channel_id": "COTHER", "message_ts": world.victim_ts})


async def send(world: World, name: str, row: str) -> tuple[int, dict | str]:
    attempt = ATTEMPTS[name]
    user, team = ACTORS[row]
    target = world.victim if row == "forged id" else world.acme
    app, slack = world.app, world.slack
    if attempt.kind == "modal":
        metadata = (
            _forged_metadata(attempt, target, world)
            if row == "forged metadata"
            else attempt.value(target)
        )
        view = {"callback_id": attempt.action_or_callback, "private_metadata": metadata}
        body = view_submission_body(
            user_id=user, view=view, values=attempt.values or {}, team_id=team
        )
    else:
        channel, ts = ("CPAY", world.acme_ts)
        if row == "forged container":
            channel, ts = ("COTHER", world.victim_ts)
        message = dict(slack.messages["CPAY"][world.acme_ts], ts=world.acme_ts, type="message")
        action: dict[str, Any] = {
            "action_id": attempt.action_or_callback,
            "block_id": "b",
            "action_ts": f"{time.time():.6f}",
        }
        if attempt.kind == "menu":
            action |= {
                "type": "static_select",
                "selected_option": {
                    "text": {"type": "plain_text", "text": "x"},
                    "value": attempt.value(target),
                },
            }
        else:
            action |= {"type": "button", "value": attempt.value(target)}
        body = block_actions_body(
            user_id=user,
            action=action,
            container={
                "type": "message",
                "message_ts": ts,
                "channel_id": channel,
                "is_ephemeral": False,
            },
            message=message,
            response_url=slack.response_url("attempt"),
            team_id=team,
        )
    result = await app.post(body, signed_headers(body))
    return result.status, result.body


def allowed(name: str, row: str) -> bool:
    if row in ("outsider", "other workspace", "forged id"):
        return False
    return not (ATTEMPTS[name].owner_only and row != "owner")


async def refusal_shown(world: World, name: str, answer: dict | str) -> str:
    """The refusal's text: inline on a form, or ephemeral to the clicker."""
    if ATTEMPTS[name].kind == "modal":
        assert isinstance(answer, dict) and answer.get("response_action") == "errors", answer
        (message,) = answer["errors"].values()
        return message
    (reply,) = await world.slack.wait_for("response_url:attempt")
    assert reply.args.get("replace_original") is False, reply.args
    assert "blocks" not in reply.args
    return reply.args["text"]


MATRIX = [(name, row) for name in ATTEMPTS for row in ACTORS]


@pytest.mark.parametrize(("name", "row"), MATRIX, ids=[f"{n} by {r}" for n, r in MATRIX])
async def test_authorization_matrix(world: World, name: str, row: str) -> None:
    before = await snapshot(world.app)
    victim_message = json.dumps(world.slack.messages["COTHER"][world.victim_ts], sort_keys=True)

    status, answer = await send(world, name, row)

    assert status == 200
    if not allowed(name, row):
        text = await refusal_shown(world, name, answer)
        assert any(word in text for word in ("Only", "deleted", "archived", "join", "owner")), text
        assert await snapshot(world.app) == before
        shown = [c.method for c in world.slack.calls if c.method in SHOWING]
        assert shown == [], f"a refused {name} still called {shown}"
        return
    await world.slack.wait_for(answered_by(name, row))
    # Allowed: whatever was redrawn, Victim's checklist message was never touched.
    updates = [c.args for c in world.slack.calls_to("chat.update")]
    assert all(u["channel"] == "CPAY" and u["ts"] == world.acme_ts for u in updates), updates
    assert json.dumps(world.slack.messages["COTHER"][world.victim_ts], sort_keys=True) == (
        victim_message
    )
    for reply in world.slack.calls_to("response_url:attempt"):
        assert "Victim" not in json.dumps(reply.args)


def answered_by(name: str, row: str) -> str:
    """The Web API call that ends an allowed attempt's work: each redraws or opens
    something last, and any redraw of a forged message would come before it."""
    if name in ("expand all", "collapse all", "toggle phase"):
        return "response_url:attempt" if row == "forged container" else "chat.update"
    if name.startswith("step menu") or name == "reminder: reassign":
        return "views.open"
    if name in ("older history", "reminder: snooze"):
        return "response_url:attempt"
    if name == "credentials form":
        return "chat.postEphemeral"
    return "chat.update"
