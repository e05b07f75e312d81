"""scheduler: reminder settings, contacts, digests, outbox

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "digest_schedules",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("cadence", sa.String(length=8), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=True),
        sa.Column("at_time", sa.String(length=5), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("set_by", sa.String(length=32), nullable=False),
        sa.Column("effective_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_occurrence_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_digest_schedules")),
        sa.UniqueConstraint(
            "team_id", "channel_id", name=op.f("uq_digest_schedules_team_id_channel_id")
        ),
    )
    op.create_table(
        "contacts",
        sa.Column(
            "application_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_contacts_application_id_applications"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("application_id", "user_id", name=op.f("pk_contacts")),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("dedupe_key", sa.String(length=255), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("target", sa.String(length=32), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column(
            "application_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("step", sa.String(length=8), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=255), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("message_ts", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_outbox_application_id_applications"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_outbox_dedupe_key")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index(
            "ix_outbox_application_step_kind", ["application_id", "step", "kind"], unique=False
        )
        batch_op.create_index(
            "ix_outbox_status_next_attempt_at", ["status", "next_attempt_at"], unique=False
        )

    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("remind_after_days", sa.Integer(), server_default="2", nullable=False)
        )
        batch_op.add_column(
            sa.Column("remind_start", sa.String(length=5), server_default="09:00", nullable=False)
        )
        batch_op.add_column(
            sa.Column("remind_end", sa.String(length=5), server_default="18:00", nullable=False)
        )
        batch_op.add_column(
            sa.Column("reminders_on", sa.Boolean(), server_default=sa.true(), nullable=False)
        )
        batch_op.add_column(sa.Column("contacts_channel_id", sa.String(length=32), nullable=True))

    with op.batch_alter_table("step_states", schema=None) as batch_op:
        batch_op.add_column(sa.Column("snoozed_until", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:

    with op.batch_alter_table("step_states", schema=None) as batch_op:
        batch_op.drop_column("snoozed_until")

    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.drop_column("contacts_channel_id")
        batch_op.drop_column("reminders_on")
        batch_op.drop_column("remind_end")
        batch_op.drop_column("remind_start")
        batch_op.drop_column("remind_after_days")

    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_status_next_attempt_at")
        batch_op.drop_index("ix_outbox_application_step_kind")

    op.drop_table("outbox")
    op.drop_table("contacts")
    op.drop_table("digest_schedules")
