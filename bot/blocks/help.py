"""The text of `/onboard help`: each subcommand's usage and what it does, in the reader's
language (the usage lines stay English: the commands are typed in English).

The table itself, `SUBCOMMAND_USAGE`, belongs to the command parser (it defines which
subcommands there are, and the parser's errors quote it); this module only formats it.
"""

from __future__ import annotations

from bot.blocks.mrkdwn import escape_mrkdwn
from bot.command_parser.usage import SUBCOMMAND_USAGE, USAGE_BY_NAME
from bot.i18n import ENGLISH_TRANSLATOR, N_, Translator

_TITLE = N_("*What `/onboard` can do*")
_APP_OPTION_NOTE = N_(
    "Add `--app &lt;slug&gt;` to any subcommand about an application to pick it"
    " when this channel has more than one (`away`, `my` and `language` are about you)."
)


def help_text(topic: str | None = None, t: Translator = ENGLISH_TRANSLATOR) -> str:
    """Every subcommand with its usage, or just `topic`'s when that names a subcommand."""
    if topic in USAGE_BY_NAME:
        lines = [_usage_line(*USAGE_BY_NAME[topic], t)]
    else:
        lines = [t._(_TITLE), *(_usage_line(u, a, t) for u, a in SUBCOMMAND_USAGE)]
    lines.append(t._(_APP_OPTION_NOTE))
    return "\n".join(lines)


def _usage_line(usage: str, about: str, t: Translator) -> str:
    return f"• `{escape_mrkdwn(usage)}` – {t._(about)}"
