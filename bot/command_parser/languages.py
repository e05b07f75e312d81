"""`/onboard language`: the language Onboard speaks to oneself, or to the channel.

language                     both, as they stand (`language channel` alone too)
language zh-CN|en|auto       one's own (auto: Slack's language again)
language channel zh-CN|en    the channel's
"""

from __future__ import annotations

from bot.command_parser.commands import Command, Language
from bot.command_parser.messages import Said
from bot.command_parser.tokens import Args, Invalid, Token, no_more, normalize, quote
from bot.i18n import LANGUAGES, N_

# What may be typed for each language, folded by `normalize`.
_NAMES = {
    "en": "en",
    "en-us": "en",
    "english": "en",
    "英文": "en",
    "英语": "en",
    "zh-cn": "zh-CN",
    "zh_cn": "zh-CN",
    "zh": "zh-CN",
    "chinese": "zh-CN",
    "中文": "zh-CN",
    "简体中文": "zh-CN",
}
assert set(_NAMES.values()) == set(LANGUAGES)
_AUTO = ("auto", "slack", "自动")
_CODES = Said(
    N_("{codes} or {last}"),
    codes=", ".join(f"`{code}`" for code in tuple(LANGUAGES)[:-1]),
    last=f"`{tuple(LANGUAGES)[-1]}`",
)


def _language(token: Token, example: str | Said) -> str:
    found = _NAMES.get(normalize(token.text))
    if found is None:
        raise Invalid(
            N_("{word} is not a language I speak. Use {codes}, e.g. {example}."),
            word=quote(token.text),
            codes=_CODES,
            example=example,
        )
    return found


def parse_language(args: Args) -> Command:
    if any(token.text.startswith(("--", "—", "–")) for token in args.tokens):
        raise Invalid(
            N_(
                "`language` takes no options: it is yours in every application, or the"
                " channel's. E.g. `/onboard language zh-CN` or `/onboard language channel zh-CN`."
            )
        )
    if not args.tokens:
        return Language("show")
    first, rest = args.tokens[0], args.tokens[1:]
    word = normalize(first.text)
    if word in ("channel", "频道"):
        if not rest:
            return Language("show")
        if normalize(rest[0].text) in _AUTO:
            raise Invalid(
                N_(
                    "A channel always has a language; choose {codes},"
                    " e.g. `/onboard language channel zh-CN`."
                ),
                codes=_CODES,
            )
        language = _language(rest[0], "`/onboard language channel zh-CN`")
        no_more(args, rest[1:], N_("one language after `channel`"))
        return Language("channel", language)
    if word in _AUTO:
        no_more(args, rest, N_("nothing after `{word}`"), word=first.text)
        return Language("mine", None)
    language = _language(
        first, Said(N_("`/onboard language zh-CN`, or `auto` for your Slack language"))
    )
    no_more(args, rest, N_("one language"))
    return Language("mine", language)
