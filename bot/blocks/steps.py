"""A step as replies name it, its title in the reader's language."""

from __future__ import annotations

from bot.blocks.mrkdwn import escape_mrkdwn, user_text
from bot.blocks.replies import MAX_TITLE_TEXT
from bot.checklists import Template
from bot.i18n import Translator


def step_label(template: Template, number: str, t: Translator) -> str:
    """`3.4 _title_`, the title in `t`'s language (English when the template has none)."""
    title = template.step(number).title_in(t.language)
    return f"{escape_mrkdwn(number)} _{user_text(title, MAX_TITLE_TEXT)}_"
