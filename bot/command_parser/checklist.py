"""The subcommands about applications and their checklists: `new`, `rename`, `list`,
`archive`, `unarchive`, `status`, `mark`, `unmark`, `skip`, `unskip`, `assign`, `unassign`, `due`,
`note`, `history` and `export`."""

from __future__ import annotations

import unicodedata

from bot.blocks.mrkdwn import escape_mrkdwn
from bot.command_parser import values
from bot.command_parser.commands import (
    MAX_LIST_PAGE,
    MAX_NAME,
    MAX_NOTE,
    AddNote,
    Archive,
    Assign,
    Command,
    Export,
    History,
    ListApps,
    Mark,
    NewApp,
    Rename,
    SetDue,
    Skip,
    Status,
    Unarchive,
    Unassign,
    Unmark,
    Unskip,
)
from bot.command_parser.messages import Said
from bot.command_parser.tokens import (
    Args,
    Invalid,
    Options,
    Token,
    is_option,
    no_more,
    normalize,
    options_anywhere,
    options_leading,
    quote,
    split_quoted,
    strip_quotes,
    take_option,
    tokenize,
)
from bot.command_parser.usage import syntax
from bot.i18n import N_


def _name(args: Args) -> tuple[str, str | None]:
    rest, options = options_leading(args.tokens, args.name)
    name = values.clean_name(args.rest_from(rest[0])) if rest else ""
    if not name:
        raise Invalid(
            N_("`{name}` needs a name for the application. Usage: {usage}."),
            name=args.name,
            usage=syntax(args.name),
        )
    if len(name) > MAX_NAME:
        raise Invalid(
            N_("That name is {length:,} characters long; a name can be at most {most}."),
            length=len(name),
            most=MAX_NAME,
        )
    return name, options.app


ANOTHER = "--another"


def parse_new(args: Args) -> Command:
    """`new <name>`, with `--another` first or last when the channel already has one."""
    tokens, another = list(args.tokens), False
    if tokens and _is_another(tokens[0]):
        tokens, another = tokens[1:], True
    if tokens and _is_another(tokens[-1]):
        # The name runs to the end of the text: cut it before the option.
        args = Args(args.name, args.text[: tokens[-1].start], tokens[:-1])
        tokens, another = tokens[:-1], True
    return NewApp(*_name(Args(args.name, args.text, tokens)), another=another)


def _is_another(token: Token) -> bool:
    # Slack on macOS and iOS may turn a typed `--` into a dash.
    text = normalize(token.text)
    return text.lstrip("-—–") == "another" and text != "another"


def parse_rename(args: Args) -> Command:
    return Rename(*_name(args))


def parse_list(args: Args) -> Command:
    positional, options = options_anywhere(args.tokens, args.name)
    if not positional:
        return ListApps(app=options.app)
    no_more(args, positional[1:], N_("one page number at most"))
    page = unicodedata.normalize("NFKC", positional[0].text)
    if not page.isdecimal() or not 1 <= int(page) <= MAX_LIST_PAGE:
        raise Invalid(
            N_(
                "{word} is not a page number. `list` shows the first page of"
                " applications, `list 2` the next, and so on."
            ),
            word=quote(positional[0].text),
        )
    return ListApps(app=options.app, page=int(page))


def parse_archive(args: Args) -> Command:
    positional, options = options_anywhere(args.tokens, args.name)
    no_more(args, positional, N_("nothing but `--app &lt;slug&gt;`"))
    return Archive(app=options.app)


def parse_unarchive(args: Args) -> Command:
    positional, options = options_anywhere(args.tokens, args.name)
    no_more(args, positional, N_("nothing but `--app &lt;slug&gt;`"))
    return Unarchive(app=options.app)


def parse_status(args: Args) -> Command:
    positional, options = options_anywhere(args.tokens, args.name)
    if not positional:
        return Status(app=options.app)
    no_more(args, positional[1:], N_("one phase number at most"))
    phase = unicodedata.normalize("NFKC", positional[0].text)
    if not values.PHASE.fullmatch(phase) or not 1 <= int(phase) <= 99:
        raise Invalid(
            N_(
                "{word} is not a phase. Give a phase number from 1 to 99,"
                " like `status 3`, or nothing for the whole checklist."
            ),
            word=quote(positional[0].text),
        )
    return Status(phase=int(phase), app=options.app)


def parse_mark(args: Args) -> Command:
    positional, options = options_anywhere(args.tokens, args.name)
    steps = values.steps(positional)
    if not steps:
        raise Invalid(
            N_(
                "`mark` needs at least one step, e.g. `mark 1.1 1.2`, or `mark 2` for a whole"
                " phase."
            )
        )
    return Mark(steps=steps, force=options.force, app=options.app)


def parse_unmark(args: Args) -> Command:
    positional, options = options_anywhere(args.tokens, args.name)
    steps = values.steps(positional)
    if not steps:
        raise Invalid(
            N_(
                "`unmark` needs at least one step, e.g. `unmark 1.2`, or `unmark 2` for a whole"
                " phase."
            )
        )
    return Unmark(steps=steps, app=options.app)


def _one_step(args: Args, positional: list[Token]) -> str:
    if not positional:
        raise Invalid(
            N_("`{name}` needs a step, like `3.4`. Usage: {usage}."),
            name=args.name,
            usage=syntax(args.name),
        )
    return values.step(positional[0].text, phases_ok=False)


# Shown wherever a skip's reason is wrong: here and by the skip use case.
SKIP_EXAMPLE = '`/onboard skip 4.2 "we only integrate QR, not NFC"`'


