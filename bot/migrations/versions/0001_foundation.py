"""Foundation: workspaces, people, pairs, audit log, custom nudges and the outbox.

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.models.base

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("actor_user_id", sa.String(length=32), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("target", sa.String(length=255), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.Column("created_at", bot.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_log_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_log_team_id"), ["team_id"], unique=False)

    op.create_table(
        "workspace",
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("enterprise_id", sa.String(length=32), nullable=True),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("bot_user_id", sa.String(length=32), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=True),
        sa.Column("sending_paused_reason", sa.String(length=255), nullable=True),
        sa.Column("sending_paused_at", bot.models.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("created_at", bot.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", bot.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("team_id", name=op.f("pk_workspace")),
    )
    op.create_table(
        "custom_nudge",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("practice", sa.String(length=32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("followup_question", sa.String(length=150), nullable=True),
        sa.Column("followup_choices", sa.JSON(), nullable=True),
        sa.Column("enabled", sa.Boolean(), server_default=sa.text("(true)"), nullable=False),
        sa.Column("created_by", sa.String(length=32), nullable=False),
        sa.Column("created_at", bot.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", bot.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["workspace.team_id"],
            name=op.f("fk_custom_nudge_team_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_custom_nudge")),
        sa.UniqueConstraint("team_id", "key", name=op.f("uq_custom_nudge_team_id_key")),
    )
    op.create_table(
        "person",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("enterprise_id", sa.String(length=32), nullable=True),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("display_name", sa.String(length=255), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("is_admin", sa.Boolean(), server_default=sa.text("(false)"), nullable=False),
        sa.Column("tz", sa.String(length=64), nullable=True),
        sa.Column("tz_override", sa.String(length=64), nullable=True),
        sa.Column("tz_refreshed_at", bot.models.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("(true)"), nullable=False),
        sa.Column("inactive_reason", sa.String(length=64), nullable=True),
        sa.Column("opted_out_at", bot.models.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("paused_until", bot.models.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("pause_reason", sa.String(length=64), nullable=True),
        sa.Column("welcomed_at", bot.models.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("contact_start", sa.Integer(), server_default="480", nullable=False),
        sa.Column("contact_end", sa.Integer(), server_default="1080", nullable=False),
        sa.Column("quiet_weekends", sa.Boolean(), server_default=sa.text("(true)"), nullable=False),
        sa.Column("nudge_days", sa.String(length=20), server_default="1", nullable=False),
        sa.Column("nudge_minute", sa.Integer(), server_default="570", nullable=False),
        sa.Column("cadence", sa.String(length=16), server_default="weekly", nullable=False),
        sa.Column("backoff_level", sa.Integer(), server_default="0", nullable=False),
        sa.Column("unanswered_streak", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_nudge_at", bot.models.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("created_at", bot.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", bot.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("cadence IN ('weekly', 'biweekly', 'monthly')", name=op.f("ck_person_cadence")),
        sa.CheckConstraint(
            "contact_start >= 0 AND contact_start < contact_end AND contact_end <= 1440",
            name=op.f("ck_person_contact_window"),
        ),
        sa.CheckConstraint("nudge_minute >= 0 AND nudge_minute < 1440", name=op.f("ck_person_nudge_minute")),
        sa.ForeignKeyConstraint(
            ["team_id"], ["workspace.team_id"], name=op.f("fk_person_team_id_workspace"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person")),
        sa.UniqueConstraint("team_id", "user_id", name=op.f("uq_person_team_id_user_id")),
    )
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_person_next_nudge_at"), ["next_nudge_at"], unique=False)

    op.create_table(
        "delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("recipient", sa.String(length=32), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("dedupe_key", sa.String(length=200), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("due_at", bot.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", bot.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", bot.models.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("lease_until", bot.models.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("channel", sa.String(length=32), nullable=True),
        sa.Column("ts", sa.String(length=32), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", bot.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", bot.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", bot.models.base.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_delivery_person_id_person"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["workspace.team_id"], name=op.f("fk_delivery_team_id_workspace"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_delivery_dedupe_key")),
    )
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_delivery_person_id"), ["person_id"], unique=False)
        batch_op.create_index(
            "ix_delivery_status_next_attempt_at", ["status", "next_attempt_at"], unique=False
        )
        batch_op.create_index("ix_delivery_team_recipient", ["team_id", "recipient"], unique=False)

    op.create_table(
        "pair",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("mentor_id", sa.Integer(), nullable=False),
        sa.Column("mentee_id", sa.Integer(), nullable=False),
        sa.Column("cohort", sa.String(length=120), nullable=True),
        sa.Column("started_at", bot.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", bot.models.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.String(length=32), nullable=True),
        sa.CheckConstraint("mentor_id <> mentee_id", name=op.f("ck_pair_not_self")),
        sa.ForeignKeyConstraint(
            ["mentee_id"], ["person.id"], name=op.f("fk_pair_mentee_id_person"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["mentor_id"], ["person.id"], name=op.f("fk_pair_mentor_id_person"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["workspace.team_id"], name=op.f("fk_pair_team_id_workspace"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pair")),
    )
    with op.batch_alter_table("pair", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pair_mentee_id"), ["mentee_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_pair_mentor_id"), ["mentor_id"], unique=False)
        batch_op.create_index(
            "uq_pair_active",
            ["mentor_id", "mentee_id"],
            unique=True,
            sqlite_where=sa.text("ended_at IS NULL"),
            postgresql_where=sa.text("ended_at IS NULL"),
        )


def downgrade() -> None:
    with op.batch_alter_table("pair", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_pair_active",
            sqlite_where=sa.text("ended_at IS NULL"),
            postgresql_where=sa.text("ended_at IS NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_pair_mentor_id"))
        batch_op.drop_index(batch_op.f("ix_pair_mentee_id"))

    op.drop_table("pair")
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.drop_index("ix_delivery_team_recipient")
        batch_op.drop_index("ix_delivery_status_next_attempt_at")
        batch_op.drop_index(batch_op.f("ix_delivery_person_id"))

    op.drop_table("delivery")
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_person_next_nudge_at"))

    op.drop_table("person")
    op.drop_table("custom_nudge")
    op.drop_table("workspace")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_log_team_id"))
        batch_op.drop_index(batch_op.f("ix_audit_log_created_at"))

    op.drop_table("audit_log")
