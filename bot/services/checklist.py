"""The checklist's rules: creating applications, marking, skipping, assigning, due dates,
notes.

Every function takes the caller's session and `now`; none commits and none knows Slack.
A `Refusal` means the request was wrong: the caller rolls back and shows its message.
"""

from __future__ import annotations

import dataclasses
import itertools
import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.checklists import DEFAULT_TEMPLATE_KEY, Template, TemplateError, get_template
from bot.crypto import Keyring
from bot.i18n import N_
from bot.services import announcements, credentials, people
from bot.services.announcements import Question, announcements_for
from bot.services.calendar import HolidayCalendars, WorkingHours
from bot.services.errors import Phrase, Refusal
from bot.services.progress import Checklist, build_checklist
from bot.services.snooze import check_choice, snooze_until
from storage import outbox
from storage import repositories as repo
from storage.models import Application, Event, StepState


def template_for(application: Application) -> Template:
    return get_template(application.template_key, application.template_version)


def expand_steps(template: Template, refs: Sequence[str]) -> list[str]:
    """Step numbers for what the user typed: `3.4` is one step, `3` a whole phase."""
    numbers: list[str] = []
    for ref in refs:
        if "." in ref:
            number = _normalize_step(ref)
            if not template.has_step(number):
                raise Refusal(
                    N_(
                        "There is no step `{ref}`. Valid steps: {valid}; "
                        "or a whole phase, 1–{last}."
                    ),
                    ref=ref,
                    valid=template.describe_valid_steps(),
                    last=len(template.phases),
                )
            found = [number]
        else:
            try:
                found = [s.number for s in template.phase(int(ref)).steps]
            except (KeyError, TemplateError, ValueError):
                raise Refusal(
                    N_("There is no phase `{ref}`. Phases are 1–{last}; single steps are {valid}."),
                    ref=ref,
                    last=len(template.phases),
                    valid=template.describe_valid_steps(),
                ) from None
        numbers.extend(n for n in found if n not in numbers)
    return numbers


def _normalize_step(ref: str) -> str:
    # "03.4" and "3.04" name step 3.4; the template spells numbers without leading zeros.
    phase, _, index = ref.partition(".")
    if not (phase.isdecimal() and index.isdecimal()):
        return ref  # not a number: the template lookup refuses it with the valid steps
    return f"{int(phase)}.{int(index)}"


def step_number(template: Template, ref: str) -> str:
    """Exactly one step (not a phase)."""
    if "." not in ref:
        raise Refusal(
            N_(
                "`{ref}` is a phase; this needs a single step such as `{ref}.1`. "
                "Valid steps: {valid}."
            ),
            ref=ref,
            valid=template.describe_valid_steps(),
        )
    return expand_steps(template, [ref])[0]


def slugify(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:40].strip("-")
    return slug or "app"


SLUG_ATTEMPTS = 5


def _slug_candidates(base: str) -> Iterator[str]:
    yield base
    yield from (f"{base}-{n}" for n in itertools.count(2))


async def create_application(
    session: AsyncSession,
    *,
    team_id: str,
    channel_id: str,
    owner_id: str,
    name: str,
    now: datetime,
    template_key: str = DEFAULT_TEMPLATE_KEY,
) -> Application:
    template = get_template(template_key)
    base = slugify(name)
    for _attempt in range(SLUG_ATTEMPTS):
        taken = await repo.slugs_starting_with(session, team_id, base)
        slug = next(s for s in _slug_candidates(base) if s not in taken)
        try:
            # A savepoint, so losing a race for the slug to another transaction costs a retry,
            # not the whole transaction.
            async with session.begin_nested():
                application = await repo.add_application(
                    session,
                    team_id=team_id,
                    slug=slug,
                    name=name,
                    channel_id=channel_id,
                    owner_id=owner_id,
                    template_key=template.key,
                    template_version=template.version,
                    step_numbers=[s.number for s in template.steps],
                    now=now,
                )
            break
        except IntegrityError:
            continue
    else:
        raise Refusal(N_("Too many applications are being created at once; try again."))
    await repo.record_event(
        session,
        application_id=application.id,
        actor_id=owner_id,
        kind="created",
        new_value=name,
        now=now,
    )
    return application


