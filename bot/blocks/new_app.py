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
from bot.i18n import ENGLISH_TRANSLATOR, Translator
from storage.models import Application

# The *Create* button's value is the name, which the click's use case checks again.
CREATE_ANOTHER = "new_app_another"
CANCEL = "new_app_cancel"
NAMED = 5  # of the channel's applications named in the question
MAX_NAME = 200
# Slack's limit for a button's value; a name (at most 80 characters) always fits.
MAX_VALUE = 2000
MAX_TEXT = 3000


def _named(existing: Sequence[Application], t: Translator) -> str:
    named = t._(", ").join(app_label(a) for a in existing[:NAMED])
    if len(existing) > NAMED:
        more = len(existing) - NAMED
        return t._("{named} and {n} more", named=named, n=more)
    return named


def ask_another(
    name: str, existing: Sequence[Application], t: Translator = ENGLISH_TRANSLATOR
) -> tuple[str, list[Block]]:
    """(text, blocks) asking whether `name` is meant as one more application in a channel
    that has `existing` ones."""
    named = _named(existing, t)
    shown = user_text(name, MAX_NAME)
    if len(existing) == 1:
        text = t._(
            "This channel already has an application: {named}. With one more, every `/onboard`"
            " command here needs `--app &lt;slug&gt;` to say which application it is about."
            " Create *{name}* as a second application here? (Typing"
            " `/onboard new &lt;name&gt; --another` skips this question.)",
            named=named,
            name=shown,
        )
        label = t._("Create a second application")
        fallback = t._("This channel already has an application. Create one more?")
    else:
        text = t._(
            "This channel already has {n} applications: {named}. With one more, every"
            " `/onboard` command here needs `--app &lt;slug&gt;` to say which application it is"
            " about. Create *{name}* as another application here? (Typing"
            " `/onboard new &lt;name&gt; --another` skips this question.)",
            n=len(existing),
            named=named,
            name=shown,
        )
        label = t._("Create another application")
        fallback = t._(
            "This channel already has {n} applications. Create one more?", n=len(existing)
        )
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
                ButtonElement(text=t._("Cancel"), action_id=CANCEL, value="cancel"),
            ],
        ),
    ]
    return fallback, blocks
