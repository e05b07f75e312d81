"""`/onboard report [--since 90d|12w|YYYY-MM-DD] [--channel #channel | --all] [--page N]`.

Only options: the report covers many applications, so it takes no `--app`, and nothing else
is typed. Whether a `--since` date lies in the past depends on the reader's today, which is
the use case's to say; here only its shape and, for `90d`/`12w`, its length are checked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from bot.command_parser import values
from bot.command_parser.commands import MAX_LIST_PAGE, MAX_REPORT_DAYS, REPORT_DAYS, Report
from bot.command_parser.messages import Said
from bot.command_parser.tokens import Args, Invalid, Token, is_option, normalize, quote
from bot.i18n import N_

_PREFIXES = ("--", "—", "–")  # as `tokens.is_option` reads them
_SPAN = re.compile(r"([0-9]{1,6}) ?(d|days?|天|w|wks?|weeks?|周)")
_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_NUMBER = re.compile(r"[0-9]{1,6}")
# As `values.CHANNEL`, keeping the name Slack puts after the id.
_LINKED_CHANNEL = re.compile(r"<#([CG][A-Z0-9]+)(?:\|([^<>]*))?>")
_CHANNEL_EXAMPLE = "`/onboard report --channel #payments`"
SINCE_FORMS = Said(
    N_("a number of days or weeks back, like `90d` or `12w`, or the first day, like `2026-09-01`")
)
_OPTIONS = Said(
    N_(
        "The options of `report` are `--since 90d` (or `12w`, or a first day like `2026-09-01`;"
        " 90 days when left out), `--channel #channel` (one of your channels) or `--all`"
        " (the whole workspace, for its admins), and `--page 2`."
    )
)
_VALUE_OPTIONS = ("since", "channel", "page")


@dataclass(slots=True)
class _Given:
    since: int | date | None = None
    channel_id: str | None = None
    channel_name: str | None = None
    everywhere: bool = False
    page: int | None = None


def parse_report(args: Args) -> Report:
    given = _Given()
    tokens = args.tokens
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if not is_option(token):
            raise _not_an_option(token)
        i = _take(tokens, i, given)
    if given.everywhere and given.channel_id is not None:
        raise Invalid(
            N_(
                "`--channel` and `--all` don't go together: `--channel #channel` reports on one"
                " channel, `--all` on the whole workspace. Give one of them, or neither for"
                " all of your channels."
            )
        )
    return Report(
        since=REPORT_DAYS if given.since is None else given.since,
        channel_id=given.channel_id,
        everywhere=given.everywhere,
        page=given.page or 1,
        channel_name=given.channel_name,
    )


def typed(command: Report) -> str:
    """The command as one would type it again, without `--page` (for "`… --page 2` shows
    the next page"): its options spelled the way this parser reads them."""
    words = ["/onboard report"]
    if command.since != REPORT_DAYS:
        since = command.since
        words.append(f"--since {since}d" if isinstance(since, int) else f"--since {since}")
    if command.channel_id is not None:
        words.append(f"--channel #{command.channel_name or command.channel_id}")
    if command.everywhere:
        words.append("--all")
    return " ".join(words)


def _take(tokens: list[Token], i: int, given: _Given) -> int:
    """Read the option at tokens[i] (and its value) into `given`; the index of the next one."""
    raw = tokens[i].text
    prefix = next(p for p in _PREFIXES if raw.startswith(p))
    name, has_value, value = raw[len(prefix) :].partition("=")
    name = normalize(name)
    if name == "all":
        if has_value:
            raise Invalid(
                N_("`--all` takes no value; {option} has one. Write just `--all`."),
                option=quote(raw),
            )
        if given.everywhere:
            raise _twice("all")
        given.everywhere = True
        return i + 1
    if name == "app":
        raise Invalid(
            N_(
                "`report` covers the applications of all your channels, so it takes no"
                " `--app`. For one channel's, use `--channel`, e.g. {example}."
            ),
            example=_CHANNEL_EXAMPLE,
        )
    if name not in _VALUE_OPTIONS:
        raise Invalid(
            N_("{option} is not an option of `report`. {options}"),
            option=quote(raw),
            options=_OPTIONS,
        )
    if not has_value:
        if i + 1 >= len(tokens) or is_option(tokens[i + 1]):
            raise _no_value(name)
        i += 1
        value = tokens[i].text
    elif not value:
        raise _no_value(name)
    if name == "since":
        if given.since is not None:
            raise _twice(name)
        given.since = since(value)
    elif name == "channel":
        if given.channel_id is not None:
            raise _twice(name)
        given.channel_id, given.channel_name = _channel(value)
    else:
        if given.page is not None:
            raise _twice(name)
        given.page = _page(value)
    return i + 1


def since(text: str) -> int | date:
    """Days back (`90d`, `12w`, `90天`, `12周`), or the first day (`2026-09-01`)."""
    word = normalize(text)
    if m := _SPAN.fullmatch(word):
        days = int(m[1]) * (1 if m[2][0] in "d天" else 7)
        if not 1 <= days <= MAX_REPORT_DAYS:
            raise Invalid(
                N_(
                    "{word} is out of range: a report reaches back from 1 to {most} days (about"
                    " two years), e.g. `--since 90d` or `--since 12w`."
                ),
                word=quote(text),
                most=MAX_REPORT_DAYS,
            )
        return days
    if m := _DATE.fullmatch(word):
        try:
            return date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            raise Invalid(
                N_("{word} is not a real date. Dates look like `2026-12-01` (year, month, day)."),
                word=quote(text),
            ) from None
    hint = (
        Said(N_(" Say whether you mean days or weeks: `--since 90d` or `--since 12w`."))
        if _NUMBER.fullmatch(word)
        else ""
    )
    raise Invalid(
        N_("{word} is not a period I understand. Use {forms}.{hint}"),
        word=quote(text),
        forms=SINCE_FORMS,
        hint=hint,
    )


def _channel(text: str) -> tuple[str, str | None]:
    """The channel's id and, when Slack gave one, its name."""
    if m := _LINKED_CHANNEL.fullmatch(text):
        return m[1], m[2] or None
    raise Invalid(
        N_(
            "{word} is not a linked Slack channel. Type `#` and pick the channel from Slack's"
            " autocomplete so it is linked, e.g. {example}."
        ),
        word=quote(text),
        example=_CHANNEL_EXAMPLE,
    )


def _page(text: str) -> int:
    page = normalize(text)
    if not page.isdecimal() or not 1 <= int(page) <= MAX_LIST_PAGE:
        raise Invalid(
            N_(
                "{word} is not a page number. `report` shows the first page of applications,"
                " `report --page 2` the next, and so on."
            ),
            word=quote(text),
        )
    return int(page)


def _no_value(name: str) -> Invalid:
    if name == "since":
        return Invalid(
            N_("`--since` needs a period after it: {forms}, e.g. `/onboard report --since 12w`."),
            forms=SINCE_FORMS,
        )
    if name == "channel":
        return Invalid(
            N_(
                "`--channel` needs a channel after it: type `#` and pick it from Slack's"
                " autocomplete, e.g. {example}."
            ),
            example=_CHANNEL_EXAMPLE,
        )
    return Invalid(N_("`--page` needs a page number after it, e.g. `/onboard report --page 2`."))


def _twice(name: str) -> Invalid:
    return Invalid(N_("`--{option}` is given twice; give it once."), option=name)


def _not_an_option(token: Token) -> Invalid:
    word = normalize(token.text)
    if values.CHANNEL.fullmatch(token.text) or word.startswith("#"):
        hint = Said(
            N_(" For one channel, say `--channel` first: {example}."), example=_CHANNEL_EXAMPLE
        )
    elif _SPAN.fullmatch(word) or _DATE.fullmatch(word):
        hint = Said(N_(" For the period, say `--since` first: `/onboard report --since 90d`."))
    elif _NUMBER.fullmatch(word):
        hint = Said(N_(" For another page, say `--page` first: `/onboard report --page 2`."))
    elif word == "all":
        hint = Said(N_(" For the whole workspace, write `--all`."))
    else:
        hint = ""
    return Invalid(
        N_("{word} is not something `report` takes. {options}{hint}"),
        word=quote(token.text),
        options=_OPTIONS,
        hint=hint,
    )
