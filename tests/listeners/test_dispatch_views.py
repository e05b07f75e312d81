"""Modal submissions only translate: each form, dispatched as a signed view_submission, calls
its one use case with the submitter (workspace and user) and the application id and step its
private_metadata claims, plus the values typed; the ack closes the modal (or shows the
verdict), and the outcome's follow-up is handed on. A `Refusal` comes back as
`response_action: errors` on the form's field and nothing else happens."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from bot.alipay.signature import header_value, sign, signed_content, verify
from bot.blocks import credentials as credential_blocks
from bot.blocks import modals
from bot.listeners.views import credentials as credentials_listener
from bot.listeners.views import step_modals as step_modals_listener
from bot.services.checklist import template_for
from bot.services.due_dates import DueSpec
from bot.services.errors import Refusal
from bot.usecases import credentials, steps
from bot.usecases.context import Actor, Followup
from tests.conftest import FakeClock
from tests.harness import TEAM_ID
from tests.listeners.dispatch import (
    Dispatcher,
    FollowedUp,
    FollowUpLog,
    Posted,
    answering_calls,
    as_dicts,
    dispatching,
    fake,
    parsed_body,
    post_application,
    view_dict,
)
from tests.slack_stub import SlackStub

ALICE = Actor(team_id=TEAM_ID, user_id="UALICE")  # a submission carries no trusted channel
REFUSED = "Only members of <#CPAY> can change *Acme POS* (`acme-pos`); join the channel first."


@pytest.fixture
async def bolt(slack: SlackStub, clock: FakeClock, tmp_path: Path) -> AsyncIterator[Dispatcher]:
    async with dispatching(slack, clock, tmp_path / "data") as dispatcher:
        yield dispatcher


@pytest.fixture
async def acme(bolt: Dispatcher) -> Posted:
    return await post_application(bolt)


@pytest.fixture
def followups(monkeypatch: pytest.MonkeyPatch) -> FollowUpLog:
    return FollowUpLog(monkeypatch)


# ---- the step menu's modals: assign, due date, note -------------------------------------------


def step_view(callback_id: str, application_id: int, step: str = "1.3") -> dict[str, Any]:
    context = modals.ModalContext(application_id=application_id, step=step)
    return {"callback_id": callback_id, "private_metadata": context.encode(), "blocks": []}


def picked_user(user: str) -> dict[str, Any]:
    return {
        modals.ASSIGNEE_BLOCK: {
            modals.ASSIGNEE_ACTION: {"type": "users_select", "selected_user": user}
        }
    }


def picked_date(day: str | None) -> dict[str, Any]:
    return {modals.DUE_BLOCK: {modals.DUE_ACTION: {"type": "datepicker", "selected_date": day}}}


def typed_note(text: str) -> dict[str, Any]:
    return {modals.NOTE_BLOCK: {modals.NOTE_ACTION: {"type": "plain_text_input", "value": text}}}


async def test_the_assign_modal_assigns_the_picked_person(
    bolt: Dispatcher, acme: Posted, monkeypatch: pytest.MonkeyPatch, followups: FollowUpLog
) -> None:
    """Application and step from private_metadata, the person from the users select; the
    modal closes and the follow-up goes on."""
    followup = Followup(acme.application, homes=frozenset({"UBOB"}))
    done = steps.StepChanged(template_for(acme.application), "1.3", None, "UBOB", followup)
    assign = fake(monkeypatch, step_modals_listener.steps, "assign", returns=done)

    response = await bolt.submit(step_view(modals.ASSIGN, acme.id), picked_user("UBOB"))

    assert assign.only_call(bolt) == {
        "actor": ALICE,
        "ref": acme.id,
        "step": "1.3",
        "assignee_id": "UBOB",
    }
    assert (response.status, response.body) == (200, "")
    assert followups == [FollowedUp(followup, None, ())]
    assert bolt.slack.calls == []


@pytest.mark.parametrize(
    ("picked", "due"),
    [("2026-12-24", DueSpec("date", date(2026, 12, 24))), (None, DueSpec("none"))],
)
async def test_the_due_modal_sets_the_picked_date_or_clears_it(
    bolt: Dispatcher,
    acme: Posted,
    monkeypatch: pytest.MonkeyPatch,
    followups: FollowUpLog,
    picked: str | None,
    due: DueSpec,
) -> None:
    """A picked date is that date; an empty picker clears the due date."""
    followup = Followup(acme.application)
    done = steps.DueSet(
        template_for(acme.application), "1.3", due.on, "America/Los_Angeles", followup
    )
    set_due = fake(monkeypatch, step_modals_listener.steps, "set_due", returns=done)

    response = await bolt.submit(step_view(modals.DUE, acme.id), picked_date(picked))

    assert set_due.only_call(bolt) == {"actor": ALICE, "ref": acme.id, "step": "1.3", "due": due}
    assert (response.status, response.body) == (200, "")
    assert followups == [FollowedUp(followup, None, ())]


async def test_the_note_modal_adds_the_typed_note(
    bolt: Dispatcher, acme: Posted, monkeypatch: pytest.MonkeyPatch, followups: FollowUpLog
) -> None:
    """The note's text as typed (the use case trims and checks it)."""
    followup = Followup(acme.application)
    done = steps.StepChanged(template_for(acme.application), "2.1", None, "keys from IT", followup)
    add_note = fake(monkeypatch, step_modals_listener.steps, "add_note", returns=done)

    response = await bolt.submit(
        step_view(modals.NOTE, acme.id, "2.1"), typed_note(" keys from IT")
    )

    assert add_note.only_call(bolt) == {
        "actor": ALICE,
        "ref": acme.id,
        "step": "2.1",
        "text": " keys from IT",
    }
    assert (response.status, response.body) == (200, "")
    assert followups == [FollowedUp(followup, None, ())]


