"""Which steps need a reminder now, and which need telling the channel about.

A pass reads every watched step in one query, narrows them to candidates (a superset that
needs no time zone), gives to the owner each step whose assignee is not in the application's
channel (`to_members`, given who is in each channel) and each step whose recipient is away
(`around_away`, given people's own settings), adds the recipient's own public holidays
(`with_own_holidays`), then, given each recipient's zone, decides exactly: inside the person's
working hours, stalled for `remind after` working days or past its due date, not snoozed.

What is due goes out as one DM a person (`Reminders`: one a day in their zone, and again that
day only for a step whose snooze they chose ran out) and at most one message a channel a pass
(`Escalations`). Each message records the steps it lists (outbox_steps), so
that reminders are still counted per step: three unanswered reminders of a step escalate it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.checklists import Translations, get_template
from bot.i18n import ENGLISH
from bot.outbox_messages import (
    EscalatedStep,
    Escalation,
    Escalations,
    RemindedApplication,
    RemindedStep,
    Reminder,
    Reminders,
)
from bot.services.calendar import (
    HolidayCalendars,
    Holidays,
    WorkingHours,
    add_working_days,
    is_working_day,
    working_days_between,
)
from bot.services.people import Personal, either, is_away
from storage import outbox
from storage import repositories as repo
from storage.models import FORMER_MEMBER
from storage.outbox import NewMessage

ESCALATE_AFTER = 3  # unanswered reminders before the channel is told
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
    # The day `instead_of` (or, with `nobody_present`, the recipient) is away until.
    away_until: date | None = None
    # Whoever would be reminded is away, the owner too: nobody is DMed about the step (the
    # channel may still be told, by the escalation rules).
    nobody_present: bool = False
    # When its last snooze ended (in the past: snoozed steps are not candidates).
    snoozed_until: datetime | None = None
    # The step's title in the template's other languages, for DMs in the recipient's.
    title_translations: Translations = ()
    # (text, author) of the step's latest note, read with the step: the DM quotes it.
    note: tuple[str, str] | None = None

    def title_in(self, language: str) -> str:
        """The step's title in `language`, or the English one when it has no translation."""
        return dict(self.title_translations).get(language, self.title)


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
    if (row.assignee_id or row.owner_id) == FORMER_MEMBER:
        return None  # nobody to remind: the owner was forgotten (`onboard-bot forget-user`)
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
        title_translations=template.step(row.step).title_translations,
        recipient=row.assignee_id or row.owner_id,
        waiting_since=since,
        # A snooze answers the reminders before it: escalation counts from then.
        answered_at=max(since, row.snoozed_at or since),
        due_on=row.due_on,
        active=active,
        remind_after_days=row.remind_after_days,
        hours=WorkingHours.parse(row.remind_start, row.remind_end),
        holidays=calendars.get(row.remind_holidays),
        snoozed_until=row.snoozed_until,
        note=(row.note_text[:NOTE_CHARS], row.note_by) if row.note_text is not None else None,
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


def around_away(
    watches: Sequence[StepWatch],
    personal_of: Callable[[str, str], Personal | None],
    zone_of: Callable[[str, str], ZoneInfo | None],
    now: datetime,
) -> list[StepWatch]:
    """The watches, with each step whose recipient is away at `now` (`/onboard away until`,
    the end of that day in their own zone) given to the owner instead, saying until when
    (`instead_of`, `away_until`). Where the owner is the one away, or away too, nobody is
    DMed (`nobody_present`); the watch stays, so the channel may still be told.
    `personal_of(team, user)` and `zone_of(team, user)` give a person's settings and zone."""

    def away_until(team_id: str, user_id: str) -> date | None:
        found = personal_of(team_id, user_id)
        if found is None or not is_away(found.away_until, zone_of(team_id, user_id), now):
            return None
        return found.away_until

    result = []
    for w in watches:
        until = away_until(w.team_id, w.recipient)
        if until is None:
            result.append(w)
        elif w.recipient != w.owner_id and away_until(w.team_id, w.owner_id) is None:
            result.append(
                replace(w, recipient=w.owner_id, instead_of=w.recipient, away_until=until)
            )
        else:
            result.append(replace(w, away_until=until, nobody_present=True))
    return result


