"""Go-live and business-start announcements, enqueued in the transaction that marks the step.

Announcing is deliberate: `question` says what marking would announce, and why to ask first
(earlier steps open, data the announcement needs missing), without changing anything; the
caller shows it and lets the person choose. Unmarking the step withdraws what was announced
(`withdraw`): a message not sent yet is cancelled, one sent is updated to say it was withdrawn.
Their keys name the application and the kind; withdrawing renames the old row's key (see
storage/outbox.py), so a later mark announces again, while a repeated mark finds it taken.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.checklists import Template
from bot.crypto import Keyring
from bot.i18n import N_
from bot.outbox_messages import (
    AnnouncementWithdrawn,
    BusinessStart,
    BusinessStartNoContacts,
    GoLive,
    Message,
    PilotStep,
)
from bot.services import credentials, languages
from storage import outbox
from storage import repositories as repo
from storage.models import Application, StepState
from storage.outbox import NewMessage

# The outbox kinds that announce what each `announces` names, and so are withdrawn with it.
KINDS_OF = {
    GoLive.KIND: (GoLive.KIND,),
    BusinessStart.KIND: (BusinessStart.KIND, BusinessStartNoContacts.KIND),
}


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
        go_live = GoLive(
            **_marked(application, actor_id, now, _step_with(template, GoLive.KIND)),
            language=await _channel_language(session, application, application.channel_id),
        )
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
    channel_language = await _channel_language(session, application, application.channel_id)
    if application.contacts_channel_id:
        target = application.contacts_channel_id
        in_channel = _in_language(
            announcement, template, await _channel_language(session, application, target)
        )
        return [_queued(in_channel, application, key, target)]
    if contacts:
        # Each contact in the language they chose, else the application's channel's: their
        # Slack language would need a Slack call, and none is made inside this transaction.
        return [
            _queued(
                _in_language(
                    announcement,
                    template,
                    await languages.chosen_by_person(session, application.team_id, c)
                    or channel_language,
                ),
                application,
                f"{key}:{c}",
                c,
            )
            for c in contacts
        ]
    # Nobody to tell: say so in the team's channel rather than stay silent.
    nobody = BusinessStartNoContacts(
        **_marked(application, actor_id, now, number), language=channel_language
    )
    return [_queued(nobody, application, f"{key}:no-contacts", application.channel_id)]


def _in_language(announcement: BusinessStart, template: Template, language: str) -> BusinessStart:
    """The announcement said in `language`, the pilot steps' titles too."""
    pilot = tuple(
        replace(p, title=template.step(p.step).title_in(language)) for p in announcement.pilot
    )
    return replace(announcement, language=language, pilot=pilot)


async def _channel_language(
    session: AsyncSession, application: Application, channel_id: str
) -> str:
    return await languages.channel_language(session, application.team_id, channel_id)


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


def announcing(template: Template, numbers: Sequence[str]) -> list[str]:
    """Of these steps, the ones that announce."""
    return [n for n in numbers if template.step(n).announces]


@dataclass(frozen=True, slots=True)
class Question:
    """Why marking these steps asks before announcing, and what it would announce."""

    application: Application
    steps: tuple[str, ...]  # every step the mark marks (skipped ones it leaves out are not here)
    announcing: tuple[str, ...]  # those of them that would announce
    open_before: tuple[str, ...]  # earlier steps not done (and not among `steps`)
    missing: tuple[str, ...]  # what the announcement lacks, in words (English, marked N_)
    messages: tuple[NewMessage, ...]  # what would be queued, exactly

    @property
    def needed(self) -> bool:
        return bool(self.open_before or self.missing)


async def question(
    session: AsyncSession,
    application: Application,
    template: Template,
    states: Sequence[StepState],
    numbers: Sequence[str],
    *,
    actor_id: str,
    now: datetime,
    keyring: Keyring | None,
) -> Question | None:
    """What marking `numbers` (the steps a mark marks, skipped ones left out) would announce
    and why it should be asked first; None when it announces nothing. Changes nothing."""
    steps = to_announce(template, states, numbers)
    if not steps:
        return None
    messages = await announcements_for(
        session, application, template, steps, actor_id=actor_id, now=now, keyring=keyring
    )
    return Question(
        application=application,
        steps=tuple(numbers),
        announcing=tuple(steps),
        open_before=tuple(open_before(template, states, steps, numbers)),
        missing=tuple(await _missing(session, application, messages, keyring)),
        messages=tuple(messages),
    )


def to_announce(
    template: Template, states: Iterable[StepState], marking: Sequence[str]
) -> list[str]:
    """Of the steps being marked, those a mark would announce: they announce and are not done
    yet (a done one is left as it is, its announcement made already)."""
    candidates = announcing(template, marking)
    if not candidates:  # most marks: no need to look at the states
        return []
    open_steps = {s.step for s in states if s.done_at is None}
    return [n for n in candidates if n in open_steps]


