"""scale indexes: open steps by last change and by due date (partial), outbox by kind and time

The scheduler's pass finds the few applications that may have a stalled or due step through
the two partial indexes of open steps, and runs its window functions over those only; it
reads recent reminders and escalations by kind and time. See docs/scheduler-at-scale.md for
the query plans.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN_STEP = "done_at IS NULL AND skipped_at IS NULL"


def upgrade() -> None:
    with op.batch_alter_table("step_states", schema=None) as batch_op:
        batch_op.create_index(
            "ix_step_states_open_changed",
            ["changed_at", "application_id"],
            unique=False,
            sqlite_where=sa.text(OPEN_STEP),
            postgresql_where=sa.text(OPEN_STEP),
        )
        batch_op.create_index(
            "ix_step_states_open_due",
            ["due_on", "application_id"],
            unique=False,
            sqlite_where=sa.text(f"due_on IS NOT NULL AND {OPEN_STEP}"),
            postgresql_where=sa.text(f"due_on IS NOT NULL AND {OPEN_STEP}"),
        )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_kind_created_at", ["kind", "created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_kind_created_at")
    with op.batch_alter_table("step_states", schema=None) as batch_op:
        batch_op.drop_index("ix_step_states_open_due")
        batch_op.drop_index("ix_step_states_open_changed")
