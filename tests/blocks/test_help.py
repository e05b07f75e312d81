"""The help: every subcommand's usage from the parser's table, escaped for mrkdwn; the whole
table as a section per group (within Slack's limits in every language), one subcommand as a
line of text."""

import pytest

from bot.blocks.help import GROUPS, help_blocks, help_fallback, help_sections, help_text
from bot.blocks.mrkdwn import escape_mrkdwn
from bot.command_parser import SUBCOMMAND_USAGE
from bot.command_parser.usage import USAGE_BY_NAME
from bot.i18n import LANGUAGES, translator
from tests.blocks.slack_limits import MAX_TEXT, check_message, mrkdwn_fields
from tests.i18n_checks import english_sentences


def _whole(t=None) -> str:
    return "\n".join(help_sections(t) if t else help_sections())


def test_help_lists_every_subcommand_once_escaped():
    text = _whole()
    for usage, about in SUBCOMMAND_USAGE:
        assert text.count(f"`{escape_mrkdwn(usage)}` – {about}") == 1
    assert "`/onboard mark &lt;step&gt;… [--force]` – mark steps done" in text
    assert "`mark 1.1 1.2` or `mark 2` for a whole phase" in text
    assert "<" not in text and ">" not in text
    note = help_blocks()[-1].to_dict()
    assert note["type"] == "context" and note["elements"][0]["text"].startswith("Add `--app")


def test_help_comes_in_groups_in_the_tables_order():
    sections = help_sections()
    assert len(sections) == len(GROUPS)
    assert sections[0].splitlines()[:2] == ["*What `/onboard` can do*", "*The checklist*"]
    assert sections[-1].splitlines()[0] == "*You*"
    lines = [line for s in sections for line in s.splitlines() if line.startswith("• ")]
    assert [line.split()[2].strip("`") for line in lines] == list(USAGE_BY_NAME)
    # report sits with the application as a whole; away, my and language are the person's.
    assert "/onboard report" in sections[2] and "/onboard away" in sections[3]


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_section_of_the_help_fits_slacks_limits(language: str):
    """The whole help is longer than the 4,000 characters Slack advises for a message's text:
    it is blocks, each section within 3,000, and a short text."""
    t = translator(language)
    blocks = check_message(help_fallback(t), help_blocks(t), reply=True)
    assert sum(len(s) for s in help_sections(t)) > 0
    assert all(len(s) <= MAX_TEXT for s in help_sections(t))
    assert len(help_fallback(t)) < 1000
    assert len(blocks) == len(GROUPS) + 1


def test_the_fallback_text_names_every_subcommand():
    text = help_fallback()
    assert all(f"`{name}`" in text for name in USAGE_BY_NAME)
    assert text.endswith("`/onboard help &lt;subcommand&gt;` tells more about one.")


def test_help_text_for_one_topic():
    text = help_text("due")
    assert "/onboard due" in text and "/onboard mark" not in text
    assert help_text("nonsense") == help_fallback()


def test_help_on_new_subcommands():
    assert "remind after 2d" in help_text("remind")
    assert "digest tz Asia/Shanghai" in help_text("digest")
    assert "contacts channel #alipay-team" in help_text("contacts")
    report = help_text("report")
    assert "`/onboard report [--since 90d|12w|&lt;date&gt;] [--channel #channel|--all]" in report
    assert "`--all` for the whole workspace (admins)" in report


def test_help_on_creds_and_diagnose():
    text = help_text("creds")
    assert "/onboard creds [show|set &lt;env&gt; &lt;field&gt; &lt;value&gt;]" in text
    assert "`creds set sandbox client-id 2021…`" in text and "`notify-url`" in text
    assert "/onboard diagnose" in help_text("diagnose")


def test_help_in_chinese_keeps_the_usage_lines():
    zh = translator("zh-CN")
    for topic in USAGE_BY_NAME:
        text = help_text(topic, zh)
        assert english_sentences(text) == [], (topic, english_sentences(text))
        assert len(text) < 4000 and len(help_text(topic)) < 4000
    for text in mrkdwn_fields(help_fallback(zh), help_blocks(zh)):
        assert english_sentences(text) == [], english_sentences(text)
    text = _whole(zh)
    for usage, _ in SUBCOMMAND_USAGE:  # the syntax stays English: it is what is typed
        assert f"• `{escape_mrkdwn(usage)}` – " in text
    assert text.splitlines()[0] == "*`/onboard` 能做什么*"
    assert "`标记 1.1 1.2`" in text and "`截止 2.1 明天`" in text
