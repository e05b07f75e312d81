"""Text of the replies about a person's own settings (`/onboard away`, `/onboard my`), and how
a day is written for people ("Mon 7 Dec")."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

from bot.i18n import ENGLISH, ENGLISH_TRANSLATOR, Translator

if TYPE_CHECKING:
    from bot.usecases.people import MySettings


def day_label(day: date, *, year: bool = False) -> str:
    """`Mon 7 Dec` (with `year`: `Mon 7 Dec 2026`), the same in every locale."""
    label = f"{day:%a} {day.day} {day:%b}"
    return f"{label} {day.year}" if year else label


def _day(t: Translator, day: date, *, year: bool = False) -> str:
    """English as Onboard always wrote it (`Mon 7 Dec 2026`); the locale's day otherwise."""
    if t.language == ENGLISH:
        return day_label(day, year=year)
    return t.day(day) if year else t.short_day(day)


def _away_line(s: MySettings, t: Translator) -> str:
    if s.away_until is None:
        return t._(
            "You are not away. `/onboard away until YYYY-MM-DD` stops your reminders until then."
        )
    back = s.away_until + timedelta(days=1)
    return t._(
        "You are away until {until} (the end of that day, your time): no reminders reach you,"
        " and your stalled steps remind each application's owner instead. Back on {back};"
        " `/onboard away off` if sooner.",
        until=_day(t, s.away_until, year=True),
        back=_day(t, back),
    )


def _holidays_line(s: MySettings, t: Translator) -> str:
    if s.holidays is None:
        return t._(
            "Public holidays of your own: none (each application's `remind holidays` still"
            " counts). `/onboard my holidays SG` adds a country's."
        )
    return t._(
        "Public holidays in {country} are days off in your reminders, as well as each"
        " application's own. `/onboard my holidays off` to clear.",
        country=s.holidays,
    )


def away_reply(s: MySettings, action: str, t: Translator = ENGLISH_TRANSLATOR) -> str:
    """The answer to `away` alone (`show`), `away until` or `away off`."""
    if action == "off":
        if s.was_away:
            return t._("Welcome back: reminders reach you again from now on.")
        return t._("You were not away; reminders reach you as usual.")
    return _away_line(s, t)


def my_reply(s: MySettings, t: Translator = ENGLISH_TRANSLATOR) -> str:
    """Every setting of the person's own: `/onboard my`, and the answer to a change."""
    return "\n".join(
        [
            t._("*Your settings* (in every application)"),
            "• " + _away_line(s, t),
            "• " + _holidays_line(s, t),
        ]
    )
