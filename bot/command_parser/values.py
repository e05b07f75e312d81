"""The values inside a command: steps, due dates, people, names, working days and hours,
times of day, weekdays and time zones.

Each reads what was typed and returns the value, or raises `Invalid` saying what is valid.
"""

from __future__ import annotations

import re
import unicodedata
import zoneinfo
from collections.abc import Iterable
from datetime import date, time
from functools import cache

from bot.command_parser.commands import END_OF_DAY, MAX_DUE_DAYS, MAX_REMIND_DAYS
from bot.command_parser.messages import Said
from bot.command_parser.tokens import (
    Invalid,
    Token,
    normalize,
    normalized,
    quote,
    strip_quotes,
    typed,
)
from bot.i18n import N_
from bot.services.calendar import holiday_regions
from bot.services.due_dates import DueSpec

# --- Steps and due dates ------------------------------------------------------------------------

_STEP = re.compile(r"[0-9]{1,2}(?:\.[0-9]{1,2})?")
PHASE = re.compile(r"[0-9]{1,2}")
_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_OFFSET = re.compile(r"(\+)?([0-9]{1,6})([dw])?")
DUE_FORMS = Said(N_("`YYYY-MM-DD`, `today`, `tomorrow`, `+3d`, `+2w`, `明天`, `周五` or `none`"))
NOT_A_DUE_DATE = N_("{when} is not a due date I understand. Use {forms}.")


def step(text: str, phases_ok: bool = True) -> str:
    number = unicodedata.normalize("NFKC", text)
    if _STEP.fullmatch(number):
        return number
    if phases_ok:
        raise Invalid(
            N_(
                "{word} is not a step. Steps look like `3.4`; a phase number like `3` means all"
                " of its steps."
            ),
            word=quote(text),
        )
    raise Invalid(N_("{word} is not a step. Steps look like `3.4`."), word=quote(text))


def steps(tokens: Iterable[Token]) -> tuple[str, ...]:
    """Steps as typed, in order, each once; `1.1,1.2` is read as two steps."""
    found: dict[str, None] = {}
    for token in tokens:
        for part in token.text.split(","):
            if part:
                found.setdefault(step(part))
    return tuple(found)


# Chinese date words: days from today, and weekdays (the next such day).
_CHINESE_DAYS = {"今天": 0, "今日": 0, "明天": 1, "明日": 1, "后天": 2}
_CHINESE_WEEKDAYS = {name: i for i, name in enumerate("一二三四五六日")} | {"天": 6}
_WEEKDAY_PREFIXES = ("周", "星期", "礼拜")


def chinese_day(word: str) -> DueSpec | None:
    """`今天`, `明天`, `后天`, or `周一`…`周日` (also `星期五`, `周天`) as a DueSpec; None for any
    other word."""
    if word in _CHINESE_DAYS:
        return DueSpec("days", days=_CHINESE_DAYS[word])
    prefix = next((p for p in _WEEKDAY_PREFIXES if word.startswith(p)), None)
    if prefix is not None and word[len(prefix) :] in _CHINESE_WEEKDAYS:
        return DueSpec("weekday", weekday=_CHINESE_WEEKDAYS[word[len(prefix) :]])
    return None


def due(token_text: str) -> DueSpec:
    word = normalize(token_text)
    if word in ("none", "clear"):
        return DueSpec("none")
    if (chinese := chinese_day(word)) is not None:
        return chinese
    if word == "today":
        return DueSpec("days", days=0)
    if word == "tomorrow":
        return DueSpec("days", days=1)
    if m := _DATE.fullmatch(word):
        try:
            return DueSpec("date", on=date(int(m[1]), int(m[2]), int(m[3])))
        except ValueError:
            raise Invalid(
                N_("{word} is not a real date. Dates look like `2026-12-01` (year, month, day)."),
                word=quote(token_text),
            ) from None
    if (m := _OFFSET.fullmatch(word)) and (m[1] or m[3]):
        days = int(m[2]) * (7 if m[3] == "w" else 1)
        if days > MAX_DUE_DAYS:
            raise Invalid(
                N_(
                    "{word} is too far ahead; a due date can be at most"
                    " {most} days out (`+{most}d` or `+52w`)."
                ),
                word=quote(token_text),
                most=MAX_DUE_DAYS,
            )
        return DueSpec("days", days=days)
    raise Invalid(NOT_A_DUE_DATE, when=quote(token_text), forms=DUE_FORMS)


