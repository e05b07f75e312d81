"""Credentials and signature diagnosis: pure builders of the replies and modals."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.blocks.checklist import action_value
from bot.blocks.mrkdwn import fit_mrkdwn, shorten, user_text
from bot.blocks.replies import app_label, step_label
from bot.checklists import Template
from bot.command_parser import MAX_CREDENTIAL
from bot.i18n import ENGLISH_TRANSLATOR, N_, Translator
from bot.services import credentials
from bot.services.credentials import ENVIRONMENTS, FIELDS
from storage.models import Application

CREDENTIALS_MODAL = "credentials"
DIAGNOSE_MODAL = "diagnose"
# The offer to mark steps is one button per step, in one actions block, and Slack wants
# action_ids unique within a block: each is OFFER_MARK, a colon and the step. The listener
# matches them all with OFFER_MARK_ACTION (messages sent before the suffix carry OFFER_MARK).
OFFER_MARK = "offer_mark_step"
OFFER_MARK_ACTION = re.compile(rf"^{re.escape(OFFER_MARK)}(?::[0-9.]+)?$")

MAX_TEXT = 3000  # a section's text
MAX_HINT = 150  # what a hint shows of the value now set (Slack allows 2,000)
# A masked value is short (services/credentials.mask), but a notification URL without a path
# shows whole, and may be as long as a credential.
MAX_MASKED = 100
MAX_SIGNED_CONTENT = 2800  # the signed content, escaped, inside its code block

LABELS = {
    "client_id": N_("Client ID"),
    "public_key": N_("Merchant public key"),
    "alipay_public_key": N_("Alipay public key"),
    "notify_url": N_("Notification URL"),
}
ENVIRONMENT_TITLES = {"sandbox": N_("Sandbox"), "production": N_("Production")}
# A form's label for each field: "Client ID (sandbox)", whole in each language.
FIELD_LABELS = {
    ("sandbox", "client_id"): N_("Client ID (sandbox)"),
    ("sandbox", "public_key"): N_("Merchant public key (sandbox)"),
    ("sandbox", "alipay_public_key"): N_("Alipay public key (sandbox)"),
    ("sandbox", "notify_url"): N_("Notification URL (sandbox)"),
    ("production", "client_id"): N_("Client ID (production)"),
    ("production", "public_key"): N_("Merchant public key (production)"),
    ("production", "alipay_public_key"): N_("Alipay public key (production)"),
    ("production", "notify_url"): N_("Notification URL (production)"),
}
# What a saved value is called in the reply: "the sandbox client ID".
SAVED_LABELS = {
    ("sandbox", "client_id"): N_("the sandbox client ID"),
    ("sandbox", "public_key"): N_("the sandbox merchant public key"),
    ("sandbox", "alipay_public_key"): N_("the sandbox Alipay public key"),
    ("sandbox", "notify_url"): N_("the sandbox notification URL"),
    ("production", "client_id"): N_("the production client ID"),
    ("production", "public_key"): N_("the production merchant public key"),
    ("production", "alipay_public_key"): N_("the production Alipay public key"),
    ("production", "notify_url"): N_("the production notification URL"),
}


def field_block_id(environment: str, field: str) -> str:
    return f"{environment}.{field}"


def shown(
    application: Application,
    rows: Sequence[tuple[str, str, str]],
    t: Translator = ENGLISH_TRANSLATOR,
) -> str:
    lines = [
        t._("Alipay credentials of {application} (masked):", application=app_label(application))
    ]
    for environment in ENVIRONMENTS:
        lines.append(f"*{t._(ENVIRONMENT_TITLES[environment])}*")
        lines += [
            t._(
                "• {field}: `{value}`",
                field=t._(LABELS[field]),
                value=user_text(value, MAX_MASKED),
            )
            for env, field, value in rows
            if env == environment
        ]
    lines.append(
        t._(
            "Set one with `/onboard creds set &lt;sandbox|production&gt; &lt;field&gt;"
            " &lt;value&gt;`."
        )
    )
    return "\n".join(lines)


def saved_many(
    application: Application,
    template: Template,
    values: Sequence[tuple[str, str, str]],
    steps_ready: Sequence[str],
    t: Translator = ENGLISH_TRANSLATOR,
) -> tuple[str, list[Block]]:
    """What was saved, masked, and a button for each step whose credentials are now all set."""
    what = t._("; ").join(
        t._(
            "{field} `{value}`",
            field=t._(SAVED_LABELS[env, field]),
            value=user_text(masked, MAX_MASKED),
        )
        for env, field, masked in values
    )
    text = t._(
        "Saved for {application}: {what} (encrypted; history notes the change, not the value).",
        application=app_label(application),
        what=what,
    )
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=fit_mrkdwn(text, MAX_TEXT)))]
    if steps_ready:
        offer = t._(", ").join(step_label(template, n, t) for n in steps_ready)
        completes = t._("That completes what {steps} needs.", steps=offer)
        blocks.append(SectionBlock(text=MarkdownTextObject(text=fit_mrkdwn(completes, MAX_TEXT))))
        blocks.append(
            ActionsBlock(
                block_id="offer",
                elements=[
                    ButtonElement(
                        text=shorten(t._("Mark {step} done", step=n), 75),
                        action_id=offer_action_id(n),
                        value=action_value(application.id, n, "mark"),
                        style="primary",
                    )
                    # Slack's limit of elements in an actions block.
                    for n in steps_ready[:25]
                ],
            )
        )
    return text, blocks


def offer_action_id(step: str) -> str:
    """The action_id of the button offering to mark `step`: unique within its block."""
    return f"{OFFER_MARK}:{step}"


def credentials_modal(
    application: Application,
    rows: Sequence[tuple[str, str, str]],
    private_metadata: str,
    t: Translator = ENGLISH_TRANSLATOR,
) -> View:
    current = {(env, field): value for env, field, value in rows}
    about = t._(
        "{application} · fill in only what changes; values are stored encrypted and never shown"
        " in full again.",
        application=app_label(application),
    )
    blocks: list[Block] = [ContextBlock(elements=[MarkdownTextObject(text=about)])]
    for environment in ENVIRONMENTS:
        title = t._(ENVIRONMENT_TITLES[environment])
        blocks.append(SectionBlock(text=MarkdownTextObject(text=f"*{title}*")))
        for field in FIELDS:
            now_set = current.get((environment, field))
            hint = t._("Now: not set") if now_set is None else t._("Now: {value}", value=now_set)
            blocks.append(
                InputBlock(
                    block_id=field_block_id(environment, field),
                    label=t._(FIELD_LABELS[environment, field]),
                    optional=True,
                    element=PlainTextInputElement(
                        action_id="value",
                        multiline=field.endswith("key"),
                        max_length=MAX_CREDENTIAL,
                    ),
                    hint=shorten(hint, MAX_HINT),
                )
            )
    return View(
        type="modal",
        callback_id=CREDENTIALS_MODAL,
        private_metadata=private_metadata,
        title=t._("Alipay credentials"),
        submit=t._("Save"),
        close=t._("Cancel"),
        blocks=blocks,
    )


KEY_CHOICES = (
    ("sandbox.alipay_public_key", N_("Stored Alipay public key (sandbox)")),
    ("production.alipay_public_key", N_("Stored Alipay public key (production)")),
    ("sandbox.public_key", N_("Stored merchant public key (sandbox)")),
    ("production.public_key", N_("Stored merchant public key (production)")),
    ("pasted", N_("The key pasted below")),
)
REQUEST_EXAMPLE = "POST /ams/api/v1/payments/pay"


def _text_input(block_id: str, label: str, *, multiline=False, optional=False, hint=None):
    return InputBlock(
        block_id=block_id,
        label=label,
        optional=optional,
        element=PlainTextInputElement(action_id="value", multiline=multiline),
        hint=hint,
    )


def diagnose_modal(
    application: Application, private_metadata: str, t: Translator = ENGLISH_TRANSLATOR
) -> View:
    about = t._(
        "{application} · paste a request Alipay rejected with `ILLEGAL_SIGN` (check with your"
        " merchant public key), or a response or notification from Alipay (check with"
        " Alipay's key).",
        application=app_label(application),
    )
    options = [Option(value=v, label=t._(label)) for v, label in KEY_CHOICES]
    return View(
        type="modal",
        callback_id=DIAGNOSE_MODAL,
        private_metadata=private_metadata,
        title=t._("Diagnose a signature"),
        submit=t._("Check"),
        close=t._("Close"),
        blocks=[
            ContextBlock(elements=[MarkdownTextObject(text=about)]),
            InputBlock(
                block_id="key",
                label=t._("Check with"),
                element=StaticSelectElement(
                    action_id="value", options=options, initial_option=options[0]
                ),
            ),
            _text_input(
                "pasted_key",
                t._("Public key"),
                multiline=True,
                optional=True,
                hint=t._("Only when checking with a pasted key: base64 or PEM."),
            ),
            _text_input(
                "request_line",
                t._("Method and path"),
                hint=t._("e.g. {example}", example=REQUEST_EXAMPLE),
            ),
            _text_input(
                "headers",
                t._("Headers"),
                multiline=True,
                hint=t._("At least client-id, request-time and signature, one per line."),
            ),
            _text_input(
                "body",
                t._("Body"),
                multiline=True,
                optional=True,
                hint=t._("Exactly as sent, byte for byte."),
            ),
        ],
    )


def diagnosis(valid: bool, reason: str, content: str, t: Translator = ENGLISH_TRANSLATOR) -> View:
    """The verdict. `reason` comes from the signature check, in English (it names headers and
    algorithms as Alipay's documentation does)."""
    verdict = (
        t._("✅ *valid*: the signature matches.")
        if valid
        else t._("❌ *invalid*: {reason}", reason=user_text(reason, MAX_TEXT - 40))
    )
    signed = t._("*Signed content* (compare it with what your code signs):")
    blocks: list[Block] = [
        SectionBlock(text=MarkdownTextObject(text=verdict)),
        SectionBlock(
            text=MarkdownTextObject(
                text=f"{signed}\n```{user_text(content, MAX_SIGNED_CONTENT)}```"
            )
        ),
    ]
    return View(type="modal", title=t._("Signature check"), close=t._("Done"), blocks=blocks)


# ---- reading the submitted forms -------------------------------------------------------------


def _inputs(view: dict) -> dict[str, dict]:
    """Each block's `value` input (both forms name their inputs `value`)."""
    values = (view.get("state") or {}).get("values") or {}
    return {block: (actions or {}).get("value") or {} for block, actions in values.items()}


def entered_credentials(view: dict) -> dict[tuple[str, str], str]:
    """(environment, field) → value for each field of the credentials form filled in."""
    entered, inputs = {}, _inputs(view)
    for environment in ENVIRONMENTS:
        for field in credentials.FIELDS:
            typed = inputs.get(field_block_id(environment, field), {}).get("value")
            if isinstance(typed, str) and typed.strip():
                entered[environment, field] = typed.strip()
    return entered


@dataclass(frozen=True, slots=True)
class DiagnosisForm:
    method: str
    path: str
    headers: dict[str, str]  # by lower-case name
    body: str
    key_choice: str  # "pasted", or "<environment>.<field>" of a stored key
    pasted_key: str


_HEADER = re.compile(r"^\s*([A-Za-z-]+)\s*:\s*(.+?)\s*$")
SIGNATURE_HEADERS = ("client-id", "request-time", "signature")


def read_diagnosis(
    view: dict, t: Translator = ENGLISH_TRANSLATOR
) -> DiagnosisForm | dict[str, str]:
    """The diagnosis form's values, or the inline errors (by block id) that say what is
    missing, in the reader's language. Header lines may be pasted in any case and with extra
    spaces."""
    inputs = _inputs(view)
    text = {block: (i.get("value") or "") for block, i in inputs.items()}
    key_choice = (inputs.get("key", {}).get("selected_option") or {}).get("value") or "pasted"
    errors: dict[str, str] = {}
    request_line = text.get("request_line", "").split()
    if len(request_line) != 2:
        errors["request_line"] = t._(
            "Give the method and the path, e.g. {example}", example=REQUEST_EXAMPLE
        )
    headers = {}
    for line in text.get("headers", "").splitlines():
        match = _HEADER.match(line)
        if match:
            headers[match.group(1).lower()] = match.group(2)
    missing = [h for h in SIGNATURE_HEADERS if h not in headers]
    if missing:
        errors["headers"] = t._(
            "Missing {headers}: paste those header lines.", headers=", ".join(missing)
        )
    pasted = text.get("pasted_key", "")
    if key_choice == "pasted" and not pasted.strip():
        errors["pasted_key"] = t._("Paste the public key to check with, or pick a stored one.")
    if errors:
        return errors
    method, path = request_line
    return DiagnosisForm(method, path, headers, text.get("body", ""), key_choice, pasted)
