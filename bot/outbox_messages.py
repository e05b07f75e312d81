"""What Onboard queues in the outbox: one frozen dataclass per kind of message.

Named for the outbox, and kept at the top of `bot` rather than in services or blocks, because
it is what the two ends of the outbox agree on: the producers (reminders, digests,
announcements, assignment DMs, Alipay notifications, delivery's own notice) build these,
bot/delivery.py reads them back from claimed rows and bot/blocks/notifications.py renders
them. It imports from neither end.

Each class's KIND is the `kind` column of its rows and must never change: rows queued by an
earlier version are read by it (it also starts the producers' dedupe keys, and a template
step's `announces` names GoLive's or BusinessStart's). `to_payload` gives the row's JSON
payload and `from_payload` reads it back (bot/payload_codec.py: dates as ISO strings, unknown
keys ignored, a missing or wrong field refused with UnreadablePayload). `decode(kind, payload)`
reads a claimed row into the class its kind names, and raises UnreadablePayload for a kind it
does not know. The kinds a channel sees carry its `language` (bot/i18n), which
bot/blocks/notifications.py renders them in; rows queued before that read as English.
storage/ stays dict-based: `for_outbox` turns a message into the NewMessage that storage
enqueues.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, ClassVar, Self

from bot.analytics.figures import BurnUpPoint
from bot.payload_codec import UnreadablePayload, from_json, to_json
from storage.outbox import NewMessage


class Message:
    """The common part of every kind: its KIND and its JSON form."""

    __slots__ = ()
    KIND: ClassVar[str]

    def to_payload(self) -> dict[str, Any]:
        return to_json(self)

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> Self:
        return from_json(cls, payload, cls.KIND)

    def for_outbox(
        self,
        *,
        dedupe_key: str,
        team_id: str,
        target: str,
        application_id: int | None = None,
        step: str | None = None,
        not_before: datetime | None = None,
        covers: tuple[tuple[int, str], ...] = (),
    ) -> NewMessage:
        return NewMessage(
            dedupe_key=dedupe_key,
            team_id=team_id,
            kind=self.KIND,
            target=target,
            payload=self.to_payload(),
            application_id=application_id,
            step=step,
            not_before=not_before,
            covers=covers,
        )


@dataclass(frozen=True, slots=True)
class Reminder(Message):
    """A DM about one step that stalled or is overdue. Queued by earlier versions, one a step;
    passes now queue `Reminders`, one a person. Kept so that rows still queued are sent."""

    KIND: ClassVar[str] = "reminder"
    application_id: int
    application: str
    slug: str
    step: str
    title: str
    channel: str  # the application's channel
    reason: str  # "stalled" or "overdue"
    waited_days: int  # working days, in the recipient's zone
    since: date  # in the recipient's zone
    due_on: date | None
    # The step's assignee when they are not in the channel, or away, and the owner is reminded
    # instead. Rows queued before this field have no such key and read as None.
    instead_of: str | None = None
    # When `instead_of` is away (`/onboard away until`): the last day they are away. Rows
    # queued before this field have no such key and read as None.
    away_until: date | None = None
    # The reader's language (bot/i18n), set by the producer; rows queued before it read "en".
    language: str = "en"


@dataclass(frozen=True, slots=True)
class RemindedStep:
    """One step in a reminder DM: why it is there, and what the reader needs to act on it."""

    step: str
    title: str
    reason: str  # "stalled" or "overdue"
    waited_days: int  # working days, in the recipient's zone
    since: date  # in the recipient's zone
    due_on: date | None
    # The step's assignee when they are not in the channel, or away, and the owner is reminded
    # instead; `away_until`, the last day they are away.
    instead_of: str | None = None
    away_until: date | None = None
    note: str | None = None  # the step's latest note, as written
    note_by: str | None = None


@dataclass(frozen=True, slots=True)
class RemindedApplication:
    application_id: int
    application: str
    slug: str
    channel: str  # the application's channel
    steps: tuple[RemindedStep, ...]


@dataclass(frozen=True, slots=True)
class Reminders(Message):
    """The one reminder DM a person gets in a pass: their stalled and overdue steps, grouped by
    application, the longest-waiting application first. `more`: steps left out to keep the
    message within Slack's limits (they are not counted as reminded; the next DM lists them
    first)."""

    KIND: ClassVar[str] = "reminders"
    applications: tuple[RemindedApplication, ...]
    more: int = 0
    # slack://app?team=…&id=…&tab=home, set by the pass (bot/scheduler.py) when Slack told the
    # app's id: the "…and N more" line links there.
    app_home: str | None = None
    # The reader's language (bot/i18n), set by the producer; rows queued before it read "en".
    language: str = "en"


@dataclass(frozen=True, slots=True)
class Escalation(Message):
    """To the application's channel: a step whose last reminders all went unanswered. Queued
    by earlier versions; passes now queue `Escalations`, one a channel."""

    KIND: ClassVar[str] = "escalation"
    application_id: int
    application: str
    slug: str
    step: str
    title: str
    recipient: str  # who was reminded
    owner: str
    reminders: int
    since: date
    language: str = "en"  # the channel's: as for Escalations


@dataclass(frozen=True, slots=True)
class EscalatedStep:
    application_id: int
    application: str
    slug: str
    step: str
    title: str
    recipient: str  # who was reminded
    owner: str
    reminders: int
    since: date  # unanswered since, in the recipient's zone


@dataclass(frozen=True, slots=True)
class Escalations(Message):
    """To a channel, at most one a pass: the steps of its applications whose last reminders
    all went unanswered. `more`: steps left out to fit Slack's limits (told in a later pass)."""

    KIND: ClassVar[str] = "escalations"
    steps: tuple[EscalatedStep, ...]
    more: int = 0
    # The channel's language (bot/i18n), the message rendered in it. Rows queued before this
    # field have no such key and read as English.
    language: str = "en"


