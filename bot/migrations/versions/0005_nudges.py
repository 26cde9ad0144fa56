"""Nudges: the nudge log (what was sent to whom, naming which mentee) and mentors' answers.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.models.base

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "nudge_send",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("delivery_id", sa.Integer(), nullable=True),
        sa.Column("nudge_key", sa.String(length=64), nullable=False),
        sa.Column("practice", sa.String(length=32), nullable=False),
        sa.Column("mentee_id", sa.Integer(), nullable=True),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("reminder_of_id", sa.Integer(), nullable=True),
        sa.Column("planned_for", bot.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", bot.models.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("channel", sa.String(length=32), nullable=True),
        sa.Column("ts", sa.String(length=32), nullable=True),
        sa.Column("created_at", bot.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "origin IN ('scheduled', 'requested', 'reminder')", name=op.f("ck_nudge_send_origin")
        ),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["delivery.id"],
            name=op.f("fk_nudge_send_delivery_id_delivery"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["mentee_id"], ["person.id"], name=op.f("fk_nudge_send_mentee_id_person"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_nudge_send_person_id_person"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["reminder_of_id"],
            ["nudge_send.id"],
            name=op.f("fk_nudge_send_reminder_of_id_nudge_send"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["workspace.team_id"],
            name=op.f("fk_nudge_send_team_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nudge_send")),
        sa.UniqueConstraint("delivery_id", name=op.f("uq_nudge_send_delivery_id")),
    )
    with op.batch_alter_table("nudge_send", schema=None) as batch_op:
        batch_op.create_index("ix_nudge_send_person_planned", ["person_id", "planned_for"], unique=False)

    op.create_table(
        "nudge_answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("nudge_send_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("answer", sa.String(length=16), nullable=True),
        sa.Column("first_answered_at", bot.models.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("answered_at", bot.models.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("response_seconds", sa.Integer(), nullable=True),
        sa.Column("followup_choice", sa.String(length=100), nullable=True),
        sa.Column("followup_at", bot.models.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("note_at", bot.models.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("created_at", bot.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", bot.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("answer IN ('done', 'remind', 'skip')", name=op.f("ck_nudge_answer_answer")),
        sa.ForeignKeyConstraint(
            ["nudge_send_id"],
            ["nudge_send.id"],
            name=op.f("fk_nudge_answer_nudge_send_id_nudge_send"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_nudge_answer_person_id_person"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["workspace.team_id"],
            name=op.f("fk_nudge_answer_team_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nudge_answer")),
        sa.UniqueConstraint("nudge_send_id", name=op.f("uq_nudge_answer_nudge_send_id")),
    )
    with op.batch_alter_table("nudge_answer", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_nudge_answer_person_id"), ["person_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("nudge_answer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_nudge_answer_person_id"))

    op.drop_table("nudge_answer")
    with op.batch_alter_table("nudge_send", schema=None) as batch_op:
        batch_op.drop_index("ix_nudge_send_person_planned")

    op.drop_table("nudge_send")
