"""The question a second `/onboard new` in a channel asks, and its two buttons."""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    MarkdownTextObject,
    SectionBlock,
)

from bot.blocks.mrkdwn import fit_mrkdwn, user_text
from bot.blocks.replies import app_label
from storage.models import Application

# The *Create* button's value is the name, which the click's use case checks again.
CREATE_ANOTHER = "new_app_another"
CANCEL = "new_app_cancel"
NAMED = 5  # of the channel's applications named in the question
MAX_NAME = 200
# Slack's limit for a button's value; a name (at most 80 characters) always fits.
MAX_VALUE = 2000
MAX_TEXT = 3000


def ask_another(name: str, existing: Sequence[Application]) -> tuple[str, list[Block]]:
    """(text, blocks) asking whether `name` is meant as one more application in a channel
    that has `existing` ones."""
    named = ", ".join(app_label(a) for a in existing[:NAMED])
    if len(existing) > NAMED:
        named += f" and {len(existing) - NAMED} more"
    which = "an application" if len(existing) == 1 else f"{len(existing)} applications"
    text = (
        f"This channel already has {which}: {named}. With one more, every `/onboard` command "
        "here needs `--app &lt;slug&gt;` to say which application it is about. "
        f"Create *{user_text(name, MAX_NAME)}* as {'a second' if len(existing) == 1 else 'another'}"
        " application here? (Typing `/onboard new &lt;name&gt; --another` skips this question.)"
    )
    label = "Create a second application" if len(existing) == 1 else "Create another application"
    blocks: list[Block] = [
        SectionBlock(text=MarkdownTextObject(text=fit_mrkdwn(text, MAX_TEXT))),
        ActionsBlock(
            block_id="new_app",
            elements=[
                ButtonElement(
                    text=label,
                    action_id=CREATE_ANOTHER,
                    value=name[:MAX_VALUE],
                    style="primary",
                ),
                ButtonElement(text="Cancel", action_id=CANCEL, value="cancel"),
            ],
        ),
    ]
    return f"This channel already has {which}. Create one more?", blocks
