"""The text of `/onboard help`: each subcommand's usage and what it does, in the reader's
language (the usage lines stay English: the commands are typed in English).

The table itself, `SUBCOMMAND_USAGE`, belongs to the command parser (it defines which
subcommands there are, and the parser's errors quote it); this module only formats it.
`help <subcommand>` is one line of text; the whole table is more than one message's text
should hold (Slack advises 4,000 characters), so it comes as blocks: one section per group of
subcommands (a section holds 3,000), and a short top-level text for notifications.
"""

from __future__ import annotations

from slack_sdk.models.blocks import Block, ContextBlock, MarkdownTextObject, SectionBlock

from bot.blocks.mrkdwn import escape_mrkdwn
from bot.command_parser.usage import SUBCOMMAND_USAGE, USAGE_BY_NAME, subcommand_list
from bot.i18n import ENGLISH_TRANSLATOR, N_, Translator

_TITLE = N_("*What `/onboard` can do*")
_FALLBACK = N_(
    "What `/onboard` can do: {subcommands}. `/onboard help &lt;subcommand&gt;` tells more"
    " about one."
)
_APP_OPTION_NOTE = N_(
    "Add `--app &lt;slug&gt;` to any subcommand about an application to pick it when this"
    " channel has more than one (`report` covers many; `away`, `my` and `language` are about"
    " you)."
)
# The groups of the help, each by the subcommand it starts with, in the table's order.
GROUPS: tuple[tuple[str, str], ...] = (
    ("help", N_("*The checklist*")),
    ("remind", N_("*Reminders, digests, contacts and credentials*")),
    ("export", N_("*The application as a whole, and across applications*")),
    ("away", N_("*You*")),
)
assert [first for first, _ in GROUPS] == [n for n in USAGE_BY_NAME if n in dict(GROUPS)]
assert GROUPS[0][0] == SUBCOMMAND_USAGE[0][0].split()[1]


def help_text(topic: str | None, t: Translator = ENGLISH_TRANSLATOR) -> str:
    """How to use one subcommand, or the short text of the whole help when `topic` names none."""
    if topic not in USAGE_BY_NAME:
        return help_fallback(t)
    return "\n".join((_usage_line(*USAGE_BY_NAME[topic], t), t._(_APP_OPTION_NOTE)))


def help_fallback(t: Translator = ENGLISH_TRANSLATOR) -> str:
    """The whole help's top-level text: what a notification or a screen reader gets."""
    return t._(_FALLBACK, subcommands=subcommand_list())


def help_sections(t: Translator = ENGLISH_TRANSLATOR) -> list[str]:
    """The whole help as mrkdwn texts, one per group of subcommands (the first with the
    title): each a section's text."""
    starts = dict(GROUPS)
    sections: list[list[str]] = []
    for usage, about in SUBCOMMAND_USAGE:
        name = usage.split()[1]
        if name in starts:
            sections.append([t._(starts[name])])
        sections[-1].append(_usage_line(usage, about, t))
    sections[0].insert(0, t._(_TITLE))
    return ["\n".join(lines) for lines in sections]


def help_blocks(t: Translator = ENGLISH_TRANSLATOR) -> list[Block]:
    """Every subcommand with its usage, a section per group, then the note on `--app`."""
    blocks: list[Block] = [
        SectionBlock(block_id=f"help-{i}", text=MarkdownTextObject(text=text))
        for i, text in enumerate(help_sections(t))
    ]
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text=t._(_APP_OPTION_NOTE))]))
    return blocks


def _usage_line(usage: str, about: str, t: Translator) -> str:
    return f"• `{escape_mrkdwn(usage)}` – {t._(about)}"
