"""The outbox: messages claimed in the database before they are sent, and their fate.

A message is *enqueued* with a unique `dedupe_key` (INSERT ... ON CONFLICT DO NOTHING), so the
first to insert a key owns that message and a repeated, retried or concurrent pass adds
nothing; the steps a new message covers (a reminder DM lists several) go into outbox_steps
with it, so that what was sent about each step can be counted (`steps_since`). A sender then
*claims* due rows (pending, or sending with an expired lease) with one conditional UPDATE,
notes that their sends start (`start_sending`), sends them, and records each one as sent
(`record_sent_many`: a batch in one statement), to retry, or failed.

A send whose outcome is unknown (the sender died before recording Slack's answer, or the
answer was lost on the way) leaves `unconfirmed_since` set: `start_sending` (or `renew`)
marks it before a send starts, and only a recorded answer clears it. The next sender checks
Slack before sending such a row again (bot/delivery.py). Nothing here commits.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, func, literal, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ChannelSlot, OutboxMessage, OutboxStep

PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"
# An announcement withdrawn before it was sent: never sent.
CANCELLED = "cancelled"
# Ends the key of a withdrawn announcement, so the next one may take the key again.
WITHDRAWN_MARK = ":withdrawn:"


@dataclass(frozen=True, slots=True)
class NewMessage:
    dedupe_key: str
    team_id: str
    kind: str
    target: str
    payload: dict[str, Any] = field(default_factory=dict)
    application_id: int | None = None
    step: str | None = None
    # Held back until then (e.g. to gather a minute of notifications into one line).
    not_before: datetime | None = None
    # The (application id, step) pairs the message is about, kept in outbox_steps when it is
    # enqueued: one reminder DM lists many steps, and reminders are counted per step.
    covers: tuple[tuple[int, str], ...] = ()


async def enqueue(
    session: AsyncSession, messages: Sequence[NewMessage], now: datetime
) -> list[int]:
    """Insert the messages whose keys are new, and the steps each covers; returns the ids of
    those that were."""
    if not messages:
        return []
    rows = [
        {
            "dedupe_key": m.dedupe_key,
            "team_id": m.team_id,
            "kind": m.kind,
            "target": m.target,
            "payload": m.payload,
            "application_id": m.application_id,
            "step": m.step,
            "status": PENDING,
            "attempts": 0,
            "next_attempt_at": m.not_before or now,
            "created_at": now,
        }
        for m in messages
    ]
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(OutboxMessage)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(OutboxMessage.id, OutboxMessage.dedupe_key)
    )
    # One statement for every row, RETURNING the ones that went in (SQLAlchemy sends it in
    # pages of 1,000 rows, within the driver's limit on parameters).
    result = await session.execute(statement, rows)
    inserted = {key: id_ for id_, key in result}
    covered = [
        {"outbox_id": inserted[m.dedupe_key], "application_id": a, "step": s}
        for m in messages
        if m.dedupe_key in inserted
        for a, s in dict.fromkeys(m.covers)
    ]
    if covered:
        await session.execute(insert(OutboxStep), covered)  # one executemany
    return sorted(inserted.values())


def _due(now: datetime):
    return or_(
        and_(OutboxMessage.status == PENDING, OutboxMessage.next_attempt_at <= now),
        and_(OutboxMessage.status == SENDING, OutboxMessage.claimed_until < now),
    )


async def claim_due(
    session: AsyncSession,
    now: datetime,
    *,
    lease: timedelta,
    token: str,
    limit: int = 1000,
    only: Sequence[int] | None = None,
) -> list[OutboxMessage]:
    """Take due messages for sending (of `only` these ids, when given). A sender that dies
    mid-send loses its lease, and the message is taken again after it expires."""
    due = _due(now) if only is None else and_(_due(now), OutboxMessage.id.in_(list(only)))
    candidates = (
        select(OutboxMessage.id)
        .where(due)
        .order_by(OutboxMessage.id)
        .limit(limit)
        # Two senders skip each other's rows instead of queueing on them (PostgreSQL).
        .with_for_update(skip_locked=True)
    )
    # The status test is repeated outside the subquery: under PostgreSQL's READ COMMITTED a
    # row another sender claimed meanwhile is re-checked against it, and skipped.
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(candidates.scalar_subquery()), _due(now))
        .values(
            status=SENDING,
            claimed_until=now + lease,
            claimed_by=token,
            attempts=OutboxMessage.attempts + 1,
        )
        .returning(OutboxMessage)
        .execution_options(synchronize_session=False)
    )
    return sorted(result.scalars().all(), key=lambda m: m.id)


def _held(message_id: int, token: str):
    return and_(
        OutboxMessage.id == message_id,
        OutboxMessage.status == SENDING,
        OutboxMessage.claimed_by == token,
    )


async def start_sending(
    session: AsyncSession, message_ids: Sequence[int], token: str, sending_at: datetime
) -> None:
    """Note that the sends of these claimed messages start at `sending_at` (kept where an
    earlier send is still unconfirmed): one statement for a whole claim, made before any of
    them is posted. A message left unsent after all (the sender died first) is looked for
    in its channel before its next send, which finds nothing and sends it."""
    if not message_ids:
        return
    await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id.in_(list(message_ids)),
            OutboxMessage.status == SENDING,
            OutboxMessage.claimed_by == token,
        )
        .values(
            unconfirmed_since=func.coalesce(
                OutboxMessage.unconfirmed_since,
                literal(sending_at, OutboxMessage.unconfirmed_since.type),
            )
        )
        .execution_options(synchronize_session=False)
    )


async def renew(
    session: AsyncSession, message_id: int, token: str, until: datetime, *, sending_at: datetime
) -> bool:
    """Extend the claim right before sending, and note that a send starts at `sending_at`
    (kept if an earlier send is still unconfirmed, so a later check covers both); False when
    another sender took the message after this one's lease ran out (it must then not send
    it)."""
    result = await session.execute(
        update(OutboxMessage)
        .where(_held(message_id, token))
        .values(
            claimed_until=until,
            # The time bound as the column's own type, so it is stored in UTC like the rest.
            unconfirmed_since=func.coalesce(
                OutboxMessage.unconfirmed_since,
                literal(sending_at, OutboxMessage.unconfirmed_since.type),
            ),
        )
        .returning(OutboxMessage.id)
    )
    return result.first() is not None


async def record_sent(
    session: AsyncSession, message_id: int, token: str, now: datetime, message_ts: str | None
) -> None:
    await session.execute(
        update(OutboxMessage)
        .where(_held(message_id, token))
        .values(
            status=SENT,
            sent_at=now,
            message_ts=message_ts,
            claimed_until=None,
            last_error=None,
            unconfirmed_since=None,
        )
    )


_t = OutboxMessage.__table__
# One statement executed with many rows (executemany): a batch of sends recorded at once.
_RECORD_SENT = (
    update(_t)
    .where(
        _t.c.id == bindparam("row_id"),
        _t.c.status == SENDING,
        _t.c.claimed_by == bindparam("token"),
    )
    .values(
        status=SENT,
        sent_at=bindparam("at"),
        message_ts=bindparam("ts"),
        claimed_until=None,
        last_error=None,
        unconfirmed_since=None,
    )
)


async def record_sent_many(
    session: AsyncSession, token: str, sent: Sequence[tuple[int, datetime, str | None]]
) -> None:
    """`record_sent` for many messages, as (id, when, ts): one statement."""
    if sent:
        await session.execute(
            _RECORD_SENT,
            [{"row_id": i, "token": token, "at": at, "ts": ts} for i, at, ts in sent],
        )


async def record_retry(
    session: AsyncSession,
    message_id: int,
    token: str,
    retry_at: datetime,
    error: str,
    *,
    unconfirmed: bool = False,
) -> None:
    """Due again at `retry_at`. `unconfirmed`: Slack may have taken the message anyway (no
    answer, or one that says part may have happened), so the retry checks first. Otherwise
    Slack refused this send, and the sender looked for any earlier unconfirmed one before
    making it, so nothing is left to check."""
    values: dict[str, Any] = {
        "status": PENDING,
        "next_attempt_at": retry_at,
        "claimed_until": None,
        "last_error": error[:255],
    }
    if not unconfirmed:
        values["unconfirmed_since"] = None
    await session.execute(update(OutboxMessage).where(_held(message_id, token)).values(values))


async def record_failed(
    session: AsyncSession, message_id: int, token: str, error: str, *, unconfirmed: bool = False
) -> None:
    """Never tried again. `unconfirmed` (Slack may have taken it after all) keeps when that
    send began, as the record that the message may have gone out."""
    values: dict[str, Any] = {"status": FAILED, "claimed_until": None, "last_error": error[:255]}
    if not unconfirmed:
        values["unconfirmed_since"] = None
    await session.execute(update(OutboxMessage).where(_held(message_id, token)).values(values))


async def steps_since(
    session: AsyncSession, kinds: Sequence[str], since: datetime, *, sent_only: bool
) -> list[tuple[int, str, datetime]]:
    """(application, step, when queued) of every step covered by a message of these kinds
    queued after `since`; only those Slack took, with `sent_only`."""
    m, s = OutboxMessage, OutboxStep
    query = (
        select(s.application_id, s.step, m.created_at)
        .join(m, m.id == s.outbox_id)
        .where(m.kind.in_(list(kinds)), m.created_at > since)
    )
    if sent_only:
        query = query.where(m.status == SENT)
    return [(a, step, at) for a, step, at in await session.execute(query)]


async def last_by_target(
    session: AsyncSession, kind: str, since: datetime
) -> dict[tuple[str, str], datetime]:
    """When each (team, target) was last given a message of this kind, if after `since`
    (queued, whatever became of it)."""
    rows = await session.execute(
        select(OutboxMessage.team_id, OutboxMessage.target, func.max(OutboxMessage.created_at))
        .where(OutboxMessage.kind == kind, OutboxMessage.created_at > since)
        .group_by(OutboxMessage.team_id, OutboxMessage.target)
    )
    return {(team, target): _aware(at) for team, target, at in rows}


def _aware(at: datetime) -> datetime:
    """max() of a timestamp comes back from SQLite naive (in UTC) or as text."""
    if isinstance(at, str):
        at = datetime.fromisoformat(at)
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


async def count_by_target(session: AsyncSession, kind: str) -> dict[tuple[str, str], int]:
    """How many messages of this kind each (team, target) was ever given."""
    rows = await session.execute(
        select(OutboxMessage.team_id, OutboxMessage.target, func.count())
        .where(OutboxMessage.kind == kind)
        .group_by(OutboxMessage.team_id, OutboxMessage.target)
    )
    return {(team, target): n for team, target, n in rows}


async def change_pending(
    session: AsyncSession, dedupe_key: str, change: Callable[[dict[str, Any]], dict[str, Any]]
) -> bool:
    """Replace the payload of a message not sent yet with `change(payload)`; False when there
    is no such message."""
    message = await session.scalar(
        select(OutboxMessage)
        .where(OutboxMessage.dedupe_key == dedupe_key, OutboxMessage.status == PENDING)
        .with_for_update()
    )
    if message is None:
        return False
    message.payload = change(message.payload)
    return True


async def reserve_slot(
    session: AsyncSession, team_id: str, channel_id: str, now: float, interval: float
) -> float:
    """The moment (epoch seconds) this sender may post to the channel, reserved so that no
    other sender, in this process or another replica, posts within `interval` of it."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    later = func.greatest if dialect == "postgresql" else func.max
    statement = insert(ChannelSlot).values(team_id=team_id, channel_id=channel_id, last_slot=now)
    result = await session.execute(
        statement.on_conflict_do_update(
            index_elements=["team_id", "channel_id"],
            set_={
                "last_slot": later(statement.excluded.last_slot, ChannelSlot.last_slot + interval)
            },
        ).returning(ChannelSlot.last_slot)
    )
    return float(result.scalar_one())


