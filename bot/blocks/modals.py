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

from bot.blocks.mrkdwn import escape_mrkdwn
from bot.checklists import Step
from bot.command_parser import MAX_NOTE

ASSIGN = "step_assign"
DUE = "step_due"
NOTE = "step_note"

# block_id / action_id of each input, for reading values and placing errors
ASSIGNEE_BLOCK, ASSIGNEE_ACTION = "assignee", "assignee"
DUE_BLOCK, DUE_ACTION = "due", "due"
NOTE_BLOCK, NOTE_ACTION = "note", "note"


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
        try:
            data = json.loads(text)
            return ModalContext(application_id=int(data["application_id"]), step=str(data["step"]))
        except (ValueError, KeyError, TypeError, OverflowError):
            return None


def _title(text: str) -> str:
    return text if len(text) <= 24 else text[:23] + "…"  # Slack's limit for a modal title


def _step_context(application_name: str, step: Step) -> ContextBlock:
    return ContextBlock(
        elements=[
            MarkdownTextObject(
                text=f"*{escape_mrkdwn(application_name)}* · step {step.number} "
                f"_{escape_mrkdwn(step.title)}_"
            )
        ]
    )


def assign_modal(
    context: ModalContext, application_name: str, step: Step, assignee_id: str | None
) -> View:
    return View(
        type="modal",
        callback_id=ASSIGN,
        private_metadata=context.encode(),
        title=_title(f"Assign {step.number}"),
        submit="Assign",
        close="Cancel",
        blocks=[
            _step_context(application_name, step),
            InputBlock(
                block_id=ASSIGNEE_BLOCK,
                label="Who owns this step?",
                element=UserSelectElement(action_id=ASSIGNEE_ACTION, initial_user=assignee_id),
                hint="They get reminders when the step stalls.",
            ),
        ],
    )


def due_modal(
    context: ModalContext, application_name: str, step: Step, due_on: date | None, zone: str
) -> View:
    return View(
        type="modal",
        callback_id=DUE,
        private_metadata=context.encode(),
        title=_title(f"Due date for {step.number}"),
        submit="Save",
        close="Cancel",
        blocks=[
            _step_context(application_name, step),
            InputBlock(
                block_id=DUE_BLOCK,
                label="Due on",
                optional=True,
                element=DatePickerElement(
                    action_id=DUE_ACTION, initial_date=due_on.isoformat() if due_on else None
                ),
                hint=f"A day in {zone} time (the assignee's). Leave empty to clear it.",
            ),
        ],
    )


def note_modal(context: ModalContext, application_name: str, step: Step) -> View:
    return View(
        type="modal",
        callback_id=NOTE,
        private_metadata=context.encode(),
        title=_title(f"Note on {step.number}"),
        submit="Add note",
        close="Cancel",
        blocks=[
            _step_context(application_name, step),
            InputBlock(
                block_id=NOTE_BLOCK,
                label="Note",
                element=PlainTextInputElement(
                    action_id=NOTE_ACTION, multiline=True, max_length=MAX_NOTE
                ),
            ),
        ],
    )


def guide_modal(application_name: str, step: Step, guide_url: str) -> View:
    links = "\n".join(f"• <{link.url}|{escape_mrkdwn(link.title)}>" for link in step.links)
    body = f"*{step.number} {escape_mrkdwn(step.title)}*\n{escape_mrkdwn(step.summary)}"
    blocks = [
        _step_context(application_name, step),
        SectionBlock(text=MarkdownTextObject(text=body)),
        SectionBlock(
            text=MarkdownTextObject(
                text=(links or "No links for this step.") + f"\n• <{guide_url}|The whole guide>"
            )
        ),
    ]
    return View(type="modal", title=_title(f"Step {step.number}"), close="Close", blocks=blocks)