def with_own_holidays(
    watches: Sequence[StepWatch],
    personal_of: Callable[[str, str], Personal | None],
    calendars: HolidayCalendars,
) -> list[StepWatch]:
    """The watches, each counting as days off both its application's public holidays and
    those of its recipient's own region (`/onboard my holidays SG`)."""
    result = []
    for w in watches:
        found = personal_of(w.team_id, w.recipient)
        own = calendars.get(found.holidays) if found is not None else None
        result.append(w if own is None else replace(w, holidays=either(w.holidays, own)))
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


# A reminder DM's layout (bot/blocks/notifications.py `reminders`): an opening line, a line
# an application, two blocks a step (what it is; its buttons and snooze menu) and a closing
# "…and N more" line, within Slack's 50 blocks a message. Steps past that are left out of the
# message, and not counted as reminded; they come first in the next DM (`_fit_steps`), so
# none is left out for good (tests/blocks hold the layout to this budget).
DM_BLOCKS = 50
BLOCKS_PER_STEP = 2
# One line a step, within 50 blocks and easy to read in a channel.
ESCALATED_STEPS_SHOWN = 40
NOTE_CHARS = 500  # of a step's latest note, kept in the message (the DM shows fewer)

REMINDER_KINDS = (Reminder.KIND, Reminders.KIND)
ESCALATION_KINDS = (Escalation.KIND, Escalations.KIND)


def _step_order(step: str) -> tuple[int, ...]:
    return tuple(int(part) if part.isdigit() else 0 for part in step.split("."))


@dataclass(frozen=True, slots=True)
class DueReminder:
    watch: StepWatch
    reason: str  # "stalled" or "overdue"
    waited_days: int
    local_day: date
    since_day: date  # in the recipient's zone, like the days counted

    def line(self, language: str = ENGLISH) -> RemindedStep:
        """The step as the DM lists it, its title in `language`, with its latest note."""
        w = self.watch
        note = w.note
        return RemindedStep(
            step=w.step,
            title=w.title_in(language),
            reason=self.reason,
            waited_days=self.waited_days,
            since=self.since_day,
            due_on=w.due_on,
            instead_of=w.instead_of,
            away_until=w.away_until,
            note=note[0] if note else None,
            note_by=note[1] if note else None,
        )


def decide(
    watch: StepWatch, zone: ZoneInfo, now: datetime, *, any_hour: bool = False
) -> DueReminder | None:
    """Whether the step is due a reminder now: inside its application's working hours in the
    recipient's zone (`any_hour`: on one of its working days, at any hour), and stalled or
    overdue. Never when whoever would be reminded is away (`nobody_present`)."""
    if watch.nobody_present:
        return None
    local_now = now.astimezone(zone)
    holidays = watch.holidays
    if any_hour:
        if not is_working_day(local_now, holidays):
            return None
    elif not watch.hours.contains(local_now, holidays):
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


def _fit_steps(
    groups: list[list[DueReminder]], last_reminded: Mapping[tuple[int, str], datetime]
) -> tuple[list[list[DueReminder]], int]:
    """As many of the groups' steps as one DM's blocks hold, kept in the groups' order; and how
    many are left. The steps reminded of least recently (`last_reminded`, never first) are
    chosen first, so those left out of one DM lead the next: every step is shown, and counted
    towards escalation, within a few days rather than the same ones left out every day."""
    never = datetime.min.replace(tzinfo=UTC)

    def last(r: DueReminder) -> datetime:
        return last_reminded.get((r.watch.application_id, r.watch.step), never)

    budget = DM_BLOCKS - 2  # the opening and the closing line
    chosen: set[tuple[int, str]] = set()
    opened: set[int] = set()  # applications whose line is already in
    # A stable sort: among steps reminded as recently, the groups' own order decides.
    for r in sorted((r for g in groups for r in g), key=last):
        cost = BLOCKS_PER_STEP + (r.watch.application_id not in opened)
        if cost <= budget:
            budget -= cost
            opened.add(r.watch.application_id)
            chosen.add((r.watch.application_id, r.watch.step))
    shown = [
        kept
        for g in groups
        if (kept := [r for r in g if (r.watch.application_id, r.watch.step) in chosen])
    ]
    return shown, sum(len(g) for g in groups) - len(chosen)


