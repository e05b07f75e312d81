"""The subcommands about Alipay credentials: `creds` and `diagnose`.

Error messages about `creds` never repeat what may be a credential, not even in part.
"""

from __future__ import annotations

import re

from bot.command_parser.commands import (
    MAX_CREDENTIAL,
    Command,
    CredentialField,
    Creds,
    Diagnose,
    Environment,
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
    quote,
    strip_quotes,
    take_option,
)
from bot.i18n import N_

_ENVIRONMENTS: dict[str, Environment] = {
    "sandbox": "sandbox",
    "production": "production",
    "prod": "production",
}
_CREDENTIAL_FIELDS: dict[str, CredentialField] = {
    "client-id": "client_id",
    "public-key": "public_key",
    "alipay-public-key": "alipay_public_key",
    "notify-url": "notify_url",
}
_ENVIRONMENT_FORMS = Said(N_("`sandbox` or `production` (or `prod`)"))
_FIELD_FORMS = Said(
    N_("`client-id`, `public-key` (yours), `alipay-public-key` (Alipay's) or `notify-url`")
)
_CREDS_SET_USAGE = Said(
    N_("Usage: {usage}."),
    usage="`/onboard creds set &lt;sandbox|production&gt;"
    " &lt;client-id|public-key|alipay-public-key|notify-url&gt; &lt;value&gt;`",
)
_CREDS_FORMS = Said(
    N_(
        "Use `/onboard creds` alone to fill the credentials in with a form, `creds show` to see"
        " them, or `creds set &lt;environment&gt; &lt;field&gt; &lt;value&gt;` to set one."
    )
)
# Only a short word of letters is repeated: a client ID, key or URL is longer or holds digits
# or `:`.
_ECHOABLE = re.compile(r"[A-Za-z][A-Za-z_-]{0,10}")
# A PEM key starts like an option; before the value, it is the value come too early.
_PEM_START = "-----"
_CODE_FENCE = "```"


def _echo(token: Token, otherwise: str) -> str | Said:
    """`token` quoted if it is safe to repeat (see _ECHOABLE), else the words `otherwise` (a
    message marked with `N_`)."""
    return quote(token.text) if _ECHOABLE.fullmatch(token.text) else Said(otherwise)


def _environment(token: Token) -> Environment | None:
    return _ENVIRONMENTS.get(normalize(token.text))


def _credential_field(token: Token) -> CredentialField | None:
    return _CREDENTIAL_FIELDS.get(normalize(token.text).replace("_", "-"))


def _credential_value(raw: str) -> str:
    """`raw` without surrounding whitespace and one pair of quotes, backticks or ``` fences."""
    text = raw.strip()
    fence = len(_CODE_FENCE)
    if len(text) >= 2 * fence and text.startswith(_CODE_FENCE) and text.endswith(_CODE_FENCE):
        return text[fence:-fence].strip()
    if len(text) >= 2 and text[0] == text[-1] == "`":
        return text[1:-1].strip()
    return strip_quotes(text)


def parse_creds(args: Args) -> Command:
    # Options may sit anywhere before the value; after `set <environment> <field>` the rest of
    # the text is the value, kept as typed (it may well start with `-----`).
    options = Options()
    words: list[Token] = []
    i = 0
    while i < len(args.tokens):
        if len(words) == 3 and normalize(words[0].text) == "set":
            break
        token = args.tokens[i]
        if is_option(token) and not token.text.startswith(_PEM_START):
            i = take_option(args.tokens, i, options, args.name)
        else:
            words.append(token)
            i += 1
    if not words:
        return Creds("modal", app=options.app)
    first, rest = words[0], words[1:]
    action = normalize(first.text)
    if action == "show":
        if rest:
            raise Invalid(
                N_(
                    "`creds show` shows sandbox and production both, and takes nothing but"
                    " `--app &lt;slug&gt;`, and {what} is more than that. {forms}"
                ),
                what=_echo(rest[0], N_("what follows `show`")),
                forms=_CREDS_FORMS,
            )
        return Creds("show", app=options.app)
    if action == "set":
        return _creds_set(args, rest, options)
    if _environment(first) is not None:
        hint = Said(N_(" Say `set` first: `/onboard creds set sandbox client-id &lt;value&gt;`."))
    elif _credential_field(first) is not None:
        hint = Said(
            N_(
                " Say `set` and the environment first:"
                " `/onboard creds set sandbox client-id &lt;value&gt;`."
            )
        )
    else:
        hint = ""
    raise Invalid(
        N_("{what} is not a `creds` action. {forms}{hint}"),
        what=_echo(first, N_("That")),
        forms=_CREDS_FORMS,
        hint=hint,
    )


def _creds_set(args: Args, words: list[Token], options: Options) -> Creds:
    if not words:
        raise Invalid(
            N_("`creds set` needs an environment, a field and a value. {usage}"),
            usage=_CREDS_SET_USAGE,
        )
    environment = _environment(words[0])
    if environment is None:
        if (field := _credential_field(words[0])) is not None:
            raise Invalid(
                N_(
                    "Say which environment first, {forms}, then the field:"
                    " `/onboard creds set sandbox {field} &lt;value&gt;`."
                ),
                forms=_ENVIRONMENT_FORMS,
                field=field.replace("_", "-"),
            )
        raise Invalid(
            N_("{what} is not an environment. Use {forms}, then the field and the value. {usage}"),
            what=_echo(words[0], N_("The word after `set`")),
            forms=_ENVIRONMENT_FORMS,
            usage=_CREDS_SET_USAGE,
        )
    if len(words) < 2:
        raise Invalid(
            N_(
                "Which credential of {environment}? After the environment, give the field,"
                " {fields}, then the value. {usage}"
            ),
            environment=environment,
            fields=_FIELD_FORMS,
            usage=_CREDS_SET_USAGE,
        )
    field = _credential_field(words[1])
    if field is None:
        if _environment(words[1]) is not None:
            hint = Said(N_(" Give one environment."))
        elif not _ECHOABLE.fullmatch(words[1].text):
            hint = Said(N_(" Give the field before the value."))
        else:
            hint = ""
        raise Invalid(
            N_("{what} is not a credential field. Use {fields}.{hint} {usage}"),
            what=_echo(words[1], N_("The word after the environment")),
            fields=_FIELD_FORMS,
            hint=hint,
            usage=_CREDS_SET_USAGE,
        )
    value = _credential_value(args.rest_after(words[1]))
    if not value:
        raise Invalid(
            N_("`creds set {environment} {field}` needs the value after the field. {usage}"),
            environment=environment,
            field=field.replace("_", "-"),
            usage=_CREDS_SET_USAGE,
        )
    if len(value) > MAX_CREDENTIAL:
        raise Invalid(
            N_(
                "That value is {length:,} characters long; a credential can be at most"
                " {most:,}. A public key is usually under 1,000: paste just the one key."
            ),
            length=len(value),
            most=MAX_CREDENTIAL,
        )
    return Creds("set", environment=environment, field=field, value=value, app=options.app)


def parse_diagnose(args: Args) -> Command:
    positional, options = options_anywhere(args.tokens, args.name)
    no_more(args, positional, N_("nothing but `--app &lt;slug&gt;`"))
    return Diagnose(app=options.app)
