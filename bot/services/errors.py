"""The one error for a request that cannot be applied, raised by services and use cases alike.

Its message says what was wrong and what is valid, and is shown to the user (an ephemeral reply,
or an inline modal error) in the reader's language: a `Refusal` carries a marked message id and
its named params, and `refusal.text(t)` renders it with the reader's translator. `message` is
the English text (for logs, tests and callers not yet translating). Nothing was changed when it
is raised inside a change.

A param is either text inserted as it is (already escaped by the raiser) or a `Phrase`, a
marked piece translated with the message: a noun such as "sandbox client ID", or a list of
problems joined by a translated separator (`Phrase.joined`). `Refusal.joined` tells several
refusals at once (each bad value of a form).
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.i18n import ENGLISH_TRANSLATOR, N_, Translator

# Between the problems of a list inside one sentence ("…: a; b.").
LIST_SEPARATOR = N_("; ")
# Between the items of a list ("a, b, c").
LIST_SEPARATOR_COMMA = N_(", ")
# Between whole sentences told together.
SENTENCE_SEPARATOR = N_(" ")


class Phrase:
    """A marked piece of a refusal, translated with it: `msgid` with `params`, or `parts`
    joined by the translated `separator`."""

    def __init__(self, msgid: str = "", /, **params: object) -> None:
        self.msgid = msgid
        self.params = params
        self.parts: Sequence[Phrase] | None = None  # set by `joined`
        self.separator = ""

    @classmethod
    def joined(cls, parts: Sequence[Phrase], separator: str = LIST_SEPARATOR) -> Phrase:
        phrase = cls()
        phrase.parts, phrase.separator = parts, separator
        return phrase

    def text(self, t: Translator) -> str:
        if self.parts is not None:
            return t._(self.separator).join(part.text(t) for part in self.parts)
        return render(t, self.msgid, self.params)


def render(t: Translator, msgid: str, params: dict[str, object]) -> str:
    """`msgid` in `t`'s language, its params filled (a `Phrase` translated first)."""
    if not params:
        return t._(msgid)
    return t._(msgid, **{k: v.text(t) if isinstance(v, Phrase) else v for k, v in params.items()})


class Refusal(Exception):
    """`Refusal(N_("There is no step `{ref}`."), ref=escaped)`: what was wrong, translatable."""

    def __init__(self, msgid: str, /, **params: object) -> None:
        self._told(Phrase(msgid, **params))

    def _told(self, phrase: Phrase) -> None:
        self.phrase = phrase
        self.msgid, self.params = phrase.msgid, phrase.params
        self.message = self.text(ENGLISH_TRANSLATOR)
        Exception.__init__(self, self.message)

    @classmethod
    def joined(cls, refusals: Sequence[Refusal], separator: str = SENTENCE_SEPARATOR) -> Refusal:
        """Several refusals told at once (each value's problem in a form), in their order."""
        refusal = cls.__new__(cls)
        refusal._told(Phrase.joined([r.phrase for r in refusals], separator))
        return refusal

    def text(self, t: Translator) -> str:
        """The refusal in `t`'s language."""
        return self.phrase.text(t)
