"""Checks that a payload built for a translated language says nothing in English."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

_CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
# What may stay ASCII in a Chinese sentence: code spans, mentions, links' targets, entities.
_CODE = re.compile(r"`[^`]*`")
_MENTION = re.compile(r"<[@#!][^>]*>")
_LINK = re.compile(r"<[^|>]+\|([^>]*)>|<[^>]+>")
_URL = re.compile(r"\b\w+://\S+")
_ENTITY = re.compile(r"&\w+;")
# Sentences end at these (a step number's dot only between digits does not count).
_SENTENCE_END = re.compile(r"(?<!\d)[.!?](?!\d)|[。！？\n]")
# Words allowed alone: names of products and terms Alipay's Chinese documentation keeps.
ALLOWED_WORDS = frozenset({"Onboard", "Slack", "Alipay", "ID", "App", "OK"})


def english_sentences(text: str, allowed: Iterable[str] = ()) -> list[str]:
    """The sentences of `text` that have English words and no Chinese, once `allowed` texts
    (names, step titles, notes people typed, in escaped form too), code spans, mentions, URLs
    and step numbers are taken out."""
    for value in sorted(allowed, key=len, reverse=True):
        escaped = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        text = text.replace(escaped, " ").replace(value, " ")
    text = _CODE.sub(" ", text)
    text = _MENTION.sub(" ", text)
    text = _LINK.sub(lambda m: f" {m.group(1) or ''} ", text)
    text = _URL.sub(" ", text)
    text = _ENTITY.sub(" ", text)
    found = []
    for sentence in _SENTENCE_END.split(text):
        words = [w for w in re.findall(r"[A-Za-z]{2,}", sentence) if w not in ALLOWED_WORDS]
        if words and not _CJK.search(sentence):
            found.append(sentence.strip())
    return found


# Texts of the chart and table blocks (data_visualization, data_table) kept in other keys.
_CHART_KEYS = frozenset({"title", "name", "label", "caption", "x_label", "y_label"})


def shown_texts(payload: Any) -> list[str]:
    """Every text a person reads in a payload (blocks or a view): the `text` of sections,
    context elements, buttons, options, labels, hints, placeholders, titles, table cells;
    a chart's title, axis labels, categories, series' names and data points' labels."""
    found: list[str] = []
    if isinstance(payload, dict):
        for key, value in payload.items():
            if (key == "text" or key in _CHART_KEYS) and isinstance(value, str):
                found.append(value)
            elif key == "categories" and isinstance(value, list):
                found += [v for v in value if isinstance(v, str)]
            else:
                found += shown_texts(value)
    elif isinstance(payload, list | tuple):
        for each in payload:
            found += shown_texts(each)
    return found


# What may stay ASCII in a Chinese text: code spans, mentions and link targets (<…>), URLs.
# A link's label (`<url|label>`) is read, so it is kept.
_RUN_LINK_LABEL = re.compile(r"<[^<>|]*\|([^<>]*)>")
_RUN_ALLOWED = re.compile(r"`[^`]*`|<[^<>]*>|https?://\S+")
# A run of ASCII words with nothing but ASCII spaces and punctuation between them.
_RUN_ASCII = re.compile(r"[A-Za-z][A-Za-z0-9'’.,:;!?()/&+-]*(?:[ \t]+[A-Za-z0-9'’.,:;!?()/&+-]+)*")
_RUN_WORD = re.compile(r"[A-Za-z]+")


def english_runs(text: str) -> list[str]:
    """Stricter than `english_sentences`, for texts written in Chinese (template titles): the
    runs of English words in `text`, even inside a Chinese sentence: two or more words, at
    least one in lower case.

    Names ("Carol Wu"), ids ("U0CAROL", "3.4"), product names and acronyms standing alone
    ("iMock", "SDK", "ID", "API") pass; "client ID" or "Sign up" does not.
    """
    found = []
    for run in _RUN_ASCII.findall(_RUN_ALLOWED.sub(" ", _RUN_LINK_LABEL.sub(r" \1 ", text))):
        words = _RUN_WORD.findall(run)
        if len(words) >= 2 and any(w.islower() and len(w) > 1 for w in words):
            found.append(run.strip())
    return found
