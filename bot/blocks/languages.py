"""The replies to `/onboard language`, in the language the person reads now."""

from __future__ import annotations

from bot.i18n import N_, Translator, translator
from bot.usecases.languages import Languages

# Each language by name, as a reader of the reply's language calls it.
LANGUAGE_NAMES = {"en": N_("English"), "zh-CN": N_("Simplified Chinese")}


def _name(t: Translator, language: str) -> str:
    return t._(LANGUAGE_NAMES.get(language, language))


def _yours(t: Translator, found: Languages) -> str:
    if found.chosen is not None:
        return t._(
            "I speak {language} with you, as you chose; `/onboard language auto` follows your"
            " Slack language ({slack}) again.",
            language=_name(t, found.person),
            slack=_name(t, found.slack),
        )
    return t._(
        "I speak {language} with you: your Slack language. `/onboard language zh-CN` or"
        " `/onboard language en` chooses one for you.",
        language=_name(t, found.person),
    )


def _channels(t: Translator, found: Languages) -> str:
    if found.channel_id is None:
        return t._(
            "A direct message has no channel language; run `/onboard language` in a channel"
            " to see its."
        )
    if found.channel is None:
        return t._(
            "<#{channel}> has no language yet, so it sees English until its first application"
            " is created (then its creator's) or `/onboard language channel zh-CN` sets one.",
            channel=found.channel_id,
        )
    return t._(
        "<#{channel}> sees {language}: its checklist, digests and announcements."
        " `/onboard language channel zh-CN` or `en` changes it.",
        channel=found.channel_id,
        language=_name(t, found.channel),
    )


def languages_reply(found: Languages) -> str:
    """`/onboard language` alone: the person's language and the channel's."""
    t = translator(found.person)
    return f"{_yours(t, found)}\n{_channels(t, found)}"


def mine_reply(found: Languages) -> str:
    """After `/onboard language zh-CN|en|auto`, in the language just chosen."""
    t = translator(found.person)
    if found.chosen is None:
        return t._(
            "I follow your Slack language again: {language}.", language=_name(t, found.person)
        )
    return t._(
        "From now on I speak {language} with you, in every channel. `/onboard language auto`"
        " follows your Slack language again.",
        language=_name(t, found.person),
    )


def channel_reply(found: Languages) -> str:
    """After `/onboard language channel zh-CN|en`, in the person's own language."""
    t = translator(found.person)
    return t._(
        "<#{channel}> now sees {language}: its checklist, digests and announcements, from"
        " their next update.",
        channel=found.channel_id,
        language=_name(t, found.channel or "en"),
    )