@pytest.mark.parametrize(
    ("callback_id", "use_case", "values", "field"),
    [
        (modals.ASSIGN, "assign", picked_user("UBOB"), modals.ASSIGNEE_BLOCK),
        (modals.DUE, "set_due", picked_date("2026-12-24"), modals.DUE_BLOCK),
        (modals.NOTE, "add_note", typed_note("keys from IT"), modals.NOTE_BLOCK),
    ],
)
async def test_a_refused_step_modal_shows_the_refusal_on_its_field(
    bolt: Dispatcher,
    acme: Posted,
    monkeypatch: pytest.MonkeyPatch,
    followups: FollowUpLog,
    callback_id: str,
    use_case: str,
    values: dict[str, Any],
    field: str,
) -> None:
    """The refusal's words as the inline error of the form's one input; the modal stays
    open, nothing is sent, no follow-up."""
    refused = fake(monkeypatch, step_modals_listener.steps, use_case, raises=Refusal(REFUSED))

    response = await bolt.submit(step_view(callback_id, acme.id), values, user="UCAROL")

    assert refused.only_call(bolt)["actor"] == Actor(TEAM_ID, "UCAROL")
    assert parsed_body(response) == {"response_action": "errors", "errors": {field: REFUSED}}
    assert answering_calls(bolt.slack) == []  # but the refusal's reader language
    assert followups == []


async def test_a_step_modal_with_damaged_metadata_calls_no_use_case(
    bolt: Dispatcher, monkeypatch: pytest.MonkeyPatch, followups: FollowUpLog
) -> None:
    """private_metadata that names no application is answered on the field, unchanged."""
    add_note = fake(monkeypatch, step_modals_listener.steps, "add_note")
    view = {"callback_id": modals.NOTE, "private_metadata": "{not json", "blocks": []}

    response = await bolt.submit(view, typed_note("hello"))

    assert add_note.calls == []
    body = parsed_body(response)
    assert body["response_action"] == "errors"
    assert "damaged" in body["errors"][modals.NOTE_BLOCK]
    assert followups == []


# ---- the credentials form --------------------------------------------------------------------

CLIENT_ID = "SANDBOX_5Y3A2N2YEB3002022"


def credentials_view(application_id: int) -> dict[str, Any]:
    return {
        "callback_id": credential_blocks.CREDENTIALS_MODAL,
        "private_metadata": json.dumps({"application_id": application_id}),
        "blocks": [],
    }


def typed(values: dict[str, str]) -> dict[str, Any]:
    return {
        block: {"value": {"type": "plain_text_input", "value": value}}
        for block, value in values.items()
    }


