"""The DM to someone just given a step (bot/outbox_messages.py `Assignment`): the step, its
application, due date and latest notes, and a *Mark done* button that is the reminder's own
(the same action, so it is handled, authorized and answered the same way)."""

from __future__ import annotations

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot.blocks.checklist import action_value
from bot.blocks.days import on_day
from bot.blocks.mrkdwn import (
    channel_mention,
    escape_mrkdwn,
    fit_mrkdwn,
    user_mention,
    user_text,
)
from bot.i18n import ENGLISH_TRANSLATOR, Translator
from bot.outbox_messages import Assignment

# The reminder's *Mark done* action (bot/blocks/notifications.py REMINDER_MARK); spelled here
# rather than imported, because notifications.py imports this module to render the kind.
MARK_DONE = "reminder_mark"

MAX_TEXT = 3000
MAX_NAME = 200
MAX_TITLE = 300
MAX_NOTE = 600  # of each note quoted; the checklist's notes show them in full


def assignment(m: Assignment, t: Translator = ENGLISH_TRANSLATOR) -> tuple[str, list[Block]]:
    """(fallback text, blocks) of the assignment DM, in the reader's language."""
    app, where = f"*{user_text(m.application, MAX_NAME)}*", channel_mention(m.channel)
    step = f"*{escape_mrkdwn(m.step)}* _{user_text(m.title, MAX_TITLE)}_"
    values = {"by": user_mention(m.by), "step": step, "application": app, "channel": where}
    if m.due_on:
        first = t._(
            "📌 {by} assigned you step {step} of {application} in {channel}. Due *{due}*.",
            due=on_day(t, m.due_on),
            **values,
        )
    else:
        first = t._(
            "📌 {by} assigned you step {step} of {application} in {channel}. No due date yet.",
            **values,
        )
    lines = [first]
    if m.notes:
        lines.append(t._("*Latest notes*"))
        lines += [
            t._(
                "• {author} ({day}): {note}",
                author=user_mention(n.by),
                day=on_day(t, n.written_on),
                note=user_text(n.text, MAX_NOTE),
            )
            for n in m.notes
        ]
    blocks: list[Block] = [
        SectionBlock(text=MarkdownTextObject(text=fit_mrkdwn("\n".join(lines), MAX_TEXT)))
    ]
    if m.in_channel is False:
        blocks.append(
            ContextBlock(
                elements=[
                    MarkdownTextObject(
                        text=t._(
                            "You are not in {channel} yet: join it to use this button and the "
                            "checklist there.",
                            channel=where,
                        )
                    )
                ]
            )
        )
    blocks.append(
        ActionsBlock(
            block_id="assignment",
            elements=[
                ButtonElement(
                    text=t._("Mark done"),
                    action_id=MARK_DONE,
                    value=action_value(m.application_id, m.step, "mark"),
                    style="primary",
                )
            ],
        )
    )
    text = t._(
        "You were assigned step {step} of {application}",
        step=escape_mrkdwn(m.step),
        application=user_text(m.application, MAX_NAME),
    )
    return text, blocks
