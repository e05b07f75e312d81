"""Parse the text of `/onboard` into a command, or into a message saying what was wrong.

Pure: no Slack, no database, no I/O but reading the time zone database to check a zone.
The command is registered with `should_escape: true`, so users arrive as `<@U123|name>`,
channels as `<#C123|name>`, and a typed `<` as `&lt;`.
Whether a step, application or date makes sense is for the services to decide; this module only
checks the shape of what was typed.
"""

from __future__ import annotations

import re
import unicodedata
import zoneinfo
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, time
from functools import cache
from typing import Literal

MAX_TEXT = 3000
MAX_NAME = 80
MAX_NOTE = 2000
MAX_DUE_DAYS = 365
MAX_REMIND_DAYS = 30
MAX_CREDENTIAL = 4000  # characters of a value (a 4096-bit PEM public key is ~800)
# A `creds set` command may be longer than MAX_TEXT, to hold a value of MAX_CREDENTIAL and the
# words and options around it.
MAX_CREDS_TEXT = MAX_CREDENTIAL + 1000
# `datetime.time` stops at 23:59:59.999999, so working hours that end at `24:00` end at this.
END_OF_DAY = time.max
_MAX_ECHO = 30  # how much of a bad token an error message repeats


# --- Results -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DueSpec:
    kind: Literal["date", "days", "none"]
    on: date | None = None
    days: int = 0


@dataclass(frozen=True, slots=True)
class Help:
    topic: str | None = None
    app: str | None = None


@dataclass(frozen=True, slots=True)
class NewApp:
    name: str
    app: str | None = None


@dataclass(frozen=True, slots=True)
class ListApps:
    app: str | None = None


@dataclass(frozen=True, slots=True)
class Status:
    phase: int | None = None
    app: str | None = None


@dataclass(frozen=True, slots=True)
class Mark:
    steps: tuple[str, ...]
    force: bool = False
    app: str | None = None


@dataclass(frozen=True, slots=True)
class Unmark:
    steps: tuple[str, ...]
    app: str | None = None


@dataclass(frozen=True, slots=True)
class Assign:
    step: str
    user_id: str
    app: str | None = None


@dataclass(frozen=True, slots=True)
class Unassign:
    step: str
    app: str | None = None


@dataclass(frozen=True, slots=True)
class SetDue:
    step: str
    due: DueSpec
    app: str | None = None


@dataclass(frozen=True, slots=True)
class AddNote:
    step: str
    text: str
    app: str | None = None


@dataclass(frozen=True, slots=True)
class History:
    step: str | None = None
    app: str | None = None


@dataclass(frozen=True, slots=True)
class Remind:
    action: Literal["show", "after", "hours", "off", "on"]
    after_days: int | None = None  # "after": working days without progress, 1..30
    start: time | None = None  # "hours": local start of the working day
    end: time | None = None  # "hours": local end, after start; `24:00` is END_OF_DAY
    app: str | None = None


@dataclass(frozen=True, slots=True)
class Digest:
    action: Literal["show", "daily", "weekly", "off", "tz"]
    at: time | None = None  # "daily", "weekly": local time of day
    weekday: int | None = None  # "weekly": 0 is Monday, 6 is Sunday
    tz: str | None = None  # "tz": an IANA zone name, spelled as the zone database does
    app: str | None = None


@dataclass(frozen=True, slots=True)
class Contacts:
    action: Literal["list", "add", "remove", "channel"]
    user_ids: tuple[str, ...] = ()  # "add", "remove": in order, each once
    channel_id: str | None = None  # "channel": None clears the contacts channel
    app: str | None = None


CredentialField = Literal["client_id", "public_key", "alipay_public_key", "notify_url"]
Environment = Literal["sandbox", "production"]


@dataclass(frozen=True, slots=True)
class Creds:
    action: Literal["modal", "set", "show"]
    environment: Environment | None = None  # "set" only
    field: CredentialField | None = None  # "set" only
    # "set" only: the rest of the text after the field as typed, but for surrounding whitespace
    # and one pair of surrounding quotes, backticks or ``` fences; newlines and inner spaces
    # stay (a PEM key spans lines). Its content is for the service to check.
    value: str | None = None
    force: bool = False  # unused for now; always False
    app: str | None = None


@dataclass(frozen=True, slots=True)
class Diagnose:
    app: str | None = None


@dataclass(frozen=True, slots=True)
class Export:
    fmt: Literal["csv", "json"] = "csv"
    app: str | None = None


@dataclass(frozen=True, slots=True)
class Rename:
    name: str
    app: str | None = None


@dataclass(frozen=True, slots=True)
class Archive:
    app: str | None = None


Command = (
    Help
    | NewApp
    | ListApps
    | Status
    | Mark
    | Unmark
    | Assign
    | Unassign
    | SetDue
    | AddNote
    | History
    | Remind
    | Digest
    | Contacts
    | Creds
    | Diagnose
    | Export
    | Rename
    | Archive
)


@dataclass(frozen=True, slots=True)
class ParseError:
    message: str  # Slack mrkdwn, user text already escaped


# --- Help ---------------------------------------------------------------------------------------

