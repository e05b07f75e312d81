"""The replies to `/onboard language`, each in the language the person reads now."""

from __future__ import annotations

import pytest

from bot.blocks.languages import channel_reply, languages_reply, mine_reply
from bot.usecases.languages import Languages
from tests.i18n_checks import english_sentences

CASES = [
    Languages("zh-CN", None, "zh-CN", "CPAY", None),
    Languages("zh-CN", "zh-CN", "en", "CPAY", "en"),
    Languages("zh-CN", "zh-CN", "en", None, None),
]


@pytest.mark.parametrize("found", CASES)
def test_in_chinese_no_english_sentence_is_left(found: Languages) -> None:
    for text in (languages_reply(found), mine_reply(found), channel_reply(found)):
        assert english_sentences(text) == [], text


def test_a_choice_is_named_with_slacks_language_to_return_to() -> None:
    text = languages_reply(Languages("en", "en", "zh-CN", "CPAY", "zh-CN"))
    assert text.splitlines() == [
        "I speak English with you, as you chose; `/onboard language auto` follows your Slack"
        " language (Simplified Chinese) again.",
        "<#CPAY> sees Simplified Chinese: its checklist, digests and announcements."
        " `/onboard language channel zh-CN` or `en` changes it.",
    ]
    assert languages_reply(Languages("zh-CN", "zh-CN", "en", "CPAY", "en")).splitlines()[0] == (
        "按照你的选择，我用简体中文与你交流；用 `/onboard language auto` 可恢复为你的 Slack"
        " 语言（英文）。"
    )


def test_english_sentences_finds_what_is_left_in_english() -> None:
    assert english_sentences("已恢复。 Run this in a channel `code here` <#C1|x>") == [
        "Run this in a channel"
    ]
    assert english_sentences("给 Acme POS 的 `/onboard mark 3.4` <https://a.example/x y z>") == []
