"""Text of the replies about a person's own settings (`/onboard away`, `/onboard my`), and how
a day is written for people ("Mon 7 Dec")."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.usecases.people import MySettings


def day_label(day: date, *, year: bool = False) -> str:
    """`Mon 7 Dec` (with `year`: `Mon 7 Dec 2026`), the same in every locale."""
    label = f"{day:%a} {day.day} {day:%b}"
    return f"{label} {day.year}" if year else label


def _away_line(s: MySettings) -> str:
    if s.away_until is None:
        return "You are not away. `/onboard away until YYYY-MM-DD` stops your reminders until then."
    back = s.away_until + timedelta(days=1)
    return (
        f"You are away until {day_label(s.away_until, year=True)} (the end of that day, your"
        f" time): no reminders reach you, and your stalled steps remind each application's"
        f" owner instead. Back on {day_label(back)}; `/onboard away off` if sooner."
    )


def _holidays_line(s: MySettings) -> str:
    if s.holidays is None:
        return (
            "Public holidays of your own: none (each application's `remind holidays` still"
            " counts). `/onboard my holidays SG` adds a country's."
        )
    return (
        f"Public holidays in {s.holidays} are days off in your reminders, as well as each"
        " application's own. `/onboard my holidays off` to clear."
    )


def away_reply(s: MySettings, action: str) -> str:
    """The answer to `away` alone (`show`), `away until` or `away off`."""
    if action == "off":
        if s.was_away:
            return "Welcome back: reminders reach you again from now on."
        return "You were not away; reminders reach you as usual."
    return _away_line(s)


def my_reply(s: MySettings) -> str:
    """Every setting of the person's own: `/onboard my`, and the answer to a change."""
    return "\n".join(
        ["*Your settings* (in every application)", "• " + _away_line(s), "• " + _holidays_line(s)]
    )