async def load_checklist(session: AsyncSession, application: Application) -> Checklist:
    states = await repo.step_states(session, application.id)
    notes = await repo.note_counts(session, application.id)
    return build_checklist(application, template_for(application), states, notes)


@dataclass(frozen=True, slots=True)
class MarkOutcome:
    changed: list[str]
    unchanged: list[str]
    # Earlier steps still not done after this mark: shown so skipping is never silent.
    open_before: list[str]
    # Outbox ids of the messages the change queued (announcements), to send right away.
    queued: tuple[int, ...] = ()
    # Progress after the change, and who owns the changed steps (their Home needs redrawing).
    done_count: int = 0
    total: int = 0
    touched: list[str | None] = field(default_factory=list)
    # Steps whose announcement an unmark withdrew (cancelled, or updated to say so).
    withdrawn: tuple[str, ...] = ()
    skipped_count: int = 0  # steps skipped (not done), which progress counts as complete
    # Of the steps a mark names, those done already (it left them as they were): who marked.
    already_done_by: dict[str, str | None] = field(default_factory=dict)


async def mark_steps(
    session: AsyncSession,
    application: Application,
    refs: Sequence[str],
    *,
    actor_id: str,
    now: datetime,
    keyring: Keyring | None = None,
    force: bool = False,
    announce: bool = True,
) -> MarkOutcome:
    """Mark steps done (those `steps_to_mark` names). A gated step (3.5: production
    credentials replaced the sandbox ones) is refused until its condition holds, unless
    `force`, which history records. A step that announces queues its announcement, unless not
    `announce` (history records either)."""
    template = template_for(application)
    states = await repo.steps_for_change(session, application.id)
    by_step = await repo.step_index(session, application.id)
    numbers = steps_to_mark(template, by_step, refs)
    await _record_skips_ended(session, application, template, by_step, numbers, actor_id, now)
    gated = credentials.steps_with_gate(template, numbers)
    if gated:
        await _check_gate(session, application, gated, keyring, force, actor_id, now)
    announcing = announcements.to_announce(template, states, numbers)
    # Counted before marking, for history: the earlier steps someone chose to announce past.
    open_steps = (
        announcements.open_before(template, states, announcing, numbers) if announcing else []
    )
    changed = await repo.set_done(session, application.id, numbers, by=actor_id, now=now)
    await _record_marks(session, application, template, changed, True, actor_id, now)
    queued: list[int] = []
    if announce:
        messages = await announcements_for(
            session, application, template, changed, actor_id=actor_id, now=now, keyring=keyring
        )
        queued = await outbox.enqueue(session, messages, now)
        await announcements.record_announced(
            session, application, template, announcing, messages, open_steps,
            actor_id=actor_id, now=now,
        )  # fmt: skip
    else:
        await announcements.record_not_announced(
            session, application, announcing, actor_id=actor_id, now=now
        )
    open_before = announcements.open_before(template, states, numbers, numbers)
    outcome = _outcome(template, numbers, changed, by_step, open_before, tuple(queued))
    done_by = {n: by_step[n].done_by for n in outcome.unchanged}
    return dataclasses.replace(outcome, already_done_by=done_by)


def steps_to_mark(
    template: Template, by_step: Mapping[str, StepState], refs: Sequence[str]
) -> list[str]:
    """The steps a mark of `refs` marks: a whole phase (`mark 4`) leaves its skipped steps
    skipped; a skipped step named on its own (`mark 4.2`) is marked done, which ends its skip.
    Refused when every step named is skipped. Changes nothing."""
    numbers = expand_steps(template, refs)
    skipped = {n for n in numbers if n in by_step and by_step[n].skipped_at is not None}
    named = {expand_steps(template, [ref])[0] for ref in refs if "." in ref}
    marking = [n for n in numbers if n not in skipped or n in named]
    if not marking:
        in_order = _in_template_order(template, list(skipped))
        raise Refusal(
            N_(
                "Every step there is skipped ({steps}), so there is nothing to "
                "mark. To mark a skipped step done, name it: `/onboard mark {first}`."
            ),
            steps=", ".join(in_order),
            first=in_order[0],
        )
    return marking


