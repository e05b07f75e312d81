"""Queries and writes, each taking the caller's session. Nothing here commits.

A transaction that changes steps loads them once with a row lock (`steps_for_change`, of
which `step_for_update` picks one) and changes the loaded objects; two people changing the
same step at once take turns on that lock, so the second sees the first's change and neither
logs it twice. History rows (`record_event`) are written together, once per transaction.
Plain reads (`step_state`, `step_states`) take no lock.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from itertools import chain
from typing import Any

from sqlalchemy import (
    Row,
    Select,
    and_,
    case,
    delete,
    event,
    func,
    insert,
    or_,
    select,
    text,
    tuple_,
    union,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction
from sqlalchemy.orm.attributes import instance_state

from storage.models import (
    Application,
    ChannelSettings,
    Contact,
    DigestSchedule,
    Event,
    HandledEvent,
    Note,
    PersonSettings,
    StepState,
)


async def add_application(
    session: AsyncSession,
    *,
    team_id: str,
    slug: str,
    name: str,
    channel_id: str,
    owner_id: str,
    template_key: str,
    template_version: int,
    step_numbers: Sequence[str],
    now: datetime,
) -> Application:
    application = Application(
        team_id=team_id,
        slug=slug,
        name=name,
        channel_id=channel_id,
        owner_id=owner_id,
        template_key=template_key,
        template_version=template_version,
        created_at=now,
    )
    session.add(application)
    await session.flush()
    session.add_all(
        StepState(application_id=application.id, step=number, position=i, changed_at=now)
        for i, number in enumerate(step_numbers)
    )
    return application


async def slugs_starting_with(session: AsyncSession, team_id: str, prefix: str) -> set[str]:
    rows = await session.scalars(
        select(Application.slug).where(
            Application.team_id == team_id, Application.slug.startswith(prefix, autoescape=True)
        )
    )
    return set(rows)


async def applications_in_channel(
    session: AsyncSession, team_id: str, channel_id: str, *, include_archived: bool = False
) -> list[Application]:
    query = select(Application).where(
        Application.team_id == team_id, Application.channel_id == channel_id
    )
    if not include_archived:
        query = query.where(Application.archived_at.is_(None))
    return list(await session.scalars(query.order_by(Application.id)))


def _lock_key(*parts: str) -> int:
    """A signed 64-bit key for PostgreSQL's advisory locks, the same in every process (Python's
    own `hash` of a string changes with each start)."""
    digest = hashlib.blake2b("\x1f".join(parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


async def lock_channel_for_new_application(
    session: AsyncSession, team_id: str, channel_id: str
) -> None:
    """Make the transactions that create an application in this channel take turns, until the
    transaction ends: on PostgreSQL, an advisory lock, as reading a channel's (zero) rows
    locks nothing; on SQLite, nothing to do, as its writers take turns already (BEGIN
    IMMEDIATE, storage/db.py)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    key = _lock_key("new application", team_id, channel_id)
    await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


async def application_by_slug(session: AsyncSession, team_id: str, slug: str) -> Application | None:
    return await session.scalar(
        select(Application).where(Application.team_id == team_id, Application.slug == slug)
    )


async def applications_by_slug_anywhere(session: AsyncSession, slug: str) -> list[Application]:
    """Every workspace's application with this slug (the notification URL names only it)."""
    return list(
        await session.scalars(
            select(Application).where(Application.slug == slug, Application.archived_at.is_(None))
        )
    )


async def application_by_id(session: AsyncSession, application_id: int) -> Application | None:
    """The application, from the session when it has it loaded and current (as `session.get`
    would answer, without its trip through the async layer: units sharing a transaction in
    storage/writes.py each ask for it), else from the database."""
    # The identity key's documented form (class, primary key, token), built directly:
    # `identity_key()` and `inspect()` cost more than the lookup.
    loaded = session.identity_map.get((Application, (application_id,), None))
    if loaded is not None and not instance_state(loaded).expired_attributes:
        return loaded
    return await session.get(Application, application_id)