# --- People, channels and names -----------------------------------------------------------------

USER = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^<>]*)?>")
CHANNEL = re.compile(r"<#([CG][A-Z0-9]+)(?:\|[^<>]*)?>")
# A list of mentions may be split by commas as well as spaces; a mention's label may hold one.
MENTION_LIST_ITEM = re.compile(r"<[^<>]*>|[^,<]+|<")
# Characters that draw nothing or reorder the text around them: no use in a name.
_INVISIBLE = frozenset(
    "\u200b\u2060\ufeff"  # zero-width space, word joiner, byte order mark
    "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"  # direction marks
)


def not_a_person(who: str, problem: Said, example: str) -> Invalid:
    """`problem` says what `who` is instead ("is a channel; …"), a marked message."""
    return Invalid(
        N_(
            "{who} {problem} Type `@` and pick the person from Slack's autocomplete so"
            " the mention is linked: `/onboard {example}`."
        ),
        who=quote(who),
        problem=problem,
        example=example,
    )


def clean_name(raw: str) -> str:
    text = "".join(
        ch
        for ch in strip_quotes(raw)
        if ch.isspace() or (unicodedata.category(ch) not in ("Cc", "Cs") and ch not in _INVISIBLE)
    )
    return " ".join(text.split())


# --- Public holidays -----------------------------------------------------------------------------

HOLIDAY_EXAMPLES = "`CN`, `HK`, `SG`, `MY`, `TH`, `US`, `GB`"


def holiday_region(token: Token, example: str = "/onboard remind holidays CN") -> str | None:
    """A country code the `holidays` package knows, upper case; None for `off` or `none`.
    `example` is the command an error message shows."""
    word = normalize(token.text)
    if word in ("off", "none", "clear"):
        return None
    code = word.upper()
    if code in holiday_regions():
        return code
    raise Invalid(
        N_(
            "{word} is not a country whose public holidays I know. Use a two-letter"
            " country code such as {examples}, or `off` to count no public holidays:"
            " `{example}`."
        ),
        word=quote(token.text),
        examples=HOLIDAY_EXAMPLES,
        example=example,
    )


# --- Working days and hours, times of day -------------------------------------------------------

WORKING_DAYS = re.compile(r"([0-9]{1,6})(?: ?(?:(?:working|business) ?)?(d|days?|w|wks?|weeks?))?")
_WORKING_DAYS_FORMS = Said(N_("`2d`, `3 days` or `1w` (a week is 5 working days)"))
# Times are read after normalize: `９：００` is `9:00`, `9AM` is `9am`.
_CLOCK = re.compile(r"([0-9]{1,2})(?::([0-9]{2}))?(?: ?([ap])\.?m\.?)?")
_AM_PM = re.compile(r"[ap]\.?m\.?")
_TIME_FORMS = Said(
    N_("`HH:MM` on a 24-hour clock (`00:00` to `23:59`), like `09:30`, or `9am`, `5:30pm`")
)
_HOURS_FORMS = Said(N_("`09:00-18:00`, `9-18` or `9am-6pm`"))
HOURS = re.compile(r"(.+?) ?[-–—~] ?(.+)")
_HOURS_EXAMPLE = Said(N_("e.g. `remind hours 09:00-18:00`, in each person's own time zone"))


def working_days(tokens: list[Token]) -> int:
    if not tokens:
        raise Invalid(
            N_(
                "After how many working days without progress should I remind?"
                " Use {forms}, e.g. `remind after 2d`."
            ),
            forms=_WORKING_DAYS_FORMS,
        )
    m = WORKING_DAYS.fullmatch(normalized(tokens))
    if not m:
        raise Invalid(
            N_(
                "{word} is not a number of working days. Use {forms},"
                " from 1 to {most} working days, e.g. `remind after 2d`."
            ),
            word=quote(typed(tokens)),
            forms=_WORKING_DAYS_FORMS,
            most=MAX_REMIND_DAYS,
        )
    days = int(m[1]) * (5 if (m[2] or "d").startswith("w") else 1)
    if not 1 <= days <= MAX_REMIND_DAYS:
        raise Invalid(
            N_(
                "`remind after` takes 1 to {most} working days"
                " (`1d` to `{most}d`, or `1w` to `{weeks}w`), and {word} is {days:,}."
            ),
            most=MAX_REMIND_DAYS,
            weeks=MAX_REMIND_DAYS // 5,
            word=quote(typed(tokens)),
            days=days,
        )
    return days


