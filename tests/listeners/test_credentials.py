"""Alipay credentials end to end (SPEC §3, §6): `/onboard creds …`, the credentials and
diagnosis modals, the offers to mark the steps they complete, and the 3.5 gate. Signed
requests over HTTP to the running app; the Web API stand-in records what the app sent."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import re
import time
from typing import Any
from urllib.parse import quote

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from sqlalchemy import select

from bot.blocks.credentials import CREDENTIALS_MODAL, DIAGNOSE_MODAL, OFFER_MARK_ACTION
from bot.services import credentials
from storage.models import Application, Credential, Event, StepState
from tests.harness import (
    CommandResult,
    RunningApp,
    block_actions_body,
    signed_headers,
    submit,
)
from tests.slack_stub import SlackStub

# ---- keys and values, made once for the module ----------------------------------------------


def _rsa(bits: int = 2048) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


SANDBOX_MERCHANT = _rsa()
SANDBOX_ALIPAY = _rsa()  # Alipay's key: a second pair
PRODUCTION_MERCHANT = _rsa()
PRODUCTION_ALIPAY = _rsa()
WEAK = _rsa(1024)
ELLIPTIC = ec.generate_private_key(ec.SECP256R1())


def der(key: Any) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def one_line(key: Any) -> str:
    """The public key as the Developer Center shows it: one line of base64 DER."""
    return base64.b64encode(der(key)).decode()


def pem(key: Any) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def shown_key(key: rsa.RSAPrivateKey) -> str:
    digest = base64.b64encode(hashlib.sha256(der(key)).digest()).decode().rstrip("=")
    return f"RSA-{key.key_size} SHA256:{digest}"


SANDBOX_CLIENT_ID = "SANDBOX_5Y3A2N2YEB3002022"
PRODUCTION_CLIENT_ID = "5Y3A2N2YEB3007744"


def short_client_id(value: str) -> str:
    """A client ID as the app shortens it (its exact form is the app's choice), checked to be
    recognisable and shortened here; the tests check separately that it is never sent whole."""
    shown = credentials.mask("client_id", value)
    assert "…" in shown and shown[:4] == value[:4] and len(shown) < len(value), shown
    return shown


NOTIFY_URL = "https://pay.example.com/alipay/notify/hooks-7c1e"
NOTIFY_PATH = "/alipay/notify/hooks-7c1e"

# (environment, command field, stored field, value to type, what the ack may show, secret part)
SETTINGS = [
    (
        "sandbox",
        "client-id",
        "client_id",
        SANDBOX_CLIENT_ID,
        short_client_id(SANDBOX_CLIENT_ID),
        SANDBOX_CLIENT_ID,
    ),
    (
        "sandbox",
        "public-key",
        "public_key",
        one_line(SANDBOX_MERCHANT),
        shown_key(SANDBOX_MERCHANT),
        one_line(SANDBOX_MERCHANT),
    ),
    (
        "sandbox",
        "alipay-public-key",
        "alipay_public_key",
        pem(SANDBOX_ALIPAY),
        shown_key(SANDBOX_ALIPAY),
        pem(SANDBOX_ALIPAY).splitlines()[2],  # a line of PEM: in both forms
    ),
    (
        "sandbox",
        "notify-url",
        "notify_url",
        f"<{NOTIFY_URL}>",  # as Slack sends a URL with should_escape
        "https://pay.example.com/…",
        NOTIFY_PATH,
    ),
    (
        "production",
        "client-id",
        "client_id",
        PRODUCTION_CLIENT_ID,
        short_client_id(PRODUCTION_CLIENT_ID),
        PRODUCTION_CLIENT_ID,
    ),
    (
        "production",
        "public-key",
        "public_key",
        one_line(PRODUCTION_MERCHANT),
        shown_key(PRODUCTION_MERCHANT),
        one_line(PRODUCTION_MERCHANT),
    ),
    (
        "production",
        "alipay-public-key",
        "alipay_public_key",
        one_line(PRODUCTION_ALIPAY),
        shown_key(PRODUCTION_ALIPAY),
        one_line(PRODUCTION_ALIPAY),
    ),
    (
        "production",
        "notify-url",
        "notify_url",
        "<https://pay.example.com/alipay/notify/prod-91fd>",
        "https://pay.example.com/…",
        "/alipay/notify/prod-91fd",
    ),
]
SECRETS = [secret for *_, secret in SETTINGS]


# ---- helpers ----------------------------------------------------------------------------------


async def _new(app: RunningApp) -> Application:
    reply = await app.command("new Acme POS")
    assert reply.status == 200, reply.body
    async with app.runtime.sessions() as session:
        application = await session.scalar(select(Application))
    assert application is not None
    return application


async def _set(
    app: RunningApp, env: str, field: str, value: str, *, user: str = "UALICE"
) -> CommandResult:
    reply = await app.command(f"creds set {env} {field} {value}", user=user)
    assert reply.status == 200, reply.body
    return reply


async def _set_all(app: RunningApp, only: str | None = None) -> None:
    for env, field, _, value, *_ in SETTINGS:
        if only in (None, env):
            reply = await _set(app, env, field, value)
            assert reply.text.startswith("Saved"), reply.text


async def _credentials(app: RunningApp) -> dict[tuple[str, str], str]:
    async with app.runtime.sessions() as session:
        rows = list(await session.scalars(select(Credential)))
    assert app.runtime.keyring is not None
    return {(r.environment, r.field): app.runtime.keyring.decrypt(r.ciphertext) for r in rows}


async def _ciphertexts(app: RunningApp) -> list[str]:
    async with app.runtime.sessions() as session:
        return [r.ciphertext for r in await session.scalars(select(Credential))]


async def _events(app: RunningApp, kind: str | None = None) -> list[Event]:
    async with app.runtime.sessions() as session:
        events = list(await session.scalars(select(Event).order_by(Event.id)))
    return [e for e in events if kind is None or e.kind == kind]


async def _state(app: RunningApp, step: str) -> StepState:
    async with app.runtime.sessions() as session:
        state = await session.scalar(select(StepState).where(StepState.step == step))
    assert state is not None
    return state


def _sent(reply: CommandResult | None, slack: SlackStub) -> str:
    """Everything the app said: the ack body and every call to the stand-in."""
    said = [json.dumps(c.args) for c in slack.calls]
    if reply is not None:
        said.append(json.dumps(reply.body) if isinstance(reply.body, dict) else reply.body)
    return "\n".join(said)


def _offers(reply_or_blocks: CommandResult | list[dict[str, Any]]) -> list[str]:
    """The steps a reply offers to mark, from its OFFER_MARK buttons."""
    blocks = (
        reply_or_blocks
        if isinstance(reply_or_blocks, list)
        else reply_or_blocks.body.get("blocks") or []  # type: ignore[union-attr]
    )
    return [
        element["value"].split("|")[1]
        for block in blocks
        for element in block.get("elements") or []
        if OFFER_MARK_ACTION.fullmatch(element.get("action_id", ""))
    ]


def _texts(view: dict[str, Any]) -> str:
    """The visible text of a view's blocks."""
    parts = []
    for block in view.get("blocks") or []:
        if isinstance(block.get("text"), dict):
            parts.append(block["text"]["text"])
        for element in block.get("elements") or []:
            if isinstance(element.get("text"), str):
                parts.append(element["text"])
    return "\n".join(parts)


async def _opened_view(app: RunningApp, slack: SlackStub, text: str, callback_id: str) -> dict:
    before = len(slack.calls_to("views.open"))
    reply = await app.command(text)
    assert reply.status == 200 and reply.body in ({}, ""), reply.body
    opened = (await slack.wait_for("views.open", count=before + 1))[-1]
    assert opened.args["trigger_id"]
    view = opened.args["view"]
    assert view["callback_id"] == callback_id
    return view


def _text_value(value: str | None) -> dict[str, Any]:
    return {"value": {"type": "plain_text_input", "value": value}}


def _select(value: str) -> dict[str, Any]:
    option = {"text": {"type": "plain_text", "text": value}, "value": value}
    return {"value": {"type": "static_select", "selected_option": option}}


# ---- creds set ----------------------------------------------------------------------------------


async def test_each_credential_is_saved_masked_and_recorded_without_its_value(
    app: RunningApp, slack: SlackStub, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await _new(app)
    for env, field, stored_field, value, masked, secret in SETTINGS:
        reply = await _set(app, env, field, value)
        assert reply.body["response_type"] == "ephemeral"
        assert reply.text.startswith("Saved"), reply.text
        assert masked in reply.text
        assert secret not in _sent(reply, slack), f"{env} {field} leaked"
        events = await _events(app, "credential_set")
        assert events[-1].new_value == f"{env}.{stored_field}"
        assert events[-1].actor_id == "UALICE"

    stored = await _credentials(app)
    assert len(stored) == 8
    assert stored["sandbox", "client_id"] == SANDBOX_CLIENT_ID
    assert stored["sandbox", "public_key"] == one_line(SANDBOX_MERCHANT)
    assert stored["sandbox", "alipay_public_key"] == one_line(SANDBOX_ALIPAY)  # PEM → one line
    assert stored["sandbox", "notify_url"] == NOTIFY_URL  # unwrapped from <…>
    ciphertexts = "\n".join(await _ciphertexts(app))
    assert not any(secret in ciphertexts for secret in SECRETS)  # encrypted at rest

    history = await app.command("history")
    assert "credential_set" in history.text or "credential" in history.text
    everything = _sent(history, slack) + "\n".join(
        f"{e.old_value} {e.new_value}" for e in await _events(app)
    )
    assert not any(secret in everything for secret in SECRETS)
    assert not any(secret in caplog.text for secret in SECRETS)  # no secret is logged


async def test_history_says_which_credential_was_set(app: RunningApp, slack: SlackStub) -> None:
    await _new(app)
    await _set(app, "sandbox", "client-id", SANDBOX_CLIENT_ID)
    history = await app.command("history")
    (line,) = [line for line in history.text.splitlines() if "credential" in line]
    assert "None" not in line
    assert "sandbox" in line and "client" in line.lower()


async def test_setting_credentials_offers_the_steps_they_complete(
    app: RunningApp, slack: SlackStub
) -> None:
    await _new(app)
    expected = {
        ("sandbox", "client-id"): ["1.3"],
        ("sandbox", "public-key"): [],  # 1.4 also needs Alipay's key
        ("sandbox", "alipay-public-key"): ["1.4"],
        ("sandbox", "notify-url"): ["1.5"],
        ("production", "client-id"): ["3.1"],
        ("production", "public-key"): [],
        ("production", "alipay-public-key"): ["3.2"],
        ("production", "notify-url"): [],
    }
    for env, field, _, value, *_ in SETTINGS:
        reply = await _set(app, env, field, value)
        assert _offers(reply) == expected[env, field], (env, field, reply.body)
    for step in ("1.3", "1.4", "1.5", "3.1", "3.2"):  # offered, not marked
        assert (await _state(app, step)).done_at is None


async def test_clicking_an_offer_marks_the_step_and_replaces_the_message(
    app: RunningApp, slack: SlackStub
) -> None:
    application = await _new(app)
    reply = await _set(app, "sandbox", "client-id", SANDBOX_CLIENT_ID)
    blocks = reply.body["blocks"]
    (button,) = [
        e
        for b in blocks
        for e in b.get("elements") or []
        if OFFER_MARK_ACTION.fullmatch(e.get("action_id", ""))
    ]
    assert button["value"].startswith(f"{application.id}|1.3|")
    ts = f"{time.time():.6f}"
    body = block_actions_body(
        user_id="UBOB",
        action={
            "action_id": button["action_id"],
            "block_id": "offer",
            "type": "button",
            "text": button["text"],
            "value": button["value"],
            "action_ts": ts,
        },
        container={"type": "message", "message_ts": ts, "channel_id": "CPAY", "is_ephemeral": True},
        message={"type": "message", "ts": ts, "text": reply.text, "blocks": blocks},
        response_url=slack.response_url("offer"),
    )
    clicked = await app.post(body, signed_headers(body))
    assert clicked.status == 200
    (answer,) = await slack.wait_for("response_url:offer")
    assert answer.args["replace_original"] is True
    assert "1.3" in answer.args["text"] and "done" in answer.args["text"]
    state = await _state(app, "1.3")
    assert state.done_at is not None and state.done_by == "UBOB"
    assert [(e.step, e.actor_id) for e in await _events(app, "marked")] == [("1.3", "UBOB")]

    # A step already done is not offered again.
    again = await _set(app, "sandbox", "client-id", "SANDBOX_OTHER0001")
    assert _offers(again) == []


_PKCS8 = serialization.PrivateFormat.PKCS8


@pytest.mark.parametrize(
    ("env", "field", "value", "expected", "secret"),
    [
        pytest.param(
            "sandbox",
            "notify-url",
            "<http://pay.example.com/alipay/notify/plain-3b9a>",
            "https://",
            "plain-3b9a",
            id="http-url",
        ),
        pytest.param(
            "sandbox",
            "public-key",
            one_line(WEAK),
            "at least 2048",
            one_line(WEAK),
            id="1024-bit-key",
        ),
        pytest.param(
            "sandbox",
            "public-key",
            SANDBOX_MERCHANT.private_bytes(
                serialization.Encoding.PEM, _PKCS8, serialization.NoEncryption()
            ).decode(),
            "PRIVATE",
            SANDBOX_MERCHANT.private_bytes(
                serialization.Encoding.PEM, _PKCS8, serialization.NoEncryption()
            )
            .decode()
            .splitlines()[3],
            id="private-key-pem",
        ),
        pytest.param(
            "production",
            "alipay-public-key",
            base64.b64encode(
                PRODUCTION_ALIPAY.private_bytes(
                    serialization.Encoding.DER, _PKCS8, serialization.NoEncryption()
                )
            ).decode(),
            "PRIVATE",
            base64.b64encode(
                PRODUCTION_ALIPAY.private_bytes(
                    serialization.Encoding.DER, _PKCS8, serialization.NoEncryption()
                )
            ).decode()[100:180],
            id="private-key-base64",
        ),
        pytest.param(
            "production",
            "client-id",
            "SANDBOX_5Y3A2N2YEB3002022",
            "SANDBOX_",
            "5Y3A2N2YEB3002022",
            id="production-client-id-with-sandbox-prefix",
        ),
        pytest.param(
            "sandbox",
            "client-id",
            "2021004133680123",
            "SANDBOX_",
            "2021004133680123",
            id="sandbox-client-id-without-prefix",
        ),
        pytest.param(
            "sandbox",
            "alipay-public-key",
            "MIIBIjANBgkqh!!not*a*key",
            "base64 or PEM",
            "not*a*key",
            id="garbage-key",
        ),
        pytest.param(
            "sandbox",
            "public-key",
            one_line(ELLIPTIC),
            "RSA",
            one_line(ELLIPTIC),
            id="ec-key",
        ),
    ],
)
async def test_refused_values_say_what_was_expected_and_change_nothing(
    app: RunningApp, slack: SlackStub, env: str, field: str, value: str, expected: str, secret: str
) -> None:
    await _new(app)
    reply = await _set(app, env, field, value)
    assert reply.body["response_type"] == "ephemeral"
    assert not reply.text.startswith("Saved"), reply.text
    assert expected in reply.text, reply.text
    assert secret not in _sent(reply, slack)  # the value is never echoed
    assert await _credentials(app) == {}
    assert await _events(app, "credential_set") == []


async def test_only_the_owner_or_a_workspace_admin_sets_credentials(
    app: RunningApp, slack: SlackStub
) -> None:
    slack.add_user("UADMIN", is_admin=True)
    slack.channel_members["CPAY"].append("UADMIN")
    await _new(app)  # owned by UALICE

    refused = await _set(app, "sandbox", "client-id", SANDBOX_CLIENT_ID, user="UBOB")
    assert refused.body["response_type"] == "ephemeral"
    assert "Only the owner" in refused.text and "admin" in refused.text
    assert await _credentials(app) == {}
    assert await _events(app, "credential_set") == []
    modal = await app.command("creds", user="UBOB")
    assert "Only the owner" in modal.text
    assert slack.calls_to("views.open") == []

    allowed = await _set(app, "sandbox", "client-id", SANDBOX_CLIENT_ID, user="UADMIN")
    assert allowed.text.startswith("Saved")
    assert (await _credentials(app)) == {("sandbox", "client_id"): SANDBOX_CLIENT_ID}
    (event,) = await _events(app, "credential_set")
    assert event.actor_id == "UADMIN"

    # Any member may look at them, masked.
    shown = await app.command("creds show", user="UBOB")
    assert short_client_id(SANDBOX_CLIENT_ID) in shown.text
    outsider = await app.command("creds show", user="UCAROL")
    assert "SANDBOX_5Y" not in outsider.text


async def test_creds_show_is_ephemeral_and_masked(app: RunningApp, slack: SlackStub) -> None:
    await _new(app)
    before = await app.command("creds show")
    assert before.body["response_type"] == "ephemeral"
    assert before.text.count("not set") == 8
    await _set_all(app, only="sandbox")
    shown = await app.command("creds show")
    assert shown.body["response_type"] == "ephemeral"
    for _, _, _, _, masked, _ in SETTINGS[:4]:
        assert masked in shown.text
    assert f"`{shown_key(SANDBOX_MERCHANT)}`" in shown.text
    assert f"`{shown_key(SANDBOX_ALIPAY)}`" in shown.text
    assert "https://pay.example.com/…" in shown.text
    assert shown.text.count("not set") == 4  # production
    assert not any(secret in _sent(shown, slack) for secret in SECRETS)


async def test_a_url_as_slack_escapes_it_is_stored_unwrapped(
    app: RunningApp, slack: SlackStub
) -> None:
    await _new(app)
    reply = await _set(app, "sandbox", "notify-url", "<https://pay.example.com/alipay/notify>")
    assert reply.text.startswith("Saved"), reply.text
    assert (await _credentials(app))["sandbox", "notify_url"] == (
        "https://pay.example.com/alipay/notify"
    )
    shown = await app.command("creds show")
    assert "https://pay.example.com/…" in shown.text
    # With a query: `&` arrives as `&amp;` inside the link.
    await _set(app, "production", "notify-url", "<https://pay.example.com/n?app=acme&amp;v=2>")
    assert (await _credentials(app))["production", "notify_url"] == (
        "https://pay.example.com/n?app=acme&v=2"
    )


async def test_a_notification_url_with_a_query_is_never_shown_in_full(
    app: RunningApp, slack: SlackStub
) -> None:
    await _new(app)
    reply = await _set(app, "sandbox", "notify-url", "<https://pay.example.com/?token=s3cr3t77>")
    assert reply.text.startswith("Saved"), reply.text
    shown = await app.command("creds show")
    assert "s3cr3t77" not in _sent(reply, slack) + _sent(shown, slack)


# ---- the credentials modal ----------------------------------------------------------------------


async def test_creds_alone_opens_the_modal_with_both_environments(
    app: RunningApp, slack: SlackStub
) -> None:
    await _new(app)
    await _set(app, "sandbox", "client-id", SANDBOX_CLIENT_ID)
    view = await _opened_view(app, slack, "creds", CREDENTIALS_MODAL)
    inputs = [b for b in view["blocks"] if b["type"] == "input"]
    assert len(inputs) == 8
    assert {b["block_id"] for b in inputs} == {
        f"{env}.{field}"
        for env in ("sandbox", "production")
        for field in ("client_id", "public_key", "alipay_public_key", "notify_url")
    }
    assert SANDBOX_CLIENT_ID not in json.dumps(view)  # the hint shows it masked
    assert short_client_id(SANDBOX_CLIENT_ID) in json.dumps(view, ensure_ascii=False)


async def test_a_bad_value_in_the_modal_is_shown_on_its_field_and_nothing_is_saved(
    app: RunningApp, slack: SlackStub
) -> None:
    await _new(app)
    view = await _opened_view(app, slack, "creds", CREDENTIALS_MODAL)
    values = {
        "sandbox.client_id": _text_value(SANDBOX_CLIENT_ID),  # good
        "sandbox.public_key": _text_value(one_line(WEAK)),  # too short
        "sandbox.notify_url": _text_value("http://pay.example.com/alipay/notify"),
        "production.client_id": _text_value(None),
    }
    reply = await submit(app, view, values)
    assert reply.status == 200
    assert reply.body["response_action"] == "errors"
    errors = reply.body["errors"]
    assert set(errors) == {"sandbox.public_key", "sandbox.notify_url"}
    assert "2048" in errors["sandbox.public_key"]
    assert "https://" in errors["sandbox.notify_url"]
    assert all(len(message) <= 150 for message in errors.values())
    assert await _credentials(app) == {}
    assert await _events(app, "credential_set") == []
    assert slack.calls_to("chat.postEphemeral") == []


async def test_the_modal_refuses_a_member_who_is_not_the_owner(
    app: RunningApp, slack: SlackStub
) -> None:
    await _new(app)
    view = await _opened_view(app, slack, "creds", CREDENTIALS_MODAL)  # opened by the owner
    reply = await submit(
        app, view, {"sandbox.client_id": _text_value(SANDBOX_CLIENT_ID)}, user="UBOB"
    )
    assert reply.body["response_action"] == "errors"
    assert "Only the owner" in reply.body["errors"]["sandbox.client_id"]
    assert await _credentials(app) == {}
    assert await _events(app, "credential_set") == []


async def test_good_values_in_the_modal_are_saved_and_confirmed(
    app: RunningApp, slack: SlackStub
) -> None:
    await _new(app)
    view = await _opened_view(app, slack, "creds", CREDENTIALS_MODAL)
    values = {
        "sandbox.client_id": _text_value(SANDBOX_CLIENT_ID),
        "sandbox.public_key": _text_value(pem(SANDBOX_MERCHANT)),
        "sandbox.alipay_public_key": _text_value(one_line(SANDBOX_ALIPAY)),
        "sandbox.notify_url": _text_value(NOTIFY_URL),
        "production.client_id": _text_value(PRODUCTION_CLIENT_ID),
        "production.public_key": _text_value(one_line(PRODUCTION_MERCHANT)),
        "production.alipay_public_key": _text_value(pem(PRODUCTION_ALIPAY)),
        "production.notify_url": _text_value("https://pay.example.com/alipay/notify/prod-91fd"),
    }
    reply = await submit(app, view, values)
    assert reply.status == 200 and reply.body in ({}, ""), reply.body  # closes the modal
    stored = await _credentials(app)
    assert len(stored) == 8
    assert stored["sandbox", "public_key"] == one_line(SANDBOX_MERCHANT)
    assert stored["production", "alipay_public_key"] == one_line(PRODUCTION_ALIPAY)
    assert len(await _events(app, "credential_set")) == 8

    posted = await slack.wait_for("chat.postEphemeral")
    assert posted, "no confirmation"
    assert all(p.args["user"] == "UALICE" and p.args["channel"] == "CPAY" for p in posted)
    said = "\n".join(p.args["text"] for p in posted)
    assert "Saved" in said and shown_key(SANDBOX_MERCHANT) in said
    offered = [step for p in posted for step in _offers(p.args.get("blocks") or [])]
    assert sorted(offered) == ["1.3", "1.4", "1.5", "3.1", "3.2"]
    assert not any(secret in _sent(reply, slack) for secret in SECRETS)


# ---- the 3.5 gate -------------------------------------------------------------------------------


async def test_3_5_is_refused_until_the_production_credentials_replace_the_sandbox_ones(
    app: RunningApp, slack: SlackStub
) -> None:
    await _new(app)
    refused = await app.command("mark 3.5")
    assert refused.body["response_type"] == "ephemeral"
    for field in ("client ID", "merchant public key", "Alipay public key"):
        assert f"the production {field} is not set" in refused.text, refused.text
    assert "--force" in refused.text
    assert (await _state(app, "3.5")).done_at is None
    assert await _events(app, "marked") == []

    # A whole phase is refused with it: nothing of phase 3 is marked.
    phase = await app.command("mark 3")
    assert "can't be marked" in phase.text
    assert await _events(app, "marked") == []

    # Production keys copied from sandbox (one as PEM: the same key all the same).
    await _set_all(app, only="sandbox")
    await _set(app, "production", "client-id", PRODUCTION_CLIENT_ID)
    await _set(app, "production", "public-key", pem(SANDBOX_MERCHANT))
    await _set(app, "production", "alipay-public-key", one_line(SANDBOX_ALIPAY))
    same = await app.command("mark 3.5")
    assert "merchant public key is the same as the sandbox one" in same.text
    assert "Alipay public key is the same as the sandbox one" in same.text
    assert "client ID" not in same.text.split("--force")[0].split("yet:")[1]
    assert (await _state(app, "3.5")).done_at is None

    await _set(app, "production", "public-key", one_line(PRODUCTION_MERCHANT))
    still = await app.command("mark 3.5")
    assert "merchant public key" not in still.text and "Alipay public key is the same" in still.text
    await _set(app, "production", "alipay-public-key", one_line(PRODUCTION_ALIPAY))
    allowed = await app.command("mark 3.5")
    assert "can't be marked" not in allowed.text, allowed.text
    assert (await _state(app, "3.5")).done_at is not None
    assert await _events(app, "forced") == []


async def test_mark_3_5_force_overrides_the_gate_and_history_records_it(
    app: RunningApp, slack: SlackStub
) -> None:
    await _new(app)
    reply = await app.command("mark 3.5 --force")
    assert "can't be marked" not in reply.text, reply.text
    state = await _state(app, "3.5")
    assert state.done_at is not None and state.done_by == "UALICE"
    (forced,) = await _events(app, "forced")
    assert forced.step == "3.5" and forced.actor_id == "UALICE"
    history = await app.command("history 3.5")
    assert "forced" in history.text


# ---- the diagnosis modal ------------------------------------------------------------------------


def _sign(key: rsa.RSAPrivateKey, content: str) -> str:
    raw = key.sign(content.encode(), padding.PKCS1v15(), hashes.SHA256())
    return quote(base64.b64encode(raw).decode(), safe="")


REQUEST_TIME = "2026-11-25T18:00:00+08:00"
BODY = '{"paymentRequestId":"pay-20261125-0001","paymentAmount":{"currency":"USD","value":"100"}}'


def _request(key: rsa.RSAPrivateKey, body: str = BODY, path: str = "/ams/api/v1/payments/pay"):
    content = f"POST {path}\n{SANDBOX_CLIENT_ID}.{REQUEST_TIME}.{body}"
    headers = (
        f"Content-Type: application/json; charset=UTF-8\n"
        f"Client-Id: {SANDBOX_CLIENT_ID}\n"
        f"request-time:  {REQUEST_TIME}\n"
        f"Signature: algorithm=RSA256, keyVersion=1, signature={_sign(key, content)}\n"
    )
    return f"POST {path}", headers, content


async def test_diagnose_opens_the_modal(app: RunningApp, slack: SlackStub) -> None:
    await _new(app)
    view = await _opened_view(app, slack, "diagnose", DIAGNOSE_MODAL)
    block_ids = {b.get("block_id") for b in view["blocks"]}
    assert {"key", "pasted_key", "request_line", "headers", "body"} <= block_ids


async def test_diagnose_with_a_pasted_key_says_valid_and_shows_the_signed_content(
    app: RunningApp, slack: SlackStub
) -> None:
    await _new(app)
    view = await _opened_view(app, slack, "diagnose", DIAGNOSE_MODAL)
    request_line, headers, content = _request(SANDBOX_MERCHANT)
    values = {
        "key": _select("pasted"),
        "pasted_key": _text_value(pem(SANDBOX_MERCHANT)),
        "request_line": _text_value(request_line),
        "headers": _text_value(headers),
        "body": _text_value(BODY),
    }
    reply = await submit(app, view, values)
    assert reply.status == 200
    assert reply.body["response_action"] == "update", reply.body
    shown = _texts(reply.body["view"])
    assert "*valid*" in shown and "invalid" not in shown
    assert content in shown

    tampered = values | {"body": _text_value(BODY.replace('"100"', '"1000"'))}
    reply = await submit(app, view, tampered)
    assert reply.body["response_action"] == "update"
    shown = _texts(reply.body["view"])
    assert "invalid" in shown and "content mismatch" in shown
    assert '"1000"' in shown  # the content as it would have been signed


async def test_diagnose_with_the_stored_alipay_key(app: RunningApp, slack: SlackStub) -> None:
    await _new(app)
    view = await _opened_view(app, slack, "diagnose", DIAGNOSE_MODAL)
    request_line, headers, _ = _request(SANDBOX_ALIPAY, path="/alipay/notify/acme-pos")
    values = {
        "key": _select("sandbox.alipay_public_key"),
        "request_line": _text_value(request_line),
        "headers": _text_value(headers),
        "body": _text_value(BODY),
    }
    # Nothing stored yet: said on the key field.
    reply = await submit(app, view, values)
    assert reply.body["response_action"] == "errors"
    assert "key" in reply.body["errors"]

    await _set(app, "sandbox", "alipay-public-key", one_line(SANDBOX_ALIPAY))
    reply = await submit(app, view, values)
    assert reply.body["response_action"] == "update", reply.body
    assert "*valid*" in _texts(reply.body["view"])

    # Checked with the merchant key instead (not stored): an error; stored but wrong: invalid.
    await _set(app, "sandbox", "public-key", one_line(SANDBOX_MERCHANT))
    reply = await submit(app, view, values | {"key": _select("sandbox.public_key")})
    assert "invalid" in _texts(reply.body["view"])


async def test_diagnose_with_missing_headers_answers_inline_errors(
    app: RunningApp, slack: SlackStub
) -> None:
    await _new(app)
    view = await _opened_view(app, slack, "diagnose", DIAGNOSE_MODAL)
    values = {
        "key": _select("pasted"),
        "pasted_key": _text_value(None),
        "request_line": _text_value("POST"),
        "headers": _text_value(f"client-id: {SANDBOX_CLIENT_ID}\n"),
        "body": _text_value(BODY),
    }
    reply = await submit(app, view, values)
    assert reply.status == 200
    assert reply.body["response_action"] == "errors"
    errors = reply.body["errors"]
    assert "request-time" in errors["headers"] and "signature" in errors["headers"]
    assert "client-id" not in errors["headers"]
    assert "request_line" in errors and "pasted_key" in errors


async def test_a_bad_value_is_explained_in_the_readers_language(
    app: RunningApp, slack: SlackStub
) -> None:
    slack.add_user("UALICE", locale="zh-CN")
    await _new(app)
    view = await _opened_view(app, slack, "creds", CREDENTIALS_MODAL)
    values = {
        "sandbox.public_key": _text_value(one_line(WEAK)),
        "sandbox.notify_url": _text_value("http://pay.example.com/alipay/notify"),
    }
    reply = await submit(app, view, values)
    errors = reply.body["errors"]
    assert set(errors) == {"sandbox.public_key", "sandbox.notify_url"}
    cjk = re.compile(r"[\u4e00-\u9fff]")
    assert all(cjk.search(message) for message in errors.values()), errors
    assert all(len(message) <= 150 for message in errors.values())
    assert await _credentials(app) == {}
