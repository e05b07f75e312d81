"""Go-live and business-start announcements, enqueued in the transaction that marks the step.

Their keys name the application and the kind only, so unmarking and marking again finds the
key taken and announces nothing new.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.checklists import Template
from bot.crypto import Keyring
from bot.outbox_messages import BusinessStart, BusinessStartNoContacts, GoLive, Message, PilotStep
from bot.services import credentials
from storage import repositories as repo
from storage.models import Application
from storage.outbox import NewMessage


def _step_with(template: Template, announces: str) -> str | None:
    return next((s.number for s in template.steps if s.announces == announces), None)


def _day(moment: datetime | None) -> date | None:
    return moment.date() if moment else None


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
    messages = []
    if GoLive.KIND in kinds:
        go_live = GoLive(**_marked(application, actor_id, now, _step_with(template, GoLive.KIND)))
        key = f"{GoLive.KIND}:{application.id}"
        messages.append(_queued(go_live, application, key, application.channel_id))
    if BusinessStart.KIND in kinds:
        messages += await _business_start(
            session, application, template, actor_id=actor_id, now=now, keyring=keyring
        )
    return messages


async def _business_start(
    session: AsyncSession,
    application: Application,
    template: Template,
    *,
    actor_id: str,
    now: datetime,
    keyring: Keyring | None,
) -> list[NewMessage]:
    states = {s.step: s for s in await repo.step_states(session, application.id)}
    contacts = await repo.contacts_of(session, application.id)
    values = await credentials.load(session, keyring, application.id) if keyring else {}
    client_id = values.get(("production", "client_id"))
    number = _step_with(template, BusinessStart.KIND)
    go_live = _step_with(template, GoLive.KIND)
    # The pilot tests are the phase before the one that starts the business.
    phase = template.step(number).phase if number else 0
    pilot = template.phase(phase - 1).steps if phase > 1 else ()
    announcement = BusinessStart(
        **_marked(application, actor_id, now, number),
        contacts=tuple(contacts),
        went_live_on=_day(states[go_live].done_at) if go_live in states else None,
        pilot=tuple(
            PilotStep(
                step=s.number,
                title=s.title,
                done_on=_day(states[s.number].done_at),
                skip_reason=states[s.number].skip_reason,
            )
            for s in pilot
            if s.number in states
        ),
        # Enough for Alipay to recognise the application; never a credential in full.
        production_client_id=credentials.mask("client_id", client_id) if client_id else None,
    )

    key = f"{BusinessStart.KIND}:{application.id}"
    if application.contacts_channel_id:
        return [_queued(announcement, application, key, application.contacts_channel_id)]
    if contacts:
        return [_queued(announcement, application, f"{key}:{c}", c) for c in contacts]
    # Nobody to tell: say so in the team's channel rather than stay silent.
    nobody = BusinessStartNoContacts(**_marked(application, actor_id, now, number))
    return [_queued(nobody, application, f"{key}:no-contacts", application.channel_id)]


def _marked(
    application: Application, actor_id: str, now: datetime, step: str | None
) -> dict[str, Any]:
    """What every announcement says: which application, where, who marked which step when."""
    return {
        "application_id": application.id,
        "application": application.name,
        "slug": application.slug,
        "channel": application.channel_id,
        "marked_by": actor_id,
        "marked_on": now.date(),
        "step": step,
    }


def _queued(content: Message, application: Application, key: str, target: str) -> NewMessage:
    return content.for_outbox(
        dedupe_key=key,
        team_id=application.team_id,
        target=target,
        application_id=application.id,
    )
