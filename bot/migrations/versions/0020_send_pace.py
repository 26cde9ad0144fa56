"""The shared pacing schedule (send_pace): one row per workspace.

Two clock processes on PostgreSQL each paced their posts to the workspace's whole
budget for `chat.postMessage`, so together they went over it and Slack answered 429.
They now draw their slots from one row per workspace, reserved in a short transaction
(`SELECT … FOR UPDATE`), and a 429 seen by one holds the workspace for all.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.models.base

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "send_pace",
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("next_slot_at", bot.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("held_until", bot.models.base.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["workspace.team_id"],
            name=op.f("fk_send_pace_team_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("team_id", name=op.f("pk_send_pace")),
    )


def downgrade() -> None:
    op.drop_table("send_pace")