async def announcement_question(
    session: AsyncSession,
    application: Application,
    refs: Sequence[str],
    *,
    actor_id: str,
    now: datetime,
    keyring: Keyring | None = None,
) -> Question | None:
    """Whether marking these steps should ask before announcing (earlier steps open, or
    data the announcement needs missing), and what it would announce. A gated step is refused
    first, as the mark would refuse it; when nothing announces, nothing is checked here (the
    mark checks the gate itself, once). Changes nothing."""
    template = template_for(application)
    states = await repo.steps_for_change(session, application.id)
    numbers = steps_to_mark(template, await repo.step_index(session, application.id), refs)
    if not announcements.to_announce(template, states, numbers):
        return None
    gated = credentials.steps_with_gate(template, numbers)
    if gated:
        await _check_gate(session, application, gated, keyring, False, actor_id, now)
    asked = await announcements.question(
        session, application, template, states, numbers, actor_id=actor_id, now=now,
        keyring=keyring,
    )  # fmt: skip
    return asked if asked is not None and asked.needed else None


def _outcome(
    template: Template,
    numbers: Sequence[str],
    changed: Sequence[str],
    by_step: Mapping[str, StepState],
    open_before: list[str],
    queued: tuple[int, ...] = (),
) -> MarkOutcome:
    in_order = _in_template_order(template, changed)
    # Two attribute reads a step, in one pass: each read of an ORM attribute costs, and this
    # runs for every mark and unmark.
    done_count = skipped_count = 0
    for state in by_step.values():
        if state.done_at is not None:
            done_count += 1
        if state.skipped_at is not None:
            skipped_count += 1
    return MarkOutcome(
        changed=in_order,
        unchanged=[n for n in numbers if n not in changed],
        open_before=open_before,
        queued=queued,
        done_count=done_count,
        total=len(by_step),
        touched=[by_step[n].assignee_id for n in in_order],
        skipped_count=skipped_count,
    )


async def _check_gate(
    session: AsyncSession,
    application: Application,
    gated: Sequence[str],
    keyring: Keyring | None,
    force: bool,
    actor_id: str,
    now: datetime,
) -> None:
    states = {s.step: s for s in await repo.steps_for_change(session, application.id)}
    open_gated = [n for n in gated if states[n].done_at is None]
    if not open_gated:
        return
    if force:
        for number in open_gated:
            await repo.record_event(
                session,
                application_id=application.id,
                actor_id=actor_id,
                kind="forced",
                step=number,
                new_value="marked without the production credentials check",
                now=now,
            )
        return
    if keyring is None:
        problems = [Phrase(N_("the stored credentials cannot be read here"))]
    else:
        problems = credentials.production_problems(
            await credentials.load(session, keyring, application.id)
        )
    if problems:
        steps = ", ".join(open_gated)
        raise Refusal(
            N_(
                "Step {steps} can't be marked yet: {problems}. Set them with "
                "`/onboard creds set production &lt;field&gt; &lt;value&gt;`, or mark it anyway "
                "with `/onboard mark {steps} --force` (history records that)."
            ),
            steps=steps,
            problems=Phrase.joined(problems),
        )


async def unmark_steps(
    session: AsyncSession,
    application: Application,
    refs: Sequence[str],
    *,
    actor_id: str,
    now: datetime,
) -> MarkOutcome:
    """Mark steps not done; an announcement they made is withdrawn (cancelled if not sent
    yet, updated to say so once sent)."""
    template = template_for(application)
    numbers = expand_steps(template, refs)
    changed = await repo.set_done(session, application.id, numbers, done=False, now=now)
    await _record_marks(session, application, template, changed, False, actor_id, now)
    updates, withdrawn = await announcements.withdraw(
        session, application, template, changed, actor_id=actor_id, now=now
    )
    queued = await outbox.enqueue(session, updates, now)
    by_step = await repo.step_index(session, application.id)
    outcome = _outcome(template, numbers, changed, by_step, open_before=[], queued=tuple(queued))
    return dataclasses.replace(outcome, withdrawn=tuple(withdrawn))


