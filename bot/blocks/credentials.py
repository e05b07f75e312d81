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
    "client_id": "Client ID",
    "public_key": "Merchant public key",
    "alipay_public_key": "Alipay public key",
    "notify_url": "Notification URL",
}


def field_block_id(environment: str, field: str) -> str:
    return f"{environment}.{field}"


def shown(application: Application, rows: Sequence[tuple[str, str, str]]) -> str:
    lines = [f"Alipay credentials of {app_label(application)} (masked):"]
    for environment in ENVIRONMENTS:
        lines.append(f"*{environment.title()}*")
        lines += [
            f"• {LABELS[field]}: `{user_text(value, MAX_MASKED)}`"
            for env, field, value in rows
            if env == environment
        ]
    lines.append(
        "Set one with `/onboard creds set &lt;sandbox|production&gt; &lt;field&gt; &lt;value&gt;`."
    )
    return "\n".join(lines)


def saved_many(
    application: Application,
    template: Template,
    values: Sequence[tuple[str, str, str]],
    steps_ready: Sequence[str],
) -> tuple[str, list[Block]]:
    """What was saved, masked, and a button for each step whose credentials are now all set."""
    what = "; ".join(
        f"the {env} {credentials.LABELS[field]} `{user_text(masked, MAX_MASKED)}`"
        for env, field, masked in values
    )
    text = (
        f"Saved for {app_label(application)}: {what} (encrypted; history notes the change, "
        "not the value)."
    )
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=fit_mrkdwn(text, MAX_TEXT)))]
    if steps_ready:
        offer = ", ".join(step_label(template, n) for n in steps_ready)
        blocks.append(
            SectionBlock(
                text=MarkdownTextObject(
                    text=fit_mrkdwn(f"That completes what {offer} needs.", MAX_TEXT)
                )
            )
        )
        blocks.append(
            ActionsBlock(
                block_id="offer",
                elements=[
                    ButtonElement(
                        text=shorten(f"Mark {n} done", 75),
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
    application: Application, rows: Sequence[tuple[str, str, str]], private_metadata: str
) -> View:
    current = {(env, field): value for env, field, value in rows}
    blocks: list[Block] = [
        ContextBlock(
            elements=[
                MarkdownTextObject(
                    text=f"{app_label(application)} · fill in only what changes; values are "
                    "stored encrypted and never shown in full again."
                )
            ]
        )
    ]
    for environment in ENVIRONMENTS:
        blocks.append(SectionBlock(text=MarkdownTextObject(text=f"*{environment.title()}*")))
        for field in FIELDS:
            now_set = current.get((environment, field), "not set")
            blocks.append(
                InputBlock(
                    block_id=field_block_id(environment, field),
                    label=f"{LABELS[field]} ({environment})",
                    optional=True,
                    element=PlainTextInputElement(
                        action_id="value",
                        multiline=field.endswith("key"),
                        max_length=MAX_CREDENTIAL,
                    ),
                    hint=shorten(f"Now: {now_set}", MAX_HINT),
                )
            )
    return View(
        type="modal",
        callback_id=CREDENTIALS_MODAL,
        private_metadata=private_metadata,
        title="Alipay credentials",
        submit="Save",
        close="Cancel",
        blocks=blocks,
    )


KEY_CHOICES = (
    ("sandbox.alipay_public_key", "Stored Alipay public key (sandbox)"),
    ("production.alipay_public_key", "Stored Alipay public key (production)"),
    ("sandbox.public_key", "Stored merchant public key (sandbox)"),
    ("production.public_key", "Stored merchant public key (production)"),
    ("pasted", "The key pasted below"),
)


def diagnose_modal(application: Application, private_metadata: str) -> View:
    def text_input(block_id: str, label: str, *, multiline=False, optional=False, hint=None):
        return InputBlock(
            block_id=block_id,
            label=label,
            optional=optional,
            element=PlainTextInputElement(action_id="value", multiline=multiline),
            hint=hint,
        )

    return View(
        type="modal",
        callback_id=DIAGNOSE_MODAL,
        private_metadata=private_metadata,
        title="Diagnose a signature",
        submit="Check",
        close="Close",
        blocks=[
            ContextBlock(
                elements=[
                    MarkdownTextObject(
                        text=f"{app_label(application)} · paste a request Alipay rejected with "
                        "`ILLEGAL_SIGN` (check with your merchant public key), or a response or "
                        "notification from Alipay (check with Alipay's key)."
                    )
                ]
            ),
            InputBlock(
                block_id="key",
                label="Check with",
                element=StaticSelectElement(
                    action_id="value",
                    options=[Option(value=v, label=label) for v, label in KEY_CHOICES],
                    initial_option=Option(value=KEY_CHOICES[0][0], label=KEY_CHOICES[0][1]),
                ),
            ),
            text_input(
                "pasted_key",
                "Public key",
                multiline=True,
                optional=True,
                hint="Only when checking with a pasted key: base64 or PEM.",
            ),
            text_input(
                "request_line", "Method and path", hint="e.g. POST /ams/api/v1/payments/pay"
            ),
            text_input(
                "headers",
                "Headers",
                multiline=True,
                hint="At least client-id, request-time and signature, one per line.",
            ),
            text_input(
                "body",
                "Body",
                multiline=True,
                optional=True,
                hint="Exactly as sent, byte for byte.",
            ),
        ],
    )


def diagnosis(valid: bool, reason: str, content: str) -> View:
    verdict = (
        "✅ *valid*: the signature matches."
        if valid
        else f"❌ *invalid*: {user_text(reason, MAX_TEXT - 20)}"
    )
    blocks: list[Block] = [
        SectionBlock(text=MarkdownTextObject(text=verdict)),
        SectionBlock(
            text=MarkdownTextObject(
                text="*Signed content* (compare it with what your code signs):\n```"
                + user_text(content, MAX_SIGNED_CONTENT)
                + "```"
            )
        ),
    ]
    return View(type="modal", title="Signature check", close="Done", blocks=blocks)


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


def read_diagnosis(view: dict) -> DiagnosisForm | dict[str, str]:
    """The diagnosis form's values, or the inline errors (by block id) that say what is
    missing. Header lines may be pasted in any case and with extra spaces."""
    inputs = _inputs(view)
    text = {block: (i.get("value") or "") for block, i in inputs.items()}
    key_choice = (inputs.get("key", {}).get("selected_option") or {}).get("value") or "pasted"
    errors: dict[str, str] = {}
    request_line = text.get("request_line", "").split()
    if len(request_line) != 2:
        errors["request_line"] = "Give the method and the path, e.g. POST /ams/api/v1/payments/pay"
    headers = {}
    for line in text.get("headers", "").splitlines():
        match = _HEADER.match(line)
        if match:
            headers[match.group(1).lower()] = match.group(2)
    missing = [h for h in SIGNATURE_HEADERS if h not in headers]
    if missing:
        errors["headers"] = f"Missing {', '.join(missing)}: paste those header lines."
    pasted = text.get("pasted_key", "")
    if key_choice == "pasted" and not pasted.strip():
        errors["pasted_key"] = "Paste the public key to check with, or pick a stored one."
    if errors:
        return errors
    method, path = request_line
    return DiagnosisForm(method, path, headers, text.get("body", ""), key_choice, pasted)
