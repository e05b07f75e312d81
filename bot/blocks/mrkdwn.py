"""Escaping user text for Slack mrkdwn, so that it shows as typed and can't mention or link;
the mentions and links the bot means to make; cutting text to Slack's limits; and built mrkdwn
read back as plain text, for the one place that shows text as typed (`plain_text`).

Slack parses as mrkdwn a message's top-level `text` (what chat.postMessage, chat.update,
`respond` and `ack` send, and what notifications show) as well as mrkdwn text objects, so
every builder passes user- and template-supplied text through here before it reaches either.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from storage.models import FORMER_MEMBER

if TYPE_CHECKING:
    from bot.i18n import Translator

# An `&` that already starts one of Slack's three entities is left alone: with should_escape
# Slack sends a typed `<` as `&lt;`, and escaping that again would show the user `&lt;`.
# The output never contains a raw `<` or `>`, so nothing in it can become a mention or link.
_TO_ESCAPE = re.compile(r"&(?!(?:amp|lt|gt);)|<|>")
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}

ELLIPSIS = "…"

# Slack's ids: a letter for the kind (U, W, B, C, G…), then capital letters and digits.
_SLACK_ID = re.compile(r"[A-Z][A-Z0-9]{1,39}")


def escape_mrkdwn(text: str) -> str:
    """Escape `&`, `<` and `>` as Slack requires, so user text can't mention or link anyone."""
    return _TO_ESCAPE.sub(lambda m: _ENTITIES[m.group()], text)


def shorten(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, ending in an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1] + ELLIPSIS


def fit_mrkdwn(text: str, limit: int) -> str:
    """Built mrkdwn cut to at most `limit` characters, ending in an ellipsis when cut.

    Never cuts inside an entity (`&amp;`) or a `<…>` mention or link: half of one would show
    as stray characters, or leave a `<` that takes whatever follows it.
    """
    if len(text) <= limit:
        return text
    if limit < 1:
        return ""
    cut = text[: limit - 1]
    opened = cut.rfind("<")
    if opened > cut.rfind(">"):
        cut = cut[:opened]
    amp = cut.rfind("&")
    if amp >= 0 and ";" not in cut[amp:]:
        cut = cut[:amp]
    return cut + ELLIPSIS


def user_text(text: str, limit: int) -> str:
    """User- or template-supplied text for mrkdwn: escaped, and at most `limit` characters
    once escaped (cut with an ellipsis)."""
    return fit_mrkdwn(escape_mrkdwn(text), limit)


def user_mention(user_id: str) -> str:
    """A mention of a Slack user the bot means to mention, by id. Anything that is not an id
    shows as text: a mention is only ever built from an id."""
    return f"<@{user_id}>" if _SLACK_ID.fullmatch(user_id) else escape_mrkdwn(user_id)


def person_mention(user_id: str, t: Translator) -> str:
    """`user_mention`, or "a former member" in the reader's language for a person removed by
    `onboard-bot forget-user` (storage/lifecycle.py puts FORMER_MEMBER in place of their id)."""
    if user_id == FORMER_MEMBER:
        return t._("a former member")
    return user_mention(user_id)


def channel_mention(channel_id: str) -> str:
    """A link to a channel, by id; anything that is not an id shows as text."""
    return f"<#{channel_id}>" if _SLACK_ID.fullmatch(channel_id) else escape_mrkdwn(channel_id)


def link(url: str, label: str) -> str:
    """A mrkdwn link. Every `&`, `<` and `>` of the URL (from a template, never escaped
    before) is escaped and a `|` percent-encoded, so it can't end the link early or smuggle
    in a label or a mention."""
    for raw, entity in _ENTITIES.items():
        url = url.replace(raw, entity)
    return f"<{url.replace('|', '%7C')}|{escape_mrkdwn(label)}>"


# What Slack reads as formatting in mrkdwn, for `plain_text`: a code span, its text group 1
# (unnamed: a `<name>` between backticks is what test_block_limits.py flags as a placeholder
# shown raw); a mention or link (`<target>` or `<target|label>`); or emphasis (*bold*,
# _italic_, ~strike~), whose markers count only next to a space, punctuation or the text's
# end, around text that neither begins nor ends with a space.
_FORMATTING = re.compile(
    r"`([^`\n]+)`"
    r"|<(?P<target>[^<>|\n]+)(?:\|(?P<label>[^<>\n]*))?>"
    r"|(?<![\w*~])(?P<marker>[*_~])(?P<emphasised>\S(?:[^\n]*?\S)?)(?P=marker)(?![\w*~])"
)
_ENTITY = re.compile(r"&(amp|lt|gt);")
_UNESCAPED = {"amp": "&", "lt": "<", "gt": ">"}


def plain_text(mrkdwn: str) -> str:
    """Built mrkdwn as a reader of plain text should see it (a Workflow Builder step's error
    is shown as typed): `&amp;`, `&lt;` and `&gt;` unescaped, once; emphasis markers and the
    backticks of code dropped; a mention as @id or #id (its label where it has one); a link as
    its label and URL. Escaped text stays text: `&lt;@U1&gt;` is `<@U1>`, never a mention."""
    pieces: list[str] = []
    end = 0
    for found in _FORMATTING.finditer(mrkdwn):
        pieces.append(_unescape(mrkdwn[end : found.start()]))
        if found[1] is not None:  # code
            pieces.append(_unescape(found[1]))
        elif found["target"] is not None:
            label = None if found["label"] is None else _unescape(found["label"])
            pieces.append(_readable(_unescape(found["target"]), label))
        else:  # emphasis may hold code, mentions and more emphasis
            pieces.append(plain_text(found["emphasised"]))
        end = found.end()
    pieces.append(_unescape(mrkdwn[end:]))
    return "".join(pieces)


def _unescape(text: str) -> str:
    return _ENTITY.sub(lambda m: _UNESCAPED[m[1]], text)


def _readable(target: str, label: str | None) -> str:
    """A mention or link as plain text."""
    if target.startswith("@"):  # <@U123>, <@U123|alice>
        return "@" + (label or target[1:])
    if target.startswith("#"):  # <#C123>, <#C123|general>
        return "#" + (label or target[1:])
    if target.startswith("!"):  # <!here>, <!subteam^S123|@team>, <!date^…|fallback>
        kind, _, ident = target[1:].partition("^")
        return label or "@" + (ident or kind)
    if not label or label in (target, target.removeprefix("mailto:")):
        return label or target
    return f"{label} ({target})"
