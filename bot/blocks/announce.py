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
from bot.blocks.mrkdwn import (
    channel_mention,
    escape_mrkdwn,
    fit_mrkdwn,
    user_mention,
)
from bot.blocks.notifications import render
from bot.blocks.replies import app_label, step_label
from bot.checklists import Template
from bot.i18n import ENGLISH_TRANSLATOR, Translator
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


def _targets(messages: list[NewMessage], t: Translator) -> str:
    places = [
        t._("{person} (DM)", person=user_mention(m.target))
        if m.target[:1] in "UW"
        else channel_mention(m.target)
        for m in messages
    ]
    return t._(", ").join(places)


def _steps(template: Template, numbers: tuple[str, ...], t: Translator) -> str:
    if len(numbers) <= MAX_TITLED:
        return t._(", ").join(step_label(template, n, t) for n in numbers)
    return t._(", ").join(escape_mrkdwn(n) for n in numbers)


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


def _opening(template: Template, asked: Question, t: Translator) -> str:
    values = {
        "steps": _steps(template, asked.announcing, t),
        "application": app_label(asked.application),
    }
    others = tuple(n for n in asked.steps if n not in asked.announcing)
    if others:
        return t._(
            "📣 Marking {steps} (with {others}) of {application} announces it. Nothing is"
            " marked yet: here is what would go out.",
            others=_steps(template, others, t),
            **values,
        )
    return t._(
        "📣 Marking {steps} of {application} announces it. Nothing is marked yet: here is what"
        " would go out.",
        **values,
    )


def _reasons(template: Template, asked: Question, t: Translator) -> list[str]:
    reasons = []
    if asked.open_before:
        count = len(asked.open_before)
        reasons.append(
            t.ngettext(
                "{n} earlier step still open: {steps}",
                "{n} earlier steps still open: {steps}",
                count,
                n=count,
                steps=_steps(template, asked.open_before, t),
            )
        )
    # The service says what is missing in English messages marked for translation.
    return reasons + [escape_mrkdwn(t._(m)) for m in asked.missing]


def preview(
    template: Template, asked: Question, t: Translator = ENGLISH_TRANSLATOR
) -> tuple[str, list[Block]]:
    """The ephemeral question: fallback text and blocks. The announcement itself is shown as
    it is sent, in the language of where it goes."""
    application = asked.application
    blocks: list[Block] = [_md(_opening(template, asked, t))]
    reasons = _reasons(template, asked, t)
    blocks.append(
        _md(t._("*Before announcing, note:*") + "\n" + "\n".join(f"• {r}" for r in reasons))
    )
    for first, same in _grouped(asked.messages):
        going = t._("Would go to {places}:", places=_targets(same, t))
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=fit_mrkdwn(going, MAX_TEXT))]))
        _, shown = render(decode(first.kind, first.payload))
        blocks += [DividerBlock(), *shown, DividerBlock()]
    value = (application.id, asked.steps)
    blocks.append(
        ActionsBlock(
            block_id="announce_choice",
            elements=[
                ButtonElement(
                    text=t._("Announce"),
                    action_id=ANNOUNCE,
                    value=choice_value(*value, "announce"),
                    style="primary",
                ),
                ButtonElement(
                    text=t._("Mark without announcing"),
                    action_id=MARK_SILENTLY,
                    value=choice_value(*value, "silent"),
                ),
                ButtonElement(
                    text=t._("Cancel"), action_id=CANCEL, value=choice_value(*value, "cancel")
                ),
            ],
        )
    )
    text = t._(
        "Marking {steps} of {application} announces it; {reasons}. Announce, mark without"
        " announcing, or cancel?",
        steps=t._(", ").join(escape_mrkdwn(n) for n in asked.announcing),
        application=app_label(application),
        reasons=t._("; ").join(reasons),
    )
    return fit_mrkdwn(text, MAX_TEXT), blocks


def chosen(
    template: Template,
    steps: list[str],
    choice: str,
    done_by: str | None,
    clicker: str | None = None,
    t: Translator = ENGLISH_TRANSLATOR,
) -> str:
    """What replaces the question once `clicker` chose (or came too late: `done_by` had marked
    the steps done already, perhaps the clicker themself with an earlier click)."""
    labels = t._(", ").join(step_label(template, n, t) for n in steps)
    if done_by is not None and done_by == clicker:
        return t._(
            "You already marked {steps} done; nothing was changed or announced again.",
            steps=labels,
        )
    if done_by is not None:
        return t._(
            "{steps} was already marked done by {person}; nothing was changed or announced.",
            steps=labels,
            person=user_mention(done_by),
        )
    if choice == "announce":
        return t._("✅ Marked {steps} done and announced it.", steps=labels)
    return t._(
        "✅ Marked {steps} done, without announcing it (history records that).", steps=labels
    )