def _today_or_back(
    due: list[DueReminder], zone: ZoneInfo, last: datetime | None
) -> tuple[list[DueReminder], str]:
    """Which of a person's due steps this pass's DM lists, and the end of its dedupe key.
    The first DM of their day lists them all (key: the day). Later that day only a step whose
    snooze ran out since the last DM comes back (key: the day and that moment): the person
    asked to be reminded again, and nothing else is repeated. A pass planning the same again
    (a repeated or concurrent one) plans the same key, which the outbox queues once."""
    day = due[0].local_day.isoformat()
    if last is None or last.astimezone(zone).date() != due[0].local_day:
        return due, day
    back = [r for r in due if r.watch.snoozed_until is not None and r.watch.snoozed_until > last]
    if not back:
        return due, day  # the day's DM again: its key is taken, so nothing is queued
    ended = max(r.watch.snoozed_until for r in back if r.watch.snoozed_until is not None)
    return back, f"{day}:{ended.isoformat()}"


def reminder_messages(
    due: Sequence[DueReminder],
    last_sent: dict[tuple[str, str], datetime],
    zone_of: Callable[[StepWatch], ZoneInfo | None],
    last_reminded: Mapping[tuple[int, str], datetime] | None = None,
    language_of: Callable[[str, str], str] | None = None,
) -> list[NewMessage]:
    """At most one DM a person: their due steps grouped by application, the application
    waiting longest first, each application's steps in checklist order. One a day, by the
    recipient's own calendar, besides steps back from a snooze (`_today_or_back`; `last_sent`:
    when each (team, person) was last given one). Past Slack's limits, the steps reminded of
    least recently are listed (`_fit_steps`; `last_reminded`: each step's last reminder).
    Each DM is in its recipient's language (`language_of(team, person)`; English without it)."""
    people: dict[tuple[str, str], list[DueReminder]] = {}
    for r in due:
        people.setdefault((r.watch.team_id, r.watch.recipient), []).append(r)
    messages = []
    for (team_id, recipient), theirs in people.items():
        language = language_of(team_id, recipient) if language_of else ENGLISH
        zone = zone_of(theirs[0].watch) or ZoneInfo("UTC")
        listed, key = _today_or_back(theirs, zone, last_sent.get((team_id, recipient)))
        by_application: dict[int, list[DueReminder]] = {}
        for r in listed:
            by_application.setdefault(r.watch.application_id, []).append(r)
        groups = sorted(
            (sorted(g, key=lambda r: _step_order(r.watch.step)) for g in by_application.values()),
            key=lambda g: (min(r.watch.waiting_since for r in g), g[0].watch.application_id),
        )
        shown, more = _fit_steps(groups, last_reminded or {})
        applications = tuple(
            RemindedApplication(
                application_id=g[0].watch.application_id,
                application=g[0].watch.application,
                slug=g[0].watch.slug,
                channel=g[0].watch.channel_id,
                steps=tuple(r.line(language) for r in g),
            )
            for g in shown
        )
        messages.append(
            Reminders(
                applications=applications,
                more=more,
                language=language,
            ).for_outbox(
                dedupe_key=f"{Reminders.KIND}:{team_id}:{recipient}:{key}",
                team_id=team_id,
                target=recipient,
                application_id=applications[0].application_id,
                covers=tuple((r.watch.application_id, r.watch.step) for g in shown for r in g),
            )
        )
    return messages


def _by_step(rows: Sequence[tuple[int, str, datetime]]) -> dict[tuple[int, str], list[datetime]]:
    found: dict[tuple[int, str], list[datetime]] = {}
    for application_id, step, at in rows:
        found.setdefault((application_id, step), []).append(at)
    return found


