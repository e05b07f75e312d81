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

from bot.blocks.checklist import action_value, progress_bar, progress_count
from bot.blocks.counts import counted
from bot.blocks.mrkdwn import channel_mention, fit_mrkdwn, user_text
from bot.services.progress import Checklist, StepProgress

MARK_FROM_HOME = "home_mark_step"
MAX_HOME_BLOCKS = 100  # Slack's limit for a Home tab
MAX_TEXT = 3000  # a section's text
MAX_TITLE = 200  # a step's title or an application's name, escaped, in a line


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
    parts = [f"*{step.step.number}* {user_text(step.step.title, MAX_TITLE)}"]
    if step.due_on:
        late = " ⚠️ *overdue*" if step.overdue(today) else ""
        parts.append(f"📅 due {step.due_on.isoformat()}{late}")
    where = f"{user_text(application.name, MAX_TITLE)} in {channel_mention(application.channel_id)}"
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
    upcoming = ", ".join(
        f"{s.step.number} {user_text(s.step.title, MAX_TITLE)}" for s in next_steps
    )
    text = (
        f"*{user_text(application.name, MAX_TITLE)}* in {channel_mention(application.channel_id)}  "
        f"{progress_bar(checklist.complete_count, checklist.total)} "
        f"{progress_count(checklist.complete_count, checklist.skipped_count, checklist.total)}"
    )
    if upcoming:
        text += f"\nNext: {upcoming}"
    return SectionBlock(text=MarkdownTextObject(text=fit_mrkdwn(text, MAX_TEXT)))


def _note(text: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=text)])


# Blocks kept for the applications part, so many assigned steps cannot push it out entirely.
APPLICATION_BLOCKS = 20


def home_view(
    assigned: Sequence[AssignedStep], applications: Sequence[Checklist], today: date
) -> View:
    """The Home tab within Slack's 100 blocks: steps first, then applications, each part
    saying how many it had to leave out."""
    fixed = 3  # two headers and the divider
    app_room = min(max(len(applications), 1), APPLICATION_BLOCKS)
    step_room = MAX_HOME_BLOCKS - fixed - app_room
    if len(assigned) > step_room:
        step_room -= 1  # for the "…and N more" line
    app_room = MAX_HOME_BLOCKS - fixed - min(len(assigned), step_room) - (len(assigned) > step_room)
    if len(applications) > app_room:
        app_room -= 1

    steps = sorted(assigned, key=lambda a: _order(a, today))
    blocks: list[Block] = [HeaderBlock(text="Your steps")]
    blocks.extend(_assigned_section(a, today) for a in steps[:step_room])
    if not steps:
        blocks.append(_note("No open steps are assigned to you. 🎉"))
    elif len(steps) > step_room:
        blocks.append(_note(f"…and {counted(len(steps) - step_room, 'more step')} of yours."))

    blocks += [DividerBlock(), HeaderBlock(text="Applications in your channels")]
    blocks.extend(_application_section(c) for c in applications[:app_room])
    if not applications:
        blocks.append(_note("None yet. Type `/onboard new &lt;name&gt;` in your team's channel."))
    elif len(applications) > app_room:
        hidden = len(applications) - app_room
        more = counted(hidden, "more application")
        blocks.append(_note(f"…and {more}; `/onboard list` in a channel shows its own."))
    return View(type="home", blocks=blocks)