async def reserve_slots(
    session: AsyncSession, wanted: dict[tuple[str, str], int], now: float, interval: float
) -> dict[tuple[str, str], float]:
    """`reserve_slot` for many channels in one statement: `wanted` gives how many messages
    each (team, channel) will get, one `interval` apart; returns the moment of each one's
    first. The channel's last reserved slot becomes its last message's."""
    if not wanted:
        return {}
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    later = func.greatest if dialect == "postgresql" else func.max
    # Sorted, so two replicas lock shared channels in the same order (PostgreSQL).
    keys = sorted(wanted)
    statement = insert(ChannelSlot).values(
        [
            {"team_id": t, "channel_id": c, "last_slot": now + (wanted[(t, c)] - 1) * interval}
            for t, c in keys
        ]
    )
    # A channel with k messages: the first goes at max(now, its last slot + interval), the
    # last (k - 1) intervals later; `excluded.last_slot - now` is those (k - 1) intervals.
    excluded = statement.excluded.last_slot
    result = await session.execute(
        statement.on_conflict_do_update(
            index_elements=["team_id", "channel_id"],
            set_={"last_slot": later(excluded, ChannelSlot.last_slot + interval + excluded - now)},
        ).returning(ChannelSlot.team_id, ChannelSlot.channel_id, ChannelSlot.last_slot)
    )
    return {(t, c): float(last) - (wanted[(t, c)] - 1) * interval for t, c, last in result.all()}


