"""A checklist as people see it: the template's steps joined with their stored state.

Pure data, built once per request from the database and handed to the Block Kit builders.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from bot.checklists import Phase, Step, Template
from storage.models import Application, StepState


def active_flags(done: Sequence[bool], skipped: Sequence[bool] | None = None) -> list[bool]:
    """Which steps are active: neither done nor skipped, and either everything before is done
    or skipped, or a later step is already done (it was passed over and still needs doing).
    A later *skipped* step does not count for that: a skip says a step does not apply, often
    long before work reaches it, not that the work went past the steps before it."""
    skipped = skipped or [False] * len(done)
    later_done = [False] * len(done)
    seen_done = False
    for i in range(len(done) - 1, -1, -1):
        later_done[i] = seen_done
        seen_done = seen_done or done[i]
    flags = []
    all_before_complete = True
    for i, (is_done, is_skipped) in enumerate(zip(done, skipped, strict=True)):
        complete = is_done or is_skipped
        flags.append(not complete and (all_before_complete or later_done[i]))
        all_before_complete = all_before_complete and complete
    return flags


@dataclass(frozen=True, slots=True)
class StepProgress:
    step: Step
    done_at: datetime | None
    done_by: str | None
    assignee_id: str | None
    due_on: date | None
    changed_at: datetime
    note_count: int
    active: bool
    # Skipped: the step does not apply (never done at the same time).
    skipped_at: datetime | None = None
    skipped_by: str | None = None
    skip_reason: str | None = None

    @property
    def done(self) -> bool:
        return self.done_at is not None

    @property
    def skipped(self) -> bool:
        return self.skipped_at is not None

    @property
    def complete(self) -> bool:
        """Done or skipped: nothing more to do, for progress and for which steps are active."""
        return self.done or self.skipped

    @property
    def finished_at(self) -> datetime | None:
        return self.done_at or self.skipped_at

    def overdue(self, today: date) -> bool:
        return not self.complete and self.due_on is not None and self.due_on < today


@dataclass(frozen=True, slots=True)
class PhaseProgress:
    phase: Phase
    steps: tuple[StepProgress, ...]

    @property
    def done_count(self) -> int:
        return sum(s.done for s in self.steps)

    @property
    def skipped_count(self) -> int:
        return sum(s.skipped for s in self.steps)

    @property
    def complete_count(self) -> int:
        """Steps done or skipped: what progress counts."""
        return sum(s.complete for s in self.steps)

    @property
    def complete(self) -> bool:
        return self.complete_count == len(self.steps)


@dataclass(frozen=True, slots=True)
class Checklist:
    application: Application
    template: Template
    phases: tuple[PhaseProgress, ...]

    @property
    def steps(self) -> tuple[StepProgress, ...]:
        return tuple(s for p in self.phases for s in p.steps)

    @property
    def done_count(self) -> int:
        return sum(p.done_count for p in self.phases)

    @property
    def skipped_count(self) -> int:
        return sum(p.skipped_count for p in self.phases)

    @property
    def complete_count(self) -> int:
        """Steps done or skipped: what progress counts."""
        return sum(p.complete_count for p in self.phases)

    @property
    def total(self) -> int:
        return len(self.template.steps)

    def step(self, number: str) -> StepProgress:
        for progress in self.steps:
            if progress.step.number == number:
                return progress
        raise KeyError(number)


def build_checklist(
    application: Application,
    template: Template,
    states: Sequence[StepState],
    note_counts: dict[str, int],
) -> Checklist:
    by_number = {state.step: state for state in states}
    ordered = [by_number[step.number] for step in template.steps]
    active = active_flags(
        [state.done_at is not None for state in ordered],
        [state.skipped_at is not None for state in ordered],
    )
    progress = {
        state.step: StepProgress(
            step=template.step(state.step),
            done_at=state.done_at,
            done_by=state.done_by,
            assignee_id=state.assignee_id,
            due_on=state.due_on,
            changed_at=state.changed_at,
            note_count=note_counts.get(state.step, 0),
            active=is_active,
            skipped_at=state.skipped_at,
            skipped_by=state.skipped_by,
            skip_reason=state.skip_reason,
        )
        for state, is_active in zip(ordered, active, strict=True)
    }
    phases = tuple(
        PhaseProgress(phase=phase, steps=tuple(progress[s.number] for s in phase.steps))
        for phase in template.phases
    )
    return Checklist(application=application, template=template, phases=phases)
