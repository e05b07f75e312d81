"""An application's reminder settings and Alipay contacts; every change is in its history."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, time

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.calendar import format_hhmm
from storage import repositories as repo
from storage.models import Application, Contact


async def _changed(
    session: AsyncSession,
    application: Application,
    kind: str,
    old: object,
    new: object,
    actor_id: str,
    now: datetime,
) -> None:
    """Record a change in the history; nothing when the value stays what it was (as recorded:
    setting reminders after 2 days when they were 2 is no change)."""
    old_value = None if old is None else str(old)
    new_value = None if new is None else str(new)
    if old_value == new_value:
        return
    await repo.record_event(
        session,
        application_id=application.id,
        actor_id=actor_id,
        kind=kind,
        old_value=old_value,
        new_value=new_value,
        now=now,
    )


async def set_remind_after(
    session: AsyncSession, application: Application, days: int, *, actor_id: str, now: datetime
) -> None:
    old = application.remind_after_days
    application.remind_after_days = days
    await _changed(session, application, "remind_after", old, days, actor_id, now)


async def set_remind_hours(
    session: AsyncSession,
    application: Application,
    start: time,
    end: time,
    *,
    actor_id: str,
    now: datetime,
) -> None:
    old = f"{application.remind_start}-{application.remind_end}"
    application.remind_start, application.remind_end = format_hhmm(start), format_hhmm(end)
    new = f"{application.remind_start}-{application.remind_end}"
    await _changed(session, application, "remind_hours", old, new, actor_id, now)


async def set_reminders_on(
    session: AsyncSession, application: Application, on: bool, *, actor_id: str, now: datetime
) -> None:
    old = "on" if application.reminders_on else "off"
    application.reminders_on = on
    await _changed(session, application, "reminders", old, "on" if on else "off", actor_id, now)


async def set_remind_holidays(
    session: AsyncSession,
    application: Application,
    region: str | None,
    *,
    actor_id: str,
    now: datetime,
) -> None:
    """Whose public holidays are not working days: a country code, or None for none."""
    old = application.remind_holidays
    application.remind_holidays = region
    await _changed(session, application, "remind_holidays", old, region, actor_id, now)


async def add_contacts(
    session: AsyncSession,
    application: Application,
    user_ids: Sequence[str],
    *,
    actor_id: str,
    now: datetime,
) -> list[str]:
    """Add the people not yet contacts; returns those added."""
    existing = set(await repo.contacts_of(session, application.id))
    added = [u for u in user_ids if u not in existing]
    session.add_all(Contact(application_id=application.id, user_id=u) for u in added)
    for user_id in added:
        await _changed(session, application, "contact_added", None, user_id, actor_id, now)
    return added


async def remove_contacts(
    session: AsyncSession,
    application: Application,
    user_ids: Sequence[str],
    *,
    actor_id: str,
    now: datetime,
) -> list[str]:
    removed = list(
        await session.scalars(
            delete(Contact)
            .where(Contact.application_id == application.id, Contact.user_id.in_(user_ids))
            .returning(Contact.user_id)
        )
    )
    for user_id in removed:
        await _changed(session, application, "contact_removed", user_id, None, actor_id, now)
    return removed


async def set_contacts_channel(
    session: AsyncSession,
    application: Application,
    channel_id: str | None,
    *,
    actor_id: str,
    now: datetime,
) -> None:
    old = application.contacts_channel_id
    application.contacts_channel_id = channel_id
    await _changed(session, application, "contacts_channel", old, channel_id, actor_id, now)