SUBCOMMAND_USAGE: tuple[tuple[str, str], ...] = (
    ("/onboard help [subcommand]", "this list, or how to use one subcommand, e.g. `help due`"),
    ("/onboard new <name>", "create an application in this channel, e.g. `new Acme POS`"),
    ("/onboard list", "applications in this channel, and yours elsewhere, with progress"),
    (
        "/onboard status [phase]",
        "the checklist with progress per phase, e.g. `status` or `status 2` for one phase",
    ),
    (
        "/onboard mark <step>… [--force]",
        "mark steps done, e.g. `mark 1.1 1.2` or `mark 2` for a whole phase;"
        " `--force` skips the credentials check on 3.5",
    ),
    ("/onboard unmark <step>…", "mark steps not done again, e.g. `unmark 1.2`"),
    (
        "/onboard assign <step> @person",
        "set who owns a step, e.g. `assign 1.2 @Mei`, picking the person from the autocomplete",
    ),
    ("/onboard unassign <step>", "clear a step's owner, e.g. `unassign 1.2`"),
    (
        "/onboard due <step> <when>",
        "set a due date: `YYYY-MM-DD`, `today`, `tomorrow`, `+3d`, `+2w` or `none`,"
        " e.g. `due 2.1 +3d`",
    ),
    ("/onboard note <step> <text>", "add a note to a step, e.g. `note 1.5 waiting for IT`"),
    ("/onboard history [step]", "recent changes to the application, or to one step"),
    (
        "/onboard remind [after <days>|hours <start>-<end>|off|on]",
        "reminders about stalled steps: `remind after 2d` (working days without progress),"
        " `remind hours 09:00-18:00` (in each person's time zone), `remind off` or `remind on`;"
        " alone, the current settings",
    ),
    (
        "/onboard digest [daily <time>|weekly <day> <time>|off|tz <zone>]",
        "the channel digest: `digest daily 09:30`, `digest weekly mon 09:00`, `digest off`,"
        " `digest tz Asia/Shanghai`; alone, the current schedule",
    ),
    (
        "/onboard contacts [add @person…|remove @person…|channel #channel]",
        "the Alipay contacts: `contacts add @Mei @Li`, `contacts remove @Li`,"
        " `contacts channel #alipay-team` (or `none`); alone, the list",
    ),
    (
        "/onboard creds [show|set <env> <field> <value>]",
        "the Alipay credentials: alone, a form to fill them in; `creds show` to see them;"
        " `creds set sandbox client-id 2021…` to set one, for `sandbox` or `production`:"
        " `client-id`, `public-key` (yours), `alipay-public-key` or `notify-url`",
    ),
    (
        "/onboard diagnose",
        "paste a request's headers and body: says whether its Alipay signature is valid"
        " and shows what was signed, to settle `ILLEGAL_SIGN`",
    ),
    ("/onboard export [csv|json]", "the checklist and its history as a file (CSV by default)"),
    ("/onboard rename <name>", "rename the application (owner only)"),
    ("/onboard archive", "archive the application: no more reminders or digests (owner only)"),
)

_USAGE_BY_NAME = {usage.split()[1]: (usage, about) for usage, about in SUBCOMMAND_USAGE}
_APP_OPTION_NOTE = (
    "Add `--app <slug>` to any subcommand to pick the application"
    " when this channel has more than one."
)


def help_text(topic: str | None = None) -> str:
    """Every subcommand with its usage, or just `topic`'s when that names a subcommand."""
    if topic in _USAGE_BY_NAME:
        lines = [_usage_line(*_USAGE_BY_NAME[topic])]
    else:
        lines = ["*What `/onboard` can do*", *(_usage_line(u, a) for u, a in SUBCOMMAND_USAGE)]
    lines.append(escape_mrkdwn(_APP_OPTION_NOTE))
    return "\n".join(lines)


def _usage_line(usage: str, about: str) -> str:
    return f"• `{escape_mrkdwn(usage)}` – {about}"


def _usage(name: str) -> str:
    return f"Usage: `{escape_mrkdwn(_USAGE_BY_NAME[name][0])}`."


def _subcommand_list() -> str:
    return ", ".join(f"`{name}`" for name in _USAGE_BY_NAME)


# --- Escaping -----------------------------------------------------------------------------------

# An `&` that already starts one of Slack's three entities is left alone: with should_escape
# Slack sends a typed `<` as `&lt;`, and escaping that again would show the user `&lt;`.
# The output never contains a raw `<` or `>`, so nothing in it can become a mention or link.
_TO_ESCAPE = re.compile(r"&(?!(?:amp|lt|gt);)|<|>")
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


