"""The text of `/onboard help`: each subcommand's usage and what it does.

The table itself, `SUBCOMMAND_USAGE`, belongs to the command parser (it defines which
subcommands there are, and the parser's errors quote it); this module only formats it.
"""

from __future__ import annotations

from bot.blocks.mrkdwn import escape_mrkdwn
from bot.command_parser.usage import SUBCOMMAND_USAGE, USAGE_BY_NAME

_APP_OPTION_NOTE = (
    "Add `--app &lt;slug&gt;` to any subcommand about an application to pick it"
    " when this channel has more than one (`away` and `my` are yours, in every application)."
)


def help_text(topic: str | None = None) -> str:
    """Every subcommand with its usage, or just `topic`'s when that names a subcommand."""
    if topic in USAGE_BY_NAME:
        lines = [_usage_line(*USAGE_BY_NAME[topic])]
    else:
        lines = ["*What `/onboard` can do*", *(_usage_line(u, a) for u, a in SUBCOMMAND_USAGE)]
    lines.append(_APP_OPTION_NOTE)
    return "\n".join(lines)


def _usage_line(usage: str, about: str) -> str:
    return f"• `{escape_mrkdwn(usage)}` – {about}"
