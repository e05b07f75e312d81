"""Intents about an application's Alipay credentials: show them masked, set them (owner
only), open the form, and find the stored key a signature diagnosis checks with."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from cryptography.fernet import InvalidToken
from sqlalchemy.ext.asyncio import AsyncSession

from bot.checklists import Template
from bot.crypto import Keyring
from bot.i18n import N_
from bot.services import checklist as svc
from bot.services import credentials
from bot.services.errors import Refusal
from bot.usecases import access
from bot.usecases.access import AppRef
from bot.usecases.context import Actor, Deps
from storage.models import Application

OWNER_ACTION = "change the credentials of"


def _keyring(deps: Deps) -> Keyring:
    if deps.runtime.keyring is None:
        raise Refusal(N_("Credentials are not available: the encryption keys are not loaded."))
    return deps.runtime.keyring


@dataclass(frozen=True, slots=True)
class Masked:
    application: Application
    rows: list[tuple[str, str, str]]  # (environment, field, masked value or "not set")


async def show(deps: Deps, actor: Actor, ref: AppRef) -> Masked:
    application = await access.for_member(deps, actor, ref)
    return Masked(application, await _masked(deps, application))


async def open_form(deps: Deps, actor: Actor, ref: AppRef) -> Masked:
    """What the credentials form shows; only its owner may open it."""
    application = await access.for_owner(deps, actor, ref, OWNER_ACTION)
    return Masked(application, await _masked(deps, application))


async def _masked(deps: Deps, application: Application) -> list[tuple[str, str, str]]:
    async with deps.runtime.sessions() as session:
        values = await credentials.load(session, _keyring(deps), application.id)
    return credentials.describe(values)


@dataclass(frozen=True, slots=True)
class Saved:
    application: Application
    template: Template
    values: list[tuple[str, str, str]]  # (environment, field, masked value) as saved
    steps_ready: list[str]  # steps whose credentials are now all set, offered for marking


def problems(values: Mapping[tuple[str, str], str]) -> dict[tuple[str, str], Refusal]:
    """What is wrong with each value that cannot be saved, by (environment, field)."""
    found = {}
    for (environment, field), value in values.items():
        if environment not in credentials.ENVIRONMENTS or field not in credentials.FIELDS:
            found[environment, field] = Refusal(
                N_("`{name}` is not a credential; they are {environments} × {fields}."),
                name=f"{environment[:20]}.{field[:30]}",
                environments=", ".join(credentials.ENVIRONMENTS),
                fields=", ".join(credentials.FIELDS),
            )
            continue
        try:
            credentials.normalize(environment, field, value)
        except Refusal as refusal:
            found[environment, field] = refusal
    return found


async def save(
    deps: Deps, actor: Actor, ref: AppRef, values: Mapping[tuple[str, str], str]
) -> Saved:
    """Save every (environment, field) → value, all or none: each is checked first, so one bad
    value changes nothing."""
    keyring = _keyring(deps)
    if not values:
        raise Refusal(N_("Give at least one value."))
    found = problems(values)
    if found:
        raise Refusal.joined(list(found.values()))
    application = await access.for_owner(deps, actor, ref, OWNER_ACTION)

    async def unit(session: AsyncSession, current: Application) -> Saved:
        template = svc.template_for(current)
        saved, ready = [], set()
        for (environment, field), value in values.items():
            result = await credentials.set_value(
                session,
                keyring,
                current,
                template,
                environment,
                field,
                value,
                actor_id=actor.user_id,
                now=deps.now(),
            )
            saved.append((environment, field, result.shown))
            ready.update(result.steps_ready)
        return Saved(current, template, saved, sorted(ready))

    return await access.change(deps, application, unit)


async def diagnosis_target(deps: Deps, actor: Actor, ref: AppRef) -> Application:
    """The application whose signatures a member diagnoses."""
    return await access.for_member(deps, actor, ref)


async def stored_key(deps: Deps, actor: Actor, ref: AppRef, environment: str, field: str) -> str:
    """A stored public key, for a member checking a signature with it."""
    if environment not in credentials.ENVIRONMENTS or field not in credentials.KEY_FIELDS:
        raise Refusal(N_("Pick one of the stored public keys, or paste one."))
    application = await access.for_member(deps, actor, ref)
    try:
        async with deps.runtime.sessions() as session:
            stored = await credentials.load(session, _keyring(deps), application.id)
    except InvalidToken:
        raise Refusal(N_("The stored credentials cannot be read here.")) from None
    key = stored.get((environment, field))
    if key is None:
        raise Refusal(
            N_("No {label} is stored; paste one."),
            label=credentials.named(environment, field),
        )
    return key
