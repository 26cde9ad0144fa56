"""Built-in nudges a program has switched off for its own mentors.

The built-in library is shared by every workspace, so switching one of its nudges off
is recorded per team, in a table of its own (custom nudges carry their own `enabled`).

Revision ID: 0004
Revises: 0002
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.models.base

revision: str = "0004"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "disabled_nudge",
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("disabled_by", sa.String(length=32), nullable=False),
        sa.Column("disabled_at", bot.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["workspace.team_id"],
            name=op.f("fk_disabled_nudge_team_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("team_id", "key", name=op.f("pk_disabled_nudge")),
    )


def downgrade() -> None:
    op.drop_table("disabled_nudge")
