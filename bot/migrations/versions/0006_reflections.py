"""Monthly reflections: channels with prompts, each month's prompt, shared reflections.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.models.base

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reflection_channel",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("enabled", sa.Boolean(), server_default=sa.text("(true)"), nullable=False),
        sa.Column("day_rule", sa.String(length=16), nullable=False),
        sa.Column("minute_of_day", sa.Integer(), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("themes", sa.JSON(), nullable=False),
        sa.Column("rotation_anchor", sa.Integer(), nullable=False),
        sa.Column("allow_anonymous", sa.Boolean(), server_default=sa.text("(true)"), nullable=False),
        sa.Column("reminder_enabled", sa.Boolean(), server_default=sa.text("(false)"), nullable=False),
        sa.Column("next_prompt_at", bot.models.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("admin_user_id", sa.String(length=32), nullable=False),
        sa.Column("disabled_at", bot.models.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("created_at", bot.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", bot.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "minute_of_day >= 0 AND minute_of_day < 1440", name=op.f("ck_reflection_channel_minute_of_day")
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["workspace.team_id"],
            name=op.f("fk_reflection_channel_team_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reflection_channel")),
        sa.UniqueConstraint("team_id", "channel_id", name=op.f("uq_reflection_channel_team_id_channel_id")),
    )
    with op.batch_alter_table("reflection_channel", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_reflection_channel_next_prompt_at"), ["next_prompt_at"], unique=False
        )

    op.create_table(
        "reflection_prompt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("reflection_channel_id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("theme", sa.String(length=32), nullable=False),
        sa.Column("question_key", sa.String(length=64), nullable=False),
        sa.Column("planned_at", bot.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("closes_at", bot.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("problem", sa.String(length=64), nullable=True),
        sa.Column("rearm_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("ts", sa.String(length=32), nullable=True),
        sa.Column("posted_at", bot.models.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("reminder_due_at", bot.models.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("summary_due_at", bot.models.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", bot.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["reflection_channel_id"],
            ["reflection_channel.id"],
            name=op.f("fk_reflection_prompt_reflection_channel_id_reflection_channel"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["workspace.team_id"],
            name=op.f("fk_reflection_prompt_team_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reflection_prompt")),
        sa.UniqueConstraint(
            "reflection_channel_id", "month", name=op.f("uq_reflection_prompt_reflection_channel_id_month")
        ),
    )
    with op.batch_alter_table("reflection_prompt", schema=None) as batch_op:
        batch_op.create_index("ix_reflection_prompt_channel_ts", ["channel_id", "ts"], unique=False)
        batch_op.create_index(batch_op.f("ix_reflection_prompt_closes_at"), ["closes_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_reflection_prompt_reflection_channel_id"), ["reflection_channel_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_reflection_prompt_reminder_due_at"), ["reminder_due_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_reflection_prompt_summary_due_at"), ["summary_due_at"], unique=False
        )

    op.create_table(
        "reflection",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("prompt_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("practices", sa.JSON(), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=True),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("source_ts", sa.String(length=32), nullable=True),
        sa.Column("shared_on", sa.Date(), nullable=False),
        sa.CheckConstraint("source IN ('modal', 'thread')", name=op.f("ck_reflection_source")),
        sa.ForeignKeyConstraint(
            ["prompt_id"],
            ["reflection_prompt.id"],
            name=op.f("fk_reflection_prompt_id_reflection_prompt"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["workspace.team_id"],
            name=op.f("fk_reflection_team_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reflection")),
        sa.UniqueConstraint("prompt_id", "source_ts", name=op.f("uq_reflection_prompt_id_source_ts")),
    )
    with op.batch_alter_table("reflection", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reflection_prompt_id"), ["prompt_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("reflection", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reflection_prompt_id"))

    op.drop_table("reflection")
    with op.batch_alter_table("reflection_prompt", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reflection_prompt_summary_due_at"))
        batch_op.drop_index(batch_op.f("ix_reflection_prompt_reminder_due_at"))
        batch_op.drop_index(batch_op.f("ix_reflection_prompt_reflection_channel_id"))
        batch_op.drop_index(batch_op.f("ix_reflection_prompt_closes_at"))
        batch_op.drop_index("ix_reflection_prompt_channel_ts")

    op.drop_table("reflection_prompt")
    with op.batch_alter_table("reflection_channel", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reflection_channel_next_prompt_at"))

    op.drop_table("reflection_channel")
