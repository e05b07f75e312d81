"""The App Home tab: a person's steps across applications, their portfolio, then their
channels' applications."""

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
from bot.blocks.days import on_day
from bot.blocks.mrkdwn import channel_mention, fit_mrkdwn, user_text
from bot.i18n import ENGLISH_TRANSLATOR, Translator
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


def _assigned_section(item: AssignedStep, today: date, t: Translator) -> SectionBlock:
    application = item.checklist.application
    step = item.progress
    parts = [f"*{step.step.number}* {user_text(step.step.title_in(t.language), MAX_TITLE)}"]
    if step.due_on:
        day = on_day(t, step.due_on)
        if step.overdue(today):
            parts.append(t._("📅 due {day} ⚠️ *overdue*", day=day))
        else:
            parts.append(t._("📅 due {day}", day=day))
    where = t._(
        "{application} in {channel}",
        application=user_text(application.name, MAX_TITLE),
        channel=channel_mention(application.channel_id),
    )
    return SectionBlock(
        block_id=f"home-step:{application.id}:{step.step.number}",
        text=MarkdownTextObject(text=" · ".join(parts) + f"\n{where}"),
        accessory=ButtonElement(
            text=t._("Mark done"),
            action_id=MARK_FROM_HOME,
            value=action_value(application.id, step.step.number, "mark"),
            style="primary",
        ),
    )


def _application_section(checklist: Checklist, t: Translator) -> SectionBlock:
    application = checklist.application
    next_steps = [s for s in checklist.steps if s.active][:2]
    upcoming = t._(", ").join(
        f"{s.step.number} {user_text(s.step.title_in(t.language), MAX_TITLE)}" for s in next_steps
    )
    where = t._(
        "*{application}* in {channel}",
        application=user_text(application.name, MAX_TITLE),
        channel=channel_mention(application.channel_id),
    )
    text = (
        f"{where}  "
        f"{progress_bar(checklist.complete_count, checklist.total)} "
        f"{progress_count(checklist.complete_count, checklist.skipped_count, checklist.total, t)}"
    )
    if upcoming:
        text += "\n" + t._("Next: {steps}", steps=upcoming)
    return SectionBlock(text=MarkdownTextObject(text=fit_mrkdwn(text, MAX_TEXT)))


def _note(text: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=text)])


# Blocks kept for the applications part, so many assigned steps cannot push it out entirely.
APPLICATION_BLOCKS = 20


def home_view(
    assigned: Sequence[AssignedStep],
    applications: Sequence[Checklist],
    today: date,
    t: Translator = ENGLISH_TRANSLATOR,
    portfolio: Sequence[Block] = (),
) -> View:
    """The Home tab within Slack's 100 blocks, in its reader's language: steps first, then
    the portfolio's blocks when there are any (bot/blocks/portfolio.py, a few at most), then
    applications, each part saying how many it had to leave out."""
    portfolio_part: list[Block] = [DividerBlock(), *portfolio] if portfolio else []
    fixed = 3 + len(portfolio_part)  # two headers, the divider, the portfolio
    app_room = min(max(len(applications), 1), APPLICATION_BLOCKS)
    step_room = MAX_HOME_BLOCKS - fixed - app_room
    if len(assigned) > step_room:
        step_room -= 1  # for the "…and N more" line
    app_room = MAX_HOME_BLOCKS - fixed - min(len(assigned), step_room) - (len(assigned) > step_room)
    if len(applications) > app_room:
        app_room -= 1

    steps = sorted(assigned, key=lambda a: _order(a, today))
    blocks: list[Block] = [HeaderBlock(text=t._("Your steps"))]
    blocks.extend(_assigned_section(a, today, t) for a in steps[:step_room])
    if not steps:
        blocks.append(_note(t._("No open steps are assigned to you. 🎉")))
    elif len(steps) > step_room:
        hidden = len(steps) - step_room
        blocks.append(
            _note(
                t.ngettext(
                    "…and {n} more step of yours.",
                    "…and {n} more steps of yours.",
                    hidden,
                    n=hidden,
                )
            )
        )

    blocks += portfolio_part
    blocks += [DividerBlock(), HeaderBlock(text=t._("Applications in your channels"))]
    blocks.extend(_application_section(c, t) for c in applications[:app_room])
    if not applications:
        blocks.append(
            _note(t._("None yet. Type `/onboard new &lt;name&gt;` in your team's channel."))
        )
    elif len(applications) > app_room:
        hidden = len(applications) - app_room
        blocks.append(
            _note(
                t.ngettext(
                    "…and {n} more application; `/onboard list` in a channel shows its own.",
                    "…and {n} more applications; `/onboard list` in a channel shows its own.",
                    hidden,
                    n=hidden,
                )
            )
        )
    return View(type="home", blocks=blocks)
