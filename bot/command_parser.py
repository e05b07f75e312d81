"""Parse the text of `/onboard` into a command, or into a message saying what was wrong.

Pure: no Slack, no I/O, no database. The command is registered with `should_escape: true`, so
users arrive as `<@U123|name>`, channels as `<#C123|name>`, and a typed `<` as `&lt;`.
Whether a step, application or date makes sense is for the services to decide; this module only
checks the shape of what was typed.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Literal

MAX_TEXT = 3000
MAX_NAME = 80
MAX_NOTE = 2000
MAX_DUE_DAYS = 365
_MAX_ECHO = 30  # how much of a bad token an error message repeats


# --- Results -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DueSpec:
    kind: Literal["date", "days", "none"]
    on: date | None = None
    days: int = 0


@dataclass(frozen=True, slots=True)
class Help:
    topic: str | None = None
    app: str | None = None


@dataclass(frozen=True, slots=True)
class NewApp:
    name: str
    app: str | None = None


@dataclass(frozen=True, slots=True)
class ListApps:
    app: str | None = None


@dataclass(frozen=True, slots=True)
class Status:
    phase: int | None = None
    app: str | None = None


@dataclass(frozen=True, slots=True)
class Mark:
    steps: tuple[str, ...]
    force: bool = False
    app: str | None = None


@dataclass(frozen=True, slots=True)
class Unmark:
    steps: tuple[str, ...]
    app: str | None = None


@dataclass(frozen=True, slots=True)
class Assign:
    step: str
    user_id: str
    app: str | None = None


@dataclass(frozen=True, slots=True)
class Unassign:
    step: str
    app: str | None = None


@dataclass(frozen=True, slots=True)
class SetDue:
    step: str
    due: DueSpec
    app: str | None = None


@dataclass(frozen=True, slots=True)
class AddNote:
    step: str
    text: str
    app: str | None = None


@dataclass(frozen=True, slots=True)
class History:
    step: str | None = None
    app: str | None = None


@dataclass(frozen=True, slots=True)
class Export:
    fmt: Literal["csv", "json"] = "csv"
    app: str | None = None


@dataclass(frozen=True, slots=True)
class Rename:
    name: str
    app: str | None = None


@dataclass(frozen=True, slots=True)
class Archive:
    app: str | None = None


Command = (
    Help
    | NewApp
    | ListApps
    | Status
    | Mark
    | Unmark
    | Assign
    | Unassign
    | SetDue
    | AddNote
    | History
    | Export
    | Rename
    | Archive
)


@dataclass(frozen=True, slots=True)
class ParseError:
    message: str  # Slack mrkdwn, user text already escaped


# --- Help ---------------------------------------------------------------------------------------

SUBCOMMAND_USAGE: tuple[tuple[str, str], ...] = (
    ("/onboard help [subcommand]", "this list, or how to use one subcommand, e.g. `help due`"),
    ("/onboard new <name>", "create an application in this channel, e.g. `new Acme POS`"),
    ("/onboard list", "applications in this channel, and yours elsewhere, with progress"),
    (
        "/onboard status [phase]",
        "the checklist with progress per phase, e.g. `status` or `status 2` for one phase",
    ),
    (
        "/onboard mark <step>… [--force]",
        "mark steps done, e.g. `mark 1.1 1.2` or `mark 2` for a whole phase;"
        " `--force` skips the credentials check on 3.5",
    ),
    ("/onboard unmark <step>…", "mark steps not done again, e.g. `unmark 1.2`"),
    (
        "/onboard assign <step> @person",
        "set who owns a step, e.g. `assign 1.2 @Mei`, picking the person from the autocomplete",
    ),
    ("/onboard unassign <step>", "clear a step's owner, e.g. `unassign 1.2`"),
    (
        "/onboard due <step> <when>",
        "set a due date: `YYYY-MM-DD`, `today`, `tomorrow`, `+3d`, `+2w` or `none`,"
        " e.g. `due 2.1 +3d`",
    ),
    ("/onboard note <step> <text>", "add a note to a step, e.g. `note 1.5 waiting for IT`"),
    ("/onboard history [step]", "recent changes to the application, or to one step"),
    ("/onboard export [csv|json]", "the checklist and its history as a file (CSV by default)"),
    ("/onboard rename <name>", "rename the application (owner only)"),
    ("/onboard archive", "archive the application: no more reminders or digests (owner only)"),
)

_USAGE_BY_NAME = {usage.split()[1]: (usage, about) for usage, about in SUBCOMMAND_USAGE}
_APP_OPTION_NOTE = (
    "Add `--app <slug>` to any subcommand to pick the application"
    " when this channel has more than one."
)


def help_text(topic: str | None = None) -> str:
    """Every subcommand with its usage, or just `topic`'s when that names a subcommand."""
    if topic in _USAGE_BY_NAME:
        lines = [_usage_line(*_USAGE_BY_NAME[topic])]
    else:
        lines = ["*What `/onboard` can do*", *(_usage_line(u, a) for u, a in SUBCOMMAND_USAGE)]
    lines.append(escape_mrkdwn(_APP_OPTION_NOTE))
    return "\n".join(lines)


