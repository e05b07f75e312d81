"""Channel digests: the schedule, when one is due, and what it says.

A digest is due at the latest scheduled moment at or before `now` that has not been claimed
yet; after downtime that is the most recent missed one only, never one per missed period.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, or_, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.analytics.channel_burn_up import channel_burn_ups
from bot.i18n import ENGLISH
from bot.outbox_messages import (
    Digest,
    DigestSection,
    DoneStep,
    NextStep,
    PhaseCount,
    SkippedStep,
    WaitingStep,
)
from bot.services.calendar import (
    HolidayCalendars,
    add_working_days,
    latest_occurrence,
    parse_hhmm,
)
from bot.services.checklist import template_for
from bot.services.progress import Checklist, build_checklist
from bot.services.reminders import waiting_since
from storage import repositories as repo
from storage.models import Application, DigestSchedule, Event, StepState
from storage.outbox import NewMessage

MAX_APPLICATIONS = 8  # per digest, to stay within a message's blocks
BURN_UP_WEEKS = 8  # a weekly digest's burn-up: the steps complete, a point a week


async def set_schedule(
    session: AsyncSession,
    *,
    team_id: str,
    channel_id: str,
    set_by: str,
    now: datetime,
    cadence: str | None = None,
    at: time | None = None,
    weekday: int | None = None,
    timezone: str | None = None,
) -> DigestSchedule:
    """Change the channel's schedule; unset arguments keep their value."""
    schedule = await repo.digest_schedule(session, team_id, channel_id)
    if schedule is None:
        schedule = DigestSchedule(
            team_id=team_id,
            channel_id=channel_id,
            cadence="off",
            at_time="09:00",
            timezone=timezone or "UTC",
            set_by=set_by,
            effective_from=now,
        )
        session.add(schedule)
    if cadence is not None:
        schedule.cadence = cadence
        schedule.weekday = weekday if cadence == "weekly" else None
        if at is not None:
            schedule.at_time = at.strftime("%H:%M")
        schedule.set_by = set_by
    if timezone is not None:
        schedule.timezone = timezone
    # A changed schedule starts from now: it never sends a digest for a moment already past.
    schedule.effective_from = now
    await session.flush()
    return schedule


@dataclass(frozen=True, slots=True)
class DueDigest:
    schedule: DigestSchedule
    occurrence: datetime

    @property
    def since(self) -> datetime:
        # From when the last digest went out, not its scheduled time: a late (catch-up)
        # digest already reported what happened up to then.
        return self.schedule.reported_until or self.schedule.effective_from


def due(schedules: Sequence[DigestSchedule], now: datetime) -> list[DueDigest]:
    found = []
    for schedule in schedules:
        occurrence = latest_occurrence(
            now,
            ZoneInfo(schedule.timezone),
            parse_hhmm(schedule.at_time),
            schedule.weekday if schedule.cadence == "weekly" else None,
        )
        if occurrence < schedule.effective_from:
            continue
        if schedule.last_occurrence_at is not None and occurrence <= schedule.last_occurrence_at:
            continue
        found.append(DueDigest(schedule, occurrence))
    return found


@dataclass(frozen=True, slots=True)
class PreparedDigest:
    schedule_id: int
    occurrence: datetime
    prepared_at: datetime
    message: NewMessage | None


async def prepare(session: AsyncSession, now: datetime) -> list[PreparedDigest]:
    """Digests due now, with their content (a weekly one's with the channel's burn-up, of
    every weekly channel in one go). Read-only: `record_claimed` marks them taken, in the
    transaction that enqueues them."""
    prepared = []
    calendars = HolidayCalendars()  # one per region for the whole pass
    due_now = due(await repo.active_digest_schedules(session), now)
    # What every due channel shows, in a handful of statements for all of them (never a
    # statement per channel: a pass may have 10,000 digests due).
    reads = await repo.digest_reads(
        session, [d.schedule.id for d in due_now], ["marked", "skipped"]
    )
    # The weekly digests' burn-ups, for all their channels at once.
    burn_ups = await channel_burn_ups(
        session,
        [(d.schedule.team_id, d.schedule.channel_id) for d in due_now if _weekly(d)],
        now,
        weeks=BURN_UP_WEEKS,
    )
    for digest in due_now:
        schedule = digest.schedule
        # Said in the channel, so in its language (the titles too).
        channel = (schedule.team_id, schedule.channel_id)
        language = reads.languages.get(channel) or ENGLISH
        content = report(
            digest,
            reads.applications.get(channel, []),
            reads.states,
            reads.events,
            now,
            calendars,
            language,
        )
        burn_up = burn_ups.get((schedule.team_id, schedule.channel_id))
        content = replace(
            content, language=language, burn_up=burn_up.points if burn_up is not None else ()
        )
        # A channel whose applications are all archived gets nothing; the occurrence is
        # still claimed, so it does not fire later.
        message = (
            content.for_outbox(
                dedupe_key=f"{Digest.KIND}:{schedule.team_id}:{schedule.channel_id}:"
                f"{digest.occurrence.isoformat()}",
                team_id=schedule.team_id,
                target=schedule.channel_id,
            )
            if content.applications
            else None
        )
        prepared.append(PreparedDigest(schedule.id, digest.occurrence, now, message))
    return prepared


