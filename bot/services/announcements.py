"""Go-live and business-start announcements, enqueued in the transaction that marks the step.

Their keys name the application and the kind only, so unmarking and marking again finds the
key taken and announces nothing new.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.checklists import Template
from bot.crypto import Keyring
from bot.services import credentials
from storage import repositories as repo
from storage.models import Application, StepState
from storage.outbox import NewMessage

GO_LIVE = "go-live"
BUSINESS_START = "business-start"


def _step_with(template: Template, announces: str) -> str | None:
    return next((s.number for s in template.steps if s.announces == announces), None)


def _day(moment: datetime | None) -> str | None:
    return moment.date().isoformat() if moment else None


async def announcements_for(
    session: AsyncSession,
    application: Application,
    template: Template,
    marked: Sequence[str],
    *,
    actor_id: str,
    now: datetime,
    keyring: Keyring | None = None,
) -> list[NewMessage]:
    kinds = {template.step(n).announces for n in marked} - {None}
    if not kinds:
        return []
    states = {s.step: s for s in await repo.step_states(session, application.id)}
    base = {
        "application_id": application.id,
        "application": application.name,
        "slug": application.slug,
        "channel": application.channel_id,
        "marked_by": actor_id,
        "marked_on": now.date().isoformat(),
    }
    messages = []
    if GO_LIVE in kinds:
        messages.append(
            NewMessage(
                dedupe_key=f"{GO_LIVE}:{application.id}",
                team_id=application.team_id,
                kind=GO_LIVE,
                target=application.channel_id,
                payload=base | {"step": _step_with(template, GO_LIVE)},
                application_id=application.id,
            )
        )
    if BUSINESS_START in kinds:
        messages += await _business_start(session, application, template, states, base, keyring)
    return messages


async def _business_start(
    session: AsyncSession,
    application: Application,
    template: Template,
    states: dict[str, StepState],
    base: dict,
    keyring: Keyring | None,
) -> list[NewMessage]:
    contacts = await repo.contacts_of(session, application.id)
    values = await credentials.load(session, keyring, application.id) if keyring else {}
    client_id = values.get(("production", "client_id"))
    number = _step_with(template, BUSINESS_START)
    go_live = _step_with(template, GO_LIVE)
    # The pilot tests are the phase before the one that starts the business.
    phase = template.step(number).phase if number else 0
    pilot = template.phase(phase - 1).steps if phase > 1 else ()
    payload = base | {
        "step": number,
        "contacts": contacts,
        # Enough for Alipay to recognise the application; never a credential in full.
        "production_client_id": credentials.mask("client_id", client_id) if client_id else None,
        "went_live_on": _day(states[go_live].done_at) if go_live in states else None,
        "pilot": [
            {"step": s.number, "title": s.title, "done_on": _day(states[s.number].done_at)}
            for s in pilot
            if s.number in states
        ],
    }

    def message(key: str, target: str, kind: str = BUSINESS_START) -> NewMessage:
        return NewMessage(
            dedupe_key=key,
            team_id=application.team_id,
            kind=kind,
            target=target,
            payload=payload,
            application_id=application.id,
        )

    if application.contacts_channel_id:
        return [message(f"{BUSINESS_START}:{application.id}", application.contacts_channel_id)]
    if contacts:
        return [message(f"{BUSINESS_START}:{application.id}:{c}", c) for c in contacts]
    # Nobody to tell: say so in the team's channel rather than stay silent.
    return [
        message(
            f"{BUSINESS_START}:{application.id}:no-contacts",
            application.channel_id,
            kind="business-start-no-contacts",
        )
    ]