async def active_applications(
    session: AsyncSession, team_id: str, channel_ids: Iterable[str] | None = None
) -> list[Application]:
    query = select(Application).where(
        Application.team_id == team_id, Application.archived_at.is_(None)
    )
    if channel_ids is not None:
        query = query.where(Application.channel_id.in_(list(channel_ids)))
    return list(await session.scalars(query.order_by(Application.id)))


async def applications_with_steps_assigned_to(
    session: AsyncSession, team_id: str, user_id: str
) -> list[Application]:
    query = (
        select(Application)
        .join(StepState, StepState.application_id == Application.id)
        .where(
            Application.team_id == team_id,
            Application.archived_at.is_(None),
            StepState.assignee_id == user_id,
        )
        .distinct()
        .order_by(Application.id)
    )
    return list(await session.scalars(query))


async def open_steps_assigned_to(
    session: AsyncSession, team_id: str, user_id: str
) -> list[tuple[Application, StepState]]:
    """Steps not yet done nor skipped that the user owns, in active applications of the
    workspace."""
    rows = await session.execute(
        select(Application, StepState)
        .join(StepState, StepState.application_id == Application.id)
        .where(
            Application.team_id == team_id,
            Application.archived_at.is_(None),
            StepState.assignee_id == user_id,
            StepState.done_at.is_(None),
            StepState.skipped_at.is_(None),
        )
        .order_by(Application.id, StepState.position)
    )
    return [(application, state) for application, state in rows]


async def step_states(session: AsyncSession, application_id: int) -> list[StepState]:
    return list(
        await session.scalars(
            select(StepState)
            .where(StepState.application_id == application_id)
            .order_by(StepState.position)
        )
    )


async def done_counts(session: AsyncSession, application_ids: Sequence[int]) -> dict[int, int]:
    """How many steps each application has complete (done or skipped), in one query."""
    if not application_ids:
        return {}
    rows = await session.execute(
        select(StepState.application_id, func.count())
        .where(
            StepState.application_id.in_(application_ids),
            or_(StepState.done_at.is_not(None), StepState.skipped_at.is_not(None)),
        )
        .group_by(StepState.application_id)
    )
    return {application_id: count for application_id, count in rows}


async def note_counts(session: AsyncSession, application_id: int) -> dict[str, int]:
    rows = await session.execute(
        select(Note.step, func.count())
        .where(Note.application_id == application_id)
        .group_by(Note.step)
    )
    return {step: count for step, count in rows}


async def steps_for_change(session: AsyncSession, application_id: int) -> list[StepState]:
    """The application's steps in template order, for a transaction that changes them: locked
    until it ends (PostgreSQL row locks; on SQLite the writer holds the file), and loaded once
    per transaction, so units sharing one (storage/writes.py) change the same objects."""
    return (await _steps_for_change(session, application_id))[0]


async def step_index(session: AsyncSession, application_id: int) -> dict[str, StepState]:
    """`steps_for_change` by step number, built once per transaction: a change looks up the
    few steps it names instead of reading every step's attributes (each read of an ORM
    attribute costs, and marks run this for every request)."""
    return (await _steps_for_change(session, application_id))[1]


async def _steps_for_change(
    session: AsyncSession, application_id: int
) -> tuple[list[StepState], dict[str, StepState]]:
    loaded = session.info.setdefault(_STEPS_FOR_CHANGE, {})
    if application_id not in loaded:
        states = list(
            await session.scalars(
                select(StepState)
                .where(StepState.application_id == application_id)
                .order_by(StepState.position)
                .with_for_update()
                .execution_options(populate_existing=True)
            )
        )
        loaded[application_id] = (states, {s.step: s for s in states})
    return loaded[application_id]


_STEPS_FOR_CHANGE = "onboard.steps_for_change"