async def _record_marks(
    session: AsyncSession,
    application: Application,
    template: Template,
    changed: Sequence[str],
    done: bool,
    actor_id: str,
    now: datetime,
) -> None:
    states = ("not done", "done") if done else ("done", "not done")
    for number in _in_template_order(template, changed):
        await repo.record_event(
            session,
            application_id=application.id,
            actor_id=actor_id,
            kind="marked" if done else "unmarked",
            step=number,
            old_value=states[0],
            new_value=states[1],
            now=now,
        )


def _in_template_order(template: Template, numbers: Sequence[str]) -> list[str]:
    return sorted(numbers, key=lambda n: template.step(n).position)


# ---- skipping: a step that does not apply -----------------------------------------------------

# What marking a step that announces tells, by its template's `announces`.
# What skipping a step that announces is told, by what it announces (whole sentences).
_ANNOUNCES = {
    "go-live": N_(
        "Step {step} announces going live to the channel when it is marked, so it can only be"
        " marked, not skipped. Mark it with `/onboard mark {step}` when it is done."
    ),
    "business-start": N_(
        "Step {step} announces the business start to the Alipay contacts when it is marked, so"
        " it can only be marked, not skipped. Mark it with `/onboard mark {step}` when it is done."
    ),
}
_ANNOUNCES_SOMETHING = N_(
    "Step {step} announces an announcement when it is marked, so it can only be marked, not"
    " skipped. Mark it with `/onboard mark {step}` when it is done."
)


@dataclass(frozen=True, slots=True)
class SkipOutcome:
    """The outcome of skip or unskip: the step, whether it changed, its reason before and
    after, and progress after the change."""

    step: str
    changed: bool
    reason: str | None  # the reason it is skipped for now (None once unskipped)
    old_reason: str | None  # the reason before (None when it was not skipped)
    complete_count: int
    skipped_count: int
    total: int
    assignee_id: str | None


async def skip_step(
    session: AsyncSession,
    application: Application,
    ref: str,
    reason: str,
    *,
    actor_id: str,
    now: datetime,
) -> SkipOutcome:
    """Record that a step does not apply, and why. Skipping it again with another reason
    changes the reason; with the same one, nothing. A step that announces can only be marked
    (its announcement is the point of it), and a done step is refused (unmark it first), so a
    skip never hides who did it."""
    template = template_for(application)
    number = step_number(template, ref)
    announces = template.step(number).announces
    if announces is not None:
        raise Refusal(_ANNOUNCES.get(announces, _ANNOUNCES_SOMETHING), step=number)
    states = await repo.steps_for_change(session, application.id)
    state = (await repo.step_index(session, application.id))[number]
    if state.done_at is not None:
        raise Refusal(
            N_(
                "Step {step} is done, so it can't be skipped. If it does not apply after all, "
                "unmark it first (`/onboard unmark {step}`), then skip it."
            ),
            step=number,
        )
    old = state.skip_reason
    changed = state.skipped_at is None or old != reason
    if changed:
        repo.set_skipped(state, by=actor_id, reason=reason, now=now)
        await repo.record_event(
            session,
            application_id=application.id,
            actor_id=actor_id,
            kind="skipped",
            step=number,
            old_value=old,
            new_value=reason,
            now=now,
        )
    return _skip_outcome(states, state, changed, old)


async def unskip_step(
    session: AsyncSession,
    application: Application,
    ref: str,
    *,
    actor_id: str,
    now: datetime,
) -> SkipOutcome:
    """Make a skipped step open again; a step that was not skipped is left as it is."""
    number = step_number(template_for(application), ref)
    states = await repo.steps_for_change(session, application.id)
    state = (await repo.step_index(session, application.id))[number]
    old = state.skip_reason
    changed = state.skipped_at is not None
    if changed:
        repo.clear_skipped(state, now=now)
        await repo.record_event(
            session,
            application_id=application.id,
            actor_id=actor_id,
            kind="unskipped",
            step=number,
            old_value=old,
            now=now,
        )
    return _skip_outcome(states, state, changed, old)


