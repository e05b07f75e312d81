"""Checks that a text meant for a Chinese reader has no English sentence left in it."""

from __future__ import annotations

import re

# What may stay ASCII in a Chinese text: code spans, mentions and link targets (<…>), URLs.
# A link's label (`<url|label>`) is read, so it is kept.
_LINK_LABEL = re.compile(r"<[^<>|]*\|([^<>]*)>")
_ALLOWED = re.compile(r"`[^`]*`|<[^<>]*>|https?://\S+")
# A run of ASCII words with nothing but ASCII spaces and punctuation between them.
_ASCII_RUN = re.compile(r"[A-Za-z][A-Za-z0-9'’.,:;!?()/&+-]*(?:[ \t]+[A-Za-z0-9'’.,:;!?()/&+-]+)*")
_WORD = re.compile(r"[A-Za-z]+")


def english_sentences(text: str) -> list[str]:
    """The runs of English words in `text`: two or more words, at least one in lower case.

    Names ("Carol Wu"), ids ("U0CAROL", "3.4"), product names and acronyms standing alone
    ("iMock", "SDK", "ID", "API") pass; "client ID" or "Sign up" does not.
    """
    found = []
    for run in _ASCII_RUN.findall(_ALLOWED.sub(" ", _LINK_LABEL.sub(r" \1 ", text))):
        words = _WORD.findall(run)
        if len(words) >= 2 and any(w.islower() and len(w) > 1 for w in words):
            found.append(run.strip())
    return found
