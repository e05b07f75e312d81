"""languages: person_settings.language (None: Slack's) and channel_settings (a channel's language)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("person_settings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(length=16), nullable=True))
    op.create_table(
        "channel_settings",
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("team_id", "channel_id", name=op.f("pk_channel_settings")),
    )
    # Channels that already have applications have been reading English: they keep it, rather
    # than taking the language of whoever creates their next application.
    op.execute(
        "INSERT INTO channel_settings (team_id, channel_id, language, updated_at) "
        "SELECT team_id, channel_id, 'en', MIN(created_at) FROM applications "
        "GROUP BY team_id, channel_id"
    )


def downgrade() -> None:
    op.drop_table("channel_settings")
    with op.batch_alter_table("person_settings", schema=None) as batch_op:
        batch_op.drop_column("language")