async def current_announcements(
    session: AsyncSession, application_id: int, kinds: Sequence[str]
) -> list[OutboxMessage]:
    """The application's messages of these kinds not withdrawn yet, locked for withdrawing."""
    return list(
        await session.scalars(
            select(OutboxMessage)
            .where(
                OutboxMessage.application_id == application_id,
                OutboxMessage.kind.in_(list(kinds)),
                OutboxMessage.dedupe_key.not_like(f"%{WITHDRAWN_MARK}%"),
            )
            .order_by(OutboxMessage.id)
            .with_for_update()
        )
    )


async def withdraw(session: AsyncSession, message: OutboxMessage) -> bool:
    """Free the message's dedupe key (renamed after its id, so a later announcement may take it
    again) and cancel it if nobody has claimed it yet; True when it was cancelled, False when
    it was sent, is being sent or failed (then the caller updates what went out)."""
    message.dedupe_key = f"{message.dedupe_key}{WITHDRAWN_MARK}{message.id}"[:255]
    await session.flush()
    # Conditional, so a sender that claimed it meanwhile keeps it (and it gets updated).
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message.id, OutboxMessage.status == PENDING)
        .values(status=CANCELLED, claimed_until=None)
        .returning(OutboxMessage.id)
        .execution_options(synchronize_session=False)
    )
    return result.first() is not None


async def message_by_id(session: AsyncSession, message_id: int) -> OutboxMessage | None:
    return await session.get(OutboxMessage, message_id, populate_existing=True)