def parse_skip(args: Args) -> Command:
    """`skip 4.2 "reason"`, or the reason as the rest of the line; `--app` before the reason,
    or after it (after a quoted reason, or as the line's last two words). The reason is only
    taken apart here; the skip use case says what a reason must be (empty, too long)."""
    rest, options = options_leading(args.tokens, args.name)
    step = _one_step(args, rest)
    i = 1
    while i < len(rest) and is_option(rest[i]):
        i = take_option(rest, i, options, args.name)
    reason = _skip_reason(args, rest[i:], options)
    return Skip(step=step, reason=reason, app=options.app)


def _skip_reason(args: Args, tokens: list[Token], options: Options) -> str:
    if not tokens:
        return ""
    text = args.text[tokens[0].start :].strip()
    quoted = split_quoted(text)
    if quoted is not None:
        reason, after = quoted
        tail = tokenize(after)
        i = 0
        while i < len(tail):
            if not is_option(tail[i]):
                raise Invalid(
                    N_(
                        "{after} follows the quoted reason. Put the whole reason"
                        " inside the quotes, e.g. {example}."
                    ),
                    after=quote(after.strip()),
                    example=SKIP_EXAMPLE,
                )
            i = take_option(tail, i, options, args.name)
        return reason.strip()
    # An unquoted reason runs to the end of the line, but for a final `--app <slug>`.
    if len(tokens) >= 3 and is_option(tokens[-2]) and not is_option(tokens[-1]):
        take_option(tokens, len(tokens) - 2, options, args.name)
        text = args.text[tokens[0].start : tokens[-2].start]
    elif len(tokens) >= 2 and is_option(tokens[-1]) and "=" in tokens[-1].text:
        take_option(tokens, len(tokens) - 1, options, args.name)
        text = args.text[tokens[0].start : tokens[-1].start]
    return strip_quotes(text)


def parse_unskip(args: Args) -> Command:
    positional, options = options_anywhere(args.tokens, args.name)
    step = _one_step(args, positional)
    no_more(args, positional[1:], N_("one step"))
    return Unskip(step=step, app=options.app)


def parse_assign(args: Args) -> Command:
    positional, options = options_anywhere(args.tokens, args.name)
    if positional and positional[0].text.startswith("<@") and len(positional) > 1:
        raise Invalid(N_("Put the step first, then the person: `/onboard assign 1.2 @Mei`."))
    step = _one_step(args, positional)
    if len(positional) < 2:
        raise Invalid(
            N_(
                "Who should own step {step}? Add the person, picked from Slack's"
                " autocomplete: `/onboard assign {typed} @Mei`."
            ),
            step=quote(step),
            typed=escape_mrkdwn(step),
        )
    if len(positional) > 2:
        raise Invalid(
            N_(
                "A step has one owner, so `assign` takes one person."
                " {extra} is one too many. Usage: {usage}."
            ),
            extra=quote(positional[2].text),
            usage=syntax("assign"),
        )
    who = positional[1].text
    if m := values.USER.fullmatch(who):
        return Assign(step=step, user_id=m[1], app=options.app)
    if who.startswith("<#"):
        problem = Said(N_("is a channel; a step is owned by one person."))
    elif who.startswith("<!"):
        problem = Said(N_("is a group or a special mention; a step is owned by one person."))
    else:
        problem = Said(N_("is not a linked Slack mention."))
    raise values.not_a_person(who, problem, f"assign {escape_mrkdwn(step)} @Mei")


def parse_unassign(args: Args) -> Command:
    positional, options = options_anywhere(args.tokens, args.name)
    step = _one_step(args, positional)
    no_more(args, positional[1:], N_("one step"))
    return Unassign(step=step, app=options.app)


def parse_due(args: Args) -> Command:
    positional, options = options_anywhere(args.tokens, args.name)
    step = _one_step(args, positional)
    if len(positional) < 2:
        raise Invalid(
            N_("When is step {step} due? Use {forms}. Usage: {usage}."),
            step=quote(step),
            forms=values.DUE_FORMS,
            usage=syntax("due"),
        )
    if len(positional) > 2:
        when = args.text[positional[1].start : positional[-1].end]
        raise Invalid(values.NOT_A_DUE_DATE, when=quote(when), forms=values.DUE_FORMS)
    return SetDue(step=step, due=values.due(positional[1].text), app=options.app)


def parse_note(args: Args) -> Command:
    rest, options = options_leading(args.tokens, args.name)
    step = _one_step(args, rest)
    text = strip_quotes(args.rest_after(rest[0]))
    if not text:
        raise Invalid(
            N_("The note for step {step} is empty. Usage: {usage}."),
            step=quote(step),
            usage=syntax("note"),
        )
    if len(text) > MAX_NOTE:
        raise Invalid(
            N_(
                "That note is {length:,} characters long; a note can be at most {most:,}."
                " Split it into several notes."
            ),
            length=len(text),
            most=MAX_NOTE,
        )
    return AddNote(step=step, text=text, app=options.app)


def parse_history(args: Args) -> Command:
    positional, options = options_anywhere(args.tokens, args.name)
    if not positional:
        return History(app=options.app)
    no_more(args, positional[1:], N_("one step at most"))
    return History(step=values.step(positional[0].text), app=options.app)


def parse_export(args: Args) -> Command:
    positional, options = options_anywhere(args.tokens, args.name)
    if not positional:
        return Export(app=options.app)
    no_more(args, positional[1:], N_("one format at most"))
    fmt = normalize(positional[0].text)
    if fmt == "csv":
        return Export(fmt="csv", app=options.app)
    if fmt == "json":
        return Export(fmt="json", app=options.app)
    raise Invalid(
        N_("{word} is not an export format. Use `csv` (the default) or `json`."),
        word=quote(positional[0].text),
    )
