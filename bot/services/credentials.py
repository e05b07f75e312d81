"""An application's Alipay credentials: checked, encrypted at rest, shown masked.

Values never leave this module in full except to code that needs them (signature checks);
history records which credential changed, never its value.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.alipay.keys import ACCEPTED, KeyProblem, parse_public_key
from bot.checklists import Template
from bot.crypto import Keyring
from bot.i18n import N_
from bot.services.errors import Phrase, Refusal
from storage import repositories as repo
from storage.models import Application, Credential

ENVIRONMENTS = ("sandbox", "production")
FIELDS = ("client_id", "public_key", "alipay_public_key", "notify_url")
LABELS = {
    "client_id": "client ID",
    "public_key": "merchant public key",
    "alipay_public_key": "Alipay public key",
    "notify_url": "notification URL",
}
# What a refusal calls each credential, whole (for translation).
_NAMED = {
    ("sandbox", "client_id"): N_("sandbox client ID"),
    ("sandbox", "public_key"): N_("sandbox merchant public key"),
    ("sandbox", "alipay_public_key"): N_("sandbox Alipay public key"),
    ("sandbox", "notify_url"): N_("sandbox notification URL"),
    ("production", "client_id"): N_("production client ID"),
    ("production", "public_key"): N_("production merchant public key"),
    ("production", "alipay_public_key"): N_("production Alipay public key"),
    ("production", "notify_url"): N_("production notification URL"),
}
KEY_FIELDS = ("public_key", "alipay_public_key")
SANDBOX_PREFIX = "SANDBOX_"
_CLIENT_ID = re.compile(r"[A-Za-z0-9_\-]{4,64}")

Values = dict[tuple[str, str], str]


def named(environment: str, field: str) -> Phrase:
    """What a refusal calls a credential: "sandbox client ID", translated with it."""
    return Phrase(_NAMED[environment, field])


def normalize(environment: str, field: str, value: str) -> str:
    """The value as stored, or a Refusal saying what was expected (never echoing it)."""
    value = value.strip()
    label = named(environment, field)
    if field == "client_id":
        if not _CLIENT_ID.fullmatch(value):
            raise Refusal(
                N_(
                    "That {label} doesn't look like one: 4–64 letters, digits, `_` or `-`, as "
                    "shown under Integration Settings in the Developer Center."
                ),
                label=label,
            )
        if (environment == "sandbox") != value.startswith(SANDBOX_PREFIX):
            raise Refusal(
                N_("A {label} starts with `{prefix}`; check which environment you copied.")
                if environment == "sandbox"
                else N_(
                    "A {label} does not start with `{prefix}`; check which environment you copied."
                ),
                label=label,
                prefix=SANDBOX_PREFIX,
            )
        return value
    if field in KEY_FIELDS:
        try:
            return parse_public_key(value).one_line
        except KeyProblem as problem:
            reason = Phrase(problem.msgid, **{**problem.params, "accepted": Phrase(ACCEPTED)})
            raise Refusal(
                N_("That {label} was refused: {problem}"), label=label, problem=reason
            ) from None
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.hostname or " " in value:
        raise Refusal(
            N_(
                "The {label} must be an https:// address Alipay can reach, e.g. "
                "`https://pay.example.com/alipay/notify`."
            ),
            label=label,
        )
    return value


def mask(field: str, value: str) -> str:
    """Enough to recognise a credential, never enough to use it."""
    if field == "client_id":
        prefix = SANDBOX_PREFIX if value.startswith(SANDBOX_PREFIX) else ""
        rest = value[len(prefix) :]
        shown = f"{rest[:4]}…{rest[-4:]}" if len(rest) >= 12 else f"{rest[:2]}…"
        return prefix + shown
    if field in KEY_FIELDS:
        return parse_public_key(value).describe()
    parts = urlsplit(value)
    if parts.path in ("", "/") and not parts.query and not parts.fragment:
        return value
    return f"{parts.scheme}://{parts.hostname}/…"


async def load(session: AsyncSession, keyring: Keyring, application_id: int) -> Values:
    rows = await session.scalars(
        select(Credential).where(Credential.application_id == application_id)
    )
    return {(r.environment, r.field): keyring.decrypt(r.ciphertext) for r in rows}


@dataclass(frozen=True, slots=True)
class SetResult:
    shown: str  # the masked value
    # Steps whose credentials are now all set and that are not done yet: offered for marking.
    steps_ready: list[str]


async def set_value(
    session: AsyncSession,
    keyring: Keyring,
    application: Application,
    template: Template,
    environment: str,
    field: str,
    value: str,
    *,
    actor_id: str,
    now: datetime,
) -> SetResult:
    stored = normalize(environment, field, value)
    ciphertext = keyring.encrypt(stored)
    row = await session.get(Credential, (application.id, environment, field))
    if row is None:
        session.add(
            Credential(
                application_id=application.id,
                environment=environment,
                field=field,
                ciphertext=ciphertext,
                updated_by=actor_id,
                updated_at=now,
            )
        )
    else:
        row.ciphertext, row.updated_by, row.updated_at = ciphertext, actor_id, now
    await repo.record_event(
        session,
        application_id=application.id,
        actor_id=actor_id,
        kind="credential_set",
        new_value=f"{environment}.{field}",
        now=now,
    )
    await session.flush()
    values = await load(session, keyring, application.id)
    states = {s.step: s for s in await repo.step_states(session, application.id)}
    artifact = f"{environment}.{field}"
    ready = [
        s.number
        for s in template.steps
        if artifact in s.artifacts
        and all(tuple(a.split(".")) in values for a in s.artifacts)
        and states[s.number].done_at is None
    ]
    return SetResult(mask(field, stored), ready)


def production_problems(values: Values) -> list[Phrase]:
    """Why the production credentials do not yet replace the sandbox ones (empty: they do)."""
    problems = []
    for field in ("client_id", *KEY_FIELDS):
        production = values.get(("production", field))
        label = named("production", field)
        if production is None:
            problems.append(Phrase(N_("the {label} is not set"), label=label))
        elif production == values.get(("sandbox", field)):
            problems.append(Phrase(N_("the {label} is the same as the sandbox one"), label=label))
    return problems


def describe(values: Values) -> list[tuple[str, str, str]]:
    """(environment, field, masked value or "not set") for every credential."""
    return [
        (env, field, mask(field, values[env, field]) if (env, field) in values else "not set")
        for env in ENVIRONMENTS
        for field in FIELDS
    ]


def steps_with_gate(template: Template, numbers: Sequence[str]) -> list[str]:
    return [n for n in numbers if template.step(n).gate == "production-credentials"]
