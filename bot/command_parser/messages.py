"""The parser's messages: an English message id and its named values, read in any language.

The ids are marked with `N_` where they are written; a value may itself be a `Said` (a list
of forms such as "`today`, `tomorrow` or `none`"), which is read in the same language. Values
are already escaped for mrkdwn. Every id is formatted, so literal braces are doubled.
"""

from __future__ import annotations

from bot.i18n import ENGLISH_TRANSLATOR, Translator


class Said:
    """A message id with its named values, to be read with `text(t)`."""

    def __init__(self, message: str, /, **params: object) -> None:
        self.msgid = message
        self.params = params

    def text(self, t: Translator) -> str:
        """The message in `t`'s language, its placeholders filled (nested messages too)."""
        values = {k: v.text(t) if isinstance(v, Said) else v for k, v in self.params.items()}
        return t._(self.msgid).format(**values)

    @property
    def message(self) -> str:
        """The message in English (Slack mrkdwn, user text already escaped)."""
        return self.text(ENGLISH_TRANSLATOR)

    def __eq__(self, other: object) -> bool:
        return (
            type(other) is type(self) and (self.msgid, self.params) == (other.msgid, other.params)  # type: ignore[attr-defined]
        )

    def __hash__(self) -> int:
        return hash((type(self), self.msgid))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"
