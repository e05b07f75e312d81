"""Parse the text of `/onboard` into a command, or into a message saying what was wrong.

Pure: no Slack, no database, no I/O but reading the time zone database to check a zone.
The command is registered with `should_escape: true`, so users arrive as `<@U123|name>`,
channels as `<#C123|name>`, and a typed `<` as `&lt;`.
Whether a step, application or date makes sense is for the services to decide; this package
only checks the shape of what was typed.

`parse_command` is the entry point: it reads `help` itself and hands any other subcommand to
its parser in `checklist`, `settings`, `credentials`, `report`, `people` or `languages`, which
reads its words with `tokens` and its values with `values` and returns one of the dataclasses in
`commands`. Which
subcommands there are, and their usage lines, is the table in `usage`.

Error messages are marked (`Invalid(N_("{word} is not a step. …"), word=quote(text))`, see
`messages`): a ParseError's `.message` is English, `.text(t)` the reader's language.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable

from bot.command_parser import checklist, credentials, languages, people, report, settings
from bot.command_parser.commands import (
    END_OF_DAY,
    MAX_CREDENTIAL,
    MAX_CREDS_TEXT,
    MAX_DUE_DAYS,
    MAX_NAME,
    MAX_NOTE,
    MAX_REMIND_DAYS,
    MAX_TEXT,
    AddNote,
    Archive,
    Assign,
    Away,
    Command,
    Contacts,
    CredentialField,
    Creds,
    Diagnose,
    Digest,
    Environment,
    Export,
    Help,
    History,
    Language,
    ListApps,
    Mark,
    My,
    NewApp,
    Remind,
    Rename,
    Report,
    SetDue,
    Skip,
    Status,
    Unarchive,
    Unassign,
    Unmark,
    Unskip,
)
from bot.command_parser.tokens import (
    TOKEN,
    Args,
    Invalid,
    ParseError,
    is_option,
    no_more,
    normalize,
    options_anywhere,
    quote,
    tokenize,
    unescape_slack,
)
from bot.command_parser.usage import SUBCOMMAND_USAGE, USAGE_BY_NAME, subcommand_list
from bot.i18n import N_

__all__ = [
    "END_OF_DAY",
    "MAX_CREDENTIAL",
    "MAX_CREDS_TEXT",
    "MAX_DUE_DAYS",
    "MAX_NAME",
    "MAX_NOTE",
    "MAX_REMIND_DAYS",
    "MAX_TEXT",
    "SUBCOMMAND_USAGE",
    "AddNote",
    "Archive",
    "Assign",
    "Away",
    "Command",
    "Contacts",
    "CredentialField",
    "Creds",
    "Diagnose",
    "Digest",
    "Environment",
    "Export",
    "Help",
    "History",
    "Language",
    "ListApps",
    "Mark",
    "My",
    "NewApp",
    "ParseError",
    "Remind",
    "Rename",
    "Report",
    "SetDue",
    "Skip",
    "Status",
    "Unarchive",
    "Unassign",
    "Unmark",
    "Unskip",
    "parse_command",
    "unescape_slack",
]


def _parse_help(args: Args) -> Command:
    positional, options = options_anywhere(args.tokens, args.name)
    if not positional:
        return Help(app=options.app)
    no_more(args, positional[1:], N_("one subcommand at most"))
    topic = subcommand_named(positional[0].text)
    if topic not in USAGE_BY_NAME:
        raise Invalid(
            N_("I have no help on {topic}. Ask about one of the subcommands: {subcommands}."),
            topic=quote(positional[0].text),
            subcommands=subcommand_list(),
        )
    return Help(topic=topic, app=options.app)


_PARSERS: dict[str, Callable[[Args], Command]] = {
    "help": _parse_help,
    "new": checklist.parse_new,
    "list": checklist.parse_list,
    "status": checklist.parse_status,
    "mark": checklist.parse_mark,
    "unmark": checklist.parse_unmark,
    "skip": checklist.parse_skip,
    "unskip": checklist.parse_unskip,
    "assign": checklist.parse_assign,
    "unassign": checklist.parse_unassign,
    "due": checklist.parse_due,
    "note": checklist.parse_note,
    "history": checklist.parse_history,
    "remind": settings.parse_remind,
    "digest": settings.parse_digest,
    "contacts": settings.parse_contacts,
    "creds": credentials.parse_creds,
    "diagnose": credentials.parse_diagnose,
    "export": checklist.parse_export,
    "rename": checklist.parse_rename,
    "archive": checklist.parse_archive,
    "unarchive": checklist.parse_unarchive,
    # Across applications
    "report": report.parse_report,
    # A person's own settings
    "away": people.parse_away,
    "my": people.parse_my,
    "language": languages.parse_language,
}
assert tuple(_PARSERS) == tuple(USAGE_BY_NAME)

# Chinese words for the most used subcommands, read as the English subcommand.
ALIASES = {
    "帮助": "help",
    "列表": "list",
    "状态": "status",
    "标记": "mark",
    "取消标记": "unmark",
    "指派": "assign",
    "截止": "due",
    "备注": "note",
    "历史": "history",
    "语言": "language",
    "报告": "report",
}
assert set(ALIASES.values()) <= set(_PARSERS)


def subcommand_named(word: str) -> str:
    """The subcommand a typed word names (`标记` is `mark`), folded; as folded if none."""
    name = normalize(word)
    return ALIASES.get(name, name)


_INTERNAL_ERROR = N_(
    "Sorry, I couldn't read that command. Try `/onboard help` for what I understand."
)


def parse_command(text: str) -> Command | ParseError:
    """Read `/onboard` text. Never raises: bad input comes back as a ParseError to show."""
    try:
        return _parse(text)
    except Invalid as invalid:
        return invalid.error()
    except Exception:
        # The listener must always answer; tests check this fallback is never reached.
        return ParseError(_INTERNAL_ERROR)


def _is_creds(text: str) -> bool:
    """Whether `text` starts with the subcommand `creds`, looking no further than that."""
    head = TOKEN.search(text)
    return head is not None and len(head.group()) <= 10 and normalize(head.group()) == "creds"


def _did_you_mean(name: str) -> str | None:
    """The subcommand closest to a mistyped one (`mrak`: `mark`), if any."""
    started = [known for known in _PARSERS if len(name) >= 3 and known.startswith(name)]
    close = started if len(started) == 1 else difflib.get_close_matches(name, _PARSERS, n=1)
    return close[0] if close else None


def _parse(text: str) -> Command:
    if not isinstance(text, str):
        raise Invalid(_INTERNAL_ERROR)
    limit = MAX_CREDS_TEXT if _is_creds(text) else MAX_TEXT
    if len(text) > limit:
        raise Invalid(
            N_("That command is {length:,} characters long; the most I take is {limit:,}."),
            length=len(text),
            limit=limit,
        )
    tokens = tokenize(text)
    if not tokens:
        return Help()
    head, *rest = tokens
    if is_option(head):
        raise Invalid(
            N_(
                "Start with the subcommand, then any options, e.g. `/onboard status --app"
                " acme-pos`. The subcommands are {subcommands}."
            ),
            subcommands=subcommand_list(),
        )
    name = subcommand_named(head.text)
    parser = _PARSERS.get(name)
    if parser is None:
        if (close := _did_you_mean(name)) is not None:
            raise Invalid(
                N_(
                    "{word} is not a subcommand. Did you mean `{close}`? The subcommands are"
                    " {subcommands}; `/onboard help` says what each does."
                ),
                word=quote(head.text),
                close=close,
                subcommands=subcommand_list(),
            )
        raise Invalid(
            N_(
                "{word} is not a subcommand. The subcommands are {subcommands};"
                " `/onboard help` says what each does."
            ),
            word=quote(head.text),
            subcommands=subcommand_list(),
        )
    return parser(Args(name=name, text=text, tokens=rest))
