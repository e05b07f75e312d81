"""The subcommands about a person's own settings, the same in every application: `away` and
`my`. They take no `--app`: nothing here is an application's."""

from __future__ import annotations

import re
from datetime import date

from bot.command_parser import values
from bot.command_parser.commands import Away, Command, My
from bot.command_parser.messages import Said
from bot.command_parser.tokens import (
    Args,
    Invalid,
    Token,
    no_more,
    normalize,
    options_anywhere,
    quote,
)
from bot.i18n import N_
from bot.services.due_dates import DueSpec

_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_OFFSET = re.compile(r"(\+)?([0-9]{1,6})([dw])?")  # as `due` reads them: `+3d`, `2w`, `+5`
_DAYS_FROM_TODAY = {"today": 0, "tomorrow": 1}
# Beyond any date `away` takes (a year on, bot/services/people.py), so a long offset is refused
# here rather than overflowing the calendar.
MAX_AWAY_DAYS = 366
AWAY_FORMS = Said(N_("`YYYY-MM-DD`, `tomorrow`, `+3d`, `+2w`, `明天` or `周五`"))
_AWAY_EXAMPLE = "`/onboard away until 2026-12-07`"


def _personal(args: Args) -> list[Token]:
    """The arguments, refusing `--app`: these settings are the person's, in every application."""
    positional, options = options_anywhere(args.tokens, args.name)
    if options.app is not None:
        raise Invalid(
            N_(
                "`{name}` is about you in every application, so it takes no `--app`;"
                " leave it out, e.g. {example}."
            ),
            name=args.name,
            example=_AWAY_EXAMPLE if args.name == "away" else "`/onboard my`",
        )
    return positional


def _day(token: Token) -> DueSpec | None:
    """The last day away in any form `due` takes (`YYYY-MM-DD`, `today`, `tomorrow`, `+3d`,
    `+2w`, `明天`, `周五`), None for a word that is no date at all. Whether the day is in range
    is the use case's to say: it depends on the person's own today, in their zone."""
    word = normalize(token.text)
    if word in _DAYS_FROM_TODAY:
        return DueSpec("days", days=_DAYS_FROM_TODAY[word])
    if (chinese := values.chinese_day(word)) is not None:
        return chinese
    if match := _ISO_DATE.fullmatch(word):
        try:
            return DueSpec("date", on=date(*(int(part) for part in match.groups())))
        except ValueError:
            raise Invalid(
                N_(
                    "{word} is not a date on the calendar. Give the last day you will"
                    " be away as {forms}, e.g. {example}."
                ),
                word=quote(token.text),
                forms=AWAY_FORMS,
                example=_AWAY_EXAMPLE,
            ) from None
    if (match := _OFFSET.fullmatch(word)) and (match[1] or match[3]):
        days = int(match[2]) * (7 if match[3] == "w" else 1)
        if days > MAX_AWAY_DAYS:
            raise Invalid(
                N_(
                    "{word} is too far ahead; you can be away until at most a year from today"
                    " (`+52w`). Give the last day you will be away, e.g. {example}."
                ),
                word=quote(token.text),
                example=_AWAY_EXAMPLE,
            )
        return DueSpec("days", days=days)
    return None


def _last_day(token: Token) -> DueSpec:
    found = _day(token)
    if found is None:
        raise Invalid(
            N_(
                "{word} is not a date I can read. Give the last day you will be away"
                " as {forms}, e.g. {example}, or `/onboard away off` when you are back."
            ),
            word=quote(token.text),
            forms=AWAY_FORMS,
            example=_AWAY_EXAMPLE,
        )
    return found


def parse_away(args: Args) -> Command:
    positional = _personal(args)
    if not positional:
        return Away("show")
    first, rest = positional[0], positional[1:]
    word = normalize(first.text)
    if word in ("off", "back", "none"):
        no_more(args, rest, N_("nothing after `{word}`"), word=word)
        return Away("off")
    if word == "until":
        if not rest:
            raise Invalid(
                N_("Until when? Give the last day you will be away, e.g. {example}."),
                example=_AWAY_EXAMPLE,
            )
        until = _last_day(rest[0])  # first: `until next week` is about the date
        no_more(args, rest[1:], N_("one date after `until`"))
        return Away("until", until=until)
    if (until := _day(first)) is not None:  # `away 2026-12-07`: `until` left out
        no_more(args, rest, N_("one date"))
        return Away("until", until=until)
    raise Invalid(
        N_(
            "{word} is not something `away` takes. Use `away until YYYY-MM-DD` (no"
            " reminders to you through that day, e.g. {example}; `tomorrow`, `+3d` and"
            " `+2w` work too), `away off` when you are back, or `away` alone to see whether you"
            " are away."
        ),
        word=quote(first.text),
        example=_AWAY_EXAMPLE,
    )


def parse_my(args: Args) -> Command:
    positional = _personal(args)
    if not positional:
        return My("show")
    first, rest = positional[0], positional[1:]
    word = normalize(first.text)
    if word in ("holidays", "holiday"):
        if not rest:
            raise Invalid(
                N_(
                    "Whose public holidays? Give your country's code, e.g. `/onboard my holidays"
                    " SG` ({examples}), or `my holidays off` to have none of your own."
                ),
                examples=values.HOLIDAY_EXAMPLES,
            )
        no_more(args, rest[1:], N_("one country code after `holidays`"))
        return My("holidays", holidays=values.holiday_region(rest[0], "/onboard my holidays SG"))
    away = Said(N_(" To be away, use `/onboard away until YYYY-MM-DD`."))
    raise Invalid(
        N_(
            "{word} is not one of your settings. Use `my holidays SG` (your own"
            " public holidays are days off in your reminders), `my holidays off`, or `my` alone"
            " to see your settings.{hint}"
        ),
        word=quote(first.text),
        hint=away if word == "away" else "",
    )