@dataclass(frozen=True, slots=True)
class GoLive(Message):
    """To the application's channel when its launch step is marked done."""

    KIND: ClassVar[str] = "go-live"
    application_id: int
    application: str
    slug: str
    channel: str
    marked_by: str
    marked_on: date
    step: str | None  # the step that announces going live, if the template has one
    language: str = "en"  # the channel's: as for Escalations


@dataclass(frozen=True, slots=True)
class PilotStep:
    step: str
    title: str
    done_on: date | None
    skip_reason: str | None = None  # the step was skipped (does not apply), and why


@dataclass(frozen=True, slots=True)
class BusinessStart(Message):
    """To the Alipay contacts (their channel, or each in a DM) when business starts."""

    KIND: ClassVar[str] = "business-start"
    application_id: int
    application: str
    slug: str
    channel: str  # the application's channel, not where this one goes
    marked_by: str
    marked_on: date
    step: str | None
    contacts: tuple[str, ...]
    went_live_on: date | None
    pilot: tuple[PilotStep, ...]
    # Masked: enough for Alipay to recognise the application, never the credential in full.
    production_client_id: str | None = None
    # The contacts' language (their channel's, or theirs for a DM): as for Escalations.
    language: str = "en"


@dataclass(frozen=True, slots=True)
class BusinessStartNoContacts(Message):
    """To the application's channel instead, when business starts and nobody is to be told.

    Rows written before this class also hold BusinessStart's other fields; they are ignored.
    """

    KIND: ClassVar[str] = "business-start-no-contacts"
    application_id: int
    application: str
    slug: str
    channel: str
    marked_by: str
    marked_on: date
    step: str | None
    language: str = "en"  # the channel's: as for Escalations


@dataclass(frozen=True, slots=True)
class AnnouncementWithdrawn(Message):
    """An update of an announcement already posted (the outbox row `original_id`, of kind
    `original_kind`): its step was unmarked, so it now says it was withdrawn, by whom. Sent with
    chat.update to where the original went; updating twice gives the same message."""

    KIND: ClassVar[str] = "announcement-withdrawn"
    original_id: int
    original_kind: str  # GoLive's, BusinessStart's or BusinessStartNoContacts' KIND
    application_id: int
    application: str
    slug: str
    channel: str  # the application's channel
    step: str | None
    marked_by: str  # who marked the step the original announced
    marked_on: date
    by: str  # who unmarked it
    on: date
    language: str = "en"  # the channel's: as for Escalations


