"""The figures of a portfolio report, as plain data.

Computed from the database by the analytics queries, shown by the Block Kit builders
(`/onboard report`, the digest's burn-up, App Home's portfolio) and written out by
`onboard-bot report --format csv|json`. Durations are floats rounded to 0.1:
calendar days for "days to go-live" and "days to business start", working days (weekends
and the application's `remind holidays` region are not working days) for everything else.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True, slots=True)
class Scope:
    """Which applications a report covers: a workspace's, in `channel_ids` only, or in every
    channel when `channel_ids` is None (an admin's `--all`). Archived applications count in
    what happened within a period, not in work in progress or the stuck list."""

    team_id: str
    channel_ids: frozenset[str] | None


@dataclass(frozen=True, slots=True)
class Period:
    """A half-open interval [start, end) in UTC."""

    start: datetime
    end: datetime

    def previous(self) -> Period:
        """The period of the same length just before this one."""
        return Period(self.start - (self.end - self.start), self.start)


@dataclass(frozen=True, slots=True)
class Spread:
    """A distribution of durations: how many, the median and the 90th percentile
    (linear interpolation between closest ranks, as `statistics.quantiles(method="inclusive")`).
    `median` and `p90` are None when `count` is 0."""

    count: int
    median: float | None
    p90: float | None


@dataclass(frozen=True, slots=True)
class PhaseSpread:
    """Working days spent in one phase (its first step active → its last step done or
    skipped), over the applications that finished the phase within the period."""

    phase: int
    spread: Spread


@dataclass(frozen=True, slots=True)
class PeriodFigures:
    """What happened within one period."""

    period: Period
    to_go_live: Spread  # calendar days, created → go-live step done, live within the period
    to_business_start: Spread  # calendar days, created → business-start step done
    phases: tuple[PhaseSpread, ...]  # one per template phase, in order
    due_steps: int  # steps with a due date in the period that are done (or late and open)
    on_time: int  # of those, done on or before their due date
    reminders_sent: int  # reminder DMs sent within the period
    escalations_sent: int  # escalation messages sent within the period

    @property
    def on_time_rate(self) -> float | None:
        return None if self.due_steps == 0 else self.on_time / self.due_steps


@dataclass(frozen=True, slots=True)
class StuckStep:
    """An active step waiting longer than its application's `remind after` working days."""

    application_id: int
    application: str  # the application's name, as typed by people: escape before mrkdwn
    slug: str
    channel_id: str
    step: str  # "2.3"
    owner_id: str  # the step's assignee, else the application's owner
    waiting_since: datetime
    waiting_days: float  # working days


@dataclass(frozen=True, slots=True)
class ApplicationRow:
    """One application of the portfolio, as of the report's end."""

    application_id: int
    application: str
    slug: str
    channel_id: str
    phase: int | None  # the phase of its first active step; None when every step is complete
    complete_steps: int  # done or skipped
    total_steps: int
    last_progress_at: datetime  # the latest step done or skipped, else its creation
    days_since_progress: float  # working days
    stuck: bool  # has a stuck step
    live_at: datetime | None  # go-live step done
    business_started_at: datetime | None  # business-start step done


@dataclass(frozen=True, slots=True)
class LivePoint:
    """How many applications were live at the end of `day` (UTC)."""

    day: date
    live: int


@dataclass(frozen=True, slots=True)
class Report:
    """The whole of `/onboard report` for a set of applications."""

    current: PeriodFigures
    previous: PeriodFigures
    in_progress_by_phase: tuple[tuple[int, int], ...]  # (phase, applications now in it)
    stuck: tuple[StuckStep, ...]  # oldest first
    applications: tuple[ApplicationRow, ...]  # stuck first, then longest without progress
    live_over_time: tuple[LivePoint, ...]  # one point a week across the current period


@dataclass(frozen=True, slots=True)
class BurnUpPoint:
    """Steps complete (done or skipped) at the end of `day` (UTC), against the total."""

    day: date
    complete: int
    total: int


@dataclass(frozen=True, slots=True)
class BurnUp:
    """The digest's burn-up: one point a week for the last 8 weeks, oldest first."""

    points: tuple[BurnUpPoint, ...]
