"""The question asked before marking a step that announces: an ephemeral preview of the exact
message and where it goes, what is still open or missing, and *Announce* / *Mark without
announcing* / *Cancel*.

The message shown is rendered by bot/blocks/notifications.py from the very outbox rows the
mark would queue, so the preview cannot say something else than what is sent.
"""

from __future__ import annotations

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot.blocks.checklist import action_value, parse_action_value
from bot.blocks.counts import counted
from bot.blocks.mrkdwn import channel_mention, escape_mrkdwn, fit_mrkdwn, user_mention
from bot.blocks.notifications import render
from bot.blocks.replies import app_label, step_label
from bot.checklists import Template
from bot.outbox_messages import decode
from bot.services.announcements import Question
from storage.outbox import NewMessage

ANNOUNCE = "announce_yes"
MARK_SILENTLY = "announce_no"
CANCEL = "announce_cancel"
CHOICES = {ANNOUNCE: "announce", MARK_SILENTLY: "silent", CANCEL: "cancel"}

MAX_TEXT = 3000
# Open steps named with their titles; more are named by number only.
MAX_TITLED = 5


def choice_value(application_id: int, steps: tuple[str, ...], choice: str) -> str:
    """What the buttons carry: the application and the steps, nothing else to trust."""
    return action_value(application_id, ",".join(steps), choice)


def parse_choice_value(value: str) -> tuple[int, list[str], str] | None:
    """(application id, steps, choice) of a value `choice_value` made; None otherwise (the
    listener checks each step's form)."""
    parsed = parse_action_value(value)
    if parsed is None or parsed[2] not in CHOICES.values():
        return None
    application_id, steps, choice = parsed
    return application_id, steps.split(","), choice


def _md(text: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=fit_mrkdwn(text, MAX_TEXT)))


def _targets(messages: list[NewMessage]) -> str:
    places = [
        user_mention(m.target) + " (DM)" if m.target[:1] in "UW" else channel_mention(m.target)
        for m in messages
    ]
    return ", ".join(places)


def _steps(template: Template, numbers: tuple[str, ...]) -> str:
    if len(numbers) <= MAX_TITLED:
        return ", ".join(step_label(template, n) for n in numbers)
    return ", ".join(escape_mrkdwn(n) for n in numbers)


def _grouped(messages: tuple[NewMessage, ...]) -> list[tuple[NewMessage, list[NewMessage]]]:
    """One entry per distinct message: a DM to each contact is the same message."""
    groups: list[tuple[NewMessage, list[NewMessage]]] = []
    for m in messages:
        for first, same in groups:
            if (first.kind, first.payload) == (m.kind, m.payload):
                same.append(m)
                break
        else:
            groups.append((m, [m]))
    return groups


def preview(template: Template, asked: Question) -> tuple[str, list[Block]]:
    """The ephemeral question: fallback text and blocks."""
    application = asked.application
    which = _steps(template, asked.announcing)
    others = [n for n in asked.steps if n not in asked.announcing]
    marking = f" (with {_steps(template, tuple(others))})" if others else ""
    blocks: list[Block] = [
        _md(
            f"📣 Marking {which}{marking} of {app_label(application)} announces it. "
            "Nothing is marked yet: here is what would go out."
        )
    ]
    reasons = []
    if asked.open_before:
        count = counted(len(asked.open_before), "earlier step")
        reasons.append(f"{count} still open: {_steps(template, asked.open_before)}")
    reasons += [escape_mrkdwn(m) for m in asked.missing]
    blocks.append(_md("*Before announcing, note:*\n" + "\n".join(f"• {r}" for r in reasons)))
    for first, same in _grouped(asked.messages):
        blocks.append(
            ContextBlock(
                elements=[
                    MarkdownTextObject(text=fit_mrkdwn(f"Would go to {_targets(same)}:", MAX_TEXT))
                ]
            )
        )
        _, shown = render(decode(first.kind, first.payload))
        blocks += [DividerBlock(), *shown, DividerBlock()]
    value = (application.id, asked.steps)
    blocks.append(
        ActionsBlock(
            block_id="announce_choice",
            elements=[
                ButtonElement(
                    text="Announce",
                    action_id=ANNOUNCE,
                    value=choice_value(*value, "announce"),
                    style="primary",
                ),
                ButtonElement(
                    text="Mark without announcing",
                    action_id=MARK_SILENTLY,
                    value=choice_value(*value, "silent"),
                ),
                ButtonElement(
                    text="Cancel", action_id=CANCEL, value=choice_value(*value, "cancel")
                ),
            ],
        )
    )
    numbers = ", ".join(escape_mrkdwn(n) for n in asked.announcing)
    text = (
        f"Marking {numbers} of {app_label(application)} announces it; "
        f"{'; '.join(reasons)}. Announce, mark without announcing, or cancel?"
    )
    return fit_mrkdwn(text, MAX_TEXT), blocks


def chosen(
    template: Template,
    steps: list[str],
    choice: str,
    done_by: str | None,
    clicker: str | None = None,
) -> str:
    """What replaces the question once `clicker` chose (or came too late: `done_by` had marked
    the steps done already, perhaps the clicker themself with an earlier click)."""
    labels = ", ".join(step_label(template, n) for n in steps)
    if done_by is not None and done_by == clicker:
        return f"You already marked {labels} done; nothing was changed or announced again."
    if done_by is not None:
        return (
            f"{labels} was already marked done by {user_mention(done_by)}; "
            "nothing was changed or announced."
        )
    if choice == "announce":
        return f"✅ Marked {labels} done and announced it."
    return f"✅ Marked {labels} done, without announcing it (history records that)."
