"""Which steps need a reminder now, and which need telling the channel about.

A pass reads every watched step in one query, narrows them to candidates (a superset that
needs no time zone), gives to the owner each step whose assignee is not in the application's
channel (`to_members`, given who is in each channel), then, given each recipient's zone,
decides exactly: inside the person's working hours, stalled for `remind after` working days or
past its due date, not snoozed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.checklists import get_template
from bot.outbox_messages import Escalation, Reminder
from bot.services.calendar import (
    HolidayCalendars,
    Holidays,
    WorkingHours,
    add_working_days,
    is_working_day,
    working_days_between,
)
from storage import outbox
from storage import repositories as repo
from storage.outbox import NewMessage

ESCALATE_AFTER = 3  # unanswered reminders before the channel is told
SNOOZE = timedelta(days=1)
MIN_REMIND_AFTER_DAYS = 1  # `remind after` takes 1 to 30 working days


@dataclass(frozen=True, slots=True)
class StepWatch:
    """A step that may need a reminder, with everything the decision and the message need."""

    application_id: int
    team_id: str
    application: str
    slug: str
    channel_id: str
    owner_id: str
    step: str
    title: str
    recipient: str
    # Since when nothing happened: the later of its own last event and the moment the step
    # before it was done (a step cannot stall before it could be started).
    waiting_since: datetime
    answered_at: datetime
    due_on: date | None
    active: bool
    remind_after_days: int
    hours: WorkingHours
    # The assignee, when they are not in the channel and `recipient` is the owner instead.
    instead_of: str | None = None
    # The application's public holidays (`remind holidays CN`), shared by its steps; None:
    # weekends are the only days off.
    holidays: Holidays | None = None


def waiting_since(steps: Sequence[tuple[datetime | None, datetime]]) -> list[datetime]:
    """For each (done_at, changed_at) in template order: since when the step has waited, the
    later of its own last event and the moment the steps before it were done (a step cannot
    stall before it could be started). A skipped step passes the moment it was skipped as its
    done_at: the next step could start from then."""
    result = []
    became_startable: datetime | None = None
    for done_at, changed_at in steps:
        result.append(max(changed_at, became_startable or changed_at))
        if done_at is not None:
            became_startable = max(became_startable or done_at, done_at)
    return result


def _watch(row, now: datetime, calendars: HolidayCalendars) -> StepWatch | None:
    """A candidate row (see storage.repositories.reminder_candidates) as a watch, or None
    when its application waits longer than the day the query assumed."""
    active = (row.open_before or 0) == 0 or (row.done_after or 0) == 1
    since = max(row.changed_at, row.startable_at or row.changed_at)
    # A superset of stalled in any zone: N working days are at least N calendar days.
    may_be_stalled = active and since <= now - timedelta(days=row.remind_after_days)
    may_be_overdue = row.due_on is not None and row.due_on <= now.date() + timedelta(1)
    if not (may_be_stalled or may_be_overdue):
        return None
    template = get_template(row.template_key, row.template_version)
    return StepWatch(
        application_id=row.id,
        team_id=row.team_id,
        application=row.name,
        slug=row.slug,
        channel_id=row.channel_id,
        owner_id=row.owner_id,
        step=row.step,
        title=template.step(row.step).title,
        recipient=row.assignee_id or row.owner_id,
        waiting_since=since,
        # A snooze answers the reminders before it: escalation counts from then.
        answered_at=max(since, (row.snoozed_until or since) - SNOOZE),
        due_on=row.due_on,
        active=active,
        remind_after_days=row.remind_after_days,
        hours=WorkingHours.parse(row.remind_start, row.remind_end),
        holidays=calendars.get(row.remind_holidays),
    )


def to_members(
    watches: Sequence[StepWatch], members_of: Callable[[StepWatch], frozenset[str] | None]
) -> list[StepWatch]:
    """The watches, with each step whose assignee is not in the application's channel given to
    the owner instead: the reminder's buttons only work for members, and someone who left (or
    was never there) has likely moved on. `members_of` gives the channel's members, or None
    where Slack would not say.

    An owner who is not in the channel either is still reminded: nobody else answers for the
    application, a click on the reminder tells them to join, and after three unanswered
    reminders the channel itself is told (`escalations`)."""
    result = []
    for w in watches:
        members = members_of(w) if w.recipient != w.owner_id else None
        # None: Slack would not list the channel (the bot was removed, a private channel it
        # cannot see, Slack unwell). Not knowing is no evidence the assignee left, and a
        # transient error must not move the step's reminders to the owner and back.
        if members is None or w.recipient in members:
            result.append(w)
        else:
            result.append(replace(w, recipient=w.owner_id, instead_of=w.recipient))
    return result


async def candidates(session: AsyncSession, now: datetime) -> list[StepWatch]:
    """Steps that may need a reminder now. The database narrows 190,000 steps to the few
    active-and-untouched-for-a-day or due-by-tomorrow ones; each application's own
    `remind after` is applied here."""
    rows = await repo.reminder_candidates(
        session,
        stale_before=now - timedelta(days=MIN_REMIND_AFTER_DAYS),
        due_by=now.date() + timedelta(days=1),
        now=now,
    )
    # One holiday calendar per region for the whole pass, shared by every step that uses it.
    calendars = HolidayCalendars()
    return [w for row in rows if (w := _watch(row, now, calendars)) is not None]


@dataclass(frozen=True, slots=True)
class DueReminder:
    watch: StepWatch
    reason: str  # "stalled" or "overdue"
    waited_days: int
    local_day: date
    since_day: date  # in the recipient's zone, like the days counted

    def message(self) -> NewMessage:
        w = self.watch
        reminder = Reminder(
            application_id=w.application_id,
            application=w.application,
            slug=w.slug,
            step=w.step,
            title=w.title,
            channel=w.channel_id,
            reason=self.reason,
            waited_days=self.waited_days,
            since=self.since_day,
            due_on=w.due_on,
            instead_of=w.instead_of,
        )
        return reminder.for_outbox(
            # One a working day, by the recipient's own calendar.
            dedupe_key=f"{Reminder.KIND}:{w.application_id}:{w.step}:{self.local_day.isoformat()}",
            team_id=w.team_id,
            target=w.recipient,
            application_id=w.application_id,
            step=w.step,
        )


def decide(watch: StepWatch, zone: ZoneInfo, now: datetime) -> DueReminder | None:
    local_now = now.astimezone(zone)
    holidays = watch.holidays
    if not watch.hours.contains(local_now, holidays):
        return None
    since = watch.waiting_since.astimezone(zone)
    if watch.due_on is not None and local_now.date() > watch.due_on:
        reason = "overdue"
    elif watch.active and local_now >= add_working_days(since, watch.remind_after_days, holidays):
        reason = "stalled"
    else:
        return None
    waited = working_days_between(since, local_now, holidays)
    return DueReminder(watch, reason, waited, local_now.date(), since.date())


def escalations(
    watches: Sequence[StepWatch],
    sent: Sequence[tuple[int, str, datetime]],
    zone_of: Callable[[StepWatch], ZoneInfo | None],
    now: datetime,
) -> list[NewMessage]:
    """One message to the channel for a step whose last reminders all went unanswered. Where
    the application sets public holidays, one due on a day off (a holiday or a weekend, in the
    recipient's zone) waits for the next working day."""
    counts: dict[tuple[int, str], list[datetime]] = {}
    for application_id, step, at in sent:
        counts.setdefault((application_id, step), []).append(at)
    messages = []
    for w in watches:
        unanswered = [at for at in counts.get((w.application_id, w.step), []) if at > w.answered_at]
        if len(unanswered) < ESCALATE_AFTER:
            continue
        if w.holidays is not None and not is_working_day(now.astimezone(zone_of(w)), w.holidays):
            continue
        escalation = Escalation(
            application_id=w.application_id,
            application=w.application,
            slug=w.slug,
            step=w.step,
            title=w.title,
            recipient=w.recipient,
            owner=w.owner_id,
            reminders=len(unanswered),
            since=w.waiting_since.astimezone(zone_of(w)).date(),
        )
        messages.append(
            escalation.for_outbox(
                # One per stretch of silence: new activity on the step starts a new one.
                dedupe_key=f"{Escalation.KIND}:{w.application_id}:{w.step}:"
                f"{w.answered_at.isoformat()}",
                team_id=w.team_id,
                target=w.channel_id,
                application_id=w.application_id,
                step=w.step,
            )
        )
    return messages


async def plan(
    session: AsyncSession,
    watches: Sequence[StepWatch],
    zone_of: Callable[[StepWatch], ZoneInfo | None],
    now: datetime,
) -> list[NewMessage]:
    """Reminders and escalations due now for the candidates; zones already looked up.
    Nobody whose zone is unknown (Slack did not say) is reminded: better late than at 1 am."""
    known = [w for w in watches if zone_of(w) is not None]
    due = [r for w in known if (r := decide(w, zone_of(w), now)) is not None]
    oldest = min((w.waiting_since for w in known), default=now)
    sent = await outbox.sent_since(session, Reminder.KIND, oldest)
    return [r.message() for r in due] + escalations(known, sent, zone_of, now)
