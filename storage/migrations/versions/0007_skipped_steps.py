"""step_states: a step that does not apply is skipped, with who skipped it, when and why

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("step_states", schema=None) as batch_op:
        batch_op.add_column(sa.Column("skipped_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("skipped_by", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("skip_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("step_states", schema=None) as batch_op:
        batch_op.drop_column("skip_reason")
        batch_op.drop_column("skipped_by")
        batch_op.drop_column("skipped_at")
