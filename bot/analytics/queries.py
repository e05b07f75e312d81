"""The portfolio report, the digest's burn-up and App Home's portfolio, computed in SQL.

The database works out what the checklist rules say (bot/services/progress.py
`active_flags`, bot/services/reminders.py `waiting_since`): one grouped pass over the step
states gives each application's first open and last done step (the active steps lie between)
and each phase's end; index lookups on (application_id, position, done_at, skipped_at) then
look at the steps before or after only the rows found. Only one row an application (with
its waiting steps), one an (application, phase) completed in the periods, the due steps and
the outbox counts leave it: four statements, whatever the number of applications. (A window
over every step did the same in 5 s at 10,000 applications on SQLite; this takes under 1 s,
see bench/report_bench.py. The burn-up, over one application's history, uses row_number().)

Definitions (the figures are those of bot/analytics/figures.py):

- Working days: the part of [a, b) on working days, UTC calendar days that are Monday to
  Friday and not a public holiday of the application's `remind holidays` region; one day is
  24 hours (bot/analytics/working_time.py).
- Days to go-live / to business start: calendar days (24 h) from the application's creation
  to the moment its go-live / business-start step (the template's step that `announces`
  "go-live" / "business-start") was done, over the applications whose step was done within
  the period. Its current state counts: a go-live step unmarked since is not live.
- Time in a phase: working days from the moment the phase's first step became active to the
  moment its last step was completed (the latest done or skipped of its steps, as they stand
  now), over the phases completed within the period. The first step became active when every
  step before it was complete (the application's creation, for phase 1), or earlier when it
  or a step after it was done first (work that went ahead: `active_flags`). A phase every step
  of which was skipped was not worked in, and is not counted.
- Median and P90: `statistics.median` and `statistics.quantiles(n=10, method="inclusive")[8]`
  (linear interpolation between closest ranks), rounded to 0.1; a single value is both.
- On time: the steps not skipped whose due date falls in the period (its first day up to, not
  including, the day it ends), counted when done or when the date has passed at `now`; on
  time when done on or before the due date (UTC).
- Reminders and escalations sent: outbox messages of those kinds Slack took within the
  period that are about an application of the report.
- Stuck: an active step (not archived) whose wait reached its application's `remind after`
  working days. The wait runs, as for reminders, from the later of the step's last change and
  the moment the steps before it were all complete.
"""

from __future__ import annotations

import statistics
from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from functools import cache

