"""The checklist message: a pure function from a Checklist to Block Kit blocks."""

from __future__ import annotations

from datetime import date

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot.command_parser import escape_mrkdwn
from bot.services.progress import Checklist, PhaseProgress, StepProgress

BAR_WIDTH = 10


def progress_bar(done: int, total: int, width: int = BAR_WIDTH) -> str:
    filled = round(width * done / total) if total else 0
    return "▰" * filled + "▱" * (width - filled)


def step_line(progress: StepProgress, today: date) -> str:
    mark = "✅" if progress.done else ("▶️" if progress.active else "⬜")
    parts = [f"{mark} *{progress.step.number}* {escape_mrkdwn(progress.step.title)}"]
    if progress.assignee_id:
        parts.append(f"<@{progress.assignee_id}>")
    if progress.due_on and not progress.done:
        late = " ⚠️ overdue" if progress.overdue(today) else ""
        parts.append(f"due {progress.due_on.isoformat()}{late}")
    if progress.note_count:
        parts.append(f"{progress.note_count} note{'s' * (progress.note_count > 1)}")
    return " · ".join(parts)


def phase_block(phase: PhaseProgress, today: date) -> SectionBlock:
    total = len(phase.steps)
    heading = (
        f"*{phase.phase.number}. {escape_mrkdwn(phase.phase.title)}*  "
        f"{progress_bar(phase.done_count, total)} {phase.done_count}/{total}"
    )
    lines = [heading, *(step_line(step, today) for step in phase.steps)]
    return SectionBlock(text=MarkdownTextObject(text="\n".join(lines)))


def checklist_blocks(checklist: Checklist, today: date, phase: int | None = None) -> list[Block]:
    application = checklist.application
    title = f"{application.name} · {checklist.done_count}/{checklist.total}"
    blocks: list[Block] = [
        HeaderBlock(text=title[:150]),
        ContextBlock(
            elements=[
                MarkdownTextObject(
                    text=f"`{application.slug}` · {escape_mrkdwn(checklist.template.title)} · "
                    f"<{checklist.template.guide_url}|guide> · ✅ done ▶️ active ⬜ not yet"
                )
            ]
        ),
        DividerBlock(),
    ]
    phases = [p for p in checklist.phases if phase is None or p.phase.number == phase]
    blocks.extend(phase_block(p, today) for p in phases)
    return blocks


def checklist_fallback_text(checklist: Checklist) -> str:
    return f"{checklist.application.name}: {checklist.done_count}/{checklist.total} steps done"