@event.listens_for(Session, "after_transaction_end")
def _forget_steps_for_change(session: Session, transaction: SessionTransaction) -> None:
    # What a transaction (or a savepoint, which may roll back) loaded is not for the next.
    # A flush ends an inner transaction of its own too (neither nested nor outermost): the
    # steps stay, or every unit that flushes (an event recorded with its id) reloads them.
    if transaction.nested or transaction.parent is None:
        session.info.pop(_STEPS_FOR_CHANGE, None)
    if transaction.parent is None:  # the transaction ended (not a savepoint): its history
        # was written at commit, or goes with its rollback
        session.info.pop(_PENDING_EVENTS, None)


async def set_done(
    session: AsyncSession,
    application_id: int,
    steps: Sequence[str],
    *,
    done: bool = True,
    by: str | None = None,
    now: datetime,
) -> list[str]:
    """Mark the steps done (or not done); returns those whose state changed, in template
    order. A skipped step marked done is no longer skipped. The rows are written when the
    session flushes, with the other changes of the transaction."""
    by_step = await step_index(session, application_id)
    changed = []
    for number in dict.fromkeys(steps):
        state = by_step.get(number)
        if state is not None and (state.done_at is None) == done:
            state.done_at = now if done else None
            state.done_by = by if done else None
            state.changed_at = now
            if done:
                _clear_skip(state)
            changed.append(state)
    return [state.step for state in sorted(changed, key=lambda state: state.position)]


def set_skipped(state: StepState, *, by: str, reason: str, now: datetime) -> None:
    """Skip a locked step (see `step_for_update`): it does not apply, for `reason`."""
    state.skipped_at = now
    state.skipped_by = by
    state.skip_reason = reason
    state.changed_at = now


def clear_skipped(state: StepState, *, now: datetime) -> None:
    """Make a locked skipped step open again."""
    _clear_skip(state)
    state.changed_at = now


def _clear_skip(state: StepState) -> None:
    state.skipped_at = None
    state.skipped_by = None
    state.skip_reason = None


async def step_state(session: AsyncSession, application_id: int, step: str) -> StepState | None:
    """The step's row as it is now, for showing it; no lock."""
    return await session.scalar(
        select(StepState).where(StepState.application_id == application_id, StepState.step == step)
    )


async def record_checklist_message(
    session: AsyncSession, application_id: int, channel_id: str, ts: str
) -> None:
    """Remember the checklist message last posted for the application: the one every later
    change redraws."""
    application = await session.get(Application, application_id)
    if application is not None:
        application.checklist_channel_id = channel_id
        application.checklist_ts = ts


async def step_for_update(
    session: AsyncSession, application_id: int, step: str
) -> StepState | None:
    """The step's row, locked until the transaction ends (PostgreSQL; SQLite locks the file).
    Taken from `steps_for_change`, so the units sharing a transaction (storage/writes.py) load
    the application's steps once between them, and change the same objects."""
    return (await step_index(session, application_id)).get(step)


async def add_note(
    session: AsyncSession,
    *,
    application_id: int,
    step: str,
    author_id: str,
    text: str,
    now: datetime,
) -> Note:
    note = Note(
        application_id=application_id, step=step, author_id=author_id, text=text, created_at=now
    )
    session.add(note)
    return note


def _event_row(
    *,
    application_id: int,
    actor_id: str,
    kind: str,
    now: datetime,
    step: str | None,
    old_value: str | None,
    new_value: str | None,
) -> dict[str, Any]:
    return {
        "application_id": application_id,
        "step": step,
        "actor_id": actor_id,
        "kind": kind,
        "old_value": old_value,
        "new_value": new_value,
        "created_at": now,
    }


async def record_event(
    session: AsyncSession,
    *,
    application_id: int,
    actor_id: str,
    kind: str,
    now: datetime,
    step: str | None = None,
    old_value: str | None = None,
    new_value: str | None = None,
) -> None:
    """Record the event in the transaction's history. The rows a transaction records are
    written together, in one executemany, before the session's next statement or at commit
    (`_write_pending_events`); so they are in the database for anything that reads it, and
    a transaction that rolls back writes none. Use `record_event_with_id` when the event's id
    is needed."""
    row = _event_row(
        application_id=application_id, actor_id=actor_id, kind=kind, now=now, step=step,
        old_value=old_value, new_value=new_value,
    )  # fmt: skip
    if session.in_nested_transaction():
        # Inside a savepoint, which may roll back alone: written at once, so that it goes if
        # the savepoint goes.
        await session.execute(insert(Event), [row])
        return
    session.info.setdefault(_PENDING_EVENTS, []).append(row)