def _skip_outcome(
    states: Sequence[StepState], state: StepState, changed: bool, old_reason: str | None
) -> SkipOutcome:
    return SkipOutcome(
        step=state.step,
        changed=changed,
        reason=state.skip_reason,
        old_reason=old_reason,
        complete_count=sum(s.done_at is not None or s.skipped_at is not None for s in states),
        skipped_count=sum(s.skipped_at is not None for s in states),
        total=len(states),
        assignee_id=state.assignee_id,
    )


async def _record_skips_ended(
    session: AsyncSession,
    application: Application,
    template: Template,
    by_step: Mapping[str, StepState],
    numbers: Sequence[str],
    actor_id: str,
    now: datetime,
) -> None:
    """History: a skipped step marked done is no longer skipped (`repo.set_done` clears the
    skip); the event keeps the reason it had."""
    ended = [by_step[n] for n in numbers if n in by_step and by_step[n].skipped_at is not None]
    for state in sorted(ended, key=lambda s: template.step(s.step).position):
        await repo.record_event(
            session,
            application_id=application.id,
            actor_id=actor_id,
            kind="unskipped",
            step=state.step,
            old_value=state.skip_reason,
            new_value="marked done",
            now=now,
        )


async def _locked_step(session: AsyncSession, application: Application, ref: str):
    number = step_number(template_for(application), ref)
    state = await repo.step_for_update(session, application.id, number)
    if state is None:  # the template has it, so only a damaged database lacks it
        raise Refusal(N_("Step {step} is missing from this application's records."), step=number)
    return state


async def _set_step_field(
    session: AsyncSession,
    application: Application,
    ref: str,
    field: str,
    value: object,
    *,
    kind: str,
    shown: Callable[[object], str | None],
    actor_id: str,
    now: datetime,
) -> tuple[str, object]:
    """Change one field of a step and record old → new; returns the step and the old value."""
    state = await _locked_step(session, application, ref)
    old = getattr(state, field)
    if old != value:
        setattr(state, field, value)
        state.changed_at = now
        await repo.record_event(
            session,
            application_id=application.id,
            actor_id=actor_id,
            kind=kind,
            step=state.step,
            old_value=shown(old),
            new_value=shown(value),
            now=now,
        )
    return state.step, old


def _as_text(value: object) -> str | None:
    if value is None:
        return None
    return value.isoformat() if isinstance(value, date) else str(value)


@dataclass(frozen=True, slots=True)
class Assigned:
    """What `assign_step` did: the step, its assignee before and after, whether that changed,
    and, when the new assignee is to be told (someone other than who gave it), the id of the
    event recorded, which keys their DM."""

    step: str
    old: str | None
    new: str | None
    event_id: int | None = None

    @property
    def changed(self) -> bool:
        return self.old != self.new


async def assign_step(
    session: AsyncSession,
    application: Application,
    ref: str,
    assignee_id: str | None,
    *,
    actor_id: str,
    now: datetime,
) -> Assigned:
    """Set or clear (None) the step's assignee, recording old → new if it changes."""
    state = await _locked_step(session, application, ref)
    old = state.assignee_id
    if old == assignee_id:
        return Assigned(state.step, old, assignee_id)
    state.assignee_id = assignee_id
    state.changed_at = now
    recorded = dict(
        application_id=application.id,
        actor_id=actor_id,
        kind="assigned" if assignee_id else "unassigned",
        step=state.step,
        old_value=old,
        new_value=assignee_id,
        now=now,
    )
    if assignee_id is None or assignee_id == actor_id:  # nobody to tell: no id needed
        await repo.record_event(session, **recorded)
        return Assigned(state.step, old, assignee_id)
    event = await repo.record_event_with_id(session, **recorded)
    return Assigned(state.step, old, assignee_id, event_id=event.id)


async def set_due(
    session: AsyncSession,
    application: Application,
    ref: str,
    due_on: date | None,
    *,
    actor_id: str,
    now: datetime,
) -> tuple[str, date | None]:
    number, old = await _set_step_field(
        session,
        application,
        ref,
        "due_on",
        due_on,
        kind="due",
        shown=_as_text,
        actor_id=actor_id,
        now=now,
    )
    return number, old  # type: ignore[return-value]


