"""A seeded fuzz of hostile requests (issue 12): thousands of requests shaped like
tests/test_hostile_requests.py's and randomly mutated, sent over real HTTP to the app as served.

Every kind of request the app answers is here: signed Slack payloads (clicks on every button,
every form's submission, slash commands, events) with fields deleted, retyped or replaced,
truncated or random bodies, garbage signature headers, and Alipay notifications. The base
payloads are ones that change nothing even when well-formed (a click by someone outside the
channel, a step that is done already, a fold or a menu), so any change in the database is a
fuzzed request doing what it should not. The figures are printed (run with -s to see them).
"""

from __future__ import annotations

import asyncio
import base64
import collections
import json
import logging
import random
import time
from collections.abc import Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from bot.blocks import checklist as checklist_blocks
from bot.blocks import credentials as credential_blocks
from bot.blocks import modals, replies
from bot.blocks.credentials import OFFER_MARK
from bot.blocks.home import MARK_FROM_HOME
from bot.blocks.notifications import REMINDER_MARK, REMINDER_REASSIGN, REMINDER_SNOOZE
from tests.harness import RunningApp
from tests.slack_stub import SlackStub
from tests.test_hostile_requests import (
    ALIPAY_HEADERS,
    BAD_HEADERS,
    BIG_ID,
    MALFORMED,
    Seeded,
    assign_values,
    block_actions,
    button,
    credential_values,
    deep,
    due_values,
    event,
    form,
    menu,
    note_values,
    seed,
    send_raw,
    settle,
    signature_headers,
    slash,
    snapshot,
    step_context,
    tracebacks,
    view_submission,
)

SEED = 20261201
REQUESTS = 2400
AT_ONCE = 8  # requests in flight together; Bolt's after-ack work is awaited between batches

# Strings that have broken parsers before: ids out of range, digits int() takes but ASCII does
# not have, text Slack would parse, what PostgreSQL cannot store. None of them names a step
# a member could change (1.1 is done already; "1" is a phase).
NASTY_STRINGS = [
    "",
    " ",
    "0",
    "-1",
    "1.5",
    "1e400",
    BIG_ID,
    "9" * 5000,
    "١٢٣",
    "²",
    "1|1|mark",
    f"{BIG_ID}|1.1|mark",
    "1|1.1|mark",
    "1|99.99|mark",
    "1|1.1\x00|mark",
    "1||5",
    "|||",
    "<!channel>",
    "<@UALICE>",
    "null",
    "{}",
    "[]",
    '{"application_id": 1e999}',
    json.dumps({"application_id": 10**30, "step": "1.3"}),
    json.dumps({"application_id": 1, "step": "1"}),
    deep(2000),
    "\x00",
    "\ud800",
    "\u202e",
    "é" * 3,
    "a" * 5000,
    "%00",
    "../../etc/passwd",
]