async def record_event_with_id(
    session: AsyncSession,
    *,
    application_id: int,
    actor_id: str,
    kind: str,
    now: datetime,
    step: str | None = None,
    old_value: str | None = None,
    new_value: str | None = None,
) -> Event:
    """The event, with its id: flushed at once, after the rows `record_event` holds back
    (`before_flush` writes those first), so the history keeps the order things happened in."""
    row = _event_row(
        application_id=application_id, actor_id=actor_id, kind=kind, now=now, step=step,
        old_value=old_value, new_value=new_value,
    )  # fmt: skip
    recorded = Event(**row)
    session.add(recorded)
    await session.flush()
    return recorded


_PENDING_EVENTS = "onboard.pending_events"


def _write_pending_events(session: Session) -> None:
    if session.in_nested_transaction():
        # Inside a savepoint they would go if it rolled back: they wait for the transaction.
        return
    rows = session.info.pop(_PENDING_EVENTS, None)
    if rows:
        # Core, on the session's connection: an executemany without RETURNING (the ORM would
        # insert them one at a time on SQLite, to read back each id), and no ORM event fires.
        session.connection().execute(insert(Event.__table__), rows)


@event.listens_for(Session, "do_orm_execute")
def _events_before_statement(state: ORMExecuteState) -> None:
    # Before any statement of the session, so what it reads includes them (and their ids
    # follow the order they were recorded in). Inside a savepoint, a read does not see the
    # rows recorded before it.
    _write_pending_events(state.session)


@event.listens_for(Session, "before_flush")
def _events_before_flush(session: Session, _context, _instances) -> None:
    _write_pending_events(session)


@event.listens_for(Session, "before_commit")
def _events_before_commit(session: Session) -> None:
    _write_pending_events(session)


async def recent_events(
    session: AsyncSession,
    application_id: int,
    *,
    step: str | None = None,
    limit: int = 20,
    before_id: int | None = None,
) -> list[Event]:
    """The newest events first, a page at a time (by id, so it stays fast on long histories)."""
    query = select(Event).where(Event.application_id == application_id)
    if step is not None:
        query = query.where(Event.step == step)
    if before_id is not None:
        query = query.where(Event.id < before_id)
    return list(await session.scalars(query.order_by(Event.id.desc()).limit(limit)))


async def all_events(session: AsyncSession, application_id: int) -> list[Event]:
    return list(
        await session.scalars(
            select(Event).where(Event.application_id == application_id).order_by(Event.id)
        )
    )


async def all_notes(session: AsyncSession, application_id: int) -> list[Note]:
    return list(
        await session.scalars(
            select(Note).where(Note.application_id == application_id).order_by(Note.id)
        )
    )


async def newest_notes_of_step(
    session: AsyncSession, application_id: int, step: str, limit: int
) -> list[Note]:
    """The step's newest `limit` notes, oldest of them first."""
    newest = await session.scalars(
        select(Note)
        .where(Note.application_id == application_id, Note.step == step)
        .order_by(Note.id.desc())
        .limit(limit)
    )
    return list(newest)[::-1]


