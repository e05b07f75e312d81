"""Escaping user text for Slack mrkdwn."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.blocks.mrkdwn import escape_mrkdwn


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
