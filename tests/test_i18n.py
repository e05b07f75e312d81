"""The translator: languages from Slack's locales, dates for the language, English fallback."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.i18n import ENGLISH, language_of, translator


@pytest.mark.parametrize(
    ("slack_locale", "language"),
    [
        ("zh-CN", "zh-CN"),
        ("zh-TW", "zh-CN"),
        ("en-US", ENGLISH),
        ("ja-JP", ENGLISH),
        (None, ENGLISH),
    ],
)
def test_languages_from_slack_locales(slack_locale: str | None, language: str) -> None:
    assert language_of(slack_locale) == language


def test_dates_and_times_for_the_language() -> None:
    zh, en = translator("zh-CN"), translator(ENGLISH)
    day = date(2026, 12, 3)
    assert (zh.day(day), en.day(day)) == ("2026年12月3日周四", "Thu, Dec 3, 2026")
    moment = datetime(2026, 12, 3, 1, tzinfo=UTC)
    assert zh.moment(moment, ZoneInfo("Asia/Shanghai")) == "12月3日 09:00"


def test_an_unknown_message_or_language_falls_back_to_english() -> None:
    assert translator("fr").language == ENGLISH
    assert translator("zh-CN")._("Not in any catalog: {x}", x=1) == "Not in any catalog: 1"
    assert translator("zh-CN").ngettext("{n} thing", "{n} things", 2, n=2) == "2 things"
