"""Every subcommand's usage and what it does: the one table of the subcommands, in help order.

The parser reads it to know the subcommands and to quote a usage line in its error messages;
`bot/blocks/help.py` formats it as the help text. The import goes that one way only: the
parser never imports the help text.
"""

from __future__ import annotations

from bot.blocks.mrkdwn import escape_mrkdwn
from bot.i18n import N_

SUBCOMMAND_USAGE: tuple[tuple[str, str], ...] = (
    ("/onboard help [subcommand]", N_("this list, or how to use one subcommand, e.g. `help due`")),
    (
        "/onboard new <name> [--another]",
        N_(
            "create an application in this channel, e.g. `new Acme POS`; `--another` when the"
            " channel already has one (else I ask first)"
        ),
    ),
    (
        "/onboard list [<page>]",
        N_(
            "applications in this channel, and yours elsewhere, with progress; `list 2` for the"
            " next page"
        ),
    ),
    (
        "/onboard status [phase]",
        N_("the checklist with progress per phase, e.g. `status` or `status 2` for one phase"),
    ),
    (
        "/onboard mark <step>… [--force]",
        N_(
            "mark steps done, e.g. `mark 1.1 1.2` or `mark 2` for a whole phase; 3.4 and 5.1"
            " ask first while earlier steps are open; `--force` announces at once and skips"
            " the credentials check on 3.5"
        ),
    ),
    (
        "/onboard unmark <step>…",
        N_(
            "mark steps not done again, e.g. `unmark 1.2`; unmarking 3.4 or 5.1 withdraws its"
            " announcement"
        ),
    ),
    (
        '/onboard skip <step> "<reason>"',
        N_(
            'a step that does not apply, and why, e.g. `skip 4.2 "we only integrate QR, not NFC"`;'
            " it counts as complete and is never reminded"
        ),
    ),
    ("/onboard unskip <step>", N_("make a skipped step open again, e.g. `unskip 4.2`")),
    (
        "/onboard assign <step> @person",
        N_("set who owns a step, e.g. `assign 1.2 @Mei`, picking the person from the autocomplete"),
    ),
    ("/onboard unassign <step>", N_("clear a step's owner, e.g. `unassign 1.2`")),
    (
        "/onboard due <step> <when>",
        N_(
            "set a due date: `YYYY-MM-DD`, `today`, `tomorrow`, `+3d`, `+2w`, `none`,"
            " `明天` or `周五`, e.g. `due 2.1 +3d`"
        ),
    ),
    ("/onboard note <step> <text>", N_("add a note to a step, e.g. `note 1.5 waiting for IT`")),
    ("/onboard history [step]", N_("recent changes to the application, or to one step")),
    (
        "/onboard remind [after <days>|hours <start>-<end>|holidays <country>|off|on]",
        N_(
            "reminders about stalled steps: `remind after 2d` (working days without progress),"
            " `remind hours 09:00-18:00` (each person's time), `remind holidays CN`"
            " (its public holidays are days off; `holidays off`), `remind off` or `remind on`;"
            " alone, the current settings"
        ),
    ),
    (
        "/onboard digest [daily <time>|weekly <day> <time>|off|tz <zone>]",
        N_(
            "the channel digest: `digest daily 09:30`, `digest weekly mon 09:00`, `digest off`,"
            " `digest tz Asia/Shanghai`; alone, the current schedule"
        ),
    ),
    (
        "/onboard contacts [add @person…|remove @person…|channel #channel]",
        N_(
            "the Alipay contacts: `contacts add @Mei @Li`, `contacts remove @Li`,"
            " `contacts channel #alipay-team` (or `none`); alone, the list"
        ),
    ),
    (
        "/onboard creds [show|set <env> <field> <value>]",
        N_(
            "the Alipay credentials: alone, a form to fill them in; `creds show` to see them;"
            " `creds set sandbox client-id 2021…` to set one, for `sandbox` or `production`:"
            " `client-id`, `public-key` (yours), `alipay-public-key` or `notify-url`"
        ),
    ),
    (
        "/onboard diagnose",
        N_(
            "paste a request's headers and body: whether its Alipay signature is valid and"
            " what was signed, to settle `ILLEGAL_SIGN`"
        ),
    ),
    ("/onboard export [csv|json]", N_("the checklist and its history as a file (CSV by default)")),
    ("/onboard rename <name>", N_("rename the application (owner only)")),
    ("/onboard archive", N_("archive the application: no more reminders or digests (owner only)")),
    (
        "/onboard unarchive",
        N_("bring back an application archived in the last 30 days (owner only)"),
    ),
    # Across applications
    (
        "/onboard report [--since 90d|12w|<date>] [--channel #channel|--all] [--page <n>]",
        N_(
            "figures across the applications of your channels, with charts: days to go-live,"
            " time per phase, what is stuck, on-time rate, against the period before;"
            " `--since 12w` (90 days by default), `--channel #payments` for one channel,"
            " `--all` for the whole workspace (admins)"
        ),
    ),
    # A person's own settings, in every application
    (
        "/onboard away [until <date>|off]",
        N_(
            "no reminders to you through that day (your time); your steps remind their owners"
            " meanwhile: `away until 2026-12-07` (or `+2w`), `away off`; alone, whether you are"
            " away"
        ),
    ),
    (
        "/onboard my [holidays <country>|holidays off]",
        N_(
            "your own settings: `my holidays SG` adds that country's public holidays to your days"
            " off; alone, your settings"
        ),
    ),
    (
        "/onboard language [zh-CN|en|auto|channel zh-CN|en]",
        N_(
            "my language with you (`language zh-CN`, `en`, or `auto`: your Slack's) or with"
            " this channel (`language channel zh-CN`)"
        ),
    ),
)

# Keyed by the subcommand's name, the word after `/onboard`.
USAGE_BY_NAME = {usage.split()[1]: (usage, about) for usage, about in SUBCOMMAND_USAGE}


def syntax(name: str) -> str:
    """Subcommand `name`'s usage line as code, for the `Usage: {usage}.` that ends an error
    message about it (the syntax stays English; the sentence around it is translated)."""
    return f"`{escape_mrkdwn(USAGE_BY_NAME[name][0])}`"


def subcommand_list() -> str:
    return ", ".join(f"`{name}`" for name in USAGE_BY_NAME)