def clock(text: str, bare_hour: bool = False, end: bool = False) -> time | None:
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


def time_of_day(tokens: list[Token], example: str) -> tuple[time, list[Token]]:
    """A time at the start of `tokens` (`9 am` is two tokens); return it and what follows."""
    if not tokens:
        raise Invalid(
            N_("At what time? Use {forms}, e.g. `{example}`."), forms=_TIME_FORMS, example=example
        )
    size = 2 if len(tokens) > 1 and _AM_PM.fullmatch(normalize(tokens[1].text)) else 1
    at = clock(normalized(tokens[:size]))
    if at is None:
        raise Invalid(
            N_("{word} is not a time of day. Use {forms}, e.g. `{example}`."),
            word=quote(typed(tokens[:size])),
            forms=_TIME_FORMS,
            example=example,
        )
    return at, tokens[size:]


def working_hours(tokens: list[Token]) -> tuple[time, time]:
    example = _HOURS_EXAMPLE
    if not tokens:
        raise Invalid(
            N_("`remind hours` needs a start and an end: {forms}, {example}."),
            forms=_HOURS_FORMS,
            example=example,
        )
    text = typed(tokens)
    m = HOURS.fullmatch(normalized(tokens))
    if not m:
        raise Invalid(
            N_(
                "{word} is not a range of working hours. Give a start and an end:"
                " {forms}, {example}."
            ),
            word=quote(text),
            forms=_HOURS_FORMS,
            example=example,
        )
    start = clock(m[1], bare_hour=True)
    end = clock(m[2], bare_hour=True, end=True)
    if start is None and clock(m[1], bare_hour=True, end=True) is not None:
        raise Invalid(
            N_(
                "{word} can only end the working hours, not start them."
                " Start between `00:00` and `23:59`, {example}."
            ),
            word=quote(m[1]),
            example=example,
        )
    for part, parsed in ((m[1], start), (m[2], end)):
        if parsed is None:
            raise Invalid(
                N_(
                    "{word} is not a time of day. Write the hours as {forms}:"
                    " hours from 0 to 24 (`24:00` only as the end), minutes from 00 to 59,"
                    " {example}."
                ),
                word=quote(part),
                forms=_HOURS_FORMS,
                example=example,
            )
    assert start is not None and end is not None
    if start >= end:
        raise Invalid(
            N_(
                "The working hours {word} don't start before they end. Give the start"
                " first, then a later end on the same day (overnight hours aren't supported),"
                " {example}."
            ),
            word=quote(text),
            example=example,
        )
    return start, end


# --- Weekdays and time zones --------------------------------------------------------------------

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
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAY_FORMS = Said(
    N_("`mon`, `tue`, `wed`, `thu`, `fri`, `sat` or `sun` (or the full name, like `monday`)")
)
_ZONE_EXAMPLES = Said(N_("an IANA name like `Asia/Shanghai` or `America/Los_Angeles` (or `UTC`)"))
# Files in the zone database that are not zones anyone should pick.
_NOT_ZONES = frozenset({"localtime", "posixrules", "factory"})


def weekday(token: Token) -> int:
    word = normalize(token.text).rstrip(".")
    if word in _WEEKDAYS:
        return _WEEKDAYS[word]
    if clock(word) is not None:
        raise Invalid(N_("Put the day first, then the time: `/onboard digest weekly mon 09:00`."))
    raise Invalid(
        N_("{word} is not a day of the week. Use {forms}."),
        word=quote(token.text),
        forms=WEEKDAY_FORMS,
    )


@cache
def _zone_names() -> dict[str, str]:
    """The zone database's names by their casefold."""
    try:
        names = zoneinfo.available_timezones()
    except Exception:
        names = set()
    return {name.casefold(): name for name in sorted(names) if name.casefold() not in _NOT_ZONES}


def time_zone(tokens: list[Token]) -> str:
    if not tokens:
        raise Invalid(N_("`digest tz` needs a time zone: {zones}."), zones=_ZONE_EXAMPLES)
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
        raise Invalid(
            N_("{word} is not a time zone I know. Give {zones}."),
            word=quote(typed(tokens)),
            zones=_ZONE_EXAMPLES,
        )
    return name