def _usage_line(usage: str, about: str) -> str:
    return f"• `{escape_mrkdwn(usage)}` – {about}"


def _usage(name: str) -> str:
    return f"Usage: `{escape_mrkdwn(_USAGE_BY_NAME[name][0])}`."


def _subcommand_list() -> str:
    return ", ".join(f"`{name}`" for name in _USAGE_BY_NAME)


# --- Escaping -----------------------------------------------------------------------------------

# An `&` that already starts one of Slack's three entities is left alone: with should_escape
# Slack sends a typed `<` as `&lt;`, and escaping that again would show the user `&lt;`.
# The output never contains a raw `<` or `>`, so nothing in it can become a mention or link.
_TO_ESCAPE = re.compile(r"&(?!(?:amp|lt|gt);)|<|>")
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


def escape_mrkdwn(text: str) -> str:
    """Escape `&`, `<` and `>` as Slack requires, so user text can't mention or link anyone."""
    return _TO_ESCAPE.sub(lambda m: _ENTITIES[m.group()], text)


def _quote(token: str) -> str:
    """A piece of user text, shortened and escaped, as inline code for an error message."""
    if len(token) > _MAX_ECHO:
        token = token[: _MAX_ECHO - 1] + "…"
    return "`" + escape_mrkdwn(token).replace("`", "'") + "`"


# --- Tokens -------------------------------------------------------------------------------------


