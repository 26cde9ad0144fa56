"""A person's own data: counts kept after someone is forgotten, and forget marks.

`kept_count` holds counts from records deleted by `/mentor forget-me` (per workspace,
period, metric and practice; no person, no timestamps). `forget_mark` holds a SHA-256
fingerprint per forgotten member so a later record of theirs starts with messages off.

Two foreign keys get the index their deletes need: removing a nudge makes the database
look for reminders of it (`nudge_send.reminder_of_id`), removing an outbox row for the
check-ins that point at it (`pulse_round.delivery_id`). Without them, forgetting one
mentor scanned the whole nudge log once per nudge of theirs.

Revision ID: 0014
Revises: 0010
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "kept_count",
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("metric", sa.String(length=32), nullable=False),
        sa.Column("practice", sa.String(length=32), server_default="", nullable=False),
        sa.Column("count", sa.Integer(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["workspace.team_id"],
            name=op.f("fk_kept_count_team_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("team_id", "period", "metric", "practice", name=op.f("pk_kept_count")),
    )
    op.create_table(
        "forget_mark",
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["workspace.team_id"],
            name=op.f("fk_forget_mark_team_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("team_id", "fingerprint", name=op.f("pk_forget_mark")),
    )
    op.create_index(op.f("ix_nudge_send_reminder_of_id"), "nudge_send", ["reminder_of_id"], unique=False)
    op.create_index(op.f("ix_pulse_round_delivery_id"), "pulse_round", ["delivery_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_pulse_round_delivery_id"), table_name="pulse_round")
    op.drop_index(op.f("ix_nudge_send_reminder_of_id"), table_name="nudge_send")
    op.drop_table("forget_mark")
    op.drop_table("kept_count")
