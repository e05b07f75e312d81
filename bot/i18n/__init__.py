"""What Onboard says, in the reader's language: gettext catalogs through Babel.

A surface is built with a `Translator` for its reader (a person's language for what only they
see, the channel's for what the channel sees). Messages are full sentences with named
placeholders, marked where they are written:

    t._("Marked done: {steps}", steps=...)
    t.ngettext("{n} step left", "{n} steps left", count, n=count)
    ABOUT = N_("a message kept in a table"); then t._(ABOUT) where it is shown

English is the source language: its catalog is the message ids themselves. Adding a language is
one catalog, `bot/i18n/locales/<ll_CC>/LC_MESSAGES/onboard.po` (see README, "Languages"), and
its code in `LANGUAGES`. Dates, times and numbers are formatted for the language with Babel.
"""

from __future__ import annotations

from datetime import date, datetime, tzinfo
from functools import cache
from pathlib import Path

from babel.dates import format_skeleton, format_time
from babel.numbers import format_decimal, format_percent
from babel.support import NullTranslations, Translations

DOMAIN = "onboard"
LOCALES_DIR = Path(__file__).parent / "locales"
ENGLISH = "en"
# Slack's codes (users.info `locale`), and the Babel locale each is formatted with.
LANGUAGES: dict[str, str] = {"en": "en", "zh-CN": "zh_CN"}


def N_(message: str) -> str:
    """Marks a message kept in a table (translated later, where it is shown) for extraction."""
    return message


def language_of(slack_locale: str | None) -> str:
    """The supported language for a Slack locale such as `zh-CN` or `en-US`; English when
    Slack did not say or the language is not one Onboard speaks. Every Chinese locale reads
    Simplified Chinese, which its readers follow better than English."""
    if not slack_locale:
        return ENGLISH
    if slack_locale.lower().startswith("zh"):
        return "zh-CN"
    return slack_locale if slack_locale in LANGUAGES else ENGLISH


class Translator:
    """Messages, plurals, dates and times in one language."""

    def __init__(self, language: str, catalog: NullTranslations) -> None:
        self.language = language
        self.locale = LANGUAGES[language]
        self._catalog = catalog

    def _(self, message: str, /, **params: object) -> str:
        """`message` in this language, its `{placeholders}` filled from `params`."""
        text = self._catalog.gettext(message)
        return text.format(**params) if params else text

    def ngettext(self, singular: str, plural: str, n: int, /, **params: object) -> str:
        """The form of the message for `n` (Chinese has one form, English two)."""
        return self._catalog.ngettext(singular, plural, n).format(**params)

    def day(self, value: date) -> str:
        """A date with its weekday: `Thu, Dec 3, 2026`, `2026年12月3日周四`."""
        return format_skeleton("yMMMEd", value, locale=self.locale)

    def short_day(self, value: date) -> str:
        """A date in the coming weeks: `Thu, Dec 3`, `12月3日周四`."""
        return format_skeleton("MMMEd", value, locale=self.locale)

    def month_day(self, value: date) -> str:
        """A date on a chart's axis: `Dec 3`, `12月3日`."""
        return format_skeleton("MMMd", value, locale=self.locale)

    def number(self, value: float) -> str:
        """A duration or count with one decimal: `1,234.5`, `12.0`."""
        return format_decimal(value, format="#,##0.0", locale=self.locale)

    def percent(self, value: float) -> str:
        """A rate between 0 and 1 as a whole percentage: `83%`."""
        return format_percent(value, locale=self.locale)

    def moment(self, value: datetime, zone: tzinfo) -> str:
        """A time on a day, in the reader's zone: `Dec 3 09:00`, `12月3日 09:00`."""
        local = value.astimezone(zone)
        day = format_skeleton("MMMd", local, locale=self.locale)
        return f"{day} {format_time(local, 'HH:mm', locale=self.locale)}"


@cache
def translator(language: str | None = None) -> Translator:
    """The translator for a language code from `language_of` (English for None)."""
    language = language if language in LANGUAGES else ENGLISH
    if language == ENGLISH:
        return Translator(ENGLISH, NullTranslations())
    catalog = Translations.load(str(LOCALES_DIR), [LANGUAGES[language]], DOMAIN)
    return Translator(language, catalog)


ENGLISH_TRANSLATOR = translator(ENGLISH)
