"""Dates in the person-facing messages, as their reader reads them."""

from __future__ import annotations

from datetime import date

from bot.blocks.people import day_label
from bot.i18n import ENGLISH, Translator


def on_day(t: Translator, value: date) -> str:
    """A date in a sentence: ISO in English (as Onboard has always written it), the locale's
    day with its weekday otherwise (`2026年12月3日周四`)."""
    return value.isoformat() if t.language == ENGLISH else t.day(value)


def soon_day(t: Translator, value: date) -> str:
    """A date in the coming weeks: `Mon 7 Dec` in English, `12月7日周一` otherwise."""
    return day_label(value) if t.language == ENGLISH else t.short_day(value)
