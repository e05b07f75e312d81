"""The step menu's modals: pure functions from a step to a view."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import date

from slack_sdk.models.blocks import (
    ContextBlock,
    DatePickerElement,
    InputBlock,
    MarkdownTextObject,
    PlainTextInputElement,
    SectionBlock,
    UserSelectElement,
)
from slack_sdk.models.views import View

from bot.blocks.mrkdwn import escape_mrkdwn, fit_mrkdwn, link, shorten, user_text
from bot.checklists import Step
from bot.command_parser import MAX_NOTE
from bot.i18n import ENGLISH_TRANSLATOR, Translator

ASSIGN = "step_assign"
DUE = "step_due"
NOTE = "step_note"

# block_id / action_id of each input, for reading values and placing errors
ASSIGNEE_BLOCK, ASSIGNEE_ACTION = "assignee", "assignee"
DUE_BLOCK, DUE_ACTION = "due", "due"
NOTE_BLOCK, NOTE_ACTION = "note", "note"

MAX_TITLE = 24  # Slack's limit for a modal's title
MAX_TEXT = 3000  # a section's or context element's text
MAX_NAME_TEXT = 200  # an application's name or a step's title, escaped, in the context line


@dataclass(frozen=True, slots=True)
class ModalContext:
    """Which step a submission is about. A claim the submission's use case checks again: the
    message redrawn afterwards is the one the application recorded, never one named here."""

    application_id: int
    step: str

    def encode(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @staticmethod
    def decode(text: str) -> ModalContext | None:
        """The context `encode` wrote, or None for anything else: private_metadata comes back
        in the submission's payload, where it may not even be JSON (or nest 50,000 deep)."""
        try:
            data = json.loads(text)
        except (ValueError, TypeError, RecursionError):
            return None
        if not isinstance(data, dict):
            return None
        application_id, step = data.get("application_id"), data.get("step")
        # An int as `encode` wrote it: not a bool, a float or a string of digits.
        if type(application_id) is not int or not isinstance(step, str):
            return None
        return ModalContext(application_id=application_id, step=step)


def _title(text: str) -> str:
    return shorten(text, MAX_TITLE)


def _step_context(application_name: str, step: Step, t: Translator) -> ContextBlock:
    return ContextBlock(
        elements=[
            MarkdownTextObject(
                text=t._(
                    "*{application}* · step {step} _{title}_",
                    application=user_text(application_name, MAX_NAME_TEXT),
                    step=escape_mrkdwn(step.number),
                    title=user_text(step.title_in(t.language), MAX_NAME_TEXT),
                )
            )
        ]
    )


def assign_modal(
    context: ModalContext,
    application_name: str,
    step: Step,
    assignee_id: str | None,
    t: Translator = ENGLISH_TRANSLATOR,
) -> View:
    return View(
        type="modal",
        callback_id=ASSIGN,
        private_metadata=context.encode(),
        title=_title(t._("Assign {step}", step=step.number)),
        submit=t._("Assign"),
        close=t._("Cancel"),
        blocks=[
            _step_context(application_name, step, t),
            InputBlock(
                block_id=ASSIGNEE_BLOCK,
                label=t._("Who owns this step?"),
                element=UserSelectElement(action_id=ASSIGNEE_ACTION, initial_user=assignee_id),
                hint=t._("They get reminders when the step stalls."),
            ),
        ],
    )


def due_modal(
    context: ModalContext,
    application_name: str,
    step: Step,
    due_on: date | None,
    zone: str,
    t: Translator = ENGLISH_TRANSLATOR,
) -> View:
    return View(
        type="modal",
        callback_id=DUE,
        private_metadata=context.encode(),
        title=_title(t._("Due date for {step}", step=step.number)),
        submit=t._("Save"),
        close=t._("Cancel"),
        blocks=[
            _step_context(application_name, step, t),
            InputBlock(
                block_id=DUE_BLOCK,
                label=t._("Due on"),
                optional=True,
                element=DatePickerElement(
                    action_id=DUE_ACTION, initial_date=due_on.isoformat() if due_on else None
                ),
                hint=t._(
                    "A day in {zone} time (the assignee's). Leave empty to clear it.",
                    zone=shorten(zone, 100),
                ),
            ),
        ],
    )


def note_modal(
    context: ModalContext, application_name: str, step: Step, t: Translator = ENGLISH_TRANSLATOR
) -> View:
    return View(
        type="modal",
        callback_id=NOTE,
        private_metadata=context.encode(),
        title=_title(t._("Note on {step}", step=step.number)),
        submit=t._("Add note"),
        close=t._("Cancel"),
        blocks=[
            _step_context(application_name, step, t),
            InputBlock(
                block_id=NOTE_BLOCK,
                label=t._("Note"),
                element=PlainTextInputElement(
                    action_id=NOTE_ACTION, multiline=True, max_length=MAX_NOTE
                ),
            ),
        ],
    )


def guide_modal(
    application_name: str, step: Step, guide_url: str, t: Translator = ENGLISH_TRANSLATOR
) -> View:
    """The step's summary and links from the template, each cut to fit its section: a long
    summary ends in an ellipsis, and the link to the whole guide always shows."""
    title = user_text(step.title_in(t.language), MAX_NAME_TEXT)
    heading = f"*{escape_mrkdwn(step.number)} {title}*\n"
    body = heading + user_text(step.summary_in(t.language), MAX_TEXT - len(heading))
    whole_guide = "\n• " + link(guide_url, t._("The whole guide"))
    links = "\n".join(f"• {link(each.url, each.title_in(t.language))}" for each in step.links)
    no_links = t._("No links for this step.")
    blocks = [
        _step_context(application_name, step, t),
        SectionBlock(text=MarkdownTextObject(text=body)),
        SectionBlock(
            text=MarkdownTextObject(
                text=fit_mrkdwn(links or no_links, MAX_TEXT - len(whole_guide)) + whole_guide
            )
        ),
    ]
    return View(
        type="modal",
        title=_title(t._("Step {step}", step=step.number)),
        close=t._("Close"),
        blocks=blocks,
    )
