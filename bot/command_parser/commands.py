"""The commands `parse_command` returns, one dataclass per subcommand, and the limits on what
they hold."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from typing import Literal

from bot.services.due_dates import DueSpec

MAX_TEXT = 3000
MAX_NAME = 80
MAX_NOTE = 2000
MAX_DUE_DAYS = 365
MAX_REMIND_DAYS = 30
MAX_LIST_PAGE = 9999
# How far back `/onboard report --since` reaches: two years.
MAX_REPORT_DAYS = 730
REPORT_DAYS = 90  # the period of `/onboard report` without `--since`
# Characters of a credential's value: Slack's limit for a plain_text_input, so the credentials
# form and the command take the same values (a 4096-bit PEM public key is ~800).
MAX_CREDENTIAL = 3000
# A `creds set` command may be longer than MAX_TEXT, to hold a value of MAX_CREDENTIAL and the
# words and options around it.
MAX_CREDS_TEXT = MAX_CREDENTIAL + 1000
# `datetime.time` stops at 23:59:59.999999, so working hours that end at `24:00` end at this.
END_OF_DAY = time.max


@dataclass(frozen=True, slots=True)
class Help:
    topic: str | None = None
    app: str | None = None


@dataclass(frozen=True, slots=True)
class NewApp:
    name: str
    app: str | None = None
    # `--another`: the channel already has an application and one more is meant; without it
    # such a `new` asks first.
    another: bool = False


@dataclass(frozen=True, slots=True)
class ListApps:
    app: str | None = None
    page: int = 1  # `/onboard list 2`: a long list comes in pages


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
class Skip:
    step: str
    reason: str  # as typed, without surrounding quotes; 1..MAX_NOTE characters
    app: str | None = None


@dataclass(frozen=True, slots=True)
class Unskip:
    step: str
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
class Remind:
    action: Literal["show", "after", "hours", "off", "on", "holidays"]
    after_days: int | None = None  # "after": working days without progress, 1..30
    start: time | None = None  # "hours": local start of the working day
    end: time | None = None  # "hours": local end, after start; `24:00` is END_OF_DAY
    holidays: str | None = None  # "holidays": a country code like "CN", or None for none
    app: str | None = None


@dataclass(frozen=True, slots=True)
class Digest:
    action: Literal["show", "daily", "weekly", "off", "tz"]
    at: time | None = None  # "daily", "weekly": local time of day
    weekday: int | None = None  # "weekly": 0 is Monday, 6 is Sunday
    tz: str | None = None  # "tz": an IANA zone name, spelled as the zone database does
    app: str | None = None


@dataclass(frozen=True, slots=True)
class Contacts:
    action: Literal["list", "add", "remove", "channel"]
    user_ids: tuple[str, ...] = ()  # "add", "remove": in order, each once
    channel_id: str | None = None  # "channel": None clears the contacts channel
    app: str | None = None


CredentialField = Literal["client_id", "public_key", "alipay_public_key", "notify_url"]
Environment = Literal["sandbox", "production"]


@dataclass(frozen=True, slots=True)
class Creds:
    action: Literal["modal", "set", "show"]
    environment: Environment | None = None  # "set" only
    field: CredentialField | None = None  # "set" only
    # "set" only: the rest of the text after the field as typed, but for surrounding whitespace
    # and one pair of surrounding quotes, backticks or ``` fences; newlines and inner spaces
    # stay (a PEM key spans lines). Its content is for the service to check.
    value: str | None = None
    force: bool = False  # unused for now; always False
    app: str | None = None


@dataclass(frozen=True, slots=True)
class Diagnose:
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


@dataclass(frozen=True, slots=True)
class Unarchive:
    app: str | None = None


@dataclass(frozen=True, slots=True)
class Report:
    """`/onboard report`: figures across applications since `since` (days back from now, or
    a date in the reader's time zone; whether the date is in the past is the use case's to
    say), in one channel (`channel_id`), in the reader's channels (neither) or in the whole
    workspace (`everywhere`, for its admins)."""

    since: int | date = REPORT_DAYS
    channel_id: str | None = None
    everywhere: bool = False
    page: int = 1
    # The channel's name as Slack's `<#C123|name>` gave it (not checked: only for showing the
    # command again); None when Slack gave none.
    channel_name: str | None = None


# --- A person's own settings (`away`, `my`) ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Away:
    action: Literal["show", "until", "off"]
    until: DueSpec | None = None  # "until": the last day away, in the person's own zone


@dataclass(frozen=True, slots=True)
class My:
    action: Literal["show", "holidays"]
    holidays: str | None = None  # "holidays": a country code like "SG", or None for none


@dataclass(frozen=True, slots=True)
class Language:
    """`/onboard language`: "show" both languages, "mine" sets the person's own (None: their
    Slack's again), "channel" sets the channel's."""

    action: Literal["show", "mine", "channel"]
    language: str | None = None  # a code of `bot.i18n.LANGUAGES`, e.g. "zh-CN"


Command = (
    Help
    | NewApp
    | ListApps
    | Status
    | Mark
    | Unmark
    | Skip
    | Unskip
    | Assign
    | Unassign
    | SetDue
    | AddNote
    | History
    | Remind
    | Digest
    | Contacts
    | Creds
    | Diagnose
    | Export
    | Rename
    | Archive
    | Unarchive
    | Report
    | Away
    | My
    | Language
)