class _Invalid(Exception):
    """Raised inside the parser; becomes a ParseError."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class _Token:
    text: str
    start: int
    end: int


# Slack's own `<...>` (a mention with a display name, a link with a label) stays one token even
# with spaces inside; everything else splits on any Unicode whitespace.
_TOKEN = re.compile(r"(?:<[^<>]*>|[^\s<]|<)+")


def _tokenize(text: str) -> list[_Token]:
    return [_Token(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(text)]


def _normalize(token: str) -> str:
    """Fold full-width letters and digits (common with Chinese input methods) and case."""
    return unicodedata.normalize("NFKC", token).casefold()


# --- Options ------------------------------------------------------------------------------------

# Slack clients on macOS and iOS may turn a typed `--` into an en or em dash.
_OPTION_PREFIXES = ("--", "—", "–")
_SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")
_OPTIONS_HELP = (
    "The options are `--app &lt;slug&gt;`, with any subcommand, and `--force`, with `mark` only."
)


@dataclass(slots=True)
class _Options:
    app: str | None = None
    force: bool = False


def _is_option(token: _Token) -> bool:
    return token.text.startswith(_OPTION_PREFIXES)


def _take_option(tokens: list[_Token], i: int, options: _Options, subcommand: str) -> int:
    """Read the option at tokens[i] into `options`; return the index of the next token."""
    raw = tokens[i].text
    prefix = next(p for p in _OPTION_PREFIXES if raw.startswith(p))
    name, has_value, value = raw[len(prefix) :].partition("=")
    name = _normalize(name)
    if name == "app":
        if not has_value:
            if i + 1 >= len(tokens) or _is_option(tokens[i + 1]):
                raise _Invalid(
                    "`--app` needs an application slug after it, e.g. `--app acme-pos`."
                    " `/onboard list` shows the slugs."
                )
            i += 1
            value = tokens[i].text
        _set_app(options, value)
        return i + 1
    if name == "force":
        if subcommand != "mark":
            raise _Invalid(f"`--force` only works with `mark`, not with `{subcommand}`.")
        if has_value:
            raise _Invalid(
                f"`--force` takes no value; {_quote(raw)} has one. Write just `--force`."
            )
        options.force = True
        return i + 1
    raise _Invalid(f"{_quote(raw)} is not an option I know. {_OPTIONS_HELP}")


def _set_app(options: _Options, slug: str) -> None:
    if not _SLUG.fullmatch(slug):
        raise _Invalid(
            f"{_quote(slug)} is not an application slug. A slug is lowercase letters, digits and"
            " dashes, starting with a letter or digit, at most 63 long, like `acme-pos`;"
            " `/onboard list` shows them."
        )
    if options.app is not None and options.app != slug:
        raise _Invalid(
            f"`--app` is given twice, as {_quote(options.app)} and {_quote(slug)}; give it once."
        )
    options.app = slug


def _options_anywhere(tokens: list[_Token], subcommand: str) -> tuple[list[_Token], _Options]:
    """Options may sit anywhere among the arguments; return the arguments without them."""
    options = _Options()
    positional: list[_Token] = []
    i = 0
    while i < len(tokens):
        if _is_option(tokens[i]):
            i = _take_option(tokens, i, options, subcommand)
        else:
            positional.append(tokens[i])
            i += 1
    return positional, options


def _options_leading(tokens: list[_Token], subcommand: str) -> tuple[list[_Token], _Options]:
    """Options only before the first argument: what follows is free text, kept as typed."""
    options = _Options()
    i = 0
    while i < len(tokens) and _is_option(tokens[i]):
        i = _take_option(tokens, i, options, subcommand)
    return tokens[i:], options


# --- Argument shapes ----------------------------------------------------------------------------

_STEP = re.compile(r"[0-9]{1,2}(?:\.[0-9]{1,2})?")
_PHASE = re.compile(r"[0-9]{1,2}")
_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_OFFSET = re.compile(r"(\+)?([0-9]{1,6})([dw])?")
_USER = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^<>]*)?>")
_DUE_FORMS = "`YYYY-MM-DD`, `today`, `tomorrow`, `+3d`, `+2w` or `none`"
_QUOTE_PAIRS = {
    '"': '"”“',
    "“": '”"“',
    "”": '”"',
    "„": '“”"',
    "'": "'’‘",
    "‘": "’'‘",
    "’": "’'",
}
# Characters that draw nothing or reorder the text around them: no use in a name.
_INVISIBLE = frozenset(
    "\u200b\u2060\ufeff"  # zero-width space, word joiner, byte order mark
    "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"  # direction marks
)


def _step(text: str, phases_ok: bool = True) -> str:
    step = unicodedata.normalize("NFKC", text)
    if _STEP.fullmatch(step):
        return step
    valid = "Steps look like `3.4`"
    valid += "; a phase number like `3` means all of its steps." if phases_ok else "."
    raise _Invalid(f"{_quote(text)} is not a step. {valid}")


def _steps(tokens: Iterable[_Token]) -> tuple[str, ...]:
    """Steps as typed, in order, each once; `1.1,1.2` is read as two steps."""
    steps: dict[str, None] = {}
    for token in tokens:
        for part in token.text.split(","):
            if part:
                steps.setdefault(_step(part))
    return tuple(steps)


def _due(token_text: str) -> DueSpec:
    word = _normalize(token_text)
    if word in ("none", "clear"):
        return DueSpec("none")
    if word == "today":
        return DueSpec("days", days=0)
    if word == "tomorrow":
        return DueSpec("days", days=1)
    if m := _DATE.fullmatch(word):
        try:
            return DueSpec("date", on=date(int(m[1]), int(m[2]), int(m[3])))
        except ValueError:
            raise _Invalid(
                f"{_quote(token_text)} is not a real date. Dates look like `2026-12-01`"
                " (year, month, day)."
            ) from None
    if (m := _OFFSET.fullmatch(word)) and (m[1] or m[3]):
        days = int(m[2]) * (7 if m[3] == "w" else 1)
        if days > MAX_DUE_DAYS:
            raise _Invalid(
                f"{_quote(token_text)} is too far ahead; a due date can be at most"
                f" {MAX_DUE_DAYS} days out (`+{MAX_DUE_DAYS}d` or `+52w`)."
            )
        return DueSpec("days", days=days)
    raise _Invalid(f"{_quote(token_text)} is not a due date I understand. Use {_DUE_FORMS}.")


def _strip_quotes(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[-1] in _QUOTE_PAIRS.get(text[0], ""):
        text = text[1:-1].strip()
    return text


def _clean_name(raw: str) -> str:
    text = "".join(
        ch
        for ch in _strip_quotes(raw)
        if ch.isspace() or (unicodedata.category(ch) not in ("Cc", "Cs") and ch not in _INVISIBLE)
    )
    return " ".join(text.split())


# --- Subcommands --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Args:
    name: str  # the subcommand, normalized
    text: str  # the whole command text, as typed
    tokens: list[_Token]  # everything after the subcommand

    def rest_after(self, token: _Token) -> str:
        return self.text[token.end :]

    def rest_from(self, token: _Token) -> str:
        return self.text[token.start :]


def _no_more(args: _Args, extra: list[_Token], what: str) -> None:
    if extra:
        raise _Invalid(
            f"`{args.name}` takes {what}, and {_quote(extra[0].text)} is more than that."
            f" {_usage(args.name)}"
        )


def _parse_help(args: _Args) -> Command:
    positional, options = _options_anywhere(args.tokens, args.name)
    if not positional:
        return Help(app=options.app)
    _no_more(args, positional[1:], "one subcommand at most")
    topic = _normalize(positional[0].text)
    if topic not in _USAGE_BY_NAME:
        raise _Invalid(
            f"I have no help on {_quote(positional[0].text)}."
            f" Ask about one of the subcommands: {_subcommand_list()}."
        )
    return Help(topic=topic, app=options.app)


def _name(args: _Args) -> tuple[str, str | None]:
    rest, options = _options_leading(args.tokens, args.name)
    name = _clean_name(args.rest_from(rest[0])) if rest else ""
    if not name:
        raise _Invalid(f"`{args.name}` needs a name for the application. {_usage(args.name)}")
    if len(name) > MAX_NAME:
        raise _Invalid(
            f"That name is {len(name):,} characters long; a name can be at most {MAX_NAME}."
        )
    return name, options.app


def _parse_new(args: _Args) -> Command:
    return NewApp(*_name(args))


def _parse_rename(args: _Args) -> Command:
    return Rename(*_name(args))


def _parse_list(args: _Args) -> Command:
    positional, options = _options_anywhere(args.tokens, args.name)
    _no_more(args, positional, "nothing but `--app &lt;slug&gt;`")
    return ListApps(app=options.app)


def _parse_archive(args: _Args) -> Command:
    positional, options = _options_anywhere(args.tokens, args.name)
    _no_more(args, positional, "nothing but `--app &lt;slug&gt;`")
    return Archive(app=options.app)


def _parse_status(args: _Args) -> Command:
    positional, options = _options_anywhere(args.tokens, args.name)
    if not positional:
        return Status(app=options.app)
    _no_more(args, positional[1:], "one phase number at most")
    phase = unicodedata.normalize("NFKC", positional[0].text)
    if not _PHASE.fullmatch(phase) or not 1 <= int(phase) <= 99:
        raise _Invalid(
            f"{_quote(positional[0].text)} is not a phase. Give a phase number from 1 to 99,"
            " like `status 3`, or nothing for the whole checklist."
        )
    return Status(phase=int(phase), app=options.app)


def _parse_mark(args: _Args) -> Command:
    positional, options = _options_anywhere(args.tokens, args.name)
    steps = _steps(positional)
    if not steps:
        raise _Invalid(
            "`mark` needs at least one step, e.g. `mark 1.1 1.2`, or `mark 2` for a whole phase."
        )
    return Mark(steps=steps, force=options.force, app=options.app)


def _parse_unmark(args: _Args) -> Command:
    positional, options = _options_anywhere(args.tokens, args.name)
    steps = _steps(positional)
    if not steps:
        raise _Invalid(
            "`unmark` needs at least one step, e.g. `unmark 1.2`, or `unmark 2` for a whole phase."
        )
    return Unmark(steps=steps, app=options.app)


def _one_step(args: _Args, positional: list[_Token]) -> str:
    if not positional:
        raise _Invalid(f"`{args.name}` needs a step, like `3.4`. {_usage(args.name)}")
    return _step(positional[0].text, phases_ok=False)


def _parse_assign(args: _Args) -> Command:
    positional, options = _options_anywhere(args.tokens, args.name)
    if positional and positional[0].text.startswith("<@") and len(positional) > 1:
        raise _Invalid("Put the step first, then the person: `/onboard assign 1.2 @Mei`.")
    step = _one_step(args, positional)
    if len(positional) < 2:
        raise _Invalid(
            f"Who should own step {_quote(step)}? Add the person, picked from Slack's"
            f" autocomplete: `/onboard assign {escape_mrkdwn(step)} @Mei`."
        )
    if len(positional) > 2:
        raise _Invalid(
            "A step has one owner, so `assign` takes one person."
            f" {_quote(positional[2].text)} is one too many. {_usage('assign')}"
        )
    who = positional[1].text
    if m := _USER.fullmatch(who):
        return Assign(step=step, user_id=m[1], app=options.app)
    if who.startswith("<#"):
        problem = "is a channel; a step is owned by one person."
    elif who.startswith("<!"):
        problem = "is a group or a special mention; a step is owned by one person."
    else:
        problem = "is not a linked Slack mention."
    raise _Invalid(
        f"{_quote(who)} {problem} Type `@` and pick the person from Slack's autocomplete so"
        f" the mention is linked: `/onboard assign {escape_mrkdwn(step)} @Mei`."
    )


def _parse_unassign(args: _Args) -> Command:
    positional, options = _options_anywhere(args.tokens, args.name)
    step = _one_step(args, positional)
    _no_more(args, positional[1:], "one step")
    return Unassign(step=step, app=options.app)


def _parse_due(args: _Args) -> Command:
    positional, options = _options_anywhere(args.tokens, args.name)
    step = _one_step(args, positional)
    if len(positional) < 2:
        raise _Invalid(f"When is step {_quote(step)} due? Use {_DUE_FORMS}. {_usage('due')}")
    if len(positional) > 2:
        when = args.text[positional[1].start : positional[-1].end]
        raise _Invalid(f"{_quote(when)} is not a due date I understand. Use {_DUE_FORMS}.")
    return SetDue(step=step, due=_due(positional[1].text), app=options.app)


def _parse_note(args: _Args) -> Command:
    rest, options = _options_leading(args.tokens, args.name)
    step = _one_step(args, rest)
    text = _strip_quotes(args.rest_after(rest[0]))
    if not text:
        raise _Invalid(f"The note for step {_quote(step)} is empty. {_usage('note')}")
    if len(text) > MAX_NOTE:
        raise _Invalid(
            f"That note is {len(text):,} characters long; a note can be at most {MAX_NOTE:,}."
            " Split it into several notes."
        )
    return AddNote(step=step, text=text, app=options.app)


def _parse_history(args: _Args) -> Command:
    positional, options = _options_anywhere(args.tokens, args.name)
    if not positional:
        return History(app=options.app)
    _no_more(args, positional[1:], "one step at most")
    return History(step=_step(positional[0].text), app=options.app)


def _parse_export(args: _Args) -> Command:
    positional, options = _options_anywhere(args.tokens, args.name)
    if not positional:
        return Export(app=options.app)
    _no_more(args, positional[1:], "one format at most")
    fmt = _normalize(positional[0].text)
    if fmt == "csv":
        return Export(fmt="csv", app=options.app)
    if fmt == "json":
        return Export(fmt="json", app=options.app)
    raise _Invalid(
        f"{_quote(positional[0].text)} is not an export format. Use `csv` (the default) or `json`."
    )


_PARSERS: dict[str, Callable[[_Args], Command]] = {
    "help": _parse_help,
    "new": _parse_new,
    "list": _parse_list,
    "status": _parse_status,
    "mark": _parse_mark,
    "unmark": _parse_unmark,
    "assign": _parse_assign,
    "unassign": _parse_unassign,
    "due": _parse_due,
    "note": _parse_note,
    "history": _parse_history,
    "export": _parse_export,
    "rename": _parse_rename,
    "archive": _parse_archive,
}
assert tuple(_PARSERS) == tuple(_USAGE_BY_NAME)


# --- Entry point --------------------------------------------------------------------------------

_INTERNAL_ERROR = "Sorry, I couldn't read that command. Try `/onboard help` for what I understand."


def parse_command(text: str) -> Command | ParseError:
    """Read `/onboard` text. Never raises: bad input comes back as a ParseError to show."""
    try:
        return _parse(text)
    except _Invalid as invalid:
        return ParseError(invalid.message)
    except Exception:
        # The listener must always answer; tests check this fallback is never reached.
        return ParseError(_INTERNAL_ERROR)


def _parse(text: str) -> Command:
    if not isinstance(text, str):
        raise _Invalid(_INTERNAL_ERROR)
    if len(text) > MAX_TEXT:
        raise _Invalid(
            f"That command is {len(text):,} characters long; the most I take is {MAX_TEXT:,}."
        )
    tokens = _tokenize(text)
    if not tokens:
        return Help()
    head, *rest = tokens
    if _is_option(head):
        raise _Invalid(
            "Start with the subcommand, then any options, e.g. `/onboard status --app acme-pos`."
            f" The subcommands are {_subcommand_list()}."
        )
    name = _normalize(head.text)
    parser = _PARSERS.get(name)
    if parser is None:
        raise _Invalid(
            f"{_quote(head.text)} is not a subcommand. The subcommands are {_subcommand_list()};"
            " `/onboard help` says what each does."
        )
    return parser(_Args(name=name, text=text, tokens=rest))