def reminder_candidates_query(*, stale_before: datetime, due_by: date, now: datetime) -> Select:
    """The statement behind `reminder_candidates` (bench/ and docs/ show its query plans)."""
    s = StepState
    open_step = and_(s.done_at.is_(None), s.skipped_at.is_(None))
    # A step can be a candidate only if it is open and untouched since `stale_before`, or
    # due by `due_by`: two lookups in partial indexes of open steps (migration 0012) name the
    # few applications that may have one, and only their steps go through the windows below.
    # Most applications (moving, finished, or with nothing due) are never read row by row.
    maybe = union(
        select(s.application_id).where(open_step, s.changed_at <= stale_before),
        select(s.application_id).where(open_step, s.due_on <= due_by),
    )
    before = {"partition_by": s.application_id, "order_by": s.position, "rows": (None, -1)}
    after = {"partition_by": s.application_id, "order_by": s.position, "rows": (1, None)}
    # When the step was completed: done or skipped (never both).
    finished = func.coalesce(s.done_at, s.skipped_at)
    steps = (
        select(
            Application.id,
            Application.team_id,
            Application.name,
            Application.slug,
            Application.channel_id,
            Application.owner_id,
            Application.template_key,
            Application.template_version,
            Application.remind_after_days,
            Application.remind_start,
            Application.remind_end,
            Application.remind_holidays,
            s.step,
            s.done_at,
            s.skipped_at,
            s.assignee_id,
            s.due_on,
            s.changed_at,
            s.snoozed_until,
            s.snoozed_at,
            func.sum(case((finished.is_(None), 1), else_=0)).over(**before).label("open_before"),
            func.max(case((s.done_at.is_not(None), 1), else_=0)).over(**after).label("done_after"),
            func.max(finished).over(**before).label("startable_at"),
        )
        .join(s, s.application_id == Application.id)
        .where(
            Application.archived_at.is_(None),
            Application.reminders_on.is_(True),
            s.application_id.in_(maybe.scalar_subquery()),
        )
        .subquery()
    )
    active = or_(
        func.coalesce(steps.c.open_before, 0) == 0, func.coalesce(steps.c.done_after, 0) == 1
    )
    untouched = and_(
        steps.c.changed_at <= stale_before,
        or_(steps.c.startable_at.is_(None), steps.c.startable_at <= stale_before),
    )
    # The step's latest note, for the DM: looked up for the few rows that come back only.
    other = Note.__table__.alias("other_notes")
    latest_note = (
        select(func.max(other.c.id))
        .where(other.c.application_id == steps.c.id, other.c.step == steps.c.step)
        .correlate(steps)
        .scalar_subquery()
    )
    return (
        select(
            steps,
            Note.text.label("note_text"),
            Note.author_id.label("note_by"),
        )
        .outerjoin(Note, Note.id == latest_note)
        .where(
            steps.c.done_at.is_(None),
            steps.c.skipped_at.is_(None),
            or_(steps.c.snoozed_until.is_(None), steps.c.snoozed_until <= now),
            or_(and_(active, untouched), steps.c.due_on <= due_by),
        )
        .order_by(steps.c.id, steps.c.step)
    )


async def reminder_candidates(
    session: AsyncSession, *, stale_before: datetime, due_by: date, now: datetime
) -> Sequence[Row]:
    """Steps that may need a reminder: not done, not skipped, not snoozed, and either active
    and untouched since `stale_before`, or due by `due_by`, each with its latest note
    (`note_text` and `note_by`; None without one). One
    query for the whole pass, whatever the number of applications.
    A skipped step counts as complete, like a done one, for whether the steps before a step
    are complete and since when it could be started; a later skipped step, unlike a later done
    one, does not make the open steps before it active (see `active_flags`).

    Whether a step is active, and since when it could be started, depend on the steps
    around it, so window functions over each application's steps work them out here, and
    only the few candidates leave the database (bot/services/progress.py `active_flags`
    and bot/services/reminders.py `waiting_since` are the same rules in Python; a test
    holds the two together). The windows run only over applications with an open step
    untouched since `stale_before` or due by `due_by` (see docs/scheduler-at-scale.md).
    """
    result = await session.execute(
        reminder_candidates_query(stale_before=stale_before, due_by=due_by, now=now)
    )
    return result.all()


async def contacts_of(session: AsyncSession, application_id: int) -> list[str]:
    return list(
        await session.scalars(
            select(Contact.user_id)
            .where(Contact.application_id == application_id)
            .order_by(Contact.user_id)
        )
    )


