"""The database schema: applications, their step states, notes and history.

The template (titles, order, links) lives in data files, not here: a step row keeps only what
changes over time. Timestamps are stored as UTC and always come back time-zone aware.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Alembic needs every constraint named to alter SQLite tables in batch mode.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite only auto-increments INTEGER PRIMARY KEY, PostgreSQL gets a 64-bit id.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC; SQLite drops the zone, so it is put back on load."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; pass an aware one (UTC)")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Application(Base):
    """One Alipay application: one integration project, bound to one Slack channel."""

    __tablename__ = "applications"
    __table_args__ = (
        UniqueConstraint("team_id", "slug"),
        Index("ix_applications_team_channel", "team_id", "channel_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    slug: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    channel_id: Mapped[str] = mapped_column(String(32))
    owner_id: Mapped[str] = mapped_column(String(32))
    template_key: Mapped[str] = mapped_column(String(64))
    template_version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # The latest checklist message posted with `status`, so marks can update it in place.
    checklist_channel_id: Mapped[str | None] = mapped_column(String(32), default=None)
    checklist_ts: Mapped[str | None] = mapped_column(String(32), default=None)
    # Reminders: after how many working days a step counts as stalled, and the hours (in
    # each recipient's own time zone) when people may be reminded.
    remind_after_days: Mapped[int] = mapped_column(Integer, default=2, server_default="2")
    remind_start: Mapped[str] = mapped_column(String(5), default="09:00", server_default="09:00")
    remind_end: Mapped[str] = mapped_column(String(5), default="18:00", server_default="18:00")
    reminders_on: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # Whose public holidays are not working days (`remind holidays CN`): a country code the
    # `holidays` package knows, or None for weekends only.
    remind_holidays: Mapped[str | None] = mapped_column(String(8), default=None)
    # Where the business-start announcement goes; without it each contact gets a DM.
    contacts_channel_id: Mapped[str | None] = mapped_column(String(32), default=None)


class StepState(Base):
    """What is known about one step of one application: open, done or skipped."""

    __tablename__ = "step_states"
    __table_args__ = (
        UniqueConstraint("application_id", "step"),
        Index("ix_step_states_assignee", "assignee_id"),
        # The report looks at the steps before or after one of an application's, by position.
        Index(
            "ix_step_states_application_position",
            "application_id",
            "position",
            "done_at",
            "skipped_at",
        ),
        Index("ix_step_states_due_on", "due_on"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"))
    step: Mapped[str] = mapped_column(String(8))
    position: Mapped[int] = mapped_column(Integer)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    done_by: Mapped[str | None] = mapped_column(String(32), default=None)
    assignee_id: Mapped[str | None] = mapped_column(String(32), default=None)
    due_on: Mapped[date | None] = mapped_column(Date, default=None)
    # Last time anything happened to this step; reminders measure stalls from it.
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    snoozed_until: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # When it was last snoozed: a snooze answers the reminders before it (escalations count
    # unanswered reminders from then), and snoozes differ in length, so it is kept.
    snoozed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # A step that does not apply to this integration (`/onboard skip 4.2 "reason"`): never
    # done at the same time; it counts as complete for progress and active steps.
    skipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    skipped_by: Mapped[str | None] = mapped_column(String(32), default=None)
    skip_reason: Mapped[str | None] = mapped_column(Text, default=None)


class Note(Base):
    __tablename__ = "notes"
    __table_args__ = (Index("ix_notes_application_step", "application_id", "step"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"))
    step: Mapped[str] = mapped_column(String(8))
    author_id: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Contact(Base):
    """An Alipay contact of an application, told when business starts."""

    __tablename__ = "contacts"

    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)


class DigestSchedule(Base):
    """A channel's digest: when, in which time zone, and the last occurrence claimed."""

    __tablename__ = "digest_schedules"
    __table_args__ = (UniqueConstraint("team_id", "channel_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    channel_id: Mapped[str] = mapped_column(String(32))
    cadence: Mapped[str] = mapped_column(String(8))  # off, daily, weekly
    weekday: Mapped[int | None] = mapped_column(Integer, default=None)  # 0 = Monday
    at_time: Mapped[str] = mapped_column(String(5), default="09:00")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    set_by: Mapped[str] = mapped_column(String(32))
    # Occurrences before this are never sent: a new schedule does not catch up on the past.
    effective_from: Mapped[datetime] = mapped_column(UTCDateTime)
    last_occurrence_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # When the last digest was claimed: the next one reports what happened after it.
    reported_until: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class PersonSettings(Base):
    """One person's own settings, the same in every application: `/onboard away until DATE`
    and `/onboard my holidays SG`. A person is a user of one workspace: the same user id in
    another workspace is someone else."""

    __tablename__ = "person_settings"

    team_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    # Away through the end of this day in the person's own zone; None: not away.
    away_until: Mapped[date | None] = mapped_column(Date, default=None)
    # The person's own public holidays (a country code the `holidays` package knows).
    holidays: Mapped[str | None] = mapped_column(String(8), default=None)
    # `/onboard language zh-CN`: the language Onboard speaks to them; None: their Slack's.
    language: Mapped[str | None] = mapped_column(String(16), default=None)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ChannelSettings(Base):
    """A channel's own settings, whatever applications it holds: the language of what the
    channel sees (`/onboard language channel zh-CN`; at first, its first creator's)."""

    __tablename__ = "channel_settings"

    team_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    channel_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    language: Mapped[str] = mapped_column(String(16))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class OutboxMessage(Base):
    """A message the app sends outside a request: claimed here before it is sent.

    `dedupe_key` is unique, so whoever inserts it first owns it and repeated or concurrent
    passes cannot send it twice. Rows stay after sending, as the record of what went out.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("dedupe_key"),
        Index("ix_outbox_status_next_attempt_at", "status", "next_attempt_at"),
        Index("ix_outbox_application_step_kind", "application_id", "step", "kind"),
        # The report counts reminders and escalations sent within a period.
        Index("ix_outbox_status_kind_sent_at", "status", "kind", "sent_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(255))
    team_id: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(32))
    # A channel ID, or a user ID for a direct message.
    target: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict] = mapped_column(JSON)
    application_id: Mapped[int | None] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), default=None
    )
    step: Mapped[str | None] = mapped_column(String(8), default=None)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # sending, sent, failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # Which sender holds the claim: a sender whose lease ran out must not record over another.
    claimed_by: Mapped[str | None] = mapped_column(String(36), default=None)
    last_error: Mapped[str | None] = mapped_column(String(255), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    message_ts: Mapped[str | None] = mapped_column(String(32), default=None)
    # When the earliest send whose outcome is unknown began (its sender died before recording
    # Slack's answer, or the answer was lost); None once an answer settles it. Before sending
    # such a row again, the sender looks for it in the channel's history from then on. A row
    # given up while still unknown keeps it: that message may have gone out.
    unconfirmed_since: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class OutboxStep(Base):
    """A step an outbox message is about: one reminder DM lists many, and escalation counts
    reminders per step."""

    __tablename__ = "outbox_steps"
    __table_args__ = (Index("ix_outbox_steps_application_step", "application_id", "step"),)

    outbox_id: Mapped[int] = mapped_column(
        ForeignKey("outbox.id", ondelete="CASCADE"), primary_key=True
    )
    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), primary_key=True
    )
    step: Mapped[str] = mapped_column(String(8), primary_key=True)


class ChannelSlot(Base):
    """When a channel may next get a message: one a second, shared by every replica."""

    __tablename__ = "channel_slots"

    team_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    channel_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    # Seconds since the epoch: compared and advanced in SQL the same way on both databases.
    last_slot: Mapped[float] = mapped_column(Float)


class Credential(Base):
    """One Alipay credential of an application, encrypted (see bot/crypto.py)."""

    __tablename__ = "credentials"

    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), primary_key=True
    )
    environment: Mapped[str] = mapped_column(String(16), primary_key=True)  # sandbox, production
    field: Mapped[str] = mapped_column(String(32), primary_key=True)
    ciphertext: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[str] = mapped_column(String(32))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class KeyCheck(Base):
    """A known text encrypted with the current keys: a wrong key is caught at start."""

    __tablename__ = "key_check"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ciphertext: Mapped[str] = mapped_column(Text)


class Event(Base):
    """Append-only history: who did what, when, and the value before and after."""

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_application_id", "application_id", "id"),
        Index("ix_events_application_step", "application_id", "step", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"))
    step: Mapped[str | None] = mapped_column(String(8), default=None)
    actor_id: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(32))
    old_value: Mapped[str | None] = mapped_column(Text, default=None)
    new_value: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class HandledEvent(Base):
    """Events API deliveries already handled: Slack retries one it thinks timed out."""

    __tablename__ = "handled_events"

    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


# Bolt's OAuth flow keeps installations and states in slack_sdk's own SQLAlchemy tables; they
# are declared on our metadata so that our migrations create them. Tokens are stored
# encrypted (bot/installations.py), which makes them longer than slack_sdk's String(200).
SLACK_INSTALLATIONS = SQLAlchemyInstallationStore.build_installations_table(
    Base.metadata, "slack_installations"
)
SLACK_BOTS = SQLAlchemyInstallationStore.build_bots_table(Base.metadata, "slack_bots")
SLACK_OAUTH_STATES = SQLAlchemyOAuthStateStore.build_oauth_states_table(
    Base.metadata, "slack_oauth_states"
)
ENCRYPTED_COLUMNS = (
    "bot_token",
    "bot_refresh_token",
    "user_token",
    "user_refresh_token",
    "incoming_webhook_url",
)
for _table in (SLACK_INSTALLATIONS, SLACK_BOTS):
    for _name in ENCRYPTED_COLUMNS:
        if _name in _table.c:
            _table.c[_name].type = Text()