from sqlalchemy import (
    ColumnElement,
    Text,
    and_,
    case,
    exists,
    func,
    literal,
    literal_column,
    or_,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.sql.expression import CTE
from sqlalchemy.sql.util import find_tables

from bot.analytics.figures import (
    ApplicationRow,
    BurnUp,
    BurnUpPoint,
    LivePoint,
    Period,
    PeriodFigures,
    PhaseSpread,
    Report,
    Scope,
    Spread,
    StuckStep,
)
from bot.analytics.working_time import working_time
from bot.checklists import (
    DEFAULT_TEMPLATE_KEY,
    Template,
    TemplateError,
    available_templates,
    get_template,
)
from bot.outbox_messages import BusinessStart, Escalation, Escalations, GoLive, Reminder, Reminders
from storage.models import Application, Event, OutboxMessage, OutboxStep, StepState, UTCDateTime

# EXPLAIN QUERY PLAN on SQLite, 10,000 applications (bench/report_bench.py `populate`;
# ix_steps_position is ix_step_states_application_position):
# applications + waiting steps:
#   MATERIALIZE per_app
#     SEARCH step_states USING COVERING INDEX ix_steps_position (application_id=?)
#     LIST SUBQUERY 2
#     SEARCH applications USING COVERING INDEX ix_applications_team (team_id=?)
#   SCAN per_app
#   SEARCH applications USING INTEGER PRIMARY KEY (rowid=?)
#   SEARCH step_states USING INDEX ix_steps_position (application_id=? AND position>?) LEFT-JOIN
#   CORRELATED SCALAR SUBQUERY 1
#     SEARCH step_states_1 USING COVERING INDEX ix_steps_position (application_id=? AND position<?)
# phases completed in the periods:
#   MATERIALIZE per_phase
#     SEARCH step_states USING COVERING INDEX ix_steps_position (application_id=?)
#     LIST SUBQUERY 5
#     SEARCH applications USING COVERING INDEX ix_applications_team (team_id=?)
#     CORRELATED SCALAR SUBQUERY 4
#     SEARCH step_states_4 USING INDEX ix_steps_position (application_id=?)
#     USE TEMP B-TREE FOR GROUP BY
#   SCAN per_phase
#   SEARCH applications USING INTEGER PRIMARY KEY (rowid=?)
#   CORRELATED SCALAR SUBQUERY 1
#     SEARCH step_states_1 USING COVERING INDEX ix_steps_position (application_id=? AND position<?)
#   CORRELATED SCALAR SUBQUERY 2
#     SEARCH step_states_2 USING COVERING INDEX ix_steps_position (application_id=? AND position<?)
#   CORRELATED SCALAR SUBQUERY 3
#     SEARCH step_states_3 USING COVERING INDEX ix_steps_position (application_id=? AND position>?)
# due steps:
#   SEARCH step_states USING INDEX ix_step_states_due_on (due_on>? AND due_on<?)
#   CORRELATED SCALAR SUBQUERY 1
#     SEARCH applications USING INTEGER PRIMARY KEY (rowid=?)
# reminders/escalations sent:
#   SEARCH outbox USING COVERING INDEX ix_outbox_status_kind_sent_at
#     (status=? AND kind=? AND sent_at>? AND sent_at<?)
#   CORRELATED SCALAR SUBQUERY 1
#     SEARCH outbox_steps USING COVERING INDEX its primary key (outbox_id=?)
#     SEARCH applications USING INTEGER PRIMARY KEY (rowid=?)
#   USE TEMP B-TREE FOR GROUP BY

DAY = timedelta(days=1)
REMINDER_KINDS = (Reminder.KIND, Reminders.KIND)
ESCALATION_KINDS = (Escalation.KIND, Escalations.KIND)
SENT = "sent"
# `remind after` takes 1 to 30 working days (bot/services/reminders.py, settings).
REMIND_AFTER_RANGE = range(1, 31)
# History that changes whether a step is complete: done and skipped are tracked apart, since
# marking a skipped step records both "unskipped" and "marked".
DONE_KINDS = ("marked", "unmarked")
SKIP_KINDS = ("skipped", "unskipped")


# ---- the templates, as SQL -----------------------------------------------------------------


@cache
def _templates() -> tuple[Template, ...]:
    return tuple(get_template(key, version) for key, version in available_templates())


def _template_of(key: str, version: int) -> Template:
    try:
        return get_template(key, version)
    except TemplateError:  # a template file removed since: fall back to the default's phases
        return get_template(DEFAULT_TEMPLATE_KEY)


def _by_template(values: dict[tuple[str, int], ColumnElement]) -> ColumnElement:
    """One expression per template, chosen by the application's template; when every
    template gives the same expression (the usual case: one template), just that one, so the
    database evaluates nothing more per row."""
    distinct: dict[str, tuple[ColumnElement, list[tuple[str, int]]]] = {}
    for ident, expression in values.items():
        key = str(expression.compile(compile_kwargs={"literal_binds": True}))
        distinct.setdefault(key, (expression, []))[1].append(ident)
    if len(distinct) == 1:
        return next(iter(distinct.values()))[0]
    a = Application
    return case(
        *(
            (or_(*(and_(a.template_key == k, a.template_version == v) for k, v in idents)), e)
            for e, idents in distinct.values()
        )
    )


def _announcing(announces: str) -> ColumnElement[bool]:
    """True on the step rows that are their template's `announces` step."""
    s = StepState
    return _by_template(
        {
            (t.key, t.version): or_(
                literal(False),
                *(s.position == x.position for x in t.steps if x.announces == announces),
            )
            for t in _templates()
        }
    )


def _phase_of_step() -> ColumnElement[int]:
    """A step's phase, from its position (integer comparisons: cheap on every row)."""
    s = StepState
    values = {}
    for t in _templates():
        # Literal numbers, not parameters: PostgreSQL must see the GROUP BY expression and
        # the selected one as the same.
        whens = [
            (s.position <= literal_column(str(p.steps[-1].position)), literal_column(str(p.number)))
            for p in t.phases[:-1]
        ]
        last = literal_column(str(len(t.phases)))
        values[(t.key, t.version)] = case(*whens, else_=last) if whens else last
    return _by_template(values)


def _in_scope(scope: Scope) -> ColumnElement[bool]:
    condition = Application.team_id == scope.team_id
    if scope.channel_ids is not None:
        condition = and_(condition, Application.channel_id.in_(sorted(scope.channel_ids)))
    return condition


def _of_person(team_id: str, user_id: str) -> ColumnElement[bool]:
    """Not archived applications the person owns or has a step of."""
    step = aliased(StepState)  # not the step rows the condition is applied to
    assigned = exists().where(step.application_id == Application.id, step.assignee_id == user_id)
    return and_(
        Application.team_id == team_id,
        Application.archived_at.is_(None),
        or_(Application.owner_id == user_id, assigned),
    )


FINISHED = func.coalesce(StepState.done_at, StepState.skipped_at)


def _steps_of(application_id, position_condition) -> tuple:
    """A correlated look at an application's other steps (`position_condition` on them):
    the index on (application_id, position, done_at, skipped_at) answers it alone."""
    other = aliased(StepState)
    return other, and_(other.application_id == application_id, position_condition(other.position))


def _finished_before(application_id, position) -> ColumnElement:
    """When the steps before `position` were (last) completed; NULL for the first step."""
    other, where = _steps_of(application_id, lambda p: p < position)
    return (
        select(func.max(func.coalesce(other.done_at, other.skipped_at)))
        .where(where)
        .scalar_subquery()
    )


def _open_before(application_id, position) -> ColumnElement:
    other, where = _steps_of(application_id, lambda p: p < position)
    return (
        select(func.count())
        .where(where, other.done_at.is_(None), other.skipped_at.is_(None))
        .scalar_subquery()
    )


def _first_done_from(application_id, position) -> ColumnElement:
    """The first done of the step at `position` and those after it."""
    other, where = _steps_of(application_id, lambda p: p >= position)
    return select(func.min(other.done_at)).where(where).scalar_subquery()


def _of_applications(condition: ColumnElement[bool], per_step: Sequence[ColumnElement]):
    """WHERE clauses for a grouped pass over the steps of the applications matching
    `condition`. A membership test, so SQLite walks step_states in its index's application
    order and groups without sorting; a join only when a per-step expression reads the
    application (templates that differ)."""
    s = StepState
    if any(Application.__table__ in find_tables(e) for e in per_step):
        return (Application.id == s.application_id, condition)
    return (s.application_id.in_(select(Application.id).where(condition)),)


def _per_application(condition: ColumnElement[bool]):
    """One row an application (one pass over its steps, no window): counts, the first open
    step (always active), the last done one (open steps before it are active too: work went
    ahead), and when its go-live and business-start steps were done."""
    s = StepState
    live, business = _announcing(GoLive.KIND), _announcing(BusinessStart.KIND)
    per_step = [live, business]
    return (
        select(
            s.application_id,
            func.count().label("total"),
            func.count(FINISHED).label("complete"),
            func.max(FINISHED).label("last_finished"),
            func.min(case((FINISHED.is_(None), s.position))).label("first_open"),
            func.max(case((s.done_at.is_not(None), s.position))).label("last_done"),
            func.max(case((live, s.done_at))).label("live_at"),
            func.max(case((business, s.done_at))).label("business_at"),
        )
        .where(*_of_applications(condition, per_step))
        .group_by(s.application_id)
        .subquery("per_app")
    )


# ---- statistics ---------------------------------------------------------------------------


def spread(values: Sequence[float]) -> Spread:
    """Count, median and P90 (`statistics.quantiles`, inclusive), rounded to 0.1."""
    if not values:
        return Spread(0, None, None)
    if len(values) == 1:
        return Spread(1, round(values[0], 1), round(values[0], 1))
    p90 = statistics.quantiles(values, n=10, method="inclusive")[8]
    return Spread(len(values), round(statistics.median(values), 1), round(p90, 1))


# ---- the queries ---------------------------------------------------------------------------


def _text(expression: ColumnElement, name: str):
    """A timestamp as the database gives it: SQLite's text is parsed by `_aware` with
    `datetime.fromisoformat`, several times faster than the ORM type's processor, which
    matters over tens of thousands of rows (PostgreSQL's driver gives datetimes anyway)."""
    return type_coerce(expression, Text).label(name)


async def _application_rows(
    session: AsyncSession, condition: ColumnElement[bool], now: datetime
) -> tuple[list, list]:
    """One row an application (its step counts, last progress, first active (= first open)
    step, when its go-live and business-start steps were done), and the active steps of
    open applications waiting at least `remind after` calendar days: a superset of the
    stuck ones (N working days are at least N calendar days), the exact test in `_stuck`.

    One statement: each application's row comes with its waiting steps (outer join), so
    their steps are grouped once. Active (`active_flags`): open, and either the first open
    step or before a done one; so only the steps from the first open one up to the last
    done one are read, by index."""
    per_app = _per_application(condition)
    s, a = StepState, Application
    # `remind after` differs by application: its calendar-day threshold, chosen in SQL.
    threshold = case(
        {n: literal(now - n * DAY, UTCDateTime()) for n in REMIND_AFTER_RANGE},
        value=a.remind_after_days,
        else_=literal(now - DAY, UTCDateTime()),
    )
    # As for reminders, a step waits since its last change or since the steps before it were
    # completed, whichever is later (`_stuck` takes the later one). The look at the steps
    # before is written once: SQLite would run it again for every mention.
    startable = _finished_before(s.application_id, s.position)
    waiting = and_(
        a.archived_at.is_(None),
        s.application_id == per_app.c.application_id,
        s.position >= per_app.c.first_open,
        or_(s.position == per_app.c.first_open, s.position < per_app.c.last_done),
        s.done_at.is_(None),
        s.skipped_at.is_(None),
        s.changed_at <= threshold,
    )
    query = (
        select(
            a.id,
            a.name,
            a.slug,
            a.channel_id,
            a.owner_id,
            _text(a.created_at, "created_at"),
            _text(a.archived_at, "archived_at"),
            a.remind_after_days,
            a.remind_holidays,
            a.template_key,
            a.template_version,
            per_app.c.total,
            per_app.c.complete,
            _text(per_app.c.last_finished, "last_finished"),
            per_app.c.first_open.label("first_active"),
            _text(per_app.c.live_at, "live_at"),
            _text(per_app.c.business_at, "business_at"),
            s.step,
            s.assignee_id,
            _text(s.changed_at, "changed_at"),
            _text(startable, "startable_at"),
        )
        .select_from(per_app)
        .join(a, a.id == per_app.c.application_id)
        .outerjoin(s, waiting)
    )
    applications, waiting_steps, seen = [], [], set()
    for row in await session.execute(query):
        if row.id not in seen:
            seen.add(row.id)
            applications.append(row)
        if row.step is not None:
            waiting_steps.append(row)
    return applications, waiting_steps


def _stuck(rows, now: datetime) -> list[StuckStep]:
    found = []
    for row in rows:
        changed, startable = _aware(row.changed_at), _aware(row.startable_at)
        since = changed if startable is None else max(changed, startable)
        waited = working_time(row.remind_holidays).days(since, now)
        if waited >= row.remind_after_days:
            found.append(
                StuckStep(
                    application_id=row.id,
                    application=row.name,
                    slug=row.slug,
                    channel_id=row.channel_id,
                    step=row.step,
                    owner_id=row.assignee_id or row.owner_id,
                    waiting_since=since,
                    waiting_days=round(waited, 1),
                )
            )
    found.sort(key=lambda s: (s.waiting_since, s.application_id, s.step))
    return found


async def _phase_rows(session: AsyncSession, condition: ColumnElement[bool], span: Period):
    """(application, phase, its first step's position, when the steps before it were
    completed and how many are open, its first done step or later, its end, creation,
    holidays) of every phase completed within `span`. One pass over the steps groups them
    by phase; only the phases found look at the steps around them (by index)."""
    s = StepState
    phase = _phase_of_step()
    ended = func.max(FINISHED)
    # Only applications with a step completed since the span began can have a phase that
    # ended in it: the others' steps are not grouped at all (the covering index answers).
    since = literal(span.start, UTCDateTime())
    recent = aliased(StepState)
    moved = exists().where(
        recent.application_id == Application.id,
        or_(recent.done_at >= since, recent.skipped_at >= since),
    )
    per_phase = (
        select(
            s.application_id,
            phase.label("phase"),
            func.min(s.position).label("first"),
            ended.label("ended"),
        )
        .where(*_of_applications(and_(condition, moved), [phase]))
        .group_by(s.application_id, phase)
        .having(
            func.count() == func.count(FINISHED),
            func.count(s.done_at) > 0,
            ended >= literal(span.start, UTCDateTime()),
            ended < literal(span.end, UTCDateTime()),
        )
        .subquery("per_phase")
    )
    app, first = per_phase.c.application_id, per_phase.c.first
    query = select(
        app,
        per_phase.c.phase,
        _text(per_phase.c.ended, "ended"),
        _text(_finished_before(app, first), "startable_at"),
        _open_before(app, first).label("open_before"),
        _text(_first_done_from(app, first), "done_from_here"),
        _text(Application.created_at, "created_at"),
        Application.remind_holidays,
    ).join(Application, Application.id == app)
    return (await session.execute(query)).all()


def phase_start(row) -> datetime:
    """When a phase's first step became active (`active_flags`): once every step before it was
    complete (the application's creation, for the first phase), or earlier when it or a later
    step was done first."""
    candidates = [_aware(row.done_from_here)]
    if not row.open_before:
        candidates.append(_aware(row.startable_at) or _aware(row.created_at))
    return min(c for c in candidates if c is not None)


async def _due_rows(session: AsyncSession, condition: ColumnElement[bool], span: Period):
    """(due date, done at) of the steps not skipped due within `span`'s days."""
    s = StepState
    query = select(_text(s.due_on, "due_on"), _text(s.done_at, "done_at")).where(
        # A correlated test rather than a join, so the due date's index leads.
        exists().where(Application.id == s.application_id, condition),
        s.skipped_at.is_(None),
        s.due_on >= span.start.date(),
        s.due_on < span.end.date(),
    )
    return (await session.execute(query)).all()


async def _sent_counts(
    session: AsyncSession, condition: ColumnElement[bool], current: Period, span: Period
) -> Counter[tuple[bool, str]]:
    """Reminders and escalations Slack took within `span`, by (in `current`, kind)."""
    o, os_ = OutboxMessage, OutboxStep
    about_ours = exists().where(
        os_.outbox_id == o.id, Application.id == os_.application_id, condition
    )
    in_current = o.sent_at >= literal(current.start, UTCDateTime())
    query = (
        select(in_current.label("current"), o.kind, func.count())
        .where(
            o.kind.in_(REMINDER_KINDS + ESCALATION_KINDS),
            o.status == SENT,
            o.sent_at >= literal(span.start, UTCDateTime()),
            o.sent_at < literal(span.end, UTCDateTime()),
            about_ours,
        )
        .group_by(in_current, o.kind)
    )
    return Counter({(bool(c), kind): n for c, kind, n in await session.execute(query)})


# ---- putting it together ---------------------------------------------------------------------


def _aware(moment: datetime | str | None) -> datetime | None:
    """A timestamp from an aggregate: SQLite may give it naive (UTC) or as text."""
    if moment is None:
        return None
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _day(value: date | datetime | str | None) -> date | None:
    """A date, or a timestamp's UTC date, as SQLite (text) or PostgreSQL (objects) gives it."""
    if value is None:
        return None
    if isinstance(value, str):
        return date.fromisoformat(value[:10])
    if isinstance(value, datetime):
        return value.astimezone(UTC).date()
    return value


def _application_row(row, stuck_ids: set[int], now: datetime) -> ApplicationRow:
    created = _aware(row.created_at)
    last = _aware(row.last_finished) or created
    phase = None
    if row.first_active is not None:
        steps = _template_of(row.template_key, row.template_version).steps
        phase = steps[row.first_active].phase if row.first_active < len(steps) else None
    return ApplicationRow(
        application_id=row.id,
        application=row.name,
        slug=row.slug,
        channel_id=row.channel_id,
        phase=phase,
        complete_steps=row.complete,
        total_steps=row.total,
        last_progress_at=last,
        days_since_progress=round(working_time(row.remind_holidays).days(last, now), 1),
        stuck=row.id in stuck_ids,
        live_at=_aware(row.live_at),
        business_started_at=_aware(row.business_at),
    )


def _ordered(rows: Iterable[ApplicationRow]) -> tuple[ApplicationRow, ...]:
    """Stuck first, then longest without progress."""
    return tuple(
        sorted(rows, key=lambda r: (not r.stuck, -r.days_since_progress, r.application, r.slug))
    )


def _within(moment: datetime | None, period: Period) -> bool:
    return moment is not None and period.start <= moment < period.end


def _period_figures(
    period: Period,
    current: bool,
    timelines: Sequence[tuple[datetime, datetime | None, datetime | None]],
    phase_rows: Sequence[tuple[int, datetime, float]],
    due_rows: Sequence[tuple[date, date | None]],
    sent: Counter[tuple[bool, str]],
    phases: Sequence[int],
    now: datetime,
) -> PeriodFigures:
    to_live, to_business = [], []
    for created, live, business in timelines:
        if _within(live, period):
            to_live.append((live - created) / DAY)
        if _within(business, period):
            to_business.append((business - created) / DAY)
    by_phase: dict[int, list[float]] = defaultdict(list)
    for phase, ended, days in phase_rows:
        if _within(ended, period):
            by_phase[phase].append(days)
    due = on_time = 0
    first_day, end_day, today = period.start.date(), period.end.date(), now.date()
    for due_on, done_on in due_rows:
        if not first_day <= due_on < end_day:
            continue
        if done_on is not None:
            due += 1
            on_time += done_on <= due_on
        elif due_on < today:
            due += 1
    return PeriodFigures(
        period=period,
        to_go_live=spread(to_live),
        to_business_start=spread(to_business),
        phases=tuple(PhaseSpread(p, spread(by_phase.get(p, []))) for p in phases),
        due_steps=due,
        on_time=on_time,
        reminders_sent=sum(sent[(current, k)] for k in REMINDER_KINDS),
        escalations_sent=sum(sent[(current, k)] for k in ESCALATION_KINDS),
    )


def _live_over_time(
    timelines: Sequence[tuple[datetime, datetime | None, datetime | None]], period: Period
) -> tuple[LivePoint, ...]:
    """Applications live at the end of the period's last day, and of every 7th day before it
    still within the period, oldest first."""
    live = sorted(m for _, m, _ in timelines if m is not None)
    last_day = (period.end - timedelta(microseconds=1)).date()
    days = []
    day = last_day
    while day >= period.start.date():
        days.append(day)
        day -= timedelta(days=7)
    points = []
    for day in reversed(days):
        end_of_day = datetime.combine(day + DAY, time(), UTC)
        points.append(LivePoint(day, bisect_right(live, end_of_day - timedelta(microseconds=1))))
    return tuple(points)


def _phase_numbers(app_rows) -> tuple[int, ...]:
    used = {(r.template_key, r.template_version) for r in app_rows}
    templates = [_template_of(k, v) for k, v in used] or [get_template(DEFAULT_TEMPLATE_KEY)]
    return tuple(range(1, max(len(t.phases) for t in templates) + 1))


async def portfolio_report(
    session: AsyncSession, scope: Scope, period: Period, now: datetime
) -> Report:
    """The report of the applications in `scope` for `period` and the one before it, as of
    `now`. Four statements, whatever the number of applications (see the module's
    docstring for what each figure means)."""
    previous = period.previous()
    span = Period(previous.start, period.end)
    condition = _in_scope(scope)
    app_rows, waiting = await _application_rows(session, condition, now)
    stuck = _stuck(waiting, now)
    # (phase, end, working days) of each phase completed; (due, done) days of each due step.
    phase_rows = [
        (r.phase, ended, working_time(r.remind_holidays).days(phase_start(r), ended))
        for r in await _phase_rows(session, condition, span)
        if (ended := _aware(r.ended)) is not None
    ]
    due_rows = [(_day(due), _day(done)) for due, done in await _due_rows(session, condition, span)]
    sent = await _sent_counts(session, condition, period, span)

    phases = _phase_numbers(app_rows)
    # (created, live, business start) of every application, archived ones included.
    timelines = [(_aware(r.created_at), _aware(r.live_at), _aware(r.business_at)) for r in app_rows]
    stuck_ids = {s.application_id for s in stuck}
    rows = _ordered(_application_row(r, stuck_ids, now) for r in app_rows if r.archived_at is None)
    in_progress = Counter(r.phase for r in rows if r.phase is not None)
    figures = {
        is_current: _period_figures(
            p, is_current, timelines, phase_rows, due_rows, sent, phases, now
        )
        for is_current, p in ((True, period), (False, previous))
    }
    return Report(
        current=figures[True],
        previous=figures[False],
        in_progress_by_phase=tuple((p, in_progress.get(p, 0)) for p in phases),
        stuck=tuple(stuck),
        applications=rows,
        live_over_time=_live_over_time(timelines, period),
    )


async def portfolio(
    session: AsyncSession, team_id: str, user_id: str, now: datetime
) -> tuple[ApplicationRow, ...]:
    """The person's applications, not archived, that they own or have a step assigned in:
    stuck first, then longest without progress. One statement."""
    condition = _of_person(team_id, user_id)
    app_rows, waiting = await _application_rows(session, condition, now)
    stuck_ids = {s.application_id for s in _stuck(waiting, now)}
    return _ordered(_application_row(r, stuck_ids, now) for r in app_rows)


def weekly_cutoffs(now: datetime, weeks: int) -> tuple[list[date], CTE]:
    """The burn-up's days (today, UTC, and the same weekday in each of the `weeks` - 1 weeks
    before, oldest first) and a CTE of their cut-offs: `i`, the day's index, and `at`, the
    end of that day."""
    today = now.astimezone(UTC).date()
    days = [today - timedelta(days=7 * back) for back in range(weeks - 1, -1, -1)]
    cutoffs = union_all(
        *(
            select(
                literal(i).label("i"),
                literal(datetime.combine(day + DAY, time(), UTC), UTCDateTime()).label("at"),
            )
            for i, day in enumerate(days)
        )
    ).cte("cutoffs")
    return days, cutoffs


async def burn_up(
    session: AsyncSession, application_id: int, now: datetime, weeks: int = 8
) -> BurnUp:
    """Steps complete (done or skipped) at the end of today (UTC) and of the same weekday in
    each of the `weeks` - 1 weeks before, oldest first, against the application's steps.

    Worked out from the history, so a step marked then unmarked, or skipped then unskipped,
    counts only while it was complete: at each cut-off a step is done when its latest
    marked/unmarked event before it says "marked", skipped when its latest skipped/unskipped
    event says "skipped". One statement for the cut-offs, one for the total."""
    days, cutoffs = weekly_cutoffs(now, weeks)
    e = Event
    axis = case((e.kind.in_(DONE_KINDS), "done"), else_="skip")
    latest = (
        select(
            cutoffs.c.i,
            e.step,
            e.kind,
            func.row_number()
            .over(partition_by=(cutoffs.c.i, e.step, axis), order_by=e.id.desc())
            .label("rank"),
        )
        .join(cutoffs, e.created_at < cutoffs.c.at)
        .where(
            e.application_id == application_id,
            e.kind.in_(DONE_KINDS + SKIP_KINDS),
            e.step.is_not(None),
        )
        .subquery("latest")
    )
    query = (
        select(latest.c.i, func.count(func.distinct(latest.c.step)))
        .where(latest.c.rank == 1, latest.c.kind.in_(("marked", "skipped")))
        .group_by(latest.c.i)
    )
    complete = dict((await session.execute(query)).all())
    total = await session.scalar(
        select(func.count())
        .select_from(StepState)
        .where(StepState.application_id == application_id)
    )
    return BurnUp(
        tuple(
            BurnUpPoint(day=day, complete=complete.get(i, 0), total=total or 0)
            for i, day in enumerate(days)
        )
    )
