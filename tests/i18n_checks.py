"""Checks that a payload built in Chinese is Chinese: `english_sentences` finds what is left in
English, allowing what stays as it is in any language (code spans, mentions, links, names)."""

from __future__ import annotations

import re

_CODE = re.compile(r"```.*?```|`[^`]*`", re.DOTALL)
_SLACK = re.compile(r"<[^<>]*>|&lt;|&gt;|&amp;|https?://\S+")
# Three or more ASCII words in a row: a sentence, or part of one. Two (`Acme POS`, `Slack
# ID`) may be a name or a term.
_ENGLISH_RUN = re.compile(r"[A-Za-z][A-Za-z'’-]*(?:[\s,;:.!?()]+[A-Za-z][A-Za-z'’-]*){2,}")


def english_sentences(text: str, allow: tuple[str, ...] = ()) -> list[str]:
    """The runs of English words left in `text`, once code spans, Slack's `<…>` (mentions,
    channels, links), URLs and the `allow`ed names are taken out."""
    for name in allow:
        text = text.replace(name, " ")
    text = _SLACK.sub(" ", _CODE.sub(" ", text))
    return [match.group() for match in _ENGLISH_RUN.finditer(text)]