@dataclass(frozen=True, slots=True)
class PhaseCount:
    title: str
    done: int  # done or skipped
    total: int
    skipped: int = 0


@dataclass(frozen=True, slots=True)
class DoneStep:
    step: str
    title: str
    by: str


@dataclass(frozen=True, slots=True)
class SkippedStep:
    """A step skipped since the last digest: it does not apply, for `skip_reason`."""

    step: str
    title: str
    by: str
    skip_reason: str


@dataclass(frozen=True, slots=True)
class WaitingStep:
    step: str
    title: str
    owner: str
    due_on: date | None
    overdue: bool


@dataclass(frozen=True, slots=True)
class NextStep:
    step: str
    title: str
    assignee: str | None


@dataclass(frozen=True, slots=True)
class DigestSection:
    """One application in a digest."""

    application: str
    slug: str
    done: int
    total: int
    phases: tuple[PhaseCount, ...]
    done_since: tuple[DoneStep, ...]
    waiting: tuple[WaitingStep, ...]  # stalled or overdue
    next: tuple[NextStep, ...]
    # Skipped steps count as complete in `done` (and in each phase's); how many there are,
    # and which were skipped since the last digest. Defaults: rows queued before skipping.
    skipped: int = 0
    skipped_since: tuple[SkippedStep, ...] = ()


@dataclass(frozen=True, slots=True)
class Digest(Message):
    """A channel's scheduled digest of its applications."""

    KIND: ClassVar[str] = "digest"
    cadence: str  # "daily" or "weekly"
    since: datetime
    occurrence: datetime
    timezone: str
    applications: tuple[DigestSection, ...]
    more: int  # applications left out
    language: str = "en"  # the channel's: as for Escalations
    # The channel's steps complete against the total, a point a week for the last 8 weeks,
    # oldest first (bot/analytics/figures.py's BurnUp): a weekly digest's burn-up chart.
    # Empty for a daily digest, and in rows queued before it.
    burn_up: tuple[BurnUpPoint, ...] = ()


@dataclass(frozen=True, slots=True)
class Undeliverable(Message):
    """To the application's channel: a message of `what` kind that Slack would never take."""

    KIND: ClassVar[str] = "undeliverable"
    application: str
    what: str  # the KIND of the message that failed
    to: str  # its target, as a mention
    error: str  # Slack's error code
    language: str = "en"  # the channel's: as for Escalations


@dataclass(frozen=True, slots=True)
class NotificationLine(Message):
    """To the application's channel: the Alipay notifications of one minute that verified."""

    KIND: ClassVar[str] = "alipay-notification"
    application: str
    environment: str
    minute: datetime
    step: str | None = None  # the step the notification is evidence for
    count: int = 1
    language: str = "en"  # the channel's: as for Escalations


@dataclass(frozen=True, slots=True)
class AssignmentNote:
    """One of a step's latest notes, as the assignment DM quotes it."""

    by: str
    written_on: date
    text: str


@dataclass(frozen=True, slots=True)
class Assignment(Message):
    """A DM to whoever was just given a step by someone else: once per assignment event."""

    KIND: ClassVar[str] = "step-assignment"  # "a step assignment" in an undeliverable notice
    application_id: int
    application: str
    slug: str
    step: str
    title: str
    channel: str  # the application's channel
    by: str  # who assigned it
    due_on: date | None
    notes: tuple[AssignmentNote, ...]  # the latest, oldest first
    # False when the assignee is not in the channel, so its buttons would refuse them; None
    # when Slack would not say.
    in_channel: bool | None = True
    # The reader's language (bot/i18n), set by the producer; rows queued before it read "en".
    language: str = "en"


KINDS: dict[str, type[Message]] = {
    cls.KIND: cls
    for cls in (
        Reminder,
        Reminders,
        Escalation,
        Escalations,
        GoLive,
        BusinessStart,
        BusinessStartNoContacts,
        AnnouncementWithdrawn,
        Digest,
        Undeliverable,
        NotificationLine,
        Assignment,
    )
}


def decode(kind: str, payload: dict[str, Any]) -> Message:
    """The message of an outbox row."""
    cls = KINDS.get(kind)
    if cls is None:
        raise UnreadablePayload(f"unknown kind {kind!r}")
    return cls.from_payload(payload)