def unescape_slack(text: str) -> str:
    """Text as the user typed it: Slack (with should_escape) sends links as `<https://…>` or
    `<https://…|label>` and `&`, `<`, `>` as entities."""
    text = re.sub(r"<((?:https?|mailto):[^<>|]*)(?:\|[^<>]*)?>", r"\1", text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def escape_mrkdwn(text: str) -> str:
    """Escape `&`, `<` and `>` as Slack requires, so user text can't mention or link anyone."""
    return _TO_ESCAPE.sub(lambda m: _ENTITIES[m.group()], text)


def _quote(token: str) -> str:
    """A piece of user text, shortened and escaped, as inline code for an error message."""
    if len(token) > _MAX_ECHO:
        token = token[: _MAX_ECHO - 1] + "…"
    return "`" + escape_mrkdwn(token).replace("`", "'") + "`"


# --- Tokens -------------------------------------------------------------------------------------


class _Invalid(Exception):
    """Raised inside the parser; becomes a ParseError."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class _Token:
    text: str
    start: int
    end: int


# Slack's own `<...>` (a mention with a display name, a link with a label) stays one token even
# with spaces inside; everything else splits on any Unicode whitespace.
_TOKEN = re.compile(r"(?:<[^<>]*>|[^\s<]|<)+")


def _tokenize(text: str) -> list[_Token]:
    return [_Token(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(text)]


def _normalize(token: str) -> str:
    """Fold full-width letters and digits (common with Chinese input methods) and case."""
    return unicodedata.normalize("NFKC", token).casefold()


# --- Options ------------------------------------------------------------------------------------

# Slack clients on macOS and iOS may turn a typed `--` into an en or em dash.
_OPTION_PREFIXES = ("--", "—", "–")
_SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")
_OPTIONS_HELP = (
    "The options are `--app &lt;slug&gt;`, with any subcommand, and `--force`, with `mark` only."
)


@dataclass(slots=True)
class _Options:
    app: str | None = None
    force: bool = False


def _is_option(token: _Token) -> bool:
    return token.text.startswith(_OPTION_PREFIXES)


def _take_option(tokens: list[_Token], i: int, options: _Options, subcommand: str) -> int:
    """Read the option at tokens[i] into `options`; return the index of the next token."""
    raw = tokens[i].text
    prefix = next(p for p in _OPTION_PREFIXES if raw.startswith(p))
    name, has_value, value = raw[len(prefix) :].partition("=")
    name = _normalize(name)
    if name == "app":
        if not has_value:
            if i + 1 >= len(tokens) or _is_option(tokens[i + 1]):
                raise _Invalid(
                    "`--app` needs an application slug after it, e.g. `--app acme-pos`."
                    " `/onboard list` shows the slugs."
                )
            i += 1
            value = tokens[i].text
        _set_app(options, value)
        return i + 1
    if name == "force":
        if subcommand != "mark":
            raise _Invalid(f"`--force` only works with `mark`, not with `{subcommand}`.")
        if has_value:
            raise _Invalid(
                f"`--force` takes no value; {_quote(raw)} has one. Write just `--force`."
            )
        options.force = True
        return i + 1
    raise _Invalid(f"{_quote(raw)} is not an option I know. {_OPTIONS_HELP}")


def _set_app(options: _Options, slug: str) -> None:
    if not _SLUG.fullmatch(slug):
        raise _Invalid(
            f"{_quote(slug)} is not an application slug. A slug is lowercase letters, digits and"
            " dashes, starting with a letter or digit, at most 63 long, like `acme-pos`;"
            " `/onboard list` shows them."
        )
    if options.app is not None and options.app != slug:
        raise _Invalid(
            f"`--app` is given twice, as {_quote(options.app)} and {_quote(slug)}; give it once."
        )
    options.app = slug


def _options_anywhere(
    tokens: list[_Token],
    subcommand: str,
    is_argument: Callable[[_Token], bool] = lambda token: False,
) -> tuple[list[_Token], _Options]:
    """Options may sit anywhere among the arguments; return the arguments without them.

    `is_argument` keeps a token that starts like an option as an argument.
    """
    options = _Options()
    positional: list[_Token] = []
    i = 0
    while i < len(tokens):
        if _is_option(tokens[i]) and not is_argument(tokens[i]):
            i = _take_option(tokens, i, options, subcommand)
        else:
            positional.append(tokens[i])
            i += 1
    return positional, options


def _options_leading(tokens: list[_Token], subcommand: str) -> tuple[list[_Token], _Options]:
    """Options only before the first argument: what follows is free text, kept as typed."""
    options = _Options()
    i = 0
    while i < len(tokens) and _is_option(tokens[i]):
        i = _take_option(tokens, i, options, subcommand)
    return tokens[i:], options


# --- Argument shapes ----------------------------------------------------------------------------

_STEP = re.compile(r"[0-9]{1,2}(?:\.[0-9]{1,2})?")
_PHASE = re.compile(r"[0-9]{1,2}")
_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_OFFSET = re.compile(r"(\+)?([0-9]{1,6})([dw])?")
_USER = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^<>]*)?>")
_CHANNEL = re.compile(r"<#([CG][A-Z0-9]+)(?:\|[^<>]*)?>")
# A list of mentions may be split by commas as well as spaces; a mention's label may hold one.
_MENTION_LIST_ITEM = re.compile(r"<[^<>]*>|[^,<]+|<")
_WORKING_DAYS = re.compile(r"([0-9]{1,6})(?: ?(?:(?:working|business) ?)?(d|days?|w|wks?|weeks?))?")
_WORKING_DAYS_FORMS = "`2d`, `3 days` or `1w` (a week is 5 working days)"
# Times are read after _normalize: `９：００` is `9:00`, `9AM` is `9am`.
_CLOCK = re.compile(r"([0-9]{1,2})(?::([0-9]{2}))?(?: ?([ap])\.?m\.?)?")
_AM_PM = re.compile(r"[ap]\.?m\.?")
_TIME_FORMS = "`HH:MM` on a 24-hour clock (`00:00` to `23:59`), like `09:30`, or `9am`, `5:30pm`"
_HOURS_FORMS = "`09:00-18:00`, `9-18` or `9am-6pm`"
_HOURS = re.compile(r"(.+?) ?[-–—~] ?(.+)")
_DASH_THEN_TIME = re.compile(r"[–—]+(?:[0-9].*)?")
_WEEKDAYS = {
    name: number
    for number, names in enumerate(
        (
            ("mon", "monday"),
            ("tue", "tues", "tuesday"),
            ("wed", "weds", "wednesday"),
            ("thu", "thur", "thurs", "thursday"),
            ("fri", "friday"),
            ("sat", "saturday"),
            ("sun", "sunday"),
        )
    )
    for name in names
}
_DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WEEKDAY_FORMS = (
    "`mon`, `tue`, `wed`, `thu`, `fri`, `sat` or `sun` (or the full name, like `monday`)"
)
_ZONE_EXAMPLES = "an IANA name like `Asia/Shanghai` or `America/Los_Angeles` (or `UTC`)"
# Files in the zone database that are not zones anyone should pick.
_NOT_ZONES = frozenset({"localtime", "posixrules", "factory"})
_DUE_FORMS = "`YYYY-MM-DD`, `today`, `tomorrow`, `+3d`, `+2w` or `none`"
_QUOTE_PAIRS = {
    '"': '"”“',
    "“": '”"“',
    "”": '”"',
    "„": '“”"',
    "'": "'’‘",
    "‘": "’'‘",
    "’": "’'",
}
# Characters that draw nothing or reorder the text around them: no use in a name.
_INVISIBLE = frozenset(
    "\u200b\u2060\ufeff"  # zero-width space, word joiner, byte order mark
    "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"  # direction marks
)


def _step(text: str, phases_ok: bool = True) -> str:
    step = unicodedata.normalize("NFKC", text)
    if _STEP.fullmatch(step):
        return step
    valid = "Steps look like `3.4`"
    valid += "; a phase number like `3` means all of its steps." if phases_ok else "."
    raise _Invalid(f"{_quote(text)} is not a step. {valid}")


def _steps(tokens: Iterable[_Token]) -> tuple[str, ...]:
    """Steps as typed, in order, each once; `1.1,1.2` is read as two steps."""
    steps: dict[str, None] = {}
    for token in tokens:
        for part in token.text.split(","):
            if part:
                steps.setdefault(_step(part))
    return tuple(steps)


def _due(token_text: str) -> DueSpec:
    word = _normalize(token_text)
    if word in ("none", "clear"):
        return DueSpec("none")
    if word == "today":
        return DueSpec("days", days=0)
    if word == "tomorrow":
        return DueSpec("days", days=1)
    if m := _DATE.fullmatch(word):
        try:
            return DueSpec("date", on=date(int(m[1]), int(m[2]), int(m[3])))
        except ValueError:
            raise _Invalid(
                f"{_quote(token_text)} is not a real date. Dates look like `2026-12-01`"
                " (year, month, day)."
            ) from None
    if (m := _OFFSET.fullmatch(word)) and (m[1] or m[3]):
        days = int(m[2]) * (7 if m[3] == "w" else 1)
        if days > MAX_DUE_DAYS:
            raise _Invalid(
                f"{_quote(token_text)} is too far ahead; a due date can be at most"
                f" {MAX_DUE_DAYS} days out (`+{MAX_DUE_DAYS}d` or `+52w`)."
            )
        return DueSpec("days", days=days)
    raise _Invalid(f"{_quote(token_text)} is not a due date I understand. Use {_DUE_FORMS}.")


def _strip_quotes(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[-1] in _QUOTE_PAIRS.get(text[0], ""):
        text = text[1:-1].strip()
    return text


def _clean_name(raw: str) -> str:
    text = "".join(
        ch
        for ch in _strip_quotes(raw)
        if ch.isspace() or (unicodedata.category(ch) not in ("Cc", "Cs") and ch not in _INVISIBLE)
    )
    return " ".join(text.split())


def _typed(tokens: list[_Token]) -> str:
    return " ".join(token.text for token in tokens)


def _normalized(tokens: list[_Token]) -> str:
    return " ".join(_normalize(token.text) for token in tokens)


def _working_days(tokens: list[_Token]) -> int:
    if not tokens:
        raise _Invalid(
            "After how many working days without progress should I remind?"
            f" Use {_WORKING_DAYS_FORMS}, e.g. `remind after 2d`."
        )
    m = _WORKING_DAYS.fullmatch(_normalized(tokens))
    if not m:
        raise _Invalid(
            f"{_quote(_typed(tokens))} is not a number of working days. Use {_WORKING_DAYS_FORMS},"
            f" from 1 to {MAX_REMIND_DAYS} working days, e.g. `remind after 2d`."
        )
    days = int(m[1]) * (5 if (m[2] or "d").startswith("w") else 1)
    if not 1 <= days <= MAX_REMIND_DAYS:
        raise _Invalid(
            f"`remind after` takes 1 to {MAX_REMIND_DAYS} working days"
            f" (`1d` to `{MAX_REMIND_DAYS}d`, or `1w` to `{MAX_REMIND_DAYS // 5}w`),"
            f" and {_quote(_typed(tokens))} is {days:,}."
        )
    return days


def _clock(text: str, bare_hour: bool = False, end: bool = False) -> time | None:
    """The time of day in normalized `text`, or None. `24:00` only with `end`, as END_OF_DAY."""
    m = _CLOCK.fullmatch(text)
    if not m:
        return None
    hour, minute, half = int(m[1]), int(m[2] or 0), m[3]
    if minute > 59:
        return None
    if half:
        if not 1 <= hour <= 12:
            return None
        return time(hour % 12 + (12 if half == "p" else 0), minute)
    if m[2] is None and not bare_hour:
        return None
    if end and hour == 24 and minute == 0:
        return END_OF_DAY
    return time(hour, minute) if hour <= 23 else None


def _time_of_day(tokens: list[_Token], example: str) -> tuple[time, list[_Token]]:
    """A time at the start of `tokens` (`9 am` is two tokens); return it and what follows."""
    if not tokens:
        raise _Invalid(f"At what time? Use {_TIME_FORMS}, e.g. `{example}`.")
    size = 2 if len(tokens) > 1 and _AM_PM.fullmatch(_normalize(tokens[1].text)) else 1
    at = _clock(_normalized(tokens[:size]))
    if at is None:
        raise _Invalid(
            f"{_quote(_typed(tokens[:size]))} is not a time of day."
            f" Use {_TIME_FORMS}, e.g. `{example}`."
        )
    return at, tokens[size:]


def _working_hours(tokens: list[_Token]) -> tuple[time, time]:
    example = "e.g. `remind hours 09:00-18:00`, in each person's own time zone"
    if not tokens:
        raise _Invalid(f"`remind hours` needs a start and an end: {_HOURS_FORMS}, {example}.")
    typed = _typed(tokens)
    m = _HOURS.fullmatch(_normalized(tokens))
    if not m:
        raise _Invalid(
            f"{_quote(typed)} is not a range of working hours. Give a start and an end:"
            f" {_HOURS_FORMS}, {example}."
        )
    start = _clock(m[1], bare_hour=True)
    end = _clock(m[2], bare_hour=True, end=True)
    if start is None and _clock(m[1], bare_hour=True, end=True) is not None:
        raise _Invalid(
            f"{_quote(m[1])} can only end the working hours, not start them."
            f" Start between `00:00` and `23:59`, {example}."
        )
    for part, parsed in ((m[1], start), (m[2], end)):
        if parsed is None:
            raise _Invalid(
                f"{_quote(part)} is not a time of day. Write the hours as {_HOURS_FORMS}:"
                " hours from 0 to 24 (`24:00` only as the end), minutes from 00 to 59,"
                f" {example}."
            )
    assert start is not None and end is not None
    if start >= end:
        raise _Invalid(
            f"The working hours {_quote(typed)} don't start before they end. Give the start"
            f" first, then a later end on the same day (overnight hours aren't supported),"
            f" {example}."
        )
    return start, end


def _weekday(token: _Token) -> int:
    word = _normalize(token.text).rstrip(".")
    if word in _WEEKDAYS:
        return _WEEKDAYS[word]
    if _clock(word) is not None:
        raise _Invalid("Put the day first, then the time: `/onboard digest weekly mon 09:00`.")
    raise _Invalid(f"{_quote(token.text)} is not a day of the week. Use {_WEEKDAY_FORMS}.")


@cache
def _zone_names() -> dict[str, str]:
    """The zone database's names by their casefold."""
    try:
        names = zoneinfo.available_timezones()
    except Exception:
        names = set()
    return {name.casefold(): name for name in sorted(names) if name.casefold() not in _NOT_ZONES}


def _time_zone(tokens: list[_Token]) -> str:
    if not tokens:
        raise _Invalid(f"`digest tz` needs a time zone: {_ZONE_EXAMPLES}.")
    # `America/Los Angeles` is `America/Los_Angeles`.
    wanted = "_".join(unicodedata.normalize("NFKC", token.text) for token in tokens).casefold()
    if wanted == "utc":
        return "UTC"
    name = _zone_names().get(wanted)
    if name is not None:
        try:
            zoneinfo.ZoneInfo(name)
        except Exception:
            name = None
    if name is None:
        raise _Invalid(
            f"{_quote(_typed(tokens))} is not a time zone I know. Give {_ZONE_EXAMPLES}."
        )
    return name


# --- Subcommands --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Args:
    name: str  # the subcommand, normalized
    text: str  # the whole command text, as typed
    tokens: list[_Token]  # everything after the subcommand

    def rest_after(self, token: _Token) -> str:
        return self.text[token.end :]

    def rest_from(self, token: _Token) -> str:
        return self.text[token.start :]


def _no_more(args: _Args, extra: list[_Token], what: str) -> None:
    if extra:
        raise _Invalid(
            f"`{args.name}` takes {what}, and {_quote(extra[0].text)} is more than that."
            f" {_usage(args.name)}"
        )


def _parse_help(args: _Args) -> Command:
    positional, options = _options_anywhere(args.tokens, args.name)
    if not positional:
        return Help(app=options.app)
    _no_more(args, positional[1:], "one subcommand at most")
    topic = _normalize(positional[0].text)
    if topic not in _USAGE_BY_NAME:
        raise _Invalid(
            f"I have no help on {_quote(positional[0].text)}."
            f" Ask about one of the subcommands: {_subcommand_list()}."
        )
    return Help(topic=topic, app=options.app)


def _name(args: _Args) -> tuple[str, str | None]:
    rest, options = _options_leading(args.tokens, args.name)
    name = _clean_name(args.rest_from(rest[0])) if rest else ""
    if not name:
        raise _Invalid(f"`{args.name}` needs a name for the application. {_usage(args.name)}")
    if len(name) > MAX_NAME:
        raise _Invalid(
            f"That name is {len(name):,} characters long; a name can be at most {MAX_NAME}."
        )
    return name, options.app


def _parse_new(args: _Args) -> Command:
    return NewApp(*_name(args))


def _parse_rename(args: _Args) -> Command:
    return Rename(*_name(args))


def _parse_list(args: _Args) -> Command:
    positional, options = _options_anywhere(args.tokens, args.name)
    _no_more(args, positional, "nothing but `--app &lt;slug&gt;`")
    return ListApps(app=options.app)


def _parse_archive(args: _Args) -> Command:
    positional, options = _options_anywhere(args.tokens, args.name)
    _no_more(args, positional, "nothing but `--app &lt;slug&gt;`")
    return Archive(app=options.app)


def _parse_status(args: _Args) -> Command:
    positional, options = _options_anywhere(args.tokens, args.name)
    if not positional:
        return Status(app=options.app)
    _no_more(args, positional[1:], "one phase number at most")
    phase = unicodedata.normalize("NFKC", positional[0].text)
    if not _PHASE.fullmatch(phase) or not 1 <= int(phase) <= 99:
        raise _Invalid(
            f"{_quote(positional[0].text)} is not a phase. Give a phase number from 1 to 99,"
            " like `status 3`, or nothing for the whole checklist."
        )
    return Status(phase=int(phase), app=options.app)


def _parse_mark(args: _Args) -> Command:
    positional, options = _options_anywhere(args.tokens, args.name)
    steps = _steps(positional)
    if not steps:
        raise _Invalid(
            "`mark` needs at least one step, e.g. `mark 1.1 1.2`, or `mark 2` for a whole phase."
        )
    return Mark(steps=steps, force=options.force, app=options.app)


def _parse_unmark(args: _Args) -> Command:
    positional, options = _options_anywhere(args.tokens, args.name)
    steps = _steps(positional)
    if not steps:
        raise _Invalid(
            "`unmark` needs at least one step, e.g. `unmark 1.2`, or `unmark 2` for a whole phase."
        )
    return Unmark(steps=steps, app=options.app)


def _one_step(args: _Args, positional: list[_Token]) -> str:
    if not positional:
        raise _Invalid(f"`{args.name}` needs a step, like `3.4`. {_usage(args.name)}")
    return _step(positional[0].text, phases_ok=False)


def _parse_assign(args: _Args) -> Command:
    positional, options = _options_anywhere(args.tokens, args.name)
    if positional and positional[0].text.startswith("<@") and len(positional) > 1:
        raise _Invalid("Put the step first, then the person: `/onboard assign 1.2 @Mei`.")
    step = _one_step(args, positional)
    if len(positional) < 2:
        raise _Invalid(
            f"Who should own step {_quote(step)}? Add the person, picked from Slack's"
            f" autocomplete: `/onboard assign {escape_mrkdwn(step)} @Mei`."
        )
    if len(positional) > 2:
        raise _Invalid(
            "A step has one owner, so `assign` takes one person."
            f" {_quote(positional[2].text)} is one too many. {_usage('assign')}"
        )
    who = positional[1].text
    if m := _USER.fullmatch(who):
        return Assign(step=step, user_id=m[1], app=options.app)
    if who.startswith("<#"):
        problem = "is a channel; a step is owned by one person."
    elif who.startswith("<!"):
        problem = "is a group or a special mention; a step is owned by one person."
    else:
        problem = "is not a linked Slack mention."
    raise _not_a_person(who, problem, f"assign {escape_mrkdwn(step)} @Mei")


def _not_a_person(who: str, problem: str, example: str) -> _Invalid:
    return _Invalid(
        f"{_quote(who)} {problem} Type `@` and pick the person from Slack's autocomplete so"
        f" the mention is linked: `/onboard {example}`."
    )


def _parse_unassign(args: _Args) -> Command:
    positional, options = _options_anywhere(args.tokens, args.name)
    step = _one_step(args, positional)
    _no_more(args, positional[1:], "one step")
    return Unassign(step=step, app=options.app)


def _parse_due(args: _Args) -> Command:
    positional, options = _options_anywhere(args.tokens, args.name)
    step = _one_step(args, positional)
    if len(positional) < 2:
        raise _Invalid(f"When is step {_quote(step)} due? Use {_DUE_FORMS}. {_usage('due')}")
    if len(positional) > 2:
        when = args.text[positional[1].start : positional[-1].end]
        raise _Invalid(f"{_quote(when)} is not a due date I understand. Use {_DUE_FORMS}.")
    return SetDue(step=step, due=_due(positional[1].text), app=options.app)


def _parse_note(args: _Args) -> Command:
    rest, options = _options_leading(args.tokens, args.name)
    step = _one_step(args, rest)
    text = _strip_quotes(args.rest_after(rest[0]))
    if not text:
        raise _Invalid(f"The note for step {_quote(step)} is empty. {_usage('note')}")
    if len(text) > MAX_NOTE:
        raise _Invalid(
            f"That note is {len(text):,} characters long; a note can be at most {MAX_NOTE:,}."
            " Split it into several notes."
        )
    return AddNote(step=step, text=text, app=options.app)


def _parse_history(args: _Args) -> Command:
    positional, options = _options_anywhere(args.tokens, args.name)
    if not positional:
        return History(app=options.app)
    _no_more(args, positional[1:], "one step at most")
    return History(step=_step(positional[0].text), app=options.app)


def _remind_keeps(token: _Token) -> bool:
    """`9:00 – 18:00`: an en or em dash before a time is a range, not an option."""
    return _DASH_THEN_TIME.fullmatch(unicodedata.normalize("NFKC", token.text)) is not None


def _parse_remind(args: _Args) -> Command:
    positional, options = _options_anywhere(args.tokens, args.name, _remind_keeps)
    if not positional:
        return Remind("show", app=options.app)
    first, rest = positional[0], positional[1:]
    action = _normalize(first.text)
    if action in ("show", "off", "on"):
        _no_more(args, rest, f"nothing after `{action}`")
        return Remind(action, app=options.app)
    if action == "after":
        return Remind("after", after_days=_working_days(rest), app=options.app)
    if action == "hours":
        start, end = _working_hours(rest)
        return Remind("hours", start=start, end=end, app=options.app)
    typed = _normalized(positional)
    if _WORKING_DAYS.fullmatch(typed):
        hint = " For working days, say `after` first: `/onboard remind after 2d`."
    elif (m := _HOURS.fullmatch(typed)) and _clock(m[1], bare_hour=True) is not None:
        hint = " For working hours, say `hours` first: `/onboard remind hours 09:00-18:00`."
    else:
        hint = ""
    raise _Invalid(
        f"{_quote(first.text)} is not a `remind` setting. Use `after 2d` (working days without"
        " progress before a reminder), `hours 09:00-18:00` (when reminders may arrive),"
        f" `off` or `on`, or nothing to see the settings.{hint}"
    )


def _parse_digest(args: _Args) -> Command:
    positional, options = _options_anywhere(args.tokens, args.name)
    if not positional:
        return Digest("show", app=options.app)
    first, rest = positional[0], positional[1:]
    action = _normalize(first.text)
    if action in ("show", "off"):
        _no_more(args, rest, f"nothing after `{action}`")
        return Digest(action, app=options.app)
    if action == "daily":
        at, extra = _time_of_day(rest, "digest daily 09:30")
        _no_more(args, extra, "one time after `daily`")
        return Digest("daily", at=at, app=options.app)
    if action == "weekly":
        if not rest:
            raise _Invalid(
                "On which day, and at what time? Give a day and a time,"
                f" e.g. `digest weekly mon 09:00`. The days are {_WEEKDAY_FORMS}."
            )
        weekday = _weekday(rest[0])
        at, extra = _time_of_day(rest[1:], f"digest weekly {_DAY_NAMES[weekday]} 09:00")
        _no_more(args, extra, "one day and one time after `weekly`")
        return Digest("weekly", at=at, weekday=weekday, app=options.app)
    if action == "tz":
        return Digest("tz", tz=_time_zone(rest), app=options.app)
    if _clock(_normalized(positional)) is not None:
        hint = " Say how often first, e.g. `digest daily 09:30` or `digest weekly mon 09:30`."
    else:
        hint = ""
    raise _Invalid(
        f"{_quote(first.text)} is not a `digest` setting. Use `daily 09:30`,"
        " `weekly mon 09:00`, `off`, or `tz Asia/Shanghai` for the time zone,"
        f" or nothing to see the schedule.{hint}"
    )


def _contact(who: str, action: str) -> str:
    if m := _USER.fullmatch(who):
        return m[1]
    if who.startswith("<#"):
        problem = (
            "is a channel; contacts are people."
            " To send the announcements to a channel, use `/onboard contacts channel #alipay-team`."
        )
    elif who.startswith("<!subteam^"):
        problem = "is a user group; contacts are people, so add the group's members one by one."
    elif who.startswith("<!"):
        problem = "is a special mention; contacts are people."
    else:
        problem = "is not a linked Slack mention."
    raise _not_a_person(who, problem, f"contacts {action} @Mei")


def _contacts_channel(token: _Token) -> str | None:
    if _normalize(token.text) in ("none", "clear"):
        return None
    if m := _CHANNEL.fullmatch(token.text):
        return m[1]
    if token.text.startswith("<@"):
        problem = "is a person; the contacts channel is a channel."
    elif token.text.startswith("<!"):
        problem = "is a group or a special mention; the contacts channel is a channel."
    else:
        problem = "is not a linked Slack channel."
    raise _Invalid(
        f"{_quote(token.text)} {problem} Type `#` and pick the channel from Slack's autocomplete"
        " so it is linked: `/onboard contacts channel #alipay-team`,"
        " or `/onboard contacts channel none` to clear it."
    )


def _parse_contacts(args: _Args) -> Command:
    positional, options = _options_anywhere(args.tokens, args.name)
    if not positional:
        return Contacts("list", app=options.app)
    first, rest = positional[0], positional[1:]
    action = _normalize(first.text)
    if action == "list":
        _no_more(args, rest, "nothing after `list`")
        return Contacts("list", app=options.app)
    if action in ("add", "remove"):
        user_ids: dict[str, None] = {}
        for token in rest:
            for who in _MENTION_LIST_ITEM.findall(token.text):
                user_ids.setdefault(_contact(who, action))
        if not user_ids:
            raise _Invalid(
                f"`contacts {action}` needs at least one person, picked from Slack's"
                f" autocomplete: `/onboard contacts {action} @Mei`."
            )
        return Contacts(action, user_ids=tuple(user_ids), app=options.app)
    if action == "channel":
        if not rest:
            raise _Invalid(
                "Which channel should Alipay's announcements go to? Type `#` and pick it from"
                " Slack's autocomplete: `/onboard contacts channel #alipay-team`,"
                " or `/onboard contacts channel none` to clear it."
            )
        _no_more(args, rest[1:], "one channel after `channel`")
        return Contacts("channel", channel_id=_contacts_channel(rest[0]), app=options.app)
    if first.text.startswith("<@"):
        hint = " Say what to do first: `/onboard contacts add @Mei` or `contacts remove @Mei`."
    elif first.text.startswith("<#"):
        hint = " Say `channel` first: `/onboard contacts channel #alipay-team`."
    else:
        hint = ""
    raise _Invalid(
        f"{_quote(first.text)} is not a `contacts` action. Use `add @person…`, `remove @person…`,"
        f" `channel #channel` (or `channel none`), or nothing to list the contacts.{hint}"
    )


_ENVIRONMENTS: dict[str, Environment] = {
    "sandbox": "sandbox",
    "production": "production",
    "prod": "production",
}
_CREDENTIAL_FIELDS: dict[str, CredentialField] = {
    "client-id": "client_id",
    "public-key": "public_key",
    "alipay-public-key": "alipay_public_key",
    "notify-url": "notify_url",
}
_ENVIRONMENT_FORMS = "`sandbox` or `production` (or `prod`)"
_FIELD_FORMS = "`client-id`, `public-key` (yours), `alipay-public-key` (Alipay's) or `notify-url`"
_CREDS_SET_USAGE = (
    "Usage: `/onboard creds set &lt;sandbox|production&gt;"
    " &lt;client-id|public-key|alipay-public-key|notify-url&gt; &lt;value&gt;`."
)
_CREDS_FORMS = (
    "Use `/onboard creds` alone to fill the credentials in with a form, `creds show` to see"
    " them, or `creds set &lt;environment&gt; &lt;field&gt; &lt;value&gt;` to set one."
)
# Error messages about `creds` never repeat what may be a credential, not even in part. Only a
# short word of letters is repeated: a client ID, key or URL is longer or holds digits or `:`.
_ECHOABLE = re.compile(r"[A-Za-z][A-Za-z_-]{0,10}")
# A PEM key starts like an option; before the value, it is the value come too early.
_PEM_START = "-----"
_CODE_FENCE = "```"


def _echo(token: _Token, otherwise: str) -> str:
    """`token` quoted if it is safe to repeat (see _ECHOABLE), else the words `otherwise`."""
    return _quote(token.text) if _ECHOABLE.fullmatch(token.text) else otherwise


def _environment(token: _Token) -> Environment | None:
    return _ENVIRONMENTS.get(_normalize(token.text))


def _credential_field(token: _Token) -> CredentialField | None:
    return _CREDENTIAL_FIELDS.get(_normalize(token.text).replace("_", "-"))


def _credential_value(raw: str) -> str:
    """`raw` without surrounding whitespace and one pair of quotes, backticks or ``` fences."""
    text = raw.strip()
    fence = len(_CODE_FENCE)
    if len(text) >= 2 * fence and text.startswith(_CODE_FENCE) and text.endswith(_CODE_FENCE):
        return text[fence:-fence].strip()
    if len(text) >= 2 and text[0] == text[-1] == "`":
        return text[1:-1].strip()
    return _strip_quotes(text)


def _parse_creds(args: _Args) -> Command:
    # Options may sit anywhere before the value; after `set <environment> <field>` the rest of
    # the text is the value, kept as typed (it may well start with `-----`).
    options = _Options()
    words: list[_Token] = []
    i = 0
    while i < len(args.tokens):
        if len(words) == 3 and _normalize(words[0].text) == "set":
            break
        token = args.tokens[i]
        if _is_option(token) and not token.text.startswith(_PEM_START):
            i = _take_option(args.tokens, i, options, args.name)
        else:
            words.append(token)
            i += 1
    if not words:
        return Creds("modal", app=options.app)
    first, rest = words[0], words[1:]
    action = _normalize(first.text)
    if action == "show":
        if rest:
            raise _Invalid(
                "`creds show` shows sandbox and production both, and takes nothing but"
                f" `--app &lt;slug&gt;`, and {_echo(rest[0], 'what follows `show`')} is more"
                f" than that. {_CREDS_FORMS}"
            )
        return Creds("show", app=options.app)
    if action == "set":
        return _creds_set(args, rest, options)
    if _environment(first) is not None:
        hint = " Say `set` first: `/onboard creds set sandbox client-id &lt;value&gt;`."
    elif _credential_field(first) is not None:
        hint = (
            " Say `set` and the environment first:"
            " `/onboard creds set sandbox client-id &lt;value&gt;`."
        )
    else:
        hint = ""
    raise _Invalid(f"{_echo(first, 'That')} is not a `creds` action. {_CREDS_FORMS}{hint}")


def _creds_set(args: _Args, words: list[_Token], options: _Options) -> Creds:
    if not words:
        raise _Invalid(f"`creds set` needs an environment, a field and a value. {_CREDS_SET_USAGE}")
    environment = _environment(words[0])
    if environment is None:
        if (field := _credential_field(words[0])) is not None:
            raise _Invalid(
                f"Say which environment first, {_ENVIRONMENT_FORMS}, then the field:"
                f" `/onboard creds set sandbox {field.replace('_', '-')} &lt;value&gt;`."
            )
        what = _echo(words[0], "The word after `set`")
        raise _Invalid(
            f"{what} is not an environment. Use {_ENVIRONMENT_FORMS}, then the field and the"
            f" value. {_CREDS_SET_USAGE}"
        )
    if len(words) < 2:
        raise _Invalid(
            f"Which credential of {environment}? After the environment, give the field,"
            f" {_FIELD_FORMS}, then the value. {_CREDS_SET_USAGE}"
        )
    field = _credential_field(words[1])
    if field is None:
        if _environment(words[1]) is not None:
            hint = " Give one environment."
        elif not _ECHOABLE.fullmatch(words[1].text):
            hint = " Give the field before the value."
        else:
            hint = ""
        what = _echo(words[1], "The word after the environment")
        raise _Invalid(
            f"{what} is not a credential field. Use {_FIELD_FORMS}.{hint} {_CREDS_SET_USAGE}"
        )
    value = _credential_value(args.rest_after(words[1]))
    if not value:
        raise _Invalid(
            f"`creds set {environment} {field.replace('_', '-')}` needs the value after the"
            f" field. {_CREDS_SET_USAGE}"
        )
    if len(value) > MAX_CREDENTIAL:
        raise _Invalid(
            f"That value is {len(value):,} characters long; a credential can be at most"
            f" {MAX_CREDENTIAL:,}. A public key is usually under 1,000: paste just the one key."
        )
    return Creds("set", environment=environment, field=field, value=value, app=options.app)


def _parse_diagnose(args: _Args) -> Command:
    positional, options = _options_anywhere(args.tokens, args.name)
    _no_more(args, positional, "nothing but `--app &lt;slug&gt;`")
    return Diagnose(app=options.app)


def _parse_export(args: _Args) -> Command:
    positional, options = _options_anywhere(args.tokens, args.name)
    if not positional:
        return Export(app=options.app)
    _no_more(args, positional[1:], "one format at most")
    fmt = _normalize(positional[0].text)
    if fmt == "csv":
        return Export(fmt="csv", app=options.app)
    if fmt == "json":
        return Export(fmt="json", app=options.app)
    raise _Invalid(
        f"{_quote(positional[0].text)} is not an export format. Use `csv` (the default) or `json`."
    )


_PARSERS: dict[str, Callable[[_Args], Command]] = {
    "help": _parse_help,
    "new": _parse_new,
    "list": _parse_list,
    "status": _parse_status,
    "mark": _parse_mark,
    "unmark": _parse_unmark,
    "assign": _parse_assign,
    "unassign": _parse_unassign,
    "due": _parse_due,
    "note": _parse_note,
    "history": _parse_history,
    "remind": _parse_remind,
    "digest": _parse_digest,
    "contacts": _parse_contacts,
    "creds": _parse_creds,
    "diagnose": _parse_diagnose,
    "export": _parse_export,
    "rename": _parse_rename,
    "archive": _parse_archive,
}
assert tuple(_PARSERS) == tuple(_USAGE_BY_NAME)


# --- Entry point --------------------------------------------------------------------------------

_INTERNAL_ERROR = "Sorry, I couldn't read that command. Try `/onboard help` for what I understand."


def parse_command(text: str) -> Command | ParseError:
    """Read `/onboard` text. Never raises: bad input comes back as a ParseError to show."""
    try:
        return _parse(text)
    except _Invalid as invalid:
        return ParseError(invalid.message)
    except Exception:
        # The listener must always answer; tests check this fallback is never reached.
        return ParseError(_INTERNAL_ERROR)


def _is_creds(text: str) -> bool:
    """Whether `text` starts with the subcommand `creds`, looking no further than that."""
    head = _TOKEN.search(text)
    return head is not None and len(head.group()) <= 10 and _normalize(head.group()) == "creds"


def _parse(text: str) -> Command:
    if not isinstance(text, str):
        raise _Invalid(_INTERNAL_ERROR)
    limit = MAX_CREDS_TEXT if _is_creds(text) else MAX_TEXT
    if len(text) > limit:
        raise _Invalid(
            f"That command is {len(text):,} characters long; the most I take is {limit:,}."
        )
    tokens = _tokenize(text)
    if not tokens:
        return Help()
    head, *rest = tokens
    if _is_option(head):
        raise _Invalid(
            "Start with the subcommand, then any options, e.g. `/onboard status --app acme-pos`."
            f" The subcommands are {_subcommand_list()}."
        )
    name = _normalize(head.text)
    parser = _PARSERS.get(name)
    if parser is None:
        raise _Invalid(
            f"{_quote(head.text)} is not a subcommand. The subcommands are {_subcommand_list()};"
            " `/onboard help` says what each does."
        )
    return parser(_Args(name=name, text=text, tokens=rest))
