"""Which steps need a reminder now, and which need telling the channel about.

A pass reads every watched step in one query, narrows them to candidates (a superset that
needs no time zone), then, given each recipient's zone, decides exactly: inside the person's
working hours, stalled for `remind after` working days or past its due date, not snoozed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.checklists import get_template
from bot.services.calendar import WorkingHours, add_working_days, working_days_between
from bot.services.progress import active_flags
from storage import outbox
from storage import repositories as repo
from storage.outbox import NewMessage

REMINDER = "reminder"
ESCALATION = "escalation"
ESCALATE_AFTER = 3  # unanswered reminders before the channel is told
SNOOZE = timedelta(days=1)


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

    def about(self) -> dict[str, object]:
        """What every message about this step names."""
        return {
            "application_id": self.application_id,
            "application": self.application,
            "slug": self.slug,
            "step": self.step,
            "title": self.title,
        }


def waiting_since(steps: Sequence[tuple[datetime | None, datetime]]) -> list[datetime]:
    """For each (done_at, changed_at) in template order: since when the step has waited, the
    later of its own last event and the moment the steps before it were done (a step cannot
    stall before it could be started)."""
    result = []
    became_startable: datetime | None = None
    for done_at, changed_at in steps:
        result.append(max(changed_at, became_startable or changed_at))
        if done_at is not None:
            became_startable = max(became_startable or done_at, done_at)
    return result


def _watches(steps: Sequence, now: datetime) -> Iterable[StepWatch]:
    """The candidates among one application's steps (rows in template order)."""
    if not steps:
        return
    first = steps[0]
    application_id = first.id
    template = get_template(first.template_key, first.template_version)
    flags = active_flags([s.done_at is not None for s in steps])
    waits = waiting_since([(s.done_at, s.changed_at) for s in steps])
    hours = WorkingHours.parse(first.remind_start, first.remind_end)
    # A superset of stalled in any zone: N working days are at least N calendar days.
    stalled_before = now - timedelta(days=first.remind_after_days)
    for row, active, since in zip(steps, flags, waits, strict=True):
        if row.done_at is not None:
            continue
        snoozed = row.snoozed_until is not None and row.snoozed_until > now
        may_be_stalled = active and since <= stalled_before
        may_be_overdue = row.due_on is not None and row.due_on <= now.date() + timedelta(1)
        if snoozed or not (may_be_stalled or may_be_overdue):
            continue
        yield StepWatch(
            application_id=application_id,
            team_id=first.team_id,
            application=first.name,
            slug=first.slug,
            channel_id=first.channel_id,
            owner_id=first.owner_id,
            step=row.step,
            title=template.step(row.step).title,
            recipient=row.assignee_id or first.owner_id,
            waiting_since=since,
            # A snooze answers the reminders before it: escalation counts from then.
            answered_at=max(since, (row.snoozed_until or since) - SNOOZE),
            due_on=row.due_on,
            active=active,
            remind_after_days=first.remind_after_days,
            hours=hours,
        )


async def candidates(session: AsyncSession, now: datetime) -> list[StepWatch]:
    """Reads every application's steps once, batch by batch, keeping only candidates."""
    found: list[StepWatch] = []
    application: list = []  # the rows of the application being read, across batches
    async for rows in repo.watched_steps(session):
        for row in rows:
            if application and row.id != application[0].id:
                found.extend(_watches(application, now))
                application = []
            application.append(row)
    found.extend(_watches(application, now))
    return found


@dataclass(frozen=True, slots=True)
class Reminder:
    watch: StepWatch
    reason: str  # "stalled" or "overdue"
    waited_days: int
    local_day: date
    since_day: date  # in the recipient's zone, like the days counted

    def message(self) -> NewMessage:
        w = self.watch
        return NewMessage(
            # One a working day, by the recipient's own calendar.
            dedupe_key=f"{REMINDER}:{w.application_id}:{w.step}:{self.local_day.isoformat()}",
            team_id=w.team_id,
            kind=REMINDER,
            target=w.recipient,
            application_id=w.application_id,
            step=w.step,
            payload=w.about()
            | {
                "channel": w.channel_id,
                "reason": self.reason,
                "waited_days": self.waited_days,
                "since": self.since_day.isoformat(),
                "due_on": w.due_on.isoformat() if w.due_on else None,
            },
        )


def decide(watch: StepWatch, zone: ZoneInfo, now: datetime) -> Reminder | None:
    local_now = now.astimezone(zone)
    if not watch.hours.contains(local_now):
        return None
    since = watch.waiting_since.astimezone(zone)
    if watch.due_on is not None and local_now.date() > watch.due_on:
        reason = "overdue"
    elif watch.active and local_now >= add_working_days(since, watch.remind_after_days):
        reason = "stalled"
    else:
        return None
    return Reminder(
        watch, reason, working_days_between(since, local_now), local_now.date(), since.date()
    )


def escalations(
    watches: Sequence[StepWatch],
    sent: Sequence[tuple[int, str, datetime]],
    zone_of: Callable[[StepWatch], ZoneInfo | None],
) -> list[NewMessage]:
    """One message to the channel for a step whose last reminders all went unanswered."""
    counts: dict[tuple[int, str], list[datetime]] = {}
    for application_id, step, at in sent:
        counts.setdefault((application_id, step), []).append(at)
    messages = []
    for w in watches:
        unanswered = [at for at in counts.get((w.application_id, w.step), []) if at > w.answered_at]
        if len(unanswered) < ESCALATE_AFTER:
            continue
        messages.append(
            NewMessage(
                # One per stretch of silence: new activity on the step starts a new one.
                dedupe_key=f"{ESCALATION}:{w.application_id}:{w.step}:{w.answered_at.isoformat()}",
                team_id=w.team_id,
                kind=ESCALATION,
                target=w.channel_id,
                application_id=w.application_id,
                step=w.step,
                payload=w.about()
                | {
                    "recipient": w.recipient,
                    "owner": w.owner_id,
                    "reminders": len(unanswered),
                    "since": w.waiting_since.astimezone(zone_of(w)).date().isoformat(),
                },
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
    sent = await outbox.sent_reminders_since(session, oldest)
    return [r.message() for r in due] + escalations(known, sent, zone_of)
