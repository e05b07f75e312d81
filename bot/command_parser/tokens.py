"""Reading the command text: tokens, quotes, Slack's escaping, the options, and the errors.

A subcommand's parser gets its `Args` and raises `Invalid` for anything it can't read;
`parse_command` turns that into the `ParseError` the user sees.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from bot.blocks.mrkdwn import escape_mrkdwn
from bot.command_parser.messages import Said
from bot.command_parser.usage import syntax
from bot.i18n import N_

_MAX_ECHO = 30  # how much of a bad token an error message repeats


# --- Errors -------------------------------------------------------------------------------------


class ParseError(Said):
    """What `parse_command` gives back for text it can't read: `.text(t)` in the reader's
    language, `.message` in English."""


class Invalid(Said, Exception):
    """Raised inside the parser with a marked message and its values; becomes a ParseError."""

    def __init__(self, message: str, /, **params: object) -> None:
        Said.__init__(self, message, **params)
        Exception.__init__(self, self.message)

    __hash__ = Exception.__hash__

    def error(self) -> ParseError:
        """The same message, as the parser's answer."""
        return ParseError(self.msgid, **self.params)


def quote(token: str) -> str:
    """A piece of user text, shortened and escaped, as inline code for an error message."""
    if len(token) > _MAX_ECHO:
        token = token[: _MAX_ECHO - 1] + "…"
    return "`" + escape_mrkdwn(token).replace("`", "'") + "`"


# --- Text as typed ------------------------------------------------------------------------------


def unescape_slack(text: str) -> str:
    """Text as the user typed it: Slack (with should_escape) sends links as `<https://…>` or
    `<https://…|label>` and `&`, `<`, `>` as entities."""
    text = re.sub(r"<((?:https?|mailto):[^<>|]*)(?:\|[^<>]*)?>", r"\1", text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


_QUOTE_PAIRS = {
    '"': '"”“',
    "“": '”"“',
    "”": '”"',
    "„": '“”"',
    "'": "'’‘",
    "‘": "’'‘",
    "’": "’'",
}


def strip_quotes(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[-1] in _QUOTE_PAIRS.get(text[0], ""):
        text = text[1:-1].strip()
    return text


def split_quoted(text: str) -> tuple[str, str] | None:
    """(what is inside, what follows) when `text` starts with a quote that is closed later;
    None when it does not start with one, or the quote is never closed."""
    closers = _QUOTE_PAIRS.get(text[:1], "")
    if not closers:
        return None
    end = next((i for i in range(1, len(text)) if text[i] in closers), None)
    return None if end is None else (text[1:end], text[end + 1 :])


# --- Tokens -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Token:
    text: str
    start: int
    end: int


# Slack's own `<...>` (a mention with a display name, a link with a label) stays one token even
# with spaces inside; everything else splits on any Unicode whitespace.
TOKEN = re.compile(r"(?:<[^<>]*>|[^\s<]|<)+")


def tokenize(text: str) -> list[Token]:
    return [Token(m.group(), m.start(), m.end()) for m in TOKEN.finditer(text)]


def normalize(token: str) -> str:
    """Fold full-width letters and digits (common with Chinese input methods) and case."""
    return unicodedata.normalize("NFKC", token).casefold()


def typed(tokens: list[Token]) -> str:
    return " ".join(token.text for token in tokens)


def normalized(tokens: list[Token]) -> str:
    return " ".join(normalize(token.text) for token in tokens)


# --- Options ------------------------------------------------------------------------------------

# Slack clients on macOS and iOS may turn a typed `--` into an en or em dash.
_OPTION_PREFIXES = ("--", "—", "–")
_SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")
_OPTIONS_HELP = Said(
    N_(
        "The options are `--app &lt;slug&gt;`, with any subcommand, and `--force`, with `mark`"
        " only."
    )
)


@dataclass(slots=True)
class Options:
    app: str | None = None
    force: bool = False


def is_option(token: Token) -> bool:
    return token.text.startswith(_OPTION_PREFIXES)


def take_option(tokens: list[Token], i: int, options: Options, subcommand: str) -> int:
    """Read the option at tokens[i] into `options`; return the index of the next token."""
    raw = tokens[i].text
    prefix = next(p for p in _OPTION_PREFIXES if raw.startswith(p))
    name, has_value, value = raw[len(prefix) :].partition("=")
    name = normalize(name)
    if name == "app":
        if not has_value:
            if i + 1 >= len(tokens) or is_option(tokens[i + 1]):
                raise Invalid(
                    N_(
                        "`--app` needs an application slug after it, e.g. `--app acme-pos`."
                        " `/onboard list` shows the slugs."
                    )
                )
            i += 1
            value = tokens[i].text
        _set_app(options, value)
        return i + 1
    if name == "force":
        if subcommand != "mark":
            raise Invalid(
                N_("`--force` only works with `mark`, not with `{subcommand}`."),
                subcommand=subcommand,
            )
        if has_value:
            raise Invalid(
                N_("`--force` takes no value; {option} has one. Write just `--force`."),
                option=quote(raw),
            )
        options.force = True
        return i + 1
    raise Invalid(
        N_("{option} is not an option I know. {options}"), option=quote(raw), options=_OPTIONS_HELP
    )


def _set_app(options: Options, slug: str) -> None:
    if not _SLUG.fullmatch(slug):
        raise Invalid(
            N_(
                "{slug} is not an application slug. A slug is lowercase letters, digits and"
                " dashes, starting with a letter or digit, at most 63 long, like `acme-pos`;"
                " `/onboard list` shows them."
            ),
            slug=quote(slug),
        )
    if options.app is not None and options.app != slug:
        raise Invalid(
            N_("`--app` is given twice, as {first} and {second}; give it once."),
            first=quote(options.app),
            second=quote(slug),
        )
    options.app = slug


def options_anywhere(
    tokens: list[Token],
    subcommand: str,
    is_argument: Callable[[Token], bool] = lambda token: False,
) -> tuple[list[Token], Options]:
    """Options may sit anywhere among the arguments; return the arguments without them.

    `is_argument` keeps a token that starts like an option as an argument.
    """
    options = Options()
    positional: list[Token] = []
    i = 0
    while i < len(tokens):
        if is_option(tokens[i]) and not is_argument(tokens[i]):
            i = take_option(tokens, i, options, subcommand)
        else:
            positional.append(tokens[i])
            i += 1
    return positional, options


def options_leading(tokens: list[Token], subcommand: str) -> tuple[list[Token], Options]:
    """Options only before the first argument: what follows is free text, kept as typed."""
    options = Options()
    i = 0
    while i < len(tokens) and is_option(tokens[i]):
        i = take_option(tokens, i, options, subcommand)
    return tokens[i:], options


# --- A subcommand's arguments -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Args:
    name: str  # the subcommand, normalized
    text: str  # the whole command text, as typed
    tokens: list[Token]  # everything after the subcommand

    def rest_after(self, token: Token) -> str:
        return self.text[token.end :]

    def rest_from(self, token: Token) -> str:
        return self.text[token.start :]


def no_more(args: Args, extra: list[Token], what: str, /, **params: object) -> None:
    """Refuse `extra` words; `what` (marked with `N_`, its values in `params`) says what the
    subcommand takes, e.g. `N_("one step at most")`."""
    if extra:
        raise Invalid(
            N_("`{name}` takes {what}, and {extra} is more than that. Usage: {usage}."),
            name=args.name,
            what=Said(what, **params),
            extra=quote(extra[0].text),
            usage=syntax(args.name),
        )