def open_before(
    template: Template,
    states: Iterable[StepState],
    up_to: Sequence[str],
    marking: Sequence[str],
) -> list[str]:
    """Steps before the last of `up_to` that are open (neither done nor skipped) and not
    being marked now; `states` in template order (as `repo.steps_for_change` has them)."""
    last = max(template.step(n).position for n in up_to)
    found = []
    for s in states:
        if s.position >= last:  # the rest come after it: marks run this, so stop reading
            break
        if s.done_at is None and s.skipped_at is None and s.step not in marking:
            found.append(s.step)
    return found


async def _missing(
    session: AsyncSession,
    application: Application,
    messages: Sequence[NewMessage],
    keyring: Keyring | None,
) -> list[str]:
    """What the business-start announcement would lack: read from the messages themselves,
    and the production client ID Alipay recognises the application by."""
    kinds = {m.kind for m in messages}
    if not kinds & set(KINDS_OF[BusinessStart.KIND]):
        return []
    missing = []
    if BusinessStartNoContacts.KIND in kinds:
        missing.append(
            N_(
                "no Alipay contacts and no contacts channel: the team's channel would only hear "
                "that nobody was told (`/onboard contacts add @person`)"
            )
        )
    if keyring is None:
        missing.append(N_("the production client ID cannot be read here"))
    elif not (await credentials.load(session, keyring, application.id)).get(
        ("production", "client_id")
    ):
        missing.append(
            N_("no production client ID is recorded (`/onboard creds set production client-id …`)")
        )
    return missing


def where_it_goes(messages: Sequence[NewMessage]) -> str:
    """Where announcements go, in plain words for history (no mentions: history escapes)."""
    dms = sum(m.target[:1] in "UW" for m in messages)
    places = len(messages) - dms
    parts = []
    if places:
        parts.append("to a channel" if places == 1 else f"to {places} channels")
    if dms:
        parts.append("to 1 contact by DM" if dms == 1 else f"to {dms} contacts by DM")
    return " and ".join(parts)


async def record_announced(
    session: AsyncSession,
    application: Application,
    template: Template,
    steps: Sequence[str],
    messages: Sequence[NewMessage],
    open_steps: Sequence[str],
    *,
    actor_id: str,
    now: datetime,
) -> None:
    """History: who announced which step, where, and with how many earlier steps open."""
    for number in steps:
        kinds = KINDS_OF[template.step(number).announces or ""]
        mine = [m for m in messages if m.kind in kinds]
        if not mine:
            continue
        value = where_it_goes(mine)
        if open_steps:
            count = len(open_steps)
            value += f", with {count} earlier step{'s' * (count != 1)} open"
        await repo.record_event(
            session,
            application_id=application.id,
            actor_id=actor_id,
            kind="announced",
            step=number,
            new_value=value,
            now=now,
        )


async def record_not_announced(
    session: AsyncSession,
    application: Application,
    steps: Sequence[str],
    *,
    actor_id: str,
    now: datetime,
) -> None:
    for number in steps:
        await repo.record_event(
            session,
            application_id=application.id,
            actor_id=actor_id,
            kind="not_announced",
            step=number,
            new_value="marked done without announcing it",
            now=now,
        )


async def withdraw(
    session: AsyncSession,
    application: Application,
    template: Template,
    unmarked: Sequence[str],
    *,
    actor_id: str,
    now: datetime,
) -> tuple[list[NewMessage], list[str]]:
    """Withdraw what unmarking these steps takes back: cancel each announcement not sent yet,
    and return the updates (AnnouncementWithdrawn) for those sent or being sent, and the steps
    whose announcement was withdrawn. History records each withdrawal."""
    updates: list[NewMessage] = []
    steps: list[str] = []
    for number in announcing(template, unmarked):
        kinds = KINDS_OF[template.step(number).announces or ""]
        rows = await outbox.current_announcements(session, application.id, kinds)
        if not rows:
            continue
        cancelled = sent = 0
        for row in rows:
            if await outbox.withdraw(session, row):
                cancelled += 1
                continue
            if row.status == outbox.FAILED and row.unconfirmed_since is None:
                continue  # it never reached anyone
            sent += 1
            update = AnnouncementWithdrawn(
                original_id=row.id,
                original_kind=row.kind,
                application_id=application.id,
                application=application.name,
                slug=application.slug,
                channel=application.channel_id,
                step=number,
                marked_by=str(row.payload.get("marked_by") or actor_id),
                marked_on=_payload_day(row.payload.get("marked_on"), now),
                by=actor_id,
                on=now.date(),
                # In the language of what it withdraws (a contact's DM in theirs), else the
                # application's channel's.
                language=str(row.payload.get("language") or "")
                or await _channel_language(session, application, application.channel_id),
            )
            updates.append(_queued(update, application, f"{update.KIND}:{row.id}", row.target))
        if not (sent or cancelled):
            continue
        steps.append(number)
        value = ", ".join(
            part
            for part in (
                f"{sent} sent message{'s' * (sent != 1)} marked withdrawn" if sent else "",
                f"{cancelled} not yet sent cancelled" if cancelled else "",
            )
            if part
        )
        await repo.record_event(
            session,
            application_id=application.id,
            actor_id=actor_id,
            kind="withdrawn",
            step=number,
            new_value=value,
            now=now,
        )
    return updates, steps


def _payload_day(value: object, now: datetime) -> date:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else now.date()
    except ValueError:
        return now.date()
