"""The help text: every subcommand's usage from the parser's table, escaped for mrkdwn."""

from bot.blocks.help import help_text
from bot.blocks.mrkdwn import escape_mrkdwn
from bot.command_parser import SUBCOMMAND_USAGE
from bot.command_parser.usage import USAGE_BY_NAME
from bot.i18n import translator
from tests.i18n_checks import english_sentences


def test_help_text_lists_every_subcommand_escaped():
    text = help_text()
    for usage, about in SUBCOMMAND_USAGE:
        assert f"`{escape_mrkdwn(usage)}` – {about}" in text
    assert "`/onboard mark &lt;step&gt;… [--force]` – mark steps done" in text
    assert "`mark 1.1 1.2` or `mark 2` for a whole phase" in text
    assert text.count("--app") == 1
    assert text.rstrip().splitlines()[-1].startswith("Add `--app &lt;slug&gt;`")
    assert "<" not in text and ">" not in text


def test_help_text_for_one_topic():
    text = help_text("due")
    assert "/onboard due" in text and "/onboard mark" not in text
    assert help_text("nonsense") == help_text()


def test_help_on_new_subcommands():
    assert "remind after 2d" in help_text("remind")
    assert "digest tz Asia/Shanghai" in help_text("digest")
    assert "contacts channel #alipay-team" in help_text("contacts")


def test_help_on_creds_and_diagnose():
    text = help_text("creds")
    assert "/onboard creds [show|set &lt;env&gt; &lt;field&gt; &lt;value&gt;]" in text
    assert "`creds set sandbox client-id 2021…`" in text and "`notify-url`" in text
    assert "/onboard diagnose" in help_text("diagnose")


def test_help_in_chinese_keeps_the_usage_lines_and_fits_a_message():
    zh = translator("zh-CN")
    for topic in (None, *USAGE_BY_NAME):
        text = help_text(topic, zh)
        assert english_sentences(text) == [], (topic, english_sentences(text))
        assert len(text) < 4000 and len(help_text(topic)) < 4000
    text = help_text(None, zh)
    for usage, _ in SUBCOMMAND_USAGE:  # the syntax stays English: it is what is typed
        assert f"• `{escape_mrkdwn(usage)}` – " in text
    assert text.splitlines()[0] == "*`/onboard` 能做什么*"
    assert "`标记 1.1 1.2`" in text and "`截止 2.1 明天`" in text
