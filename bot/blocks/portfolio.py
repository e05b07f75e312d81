"""App Home's portfolio section: a line for each application a person is in, stuck first.

Pure, from the report's `ApplicationRow`s (bot/analytics/figures.py). Capped at
`MAX_PORTFOLIO` lines in at most a few blocks, so that it never costs Home more than
`MAX_PORTFOLIO_BLOCKS` of its 100; the rest are counted, and `/onboard report` shows them all.
"""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import Block, ContextBlock, MarkdownTextObject, SectionBlock

from bot.analytics.figures import ApplicationRow
from bot.blocks.mrkdwn import fit_mrkdwn, user_text
from bot.blocks.report import MAX_TEXT, line_sections
from bot.i18n import Translator

MAX_PORTFOLIO = 25  # lines
MAX_NAME = 80  # an application's name, escaped
# A heading and lines of at most ~200 characters: two sections, and the "…and N more" line.
MAX_PORTFOLIO_BLOCKS = 4


def in_order(rows: Sequence[ApplicationRow]) -> list[ApplicationRow]:
    """Stuck first, then the longest without progress, then by name."""
    return sorted(rows, key=lambda r: (not r.stuck, -r.days_since_progress, r.application))


def portfolio_line(row: ApplicationRow, t: Translator) -> str:
    app = user_text(row.application, MAX_NAME)
    days = t.number(row.days_since_progress)
    if row.phase is None:
        return "• " + t._("*{app}*: every step complete", app=app)
    if row.stuck:
        return "• :warning: " + t._(
            "*{app}*: stuck in phase {phase}, {days} working days since the last progress",
            app=app,
            phase=row.phase,
            days=days,
        )
    return "• " + t._(
        "*{app}*: phase {phase}, {days} working days since the last progress",
        app=app,
        phase=row.phase,
        days=days,
    )


def portfolio_blocks(rows: Sequence[ApplicationRow], t: Translator) -> list[Block]:
    """The section, in `t`'s language: nothing when there are no rows."""
    if not rows:
        return []
    ordered = in_order(rows)
    shown = ordered[:MAX_PORTFOLIO]
    heading = "*" + t._("Your portfolio") + "*"
    sections = line_sections(heading, [portfolio_line(r, t) for r in shown], most=2)
    blocks: list[Block] = [
        SectionBlock(text=MarkdownTextObject(text=s["text"]["text"])) for s in sections
    ]
    if len(ordered) > len(shown):
        more = len(ordered) - len(shown)
        text = t.ngettext(
            "…and {n} more application; `/onboard report` shows them all.",
            "…and {n} more applications; `/onboard report` shows them all.",
            more,
            n=more,
        )
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=fit_mrkdwn(text, MAX_TEXT))]))
    return blocks
