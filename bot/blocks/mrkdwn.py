"""Escaping user text for Slack mrkdwn, so that it shows as typed and can't mention or link."""

from __future__ import annotations

import re

# An `&` that already starts one of Slack's three entities is left alone: with should_escape
# Slack sends a typed `<` as `&lt;`, and escaping that again would show the user `&lt;`.
# The output never contains a raw `<` or `>`, so nothing in it can become a mention or link.
_TO_ESCAPE = re.compile(r"&(?!(?:amp|lt|gt);)|<|>")
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


def escape_mrkdwn(text: str) -> str:
    """Escape `&`, `<` and `>` as Slack requires, so user text can't mention or link anyone."""
    return _TO_ESCAPE.sub(lambda m: _ENTITIES[m.group()], text)