def escalations(
    watches: Sequence[StepWatch],
    sent: Sequence[tuple[int, str, datetime]],
    escalated: Sequence[tuple[int, str, datetime]],
    told: dict[tuple[str, str], int],
    zone_of: Callable[[StepWatch], ZoneInfo | None],
    now: datetime,
    channel_languages: Mapping[tuple[str, str], str] | None = None,
) -> list[NewMessage]:
    """At most one message a channel, in its language (`channel_languages`, by (team,
    channel); English for one not in it), listing its steps whose last reminders all went
    unanswered and that it was not told about since (`sent`: reminders, `escalated`:
    escalations, as (application, step, when)). Where the application sets public holidays,
    a step due on a day off (a holiday or a weekend, in the recipient's zone) waits for the
    next working day.

    `told` counts the escalation messages each channel ever had: the n-th one's key ends in n,
    so two passes at once that would tell a channel the same (or overlapping) news claim the
    same key, and only one is sent; the steps only the loser listed go in the next pass."""
    reminded = _by_step(sent)
    last_told = {key: max(times) for key, times in _by_step(escalated).items()}
    channels: dict[tuple[str, str], list[EscalatedStep]] = {}
    for w in watches:
        key = (w.application_id, w.step)
        unanswered = [at for at in reminded.get(key, []) if at > w.answered_at]
        if len(unanswered) < ESCALATE_AFTER:
            continue
        if key in last_told and last_told[key] > w.answered_at:
            continue  # the channel heard of this stretch of silence already
        zone = zone_of(w)
        if w.holidays is not None and not is_working_day(now.astimezone(zone), w.holidays):
            continue
        channels.setdefault((w.team_id, w.channel_id), []).append(
            EscalatedStep(
                application_id=w.application_id,
                application=w.application,
                slug=w.slug,
                step=w.step,
                # In the channel's language, like the message that lists it.
                title=w.title_in((channel_languages or {}).get((w.team_id, w.channel_id), ENGLISH)),
                recipient=w.recipient,
                owner=w.owner_id,
                reminders=len(unanswered),
                since=w.waiting_since.astimezone(zone).date(),
            )
        )
    messages = []
    for (team_id, channel_id), steps in channels.items():
        steps.sort(key=lambda e: (e.since, e.application_id, _step_order(e.step)))
        shown = steps[:ESCALATED_STEPS_SHOWN]
        language = (channel_languages or {}).get((team_id, channel_id), ENGLISH)
        message = Escalations(steps=tuple(shown), more=len(steps) - len(shown), language=language)
        messages.append(
            message.for_outbox(
                dedupe_key=f"{Escalations.KIND}:{team_id}:{channel_id}:"
                f"{told.get((team_id, channel_id), 0)}",
                team_id=team_id,
                target=channel_id,
                application_id=shown[0].application_id,
                covers=tuple((e.application_id, e.step) for e in shown),
            )
        )
    return messages


async def plan(
    session: AsyncSession,
    watches: Sequence[StepWatch],
    zone_of: Callable[[StepWatch], ZoneInfo | None],
    now: datetime,
    language_of: Callable[[str, str], str] | None = None,
) -> list[NewMessage]:
    """Reminders and escalations due now for the candidates; zones (and each recipient's
    language, `language_of(team, person)`) already looked up. Nobody whose zone is unknown
    (Slack did not say) is reminded: better late than at 1 am. The channels' languages are
    read in one query a pass, when a channel may be told."""
    known = [w for w in watches if zone_of(w) is not None]
    due = [r for w in known if (r := decide(w, zone_of(w), now)) is not None]
    # A person's DM lists all their stalled and overdue steps, also those of applications
    # whose `remind hours` start later (or ended earlier) today: with one DM a day, waiting
    # for those hours would leave the steps out every day.
    reminded = {(r.watch.team_id, r.watch.recipient) for r in due}
    in_hours = {(r.watch.application_id, r.watch.step) for r in due}
    due += [
        r
        for w in known
        if (w.team_id, w.recipient) in reminded
        and (w.application_id, w.step) not in in_hours
        and (r := decide(w, zone_of(w), now, any_hour=True)) is not None
    ]
    # A day and a bit covers "today" in every zone.
    last_sent = await outbox.last_by_target(session, Reminders.KIND, now - timedelta(days=2))
    oldest = min((w.answered_at for w in known), default=now)
    sent = await outbox.steps_since(session, REMINDER_KINDS, oldest, sent_only=True)
    told: dict[tuple[str, str], int] = {}
    escalated: list[tuple[int, str, datetime]] = []
    channels: dict[tuple[str, str], str] = {}
    if any(len(times) >= ESCALATE_AFTER for times in _by_step(sent).values()):
        escalated = await outbox.steps_since(session, ESCALATION_KINDS, oldest, sent_only=False)
        told = await outbox.count_by_target(session, Escalations.KIND)
        channels = await repo.channel_languages(session, {(w.team_id, w.channel_id) for w in known})
    last_reminded = {key: max(times) for key, times in _by_step(sent).items()}
    reminders = reminder_messages(due, last_sent, zone_of, last_reminded, language_of)
    return reminders + escalations(known, sent, escalated, told, zone_of, now, channels)