async def digest_schedule(
    session: AsyncSession, team_id: str, channel_id: str
) -> DigestSchedule | None:
    return await session.scalar(
        select(DigestSchedule).where(
            DigestSchedule.team_id == team_id, DigestSchedule.channel_id == channel_id
        )
    )


async def active_digest_schedules(session: AsyncSession) -> list[DigestSchedule]:
    return list(
        await session.scalars(
            select(DigestSchedule)
            .where(DigestSchedule.cadence != "off")
            .order_by(DigestSchedule.id)
        )
    )


async def events_since(
    session: AsyncSession, application_ids: Sequence[int], since: datetime, kinds: Sequence[str]
) -> list[Event]:
    if not application_ids:
        return []
    return list(
        await session.scalars(
            select(Event)
            .where(
                Event.application_id.in_(application_ids),
                Event.created_at > since,
                Event.kind.in_(kinds),
            )
            .order_by(Event.id)
        )
    )


async def states_of(
    session: AsyncSession, application_ids: Sequence[int]
) -> dict[int, list[StepState]]:
    """Step states of several applications in one query."""
    by_application: dict[int, list[StepState]] = {i: [] for i in application_ids}
    if not application_ids:
        return by_application
    rows = await session.scalars(
        select(StepState)
        .where(StepState.application_id.in_(application_ids))
        .order_by(StepState.application_id, StepState.position)
    )
    for state in rows:
        by_application[state.application_id].append(state)
    return by_application