async def test_the_credentials_form_saves_what_was_filled_in_and_confirms_in_its_channel(
    bolt: Dispatcher, acme: Posted, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only the fields filled in, by (environment, field), for the application the form
    claims; the modal closes and the confirmation is an ephemeral message in the channel of
    the application the use case returned."""
    saved = credentials.Saved(
        acme.application,
        template_for(acme.application),
        [("sandbox", "client_id", "SAND…2022")],
        ["1.3"],
    )
    save = fake(monkeypatch, credentials_listener.credentials, "save", returns=saved)
    entered = {
        credential_blocks.field_block_id("sandbox", "client_id"): f"  {CLIENT_ID} ",
        credential_blocks.field_block_id("production", "client_id"): "   ",
    }

    response = await bolt.submit(credentials_view(acme.id), typed(entered))

    assert save.only_call(bolt) == {
        "actor": ALICE,
        "ref": acme.id,
        "values": {("sandbox", "client_id"): CLIENT_ID},
    }
    assert (response.status, response.body) == (200, "")
    (confirmed,) = bolt.slack.calls
    assert confirmed.method == "chat.postEphemeral"
    text, confirm_blocks = credential_blocks.saved_many(
        acme.application, saved.template, saved.values, saved.steps_ready
    )
    assert confirmed.args["channel"] == "CPAY"
    assert confirmed.args["user"] == "UALICE"
    assert (confirmed.args["text"], confirmed.args["blocks"]) == (text, as_dicts(confirm_blocks))


async def test_a_refused_credentials_form_shows_the_refusal_on_its_first_field(
    bolt: Dispatcher, acme: Posted, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Refused (not the owner): the inline error, and no confirmation is posted."""
    refused = fake(monkeypatch, credentials_listener.credentials, "save", raises=Refusal(REFUSED))
    entered = {credential_blocks.field_block_id("sandbox", "client_id"): CLIENT_ID}

    response = await bolt.submit(credentials_view(acme.id), typed(entered), user="UBOB")

    assert refused.only_call(bolt)["actor"] == Actor(TEAM_ID, "UBOB")
    assert parsed_body(response) == {
        "response_action": "errors",
        "errors": {credentials_listener.FIRST_FIELD: REFUSED},
    }
    assert answering_calls(bolt.slack) == []  # but the refusal's reader language


async def test_a_bad_credential_value_is_shown_on_its_field_and_nothing_is_saved(
    bolt: Dispatcher, acme: Posted, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A value that cannot be saved is an inline error on its own field; save is not called."""
    save = fake(monkeypatch, credentials_listener.credentials, "save")
    block = credential_blocks.field_block_id("sandbox", "notify_url")

    response = await bolt.submit(credentials_view(acme.id), typed({block: "not a url"}))

    assert save.calls == []
    body = parsed_body(response)
    assert body["response_action"] == "errors"
    assert list(body["errors"]) == [block]
    assert bolt.slack.calls == []


# ---- the signature diagnosis form ------------------------------------------------------------

MERCHANT = rsa.generate_private_key(public_exponent=65537, key_size=2048)
PUBLIC_KEY = base64.b64encode(
    MERCHANT.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
).decode()
METHOD, PATH, REQUEST_TIME, BODY = "POST", "/ams/api/v1/payments/pay", "1732521600000", '{"a":1}'
SIGNATURE = sign(MERCHANT, signed_content(METHOD, PATH, CLIENT_ID, REQUEST_TIME, BODY))


def diagnose_view(application_id: int) -> dict[str, Any]:
    return {
        "callback_id": credential_blocks.DIAGNOSE_MODAL,
        "private_metadata": json.dumps({"application_id": application_id}),
        "blocks": [],
    }


def diagnosis_values(key_choice: str, pasted_key: str = "") -> dict[str, Any]:
    headers = (
        f"Client-Id: {CLIENT_ID}\nrequest-time: {REQUEST_TIME}\n"
        f"Signature: {header_value(SIGNATURE)}"
    )
    return {
        "key": {"value": {"type": "static_select", "selected_option": {"value": key_choice}}},
        **typed(
            {
                "pasted_key": pasted_key,
                "request_line": f"{METHOD} {PATH}",
                "headers": headers,
                "body": BODY,
            }
        ),
    }


def expected_verdict() -> dict[str, Any]:
    verdict = verify(PUBLIC_KEY, METHOD, PATH, CLIENT_ID, REQUEST_TIME, BODY, SIGNATURE)
    assert verdict.valid  # the form below carries a signature that checks out
    view = credential_blocks.diagnosis(verdict.valid, verdict.reason, verdict.content)
    return {"response_action": "update", "view": view_dict(view)}


async def test_the_diagnosis_form_checks_with_the_stored_key_it_names(
    bolt: Dispatcher, acme: Posted, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stored key: environment and field from the choice, the application from the form;
    the modal is updated to the verdict for that key."""
    stored_key = fake(
        monkeypatch, credentials_listener.credentials, "stored_key", returns=PUBLIC_KEY
    )

    response = await bolt.submit(diagnose_view(acme.id), diagnosis_values("sandbox.public_key"))

    assert stored_key.only_call(bolt) == {
        "actor": ALICE,
        "ref": acme.id,
        "environment": "sandbox",
        "field": "public_key",
    }
    assert parsed_body(response) == expected_verdict()
    assert bolt.slack.calls == []


async def test_the_diagnosis_form_with_a_pasted_key_reads_nothing_stored(
    bolt: Dispatcher, acme: Posted, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pasted key needs no stored one: no use case, the verdict for the pasted key."""
    stored_key = fake(monkeypatch, credentials_listener.credentials, "stored_key")

    response = await bolt.submit(diagnose_view(acme.id), diagnosis_values("pasted", PUBLIC_KEY))

    assert stored_key.calls == []
    assert parsed_body(response) == expected_verdict()


async def test_a_refused_stored_key_is_shown_on_the_key_choice(
    bolt: Dispatcher, acme: Posted, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Refused (no such key stored, or not a member): the error on the key choice."""
    message = "No production Alipay public key is stored; paste one."
    fake(monkeypatch, credentials_listener.credentials, "stored_key", raises=Refusal(message))

    response = await bolt.submit(
        diagnose_view(acme.id), diagnosis_values("production.alipay_public_key")
    )

    assert parsed_body(response) == {"response_action": "errors", "errors": {"key": message}}
    assert bolt.slack.calls == []
