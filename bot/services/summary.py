"""Where a checklist stands, in a few plain values: what `Get checklist status` (a Workflow
Builder step) answers. Pure: a `Checklist` and `now` in, a `Summary` out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from bot.checklists import Phase
from bot.outbox_messages import GoLive
from bot.services.progress import Checklist, StepProgress


@dataclass(frozen=True, slots=True)
class Summary:
    complete: int  # steps done or skipped, as the checklist message counts them
    total: int
    # The first step still to do (active), and its phase; None when every step is complete.
    next_step: StepProgress | None
    current_phase: Phase | None
    # Whole days since a step was last done or skipped (since the application was created
    # when none was).
    days_since_progress: int
    # When the launch step was marked done, None while it is not.
    went_live_on: date | None


def summarize(checklist: Checklist, now: datetime) -> Summary:
    steps = checklist.steps
    next_step = next((s for s in steps if s.active), None)
    phase = checklist.template.phase(next_step.step.phase) if next_step is not None else None
    finished = [s.finished_at for s in steps if s.finished_at is not None]
    last = max(finished, default=checklist.application.created_at)
    launch = next((s for s in steps if s.step.announces == GoLive.KIND), None)
    return Summary(
        complete=checklist.complete_count,
        total=checklist.total,
        next_step=next_step,
        current_phase=phase,
        days_since_progress=max((now - last).days, 0),
        went_live_on=launch.done_at.date() if launch is not None and launch.done_at else None,
    )