async def add_note(
    session: AsyncSession,
    application: Application,
    ref: str,
    text: str,
    *,
    actor_id: str,
    now: datetime,
) -> str:
    state = await _locked_step(session, application, ref)
    state.changed_at = now
    await repo.add_note(
        session,
        application_id=application.id,
        step=state.step,
        author_id=actor_id,
        text=text,
        now=now,
    )
    await repo.record_event(
        session,
        application_id=application.id,
        actor_id=actor_id,
        kind="noted",
        step=state.step,
        new_value=text,
        now=now,
    )
    return state.step


HISTORY_PAGE = 15


async def history(
    session: AsyncSession,
    application: Application,
    ref: str | None,
    *,
    before_id: int | None = None,
    limit: int = HISTORY_PAGE,
) -> tuple[list[Event], bool]:
    """A page of events, newest first, older than `before_id`; and whether more remain.
    Paged by id on an index, so a history of any length answers as fast as a short one."""
    step = step_number(template_for(application), ref) if ref else None
    events = await repo.recent_events(
        session, application.id, step=step, limit=limit + 1, before_id=before_id
    )
    return events[:limit], len(events) > limit


async def rename(
    session: AsyncSession, application: Application, name: str, *, actor_id: str, now: datetime
) -> str:
    old = application.name
    if old != name:
        application.name = name
        await repo.record_event(
            session,
            application_id=application.id,
            actor_id=actor_id,
            kind="renamed",
            old_value=old,
            new_value=name,
            now=now,
        )
    return old


async def archive(
    session: AsyncSession, application: Application, *, actor_id: str, now: datetime
) -> bool:
    """Archive the application; False when it already was."""
    if application.archived_at is not None:
        return False
    application.archived_at = now
    await repo.record_event(
        session, application_id=application.id, actor_id=actor_id, kind="archived", now=now
    )
    return True


# How long an archived application can be brought back (`/onboard unarchive`).
UNARCHIVE_WITHIN = timedelta(days=30)


async def unarchive(
    session: AsyncSession, application: Application, *, actor_id: str, now: datetime
) -> None:
    """Bring back an application archived less than UNARCHIVE_WITHIN ago."""
    archived_at = application.archived_at
    if archived_at is None:
        raise Refusal(
            N_("`{slug}` is not archived; there is nothing to unarchive."), slug=application.slug
        )
    if now - archived_at > UNARCHIVE_WITHIN:
        raise Refusal(
            N_(
                "`{slug}` was archived on {day}, more than {days} days ago, and can no longer be"
                " unarchived. Its history stays (`/onboard export --app {slug}`); start again"
                " with `/onboard new &lt;name&gt;`."
            ),
            slug=application.slug,
            day=f"{archived_at:%Y-%m-%d}",
            days=UNARCHIVE_WITHIN.days,
        )
    application.archived_at = None
    await repo.record_event(
        session,
        application_id=application.id,
        actor_id=actor_id,
        kind="unarchived",
        old_value=archived_at.isoformat(),
        now=now,
    )


async def snooze(
    session: AsyncSession,
    application: Application,
    ref: str,
    choice: str,
    *,
    actor_id: str,
    now: datetime,
    zone: ZoneInfo,
) -> datetime:
    """No reminders for the step until the returned moment: `choice` is one of the reminder's
    snooze menu (bot/services/snooze.py), "tomorrow" and "next week" by the snoozer's `zone`,
    the application's working hours, and the days off that reminders keep: the application's
    public holidays and the snoozer's own (`/onboard my holidays SG`). A snooze answers the
    reminders before it, so the moment is kept (`snoozed_at`): escalations count from then."""
    check_choice(choice)
    state = await _locked_step(session, application, ref)
    hours = WorkingHours.parse(application.remind_start, application.remind_end)
    calendars = HolidayCalendars()
    own = await people.personal(session, application.team_id, actor_id)
    holidays = people.either(
        calendars.get(application.remind_holidays), calendars.get(own.holidays)
    )
    until = snooze_until(choice, now, zone, hours, holidays)
    state.snoozed_until = until
    state.snoozed_at = now
    await repo.record_event(
        session,
        application_id=application.id,
        actor_id=actor_id,
        kind="snoozed",
        step=state.step,
        new_value=until.isoformat(),
        now=now,
    )
    return until
