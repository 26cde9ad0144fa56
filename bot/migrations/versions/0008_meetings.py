"""Feedback-chat requests (mentee → mentor) and the mentors' meeting log.

Revision ID: 0008
Revises: 0006
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.models.base

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "feedback_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("enterprise_id", sa.String(length=32), nullable=True),
        sa.Column("pair_id", sa.Integer(), nullable=False),
        sa.Column("mentor_id", sa.Integer(), nullable=False),
        sa.Column("mentee_id", sa.Integer(), nullable=False),
        sa.Column("topic", sa.Text(), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("requested_at", bot.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("times_asked", sa.Integer(), server_default="1", nullable=False),
        sa.Column("last_asked_at", bot.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("closes_at", bot.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("delivery_id", sa.Integer(), nullable=True),
        sa.Column("sent_at", bot.models.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("channel", sa.String(length=32), nullable=True),
        sa.Column("ts", sa.String(length=32), nullable=True),
        sa.Column("answered_at", bot.models.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("mentor_note", sa.Text(), nullable=True),
        sa.Column("closed_reason", sa.String(length=255), nullable=True),
        sa.Column("created_at", bot.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", bot.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("source IN ('command', 'home')", name=op.f("ck_feedback_request_source")),
        sa.CheckConstraint(
            "status IN ('pending', 'talk', 'later', 'cant', 'superseded', 'undelivered', 'closed', 'ended')",
            name=op.f("ck_feedback_request_status"),
        ),
        sa.CheckConstraint("times_asked >= 1", name=op.f("ck_feedback_request_times_asked")),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["delivery.id"],
            name=op.f("fk_feedback_request_delivery_id_delivery"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["mentee_id"],
            ["person.id"],
            name=op.f("fk_feedback_request_mentee_id_person"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["mentor_id"],
            ["person.id"],
            name=op.f("fk_feedback_request_mentor_id_person"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["pair_id"], ["pair.id"], name=op.f("fk_feedback_request_pair_id_pair"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["workspace.team_id"],
            name=op.f("fk_feedback_request_team_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_request")),
        sa.UniqueConstraint("delivery_id", name=op.f("uq_feedback_request_delivery_id")),
    )
    with op.batch_alter_table("feedback_request", schema=None) as batch_op:
        batch_op.create_index(
            "ix_feedback_request_mentee_mentor_requested",
            ["mentee_id", "mentor_id", "requested_at"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_feedback_request_mentor_id"), ["mentor_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_feedback_request_pair_id"), ["pair_id"], unique=False)
        batch_op.create_index("ix_feedback_request_status_closes_at", ["status", "closes_at"], unique=False)

    op.create_table(
        "meeting_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("enterprise_id", sa.String(length=32), nullable=True),
        sa.Column("pair_id", sa.Integer(), nullable=False),
        sa.Column("mentor_id", sa.Integer(), nullable=False),
        sa.Column("mentee_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("practices", sa.JSON(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("delivery_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", bot.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", bot.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("source IN ('dm', 'command')", name=op.f("ck_meeting_log_source")),
        sa.CheckConstraint("minutes >= 0 AND minutes <= 1440", name=op.f("ck_meeting_log_minutes")),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["delivery.id"],
            name=op.f("fk_meeting_log_delivery_id_delivery"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["mentee_id"], ["person.id"], name=op.f("fk_meeting_log_mentee_id_person"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["mentor_id"], ["person.id"], name=op.f("fk_meeting_log_mentor_id_person"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["pair_id"], ["pair.id"], name=op.f("fk_meeting_log_pair_id_pair"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["workspace.team_id"],
            name=op.f("fk_meeting_log_team_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_log")),
        sa.UniqueConstraint("delivery_id", name=op.f("uq_meeting_log_delivery_id")),
    )
    with op.batch_alter_table("meeting_log", schema=None) as batch_op:
        batch_op.create_index("ix_meeting_log_mentor_month", ["mentor_id", "month"], unique=False)
        batch_op.create_index("ix_meeting_log_pair_month", ["pair_id", "month"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("meeting_log", schema=None) as batch_op:
        batch_op.drop_index("ix_meeting_log_pair_month")
        batch_op.drop_index("ix_meeting_log_mentor_month")

    op.drop_table("meeting_log")
    with op.batch_alter_table("feedback_request", schema=None) as batch_op:
        batch_op.drop_index("ix_feedback_request_status_closes_at")
        batch_op.drop_index(batch_op.f("ix_feedback_request_pair_id"))
        batch_op.drop_index(batch_op.f("ix_feedback_request_mentor_id"))
        batch_op.drop_index("ix_feedback_request_mentee_mentor_requested")

    op.drop_table("feedback_request")
