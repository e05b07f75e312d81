"""outbox_steps: the steps a (reminder) message is about; step_states.snoozed_at

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

from collections.abc import Sequence
from datetime import timedelta

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Every snooze before this revision lasted one day.
OLD_SNOOZE = timedelta(days=1)


def upgrade() -> None:
    op.create_table(
        "outbox_steps",
        sa.Column(
            "outbox_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "application_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("step", sa.String(length=8), nullable=False),
        sa.ForeignKeyConstraint(
            ["outbox_id"],
            ["outbox.id"],
            name=op.f("fk_outbox_steps_outbox_id_outbox"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_outbox_steps_application_id_applications"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "outbox_id", "application_id", "step", name=op.f("pk_outbox_steps")
        ),
    )
    with op.batch_alter_table("outbox_steps", schema=None) as batch_op:
        batch_op.create_index(
            "ix_outbox_steps_application_step", ["application_id", "step"], unique=False
        )
    # Reminders and escalations queued before, one step each, count like the new ones.
    op.execute(
        "INSERT INTO outbox_steps (outbox_id, application_id, step) "
        "SELECT id, application_id, step FROM outbox "
        "WHERE kind IN ('reminder', 'escalation') "
        "AND application_id IS NOT NULL AND step IS NOT NULL"
    )

    with op.batch_alter_table("step_states", schema=None) as batch_op:
        batch_op.add_column(sa.Column("snoozed_at", sa.DateTime(timezone=True), nullable=True))
    states = sa.table(
        "step_states",
        sa.column("id", sa.Integer()),
        sa.column("snoozed_until", sa.DateTime(timezone=True)),
        sa.column("snoozed_at", sa.DateTime(timezone=True)),
    )
    bind = op.get_bind()
    snoozed = bind.execute(
        sa.select(states.c.id, states.c.snoozed_until).where(states.c.snoozed_until.is_not(None))
    ).all()
    for state_id, until in snoozed:
        bind.execute(
            states.update().where(states.c.id == state_id).values(snoozed_at=until - OLD_SNOOZE)
        )


def downgrade() -> None:
    with op.batch_alter_table("step_states", schema=None) as batch_op:
        batch_op.drop_column("snoozed_at")
    with op.batch_alter_table("outbox_steps", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_steps_application_step")
    op.drop_table("outbox_steps")
