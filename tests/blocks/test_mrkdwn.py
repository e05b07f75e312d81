"""Escaping user text for Slack mrkdwn; cutting it to Slack's limits; mentions and links; and
built mrkdwn as plain text."""

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.blocks.mrkdwn import (
    channel_mention,
    escape_mrkdwn,
    fit_mrkdwn,
    link,
    plain_text,
    shorten,
    user_mention,
    user_text,
)


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("a & b", "a &amp; b"),
        ("<!channel>", "&lt;!channel&gt;"),
        ("<@U123>", "&lt;@U123&gt;"),
        ("&lt;b&gt; &amp;", "&lt;b&gt; &amp;"),
        ("&ltx &copy;", "&amp;ltx &amp;copy;"),
        ("支付宝", "支付宝"),
    ],
)
def test_escape_mrkdwn(raw, escaped):
    assert escape_mrkdwn(raw) == escaped


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_escape_mrkdwn_is_safe_and_idempotent(text):
    escaped = escape_mrkdwn(text)
    assert "<" not in escaped and ">" not in escaped
    assert escape_mrkdwn(escaped) == escaped


# ---- cutting to fit, mentions and links ------------------------------------------------------


def test_shorten_ends_in_an_ellipsis_only_when_cut():
    assert shorten("Acme", 4) == "Acme"
    assert shorten("Acme POS", 5) == "Acme…"
    assert len(shorten("x" * 5000, 3000)) == 3000


@pytest.mark.parametrize(
    ("text", "limit", "fitted"),
    [
        ("a &amp; b", 9, "a &amp; b"),
        ("a &amp; b", 8, "a &amp;…"),
        ("a &amp; b", 7, "a …"),  # never half an entity
        ("hi <@U123> there", 12, "hi <@U123> …"),
        ("hi <@U123> there", 9, "hi …"),  # never half a mention
        ("<https://x.example|guide> and more", 20, "…"),
        ("abc", 0, ""),
    ],
)
def test_fit_mrkdwn_never_cuts_an_entity_or_a_mention(text, limit, fitted):
    assert fit_mrkdwn(text, limit) == fitted


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ab<>&@!|", max_size=60), st.integers(min_value=1, max_value=60))
def test_user_text_is_escaped_and_within_its_limit(text, limit):
    fitted = user_text(text, limit)
    assert len(fitted) <= limit
    assert "<" not in fitted and ">" not in fitted
    assert not re.search(r"&(?!(?:amp|lt|gt);)", fitted)
    if len(escape_mrkdwn(text)) <= limit:
        assert fitted == escape_mrkdwn(text)
    else:
        assert fitted.endswith("…")


def test_mentions_are_built_from_ids_only():
    assert user_mention("U01ABCDEFGH") == "<@U01ABCDEFGH>"
    assert channel_mention("C0123") == "<#C0123>"
    for not_an_id in ("U1><!channel", "<!here>", "u123", "U", "", "U1|name", "U 1"):
        assert "<" not in user_mention(not_an_id) + channel_mention(not_an_id), not_an_id


def test_links_escape_the_url_and_the_label():
    assert link("https://x.example/a?b=1&c=2", "R&D") == "<https://x.example/a?b=1&amp;c=2|R&amp;D>"
    assert link("https://x.example/a>b|<!channel>", "<@U1>") == (
        "<https://x.example/a&gt;b%7C&lt;!channel&gt;|&lt;@U1&gt;>"
    )


# ---- built mrkdwn as plain text (a Workflow Builder step's error) ----------------------------


@pytest.mark.parametrize(
    ("mrkdwn", "plain"),
    [
        # A refusal as the command says it.
        (
            "Only members of <#CPAY> can change *Acme POS* (`acme-pos`); join the channel first.",
            "Only members of #CPAY can change Acme POS (acme-pos); join the channel first.",
        ),
        # Escaped text is unescaped once, and stays text: never a mention.
        ("R&amp;D &lt;@U1&gt; &amp;lt;", "R&D <@U1> &lt;"),
        ("`a &lt; b`", "a < b"),
        # Mentions and links, with and without a label.
        ("<@U123> and <@U123|alice>", "@U123 and @alice"),
        ("<#C123> and <#C123|general>", "#C123 and #general"),
        ("<!here>, <!subteam^S123|@payments>, <!subteam^S123>", "@here, @payments, @S123"),
        ("<!date^1392734382^{date}|Feb 18, 2014>", "Feb 18, 2014"),
        ("<https://x.example/a?b=1&amp;c=2|the guide>", "the guide (https://x.example/a?b=1&c=2)"),
        ("<https://x.example/a_b_>", "https://x.example/a_b_"),
        ("<mailto:a@x.example|a@x.example>", "a@x.example"),
        # Emphasis, nested and around code; a marker inside code is text.
        ("_Step_ *3.4* ~gone~ *`x_y`* _a *b* c_", "Step 3.4 gone x_y a b c"),
        ("`*not bold*`", "*not bold*"),
        # Markers that are no formatting stay.
        (
            "snake_case_name 2*3*4 a * b * c *a * x~y~z",
            "snake_case_name 2*3*4 a * b * c *a * x~y~z",
        ),
        ("`unclosed *star", "`unclosed *star"),
        ("", ""),
    ],
)
def test_plain_text_drops_the_formatting_and_keeps_the_words(mrkdwn, plain):
    assert plain_text(mrkdwn) == plain


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_characters="&*_~`")))
def test_plain_text_gives_back_what_was_escaped(text):
    """User text escaped into mrkdwn reads as it was typed, `<` and `>` included."""
    assert plain_text(escape_mrkdwn(text)) == text