def random_string(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return rng.choice(NASTY_STRINGS)
    alphabet = "abcXYZ019|.:-_ {}[]\"'\\\n\té漢😀\u0000"
    return "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 40)))


def random_json(rng: random.Random, depth: int = 0) -> Any:
    kinds = ["null", "bool", "int", "float", "str"] + (["list", "dict"] if depth < 3 else [])
    kind = rng.choice(kinds)
    if kind == "null":
        return None
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "int":
        return rng.choice([0, -1, 1, 2**63, 10**30, rng.randrange(-(10**6), 10**6)])
    if kind == "float":
        return rng.choice([0.5, -1e300, 1e300, 1.1])
    if kind == "str":
        return random_string(rng)
    if kind == "list":
        return [random_json(rng, depth + 1) for _ in range(rng.randrange(0, 4))]
    return {random_string(rng)[:12]: random_json(rng, depth + 1) for _ in range(rng.randrange(4))}


def _paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path into a JSON value (keys and list indexes), parents first."""
    found = []
    if isinstance(value, dict):
        items = list(value.items())
    elif isinstance(value, list):
        items = list(enumerate(value))
    else:
        return found
    for key, child in items:
        found.append((*prefix, key))
        found.extend(_paths(child, (*prefix, key)))
    return found


def mutate(rng: random.Random, payload: Any) -> Any:
    """The payload with one to three fields deleted, retyped or replaced (near the top more
    often than deep inside a message's blocks)."""
    payload = json.loads(json.dumps(payload))
    for _ in range(rng.randrange(1, 4)):
        paths = _paths(payload)
        if not paths:
            return random_json(rng)
        shallow = [p for p in paths if len(p) <= 3]
        path = rng.choice(shallow if shallow and rng.random() < 0.7 else paths)
        parent = payload
        for key in path[:-1]:
            parent = parent[key]
        key = path[-1]
        roll = rng.random()
        if roll < 0.35:
            del parent[key]
        elif roll < 0.75:
            parent[key] = random_json(rng)
        else:
            parent[key] = random_string(rng)
    return payload


# ---- the requests -----------------------------------------------------------------------------

Request = tuple[str, bytes, list[tuple[bytes, bytes]]]


def _clicks(s: Seeded) -> list[dict[str, Any]]:
    """Clicks that change nothing, well-formed: by someone outside the channel, on a done
    step, or on buttons that only show something."""
    app_id = s.application_id
    by_outsider = [
        button(checklist_blocks.TOGGLE_STEP, f"{app_id}|1.3|mark"),
        button(checklist_blocks.TOGGLE_STEP, f"{app_id}|1.1|unmark"),
        button(MARK_FROM_HOME, f"{app_id}|1.3|mark"),
        button(REMINDER_MARK, f"{app_id}|1.2|mark"),
        button(REMINDER_SNOOZE, f"{app_id}|1.2|snooze"),
        button(OFFER_MARK, f"{app_id}|1.3|mark"),
        button(REMINDER_REASSIGN, f"{app_id}|1.2|assign"),
    ]
    by_member = [
        button(checklist_blocks.TOGGLE_STEP, f"{app_id}|1.1|mark"),
        button(checklist_blocks.TOGGLE_PHASE, f"{app_id}|1|collapse"),
        button(checklist_blocks.EXPAND_ALL, str(app_id)),
        button(checklist_blocks.COLLAPSE_ALL, str(app_id)),
        button(replies.OLDER_HISTORY, f"{app_id}||3"),
        menu(f"{app_id}|1.2|note"),
        menu(f"{app_id}|1.3|guide"),
        button(REMINDER_REASSIGN, f"{app_id}|1.2|assign"),
    ]
    return [block_actions(s, a, user_id="UCAROL") for a in by_outsider] + [
        block_actions(s, a) for a in by_member
    ]


def _submissions(s: Seeded) -> list[dict[str, Any]]:
    """Form submissions that change nothing, well-formed: by someone outside the channel."""
    app_id, outsider = s.application_id, {"user_id": "UCAROL"}
    metadata = json.dumps({"application_id": app_id})
    return [
        view_submission(modals.NOTE, step_context(app_id), note_values(), **outsider),
        view_submission(modals.ASSIGN, step_context(app_id), assign_values(), **outsider),
        view_submission(modals.DUE, step_context(app_id), due_values(), **outsider),
        view_submission(
            credential_blocks.CREDENTIALS_MODAL, metadata, credential_values(), **outsider
        ),
        view_submission(
            credential_blocks.DIAGNOSE_MODAL,
            metadata,
            {
                "request_line": {"value": {"value": "POST /alipay/notify/acme-pos"}},
                "headers": {"value": {"value": "client-id: a\nrequest-time: b\nsignature: c"}},
                "key": {"value": {"selected_option": {"value": "sandbox.alipay_public_key"}}},
                "body": {"value": {"value": "{}"}},
            },
            **outsider,
        ),
    ]


def _commands() -> list[dict[str, str]]:
    """Slash commands that change nothing: by someone outside the application's channel."""
    outsider = {"user_id": "UCAROL", "channel_id": "COTHER"}
    texts = [
        "mark 1.3 --app acme-pos",
        "unmark 1.1 --app acme-pos",
        "note 1.2 hello --app acme-pos",
        "creds set sandbox client-id X --app acme-pos",
        "status",
        "help",
        "history 1.2 --app acme-pos",
    ]
    return [{"text": t, **outsider} for t in texts]


def _events() -> list[dict[str, Any]]:
    return [
        {"type": "app_home_opened", "user": "UALICE", "channel": "D1", "tab": "home"},
        {"type": "member_joined_channel", "user": "UBOB", "channel": "CPAY"},
        {"type": "member_left_channel", "user": "UBOB", "channel": "CPAY"},
    ]


def _signed(body: bytes, content_type: bytes) -> Request:
    return "/slack/events", body, signature_headers(body, content_type=content_type)


FORM = b"application/x-www-form-urlencoded"
JSON = b"application/json"


def requests(rng: random.Random, s: Seeded) -> list[Request]:
    clicks, submissions, commands, events = _clicks(s), _submissions(s), _commands(), _events()
    interactive = clicks + submissions

    def mutated_interactive() -> Request:
        return _signed(form(mutate(rng, rng.choice(interactive))), FORM)

    def mutated_command() -> Request:
        command: dict[str, str | None] = dict(rng.choice(commands))
        for _ in range(rng.randrange(1, 3)):
            name = rng.choice(["text", "user_id", "channel_id", "team_id", "command", "trigger_id"])
            command[name] = None if rng.random() < 0.3 else random_string(rng)  # None: left out
        return _signed(slash(**command), FORM)

    def mutated_event() -> Request:
        body = json.loads(event(rng.choice(events)))
        return _signed(json.dumps(mutate(rng, body)).encode(), JSON)

    def truncated() -> Request:
        body = form(rng.choice(interactive))
        cut = body[: rng.randrange(len(body))]
        if rng.random() < 0.5:
            return _signed(cut, FORM)
        headers = signature_headers(body, content_type=FORM)  # signed before it was cut
        return "/slack/events", cut, headers

    def random_body() -> Request:
        roll = rng.random()
        if roll < 0.4:
            body = rng.randbytes(rng.randrange(0, 300))
        elif roll < 0.8:
            body = json.dumps(random_json(rng)).encode()
        else:
            body = b"payload=" + json.dumps(random_json(rng)).encode()
        return _signed(body, rng.choice([FORM, JSON, b"text/plain", b""]))

    def garbage_headers() -> Request:
        body = form(rng.choice(interactive))
        printable = bytes(range(0x20, 0x7F)) + bytes(range(0x80, 0x100))

        def value() -> bytes:
            return bytes(rng.choice(printable) for _ in range(rng.randrange(0, 80)))

        headers = [(b"Content-Type", FORM)]
        for name in (b"X-Slack-Request-Timestamp", b"X-Slack-Signature"):
            roll = rng.random()
            if roll < 0.15:
                continue  # missing
            if roll < 0.3:
                headers.append((name, value()))
                headers.append((name, value()))  # twice
            else:
                headers.append((name, value()))
        return "/slack/events", body, headers

    def known_shape() -> Request:
        if rng.random() < 0.5:
            name = rng.choice(sorted(BAD_HEADERS))
            return "/slack/events", form(rng.choice(interactive)), BAD_HEADERS[name]
        body = MALFORMED[rng.choice(sorted(MALFORMED))](s)
        return _signed(body, JSON if body[:1] in (b"{", b"[", b"n") else FORM)

    def alipay() -> Request:
        slug = rng.choice(["acme-pos", "acme-pos", "no-such-app", "acme%0Apos", "%ff", "x" * 90])
        content_type = rng.choice(
            [
                b"application/json; charset=UTF-8",
                b"application/json",
                b"application/json; charset=" + rng.choice([b"latin-1", b"nope", b"utf-16", b""]),
                FORM,
                b"multipart/form-data; boundary=x",
            ]
        )
        roll = rng.random()
        if roll < 0.4:
            body = rng.randbytes(rng.randrange(0, 200))
        else:
            body = json.dumps(random_json(rng)).encode()
        headers = [(b"Content-Type", content_type)]
        for name, good in ALIPAY_HEADERS:
            roll = rng.random()
            if roll < 0.7:
                headers.append((name, good))
            elif roll < 0.9:
                headers.append((name, random_string(rng)[:60].encode("utf-8", "replace")))
        return f"/alipay/notify/{slug}", body, headers

    makers: list[tuple[float, Callable[[], Request]]] = [
        (0.30, mutated_interactive),
        (0.08, mutated_command),
        (0.10, mutated_event),
        (0.08, truncated),
        (0.12, random_body),
        (0.10, garbage_headers),
        (0.12, known_shape),
        (0.10, alipay),
    ]
    weights = [w for w, _ in makers]
    return [rng.choices(makers, weights)[0][1]() for _ in range(REQUESTS)]


# ---- the run ----------------------------------------------------------------------------------


def _alipay_public_key() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(der).decode()


async def test_thousands_of_hostile_requests_get_no_5xx_no_traceback_and_change_nothing(
    app: RunningApp, slack: SlackStub, caplog: pytest.LogCaptureFixture
) -> None:
    seeded = await seed(app, slack)
    # With Alipay's key stored, notifications for acme-pos get as far as the signature check.
    reply = await app.command(f"creds set sandbox alipay-public-key {_alipay_public_key()}")
    assert reply.text.startswith("Saved"), reply
    await settle()
    caplog.set_level(logging.INFO)
    before = await snapshot(app)
    caplog.clear()
    rng = random.Random(SEED)
    sent = requests(rng, seeded)

    started = time.monotonic()
    statuses: collections.Counter[int] = collections.Counter()
    server_errors = []
    for start in range(0, len(sent), AT_ONCE):
        batch = sent[start : start + AT_ONCE]
        answers = await asyncio.gather(*(send_raw(app, *request) for request in batch))
        await settle()
        for request, answer in zip(batch, answers, strict=True):
            statuses[answer.status] += 1
            if answer.status >= 500:
                server_errors.append((request[0], request[1][:300], answer.status))
    elapsed = time.monotonic() - started

    found_tracebacks = tracebacks(caplog.records)
    after = await snapshot(app)
    changed = sorted(t for t in before if before[t] != after.get(t))
    print(
        f"\nfuzz (seed {SEED}): {len(sent)} requests in {elapsed:.1f} s, "
        f"{len(server_errors)} answers >= 500, {len(found_tracebacks)} tracebacks, "
        f"{len(changed)} tables changed; statuses {dict(sorted(statuses.items()))}"
    )
    assert len(sent) >= 2000
    assert server_errors == []
    assert found_tracebacks == [], "\n".join(r.getMessage() for r in found_tracebacks[:5])
    assert changed == []
    # Every kind of answer was exercised, not one refusal for everything.
    assert {200, 400, 401, 404} <= set(statuses), statuses

    # And the app still works.
    slack.clear()
    assert (await app.command("help")).status == 200
    body = form(
        block_actions(
            seeded, button(checklist_blocks.TOGGLE_STEP, f"{seeded.application_id}|1.3|mark")
        )
    )
    assert (await send_raw(app, "/slack/events", body, signature_headers(body))).status == 200
    await settle()
    assert await snapshot(app) != after  # that click, from a member, marked 1.3
