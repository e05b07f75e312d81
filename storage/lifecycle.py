"""Deleting data: one workspace's (`purge_team`) or one person's (`forget_user`).

Every table that holds a workspace's data is listed in `TEAM_TABLES`, in the order its rows
are deleted (children before parents: each table's rows are deleted, and counted, by their
own statement rather than by a cascade). tests/test_lifecycle_purge.py fails when a table with a
`team_id` or an application reference is in neither `TEAM_TABLES` nor `NO_TEAM_DATA`.
Both functions return how many rows of each table they deleted or changed; the caller owns
the transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    FORMER_MEMBER,
    SLACK_BOTS,
    SLACK_INSTALLATIONS,
    Application,
    Base,
    ChannelSettings,
    ChannelSlot,
    Contact,
    Credential,
    DigestSchedule,
    Event,
    HandledEvent,
    Note,
    OutboxMessage,
    OutboxStep,
    PersonSettings,
    StepState,
    WorkspaceDeparture,
)

# Tables without any workspace's data, and why.
NO_TEAM_DATA = {
    "key_check": "one known text encrypted with the current keys, the same for every workspace",
    "slack_oauth_states": "random OAuth states of installs under way, expiring in 10 minutes",
}


def _applications(team_id: str) -> Select[tuple[int]]:
    return select(Application.id).where(Application.team_id == team_id)


def _outbox(team_id: str) -> Select[tuple[int]]:
    return select(OutboxMessage.id).where(OutboxMessage.team_id == team_id)


# (table name, the rows of a workspace in it), children first.
TEAM_TABLES: list[tuple[str, Callable[[str], ColumnElement[bool]]]] = [
    (
        OutboxStep.__tablename__,
        lambda team: or_(
            OutboxStep.outbox_id.in_(_outbox(team)),
            OutboxStep.application_id.in_(_applications(team)),
        ),
    ),
    (OutboxMessage.__tablename__, lambda team: OutboxMessage.team_id == team),
    (StepState.__tablename__, lambda team: StepState.application_id.in_(_applications(team))),
    (Note.__tablename__, lambda team: Note.application_id.in_(_applications(team))),
    (Contact.__tablename__, lambda team: Contact.application_id.in_(_applications(team))),
    (Credential.__tablename__, lambda team: Credential.application_id.in_(_applications(team))),
    (Event.__tablename__, lambda team: Event.application_id.in_(_applications(team))),
    (Application.__tablename__, lambda team: Application.team_id == team),
    (DigestSchedule.__tablename__, lambda team: DigestSchedule.team_id == team),
    (PersonSettings.__tablename__, lambda team: PersonSettings.team_id == team),
    (ChannelSettings.__tablename__, lambda team: ChannelSettings.team_id == team),
    (ChannelSlot.__tablename__, lambda team: ChannelSlot.team_id == team),
    (HandledEvent.__tablename__, lambda team: HandledEvent.team_id == team),
    (SLACK_BOTS.name, lambda team: SLACK_BOTS.c.team_id == team),
    (SLACK_INSTALLATIONS.name, lambda team: SLACK_INSTALLATIONS.c.team_id == team),
    (WorkspaceDeparture.__tablename__, lambda team: WorkspaceDeparture.team_id == team),
]


def _table(name: str) -> Any:
    return Base.metadata.tables[name]


async def count_team(session: AsyncSession, team_id: str) -> dict[str, int]:
    """How many rows of each table `purge_team` would delete."""
    counts: dict[str, int] = {}
    for name, rows_of in TEAM_TABLES:
        found = select(func.count()).select_from(_table(name)).where(rows_of(team_id))
        counts[name] = (await session.execute(found)).scalar_one()
    return counts


async def purge_team(session: AsyncSession, team_id: str) -> dict[str, int]:
    """Delete every row of the workspace `team_id`, tokens included; rows deleted per table."""
    counts: dict[str, int] = {}
    for name, rows_of in TEAM_TABLES:
        result = await session.execute(delete(_table(name)).where(rows_of(team_id)))
        counts[name] = result.rowcount or 0  # type: ignore[attr-defined]
    return counts


async def forget_user(
    session: AsyncSession, user_id: str, team_id: str | None = None
) -> dict[str, int]:
    """Remove a person (in one workspace, or in every one): their assignments are cleared,
    their contact entries, own settings and direct messages deleted, and wherever their id
    recorded who did something (history, done by, notes, settings, credentials, OAuth
    installer) it becomes `FORMER_MEMBER`, also inside stored texts and message payloads.
    Rows deleted or changed per table."""
    counts: dict[str, int] = {}

    def count(name: str, result: Any) -> None:
        counts[name] = counts.get(name, 0) + (result.rowcount or 0)

    apps = select(Application.id)
    if team_id is not None:
        apps = apps.where(Application.team_id == team_id)
    in_team = Application.id.in_(apps)

    # Direct messages to them: deleted with what they were about.
    dms = select(OutboxMessage.id).where(OutboxMessage.target == user_id)
    if team_id is not None:
        dms = dms.where(OutboxMessage.team_id == team_id)
    count(
        "outbox_steps",
        await session.execute(delete(OutboxStep).where(OutboxStep.outbox_id.in_(dms))),
    )
    count("outbox", await session.execute(delete(OutboxMessage).where(OutboxMessage.id.in_(dms))))

    # Their DMs' pacing (a DM's target is the person's id).
    slots = delete(ChannelSlot).where(ChannelSlot.channel_id == user_id)
    if team_id is not None:
        slots = slots.where(ChannelSlot.team_id == team_id)
    count("channel_slots", await session.execute(slots))

    steps = StepState.application_id.in_(apps)
    count(
        "step_states",
        await session.execute(
            update(StepState)
            .where(steps, StepState.assignee_id == user_id)
            .values(assignee_id=None)
        ),
    )
    for column in (StepState.done_by, StepState.skipped_by):
        count(
            "step_states",
            await session.execute(
                update(StepState).where(steps, column == user_id).values({column: FORMER_MEMBER})
            ),
        )
    count(
        "applications",
        await session.execute(
            update(Application)
            .where(in_team, Application.owner_id == user_id)
            .values(owner_id=FORMER_MEMBER)
        ),
    )
    count(
        "contacts",
        await session.execute(
            delete(Contact).where(Contact.application_id.in_(apps), Contact.user_id == user_id)
        ),
    )
    people = delete(PersonSettings).where(PersonSettings.user_id == user_id)
    if team_id is not None:
        people = people.where(PersonSettings.team_id == team_id)
    count("person_settings", await session.execute(people))

    # Who did something: the id becomes the marker, in the column and inside texts.
    by_application = (
        (Note, Note.author_id, (Note.text,)),
        (Event, Event.actor_id, (Event.old_value, Event.new_value)),
        (Credential, Credential.updated_by, ()),
    )
    for model, who, texts in by_application:
        name = model.__tablename__
        owned = model.application_id.in_(apps)
        count(
            name,
            await session.execute(
                update(model).where(owned, who == user_id).values({who: FORMER_MEMBER})
            ),
        )
        for column in texts:
            rows = await session.execute(
                select(model, column).where(owned, column.contains(user_id))
            )
            for row, value in rows.all():
                setattr(row, column.key, value.replace(user_id, FORMER_MEMBER))
                counts[name] = counts.get(name, 0) + 1
    schedules = update(DigestSchedule).where(DigestSchedule.set_by == user_id)
    if team_id is not None:
        schedules = schedules.where(DigestSchedule.team_id == team_id)
    count("digest_schedules", await session.execute(schedules.values(set_by=FORMER_MEMBER)))

    # Other messages that mention them: their record keeps the marker instead.
    mentioned = select(OutboxMessage)
    if team_id is not None:
        mentioned = mentioned.where(OutboxMessage.team_id == team_id)
    for message in await session.scalars(mentioned):
        changed = False
        for attribute in ("dedupe_key", "last_error"):
            value = getattr(message, attribute)
            if value and user_id in value:
                replaced = value.replace(user_id, FORMER_MEMBER)
                if attribute == "dedupe_key":
                    replaced = f"{replaced}#{message.id}"  # stays unique
                setattr(message, attribute, replaced)
                changed = True
        payload = _replaced(message.payload, user_id)
        if payload != message.payload:
            message.payload = payload
            changed = True
        counts["outbox"] = counts.get("outbox", 0) + changed

    # Who installed the app (OAuth): slack_sdk keeps the installer's id and user token.
    installs = update(SLACK_INSTALLATIONS).where(SLACK_INSTALLATIONS.c.user_id == user_id)
    if team_id is not None:
        installs = installs.where(SLACK_INSTALLATIONS.c.team_id == team_id)
    count(
        SLACK_INSTALLATIONS.name,
        await session.execute(
            installs.values(
                user_id=FORMER_MEMBER, user_token=None, user_refresh_token=None, user_scopes=None
            )
        ),
    )
    await session.flush()
    return counts


def _replaced(value: Any, user_id: str) -> Any:
    """`value` (JSON) with every string's `user_id` replaced by the marker."""
    if isinstance(value, str):
        return value.replace(user_id, FORMER_MEMBER)
    if isinstance(value, list):
        return [_replaced(v, user_id) for v in value]
    if isinstance(value, dict):
        return {_replaced(k, user_id): _replaced(v, user_id) for k, v in value.items()}
    return value


# ---- workspaces that left -------------------------------------------------------------------


async def record_departure(session: AsyncSession, team_id: str, now: datetime) -> datetime:
    """The workspace uninstalled the app: remember when (the first time, if Slack repeats the
    event), for `purge_departed`. Returns when it left."""
    found = await session.get(WorkspaceDeparture, team_id)
    if found is not None:
        return found.departed_at
    session.add(WorkspaceDeparture(team_id=team_id, departed_at=now))
    await session.flush()
    return now


async def cancel_departure(session: AsyncSession, team_id: str) -> bool:
    """The workspace installed the app again: its data stays. Whether it had left."""
    result = await session.execute(
        delete(WorkspaceDeparture).where(WorkspaceDeparture.team_id == team_id)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def purge_departed(
    session: AsyncSession, now: datetime, retention: timedelta
) -> dict[str, dict[str, int]]:
    """Delete the data of every workspace that left at least `retention` ago; rows deleted
    per table, by team."""
    due = await session.scalars(
        select(WorkspaceDeparture.team_id).where(WorkspaceDeparture.departed_at <= now - retention)
    )
    return {team: await purge_team(session, team) for team in list(due)}