def _weekly(digest: DueDigest) -> bool:
    return digest.schedule.cadence == "weekly"


async def record_claimed(session: AsyncSession, prepared: Sequence[PreparedDigest]) -> None:
    """Mark these occurrences taken, in one executemany however many channels (an occurrence
    already taken, or a later one, is left as it is)."""
    if not prepared:
        return
    table = DigestSchedule.__table__
    await session.execute(
        update(table)
        .where(
            table.c.id == bindparam("schedule_id"),
            or_(
                table.c.last_occurrence_at.is_(None),
                table.c.last_occurrence_at < bindparam("occurrence"),
            ),
        )
        .values(last_occurrence_at=bindparam("occurrence"), reported_until=bindparam("at")),
        [
            {"schedule_id": p.schedule_id, "occurrence": p.occurrence, "at": p.prepared_at}
            for p in prepared
        ],
    )


def _skipped_since(
    checklist: Checklist, events: Sequence[Event], language: str
) -> tuple[SkippedStep, ...]:
    """Steps of the checklist skipped by these events and still skipped, each once (by whoever
    skipped it last), with the reason it has now; titles in `language`."""
    latest = {
        e.step: e.actor_id
        for e in events
        if e.application_id == checklist.application.id and e.step
    }
    return tuple(
        SkippedStep(
            step=s.step.number,
            title=s.step.title_in(language),
            by=latest[s.step.number],
            skip_reason=s.skip_reason or "",
        )
        for s in checklist.steps
        if s.skipped and s.step.number in latest
    )


def report(
    digest: DueDigest,
    applications: Sequence[Application],
    states: Mapping[int, list[StepState]],
    events_of: Mapping[int, Sequence[Event]],
    now: datetime,
    calendars: HolidayCalendars | None = None,
    language: str = ENGLISH,
) -> Digest:
    """What the channel's applications did since the last digest, and what waits; stalls
    are counted in working days without the application's public holidays. Step and phase
    titles are in `language`. Pure: `applications` are the channel's unarchived ones by id,
    `states` and `events_of` (its marked/skipped events since the last digest) by
    application id, as `repo.digest_reads` returns them."""
    calendars = calendars or HolidayCalendars()
    schedule = digest.schedule
    zone = ZoneInfo(schedule.timezone)
    shown = applications[:MAX_APPLICATIONS]
    today = now.astimezone(zone).date()
    sections = []
    for application in shown:
        events = events_of.get(application.id, ())
        checklist = build_checklist(
            application, template_for(application), states[application.id], {}
        )
        done_since = tuple(
            DoneStep(
                step=e.step, title=checklist.step(e.step).step.title_in(language), by=e.actor_id
            )
            for e in events
            if e.application_id == application.id
            and e.kind == "marked"
            and e.step
            and checklist.step(e.step).done
        )
        skipped_since = _skipped_since(
            checklist, [e for e in events if e.kind == "skipped"], language
        )
        waiting = []
        # A skipped step, like a done one, lets the next start (and is never stalled).
        waits = waiting_since([(s.finished_at, s.changed_at) for s in checklist.steps])
        for s, since in zip(checklist.steps, waits, strict=True):
            if s.complete:
                continue
            stalled = s.active and now >= add_working_days(
                since.astimezone(zone),
                application.remind_after_days,
                calendars.get(application.remind_holidays),
            )
            if stalled or s.overdue(today):
                waiting.append(
                    WaitingStep(
                        step=s.step.number,
                        title=s.step.title_in(language),
                        owner=s.assignee_id or application.owner_id,
                        due_on=s.due_on,
                        overdue=s.overdue(today),
                    )
                )
        sections.append(
            DigestSection(
                application=application.name,
                slug=application.slug,
                done=checklist.complete_count,
                total=checklist.total,
                phases=tuple(
                    PhaseCount(
                        title=p.phase.title_in(language),
                        done=p.complete_count,
                        total=len(p.steps),
                        skipped=p.skipped_count,
                    )
                    for p in checklist.phases
                ),
                done_since=done_since,
                waiting=tuple(waiting),
                next=tuple(
                    NextStep(
                        step=s.step.number,
                        title=s.step.title_in(language),
                        assignee=s.assignee_id,
                    )
                    for s in checklist.steps
                    if s.active
                )[:3],
                skipped=checklist.skipped_count,
                skipped_since=skipped_since,
            )
        )
    return Digest(
        cadence=schedule.cadence,
        since=digest.since,
        occurrence=digest.occurrence,
        timezone=schedule.timezone,
        applications=tuple(sections),
        more=max(len(applications) - MAX_APPLICATIONS, 0),
    )
