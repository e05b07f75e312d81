"""The App Home tab: a person's steps across applications, then their channels' applications."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from slack_sdk.models.blocks import (
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.blocks.checklist import action_value, progress_bar
from bot.command_parser import escape_mrkdwn
from bot.services.progress import Checklist, StepProgress

MARK_FROM_HOME = "home_mark_step"
MAX_HOME_BLOCKS = 100  # Slack's limit for a Home tab


@dataclass(frozen=True, slots=True)
class AssignedStep:
    checklist: Checklist
    progress: StepProgress


def _order(item: AssignedStep, today: date) -> tuple:
    due = item.progress.due_on
    return (
        not item.progress.overdue(today),  # overdue first
        due is None,
        due or date.max,
        item.checklist.application.name.lower(),
        item.progress.step.position,
    )


def _assigned_section(item: AssignedStep, today: date) -> SectionBlock:
    application = item.checklist.application
    step = item.progress
    parts = [f"*{step.step.number}* {escape_mrkdwn(step.step.title)}"]
    if step.due_on:
        late = " ⚠️ *overdue*" if step.overdue(today) else ""
        parts.append(f"📅 due {step.due_on.isoformat()}{late}")
    where = f"{escape_mrkdwn(application.name)} in <#{application.channel_id}>"
    return SectionBlock(
        block_id=f"home-step:{application.id}:{step.step.number}",
        text=MarkdownTextObject(text=" · ".join(parts) + f"\n{where}"),
        accessory=ButtonElement(
            text="Mark done",
            action_id=MARK_FROM_HOME,
            value=action_value(application.id, step.step.number, "mark"),
            style="primary",
        ),
    )


def _application_section(checklist: Checklist) -> SectionBlock:
    application = checklist.application
    next_steps = [s for s in checklist.steps if s.active][:2]
    upcoming = ", ".join(f"{s.step.number} {escape_mrkdwn(s.step.title)}" for s in next_steps)
    text = (
        f"*{escape_mrkdwn(application.name)}* in <#{application.channel_id}>  "
        f"{progress_bar(checklist.done_count, checklist.total)} "
        f"{checklist.done_count}/{checklist.total}"
    )
    if upcoming:
        text += f"\nNext: {upcoming}"
    return SectionBlock(text=MarkdownTextObject(text=text[:3000]))


def home_view(
    assigned: Sequence[AssignedStep], applications: Sequence[Checklist], today: date
) -> View:
    blocks: list[Block] = [HeaderBlock(text="Your steps")]
    if assigned:
        blocks.extend(
            _assigned_section(a, today) for a in sorted(assigned, key=lambda a: _order(a, today))
        )
    else:
        blocks.append(
            ContextBlock(
                elements=[MarkdownTextObject(text="No open steps are assigned to you. 🎉")]
            )
        )
    blocks += [DividerBlock(), HeaderBlock(text="Applications in your channels")]
    if applications:
        blocks.extend(_application_section(c) for c in applications)
    else:
        blocks.append(
            ContextBlock(
                elements=[
                    MarkdownTextObject(
                        text="None yet. Type `/onboard new <name>` in your team's channel."
                    )
                ]
            )
        )
    if len(blocks) > MAX_HOME_BLOCKS:
        hidden = len(blocks) - MAX_HOME_BLOCKS + 1
        blocks = blocks[: MAX_HOME_BLOCKS - 1]
        blocks.append(
            ContextBlock(
                elements=[
                    MarkdownTextObject(text=f"…and {hidden} more; `/onboard list` has them all.")
                ]
            )
        )
    return View(type="home", blocks=blocks)
