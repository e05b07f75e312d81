"""analytics indexes: steps in template order per application, due dates, sent outbox messages

The portfolio report (bot/analytics/queries.py) walks each application's steps in position
order with window functions, picks steps by due date and counts reminders sent in a period.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_step_states_application_position",
        "step_states",
        ["application_id", "position", "done_at", "skipped_at"],
    )
    op.create_index("ix_step_states_due_on", "step_states", ["due_on"])
    op.create_index("ix_outbox_status_kind_sent_at", "outbox", ["status", "kind", "sent_at"])


def downgrade() -> None:
    op.drop_index("ix_outbox_status_kind_sent_at", table_name="outbox")
    op.drop_index("ix_step_states_due_on", table_name="step_states")
    op.drop_index("ix_step_states_application_position", table_name="step_states")