async def claim_event(session: AsyncSession, event_id: str, team_id: str, now: datetime) -> bool:
    """Record an Events API delivery; False when it was handled before (a retry)."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    result = await session.execute(
        insert(HandledEvent)
        .values(event_id=event_id, team_id=team_id, received_at=now)
        .on_conflict_do_nothing(index_elements=["event_id"])
        .returning(HandledEvent.event_id)
    )
    return result.first() is not None


async def forget_events_before(session: AsyncSession, before: datetime) -> None:
    await session.execute(delete(HandledEvent).where(HandledEvent.received_at < before))


# --- People's own settings (away, holidays) ----------------------------------------------------


async def person_settings(
    session: AsyncSession, team_id: str, user_id: str
) -> PersonSettings | None:
    return await session.get(PersonSettings, (team_id, user_id))


async def person_settings_for_update(
    session: AsyncSession, team_id: str, user_id: str, now: datetime
) -> PersonSettings:
    """The person's settings row, locked for this transaction; made (empty) if missing. Made
    with an insert that does nothing on conflict, so two first changes at once both succeed."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    await session.execute(
        insert(PersonSettings)
        .values(team_id=team_id, user_id=user_id, updated_at=now)
        .on_conflict_do_nothing(index_elements=["team_id", "user_id"])
    )
    found = await session.scalar(
        select(PersonSettings)
        .where(PersonSettings.team_id == team_id, PersonSettings.user_id == user_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert found is not None
    return found


async def people_with_settings(session: AsyncSession, away_from: date) -> list[PersonSettings]:
    """Everyone away on or after `away_from`, or with their own holidays or language: what a
    scheduler pass needs to know about people, in one query."""
    return list(
        await session.scalars(
            select(PersonSettings).where(
                or_(
                    PersonSettings.away_until >= away_from,
                    PersonSettings.holidays.is_not(None),
                    PersonSettings.language.is_not(None),
                )
            )
        )
    )


# --- A channel's own settings (language) -------------------------------------------------------


async def channel_settings(
    session: AsyncSession, team_id: str, channel_id: str
) -> ChannelSettings | None:
    return await session.get(ChannelSettings, (team_id, channel_id))


async def channel_languages(
    session: AsyncSession, channels: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], str]:
    """The languages these (team, channel)s chose, in one query; a channel with none is left
    out."""
    wanted = set(channels)
    if not wanted:
        return {}
    rows = await session.execute(
        select(ChannelSettings.team_id, ChannelSettings.channel_id, ChannelSettings.language).where(
            ChannelSettings.channel_id.in_(sorted({c for _, c in wanted}))
        )
    )
    return {(t, c): language for t, c, language in rows if (t, c) in wanted}


async def set_channel_language(
    session: AsyncSession,
    team_id: str,
    channel_id: str,
    language: str,
    now: datetime,
    *,
    only_if_unset: bool = False,
) -> None:
    """The channel's language; with `only_if_unset`, kept as it is when the channel has one
    (one statement either way, so two writers at once cannot collide)."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(ChannelSettings).values(
        team_id=team_id, channel_id=channel_id, language=language, updated_at=now
    )
    keys = ["team_id", "channel_id"]
    if only_if_unset:
        await session.execute(statement.on_conflict_do_nothing(index_elements=keys))
    else:
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=keys, set_={"language": language, "updated_at": now}
            )
        )


@dataclass(frozen=True, slots=True)
class DigestReads:
    """What the digests of a pass show, read for all their channels at once: each channel's
    unarchived applications (by id), the step states of those, the marked/skipped events
    since each channel's last digest, and each channel's chosen language."""

    applications: dict[tuple[str, str], list[Application]]
    states: dict[int, list[StepState]]
    events: dict[int, list[Event]]
    languages: dict[tuple[str, str], str]


async def digest_reads(
    session: AsyncSession, schedule_ids: Sequence[int], kinds: Sequence[str]
) -> DigestReads:
    """Four statements however many channels. The due schedules' ids are read in an IN
    subquery of their own (`due_channels`), and their channels' applications in another
    (`due_applications`); each statement narrows its rows by those.

    Why the id list is never on a joined table: SQLite, without table statistics, plans by
    the list's length, and from about 7,000 ids put that table in the inner loop to skip a
    sort, probing the whole list for every step state (six minutes at 8,000 channels). An
    IN subquery is read once to drive the outer loop, or looked up per row: linear."""
    if not schedule_ids:
        return DigestReads({}, {}, {}, {})
    due_channels = select(DigestSchedule.team_id, DigestSchedule.channel_id).where(
        DigestSchedule.id.in_(list(schedule_ids))
    )
    in_due_channel = and_(
        tuple_(Application.team_id, Application.channel_id).in_(due_channels),
        Application.archived_at.is_(None),
    )
    due_applications = select(Application.id).where(in_due_channel)
    applications: dict[tuple[str, str], list[Application]] = {}
    for application in await session.scalars(
        select(Application).where(in_due_channel).order_by(Application.id)
    ):
        applications.setdefault((application.team_id, application.channel_id), []).append(
            application
        )
    states: dict[int, list[StepState]] = {a.id: [] for a in chain(*applications.values())}
    for state in await session.scalars(
        select(StepState)
        .where(StepState.application_id.in_(due_applications))
        .order_by(StepState.application_id, StepState.position)
    ):
        states[state.application_id].append(state)
    # Since each channel's own last digest (when it went out, else when it was set): the
    # schedule joins by the application's (team, channel), one index lookup an event.
    since = func.coalesce(DigestSchedule.reported_until, DigestSchedule.effective_from)
    events: dict[int, list[Event]] = {}
    for e in await session.scalars(
        select(Event)
        .join(Application, Application.id == Event.application_id)
        .join(
            DigestSchedule,
            and_(
                DigestSchedule.team_id == Application.team_id,
                DigestSchedule.channel_id == Application.channel_id,
            ),
        )
        .where(
            Event.application_id.in_(due_applications),
            Event.kind.in_(list(kinds)),
            Event.created_at > since,
        )
        .order_by(Event.id)
    ):
        events.setdefault(e.application_id, []).append(e)
    languages = {
        (t, c): language
        for t, c, language in await session.execute(
            select(
                ChannelSettings.team_id, ChannelSettings.channel_id, ChannelSettings.language
            ).where(tuple_(ChannelSettings.team_id, ChannelSettings.channel_id).in_(due_channels))
        )
        if language
    }
    return DigestReads(applications, states, events, languages)
