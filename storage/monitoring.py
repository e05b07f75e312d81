"""What the metrics read from the database at scrape time: two grouped queries, whose answers
have a handful of rows however many applications and messages there are."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Application, OutboxMessage, StepState
from storage.outbox import FAILED, PENDING, SENDING

# Statuses of messages still to send (or given up on): `sent` and `cancelled` rows are history.
WAITING = (PENDING, SENDING, FAILED)


@dataclass(frozen=True, slots=True)
class OutboxDepth:
    by_status: dict[str, int]
    # When the message that has waited longest since it fell due fell due; None: none is due.
    oldest_due: datetime | None


@dataclass(frozen=True, slots=True)
class FirstOpen:
    """How many applications of one template have their first open step at `position` (None:
    every step done or skipped)."""

    template_key: str
    template_version: int
    position: int | None
    count: int


async def outbox_depth(session: AsyncSession, now: datetime) -> OutboxDepth:
    """Messages waiting per status, and the oldest due one (pending and due, or sending with
    its lease run out: what storage/outbox.py's senders would claim)."""
    m = OutboxMessage
    due = or_(
        and_(m.status == PENDING, m.next_attempt_at <= now),
        and_(m.status == SENDING, m.claimed_until < now),
    )
    # (status, next_attempt_at) is indexed: both read the index only.
    rows = await session.execute(
        select(m.status, func.count(), func.min(case((due, m.next_attempt_at))))
        .where(m.status.in_(WAITING))
        .group_by(m.status)
    )
    by_status = dict.fromkeys(WAITING, 0)
    oldest: datetime | None = None
    for status, count, due_at in rows:
        by_status[status] = count
        due_at = _aware(due_at)
        if due_at is not None and (oldest is None or due_at < oldest):
            oldest = due_at
    return OutboxDepth(by_status, oldest)


async def first_open_steps(session: AsyncSession) -> list[FirstOpen]:
    """Open (not archived) applications counted by template and first open step: the phase
    each is in follows from its template (bot/monitoring/database.py)."""
    s, a = StepState, Application
    first_open = (
        select(
            s.application_id,
            func.min(case((and_(s.done_at.is_(None), s.skipped_at.is_(None)), s.position))).label(
                "position"
            ),
        )
        .group_by(s.application_id)
        .subquery()
    )
    rows = await session.execute(
        select(a.template_key, a.template_version, first_open.c.position, func.count())
        .join(first_open, first_open.c.application_id == a.id)
        .where(a.archived_at.is_(None))
        .group_by(a.template_key, a.template_version, first_open.c.position)
    )
    return [FirstOpen(k, v, p, n) for k, v, p, n in rows]


def _aware(moment: datetime | str | None) -> datetime | None:
    """min() over a UTCDateTime column comes back as the database's raw value."""
    if moment is None:
        return None
    if isinstance(moment, str):  # SQLite keeps it as text
        moment = datetime.fromisoformat(moment)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
