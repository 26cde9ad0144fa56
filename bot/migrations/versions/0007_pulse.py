"""The relationship pulse: check-ins (mentee and mentor self-check), participation,
unlinkable answers, program pulse settings; a nudge's reason; the pulse step's indexes.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.models.base

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pulse_settings",
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("first_days", sa.Integer(), nullable=False),
        sa.Column("every_days", sa.Integer(), nullable=False),
        sa.Column("updated_by", sa.String(length=32), nullable=False),
        sa.Column("updated_at", bot.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("first_days > 0 AND every_days > 0", name=op.f("ck_pulse_settings_positive")),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["workspace.team_id"],
            name=op.f("fk_pulse_settings_team_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("team_id", name=op.f("pk_pulse_settings")),
    )
    op.create_table(
        "pulse_answer",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("mentor_id", sa.Integer(), nullable=False),
        sa.Column("cohort", sa.String(length=120), nullable=True),
        sa.Column("quarter", sa.String(length=7), nullable=False),
        sa.Column("care", sa.SmallInteger(), nullable=True),
        sa.Column("no_ego", sa.SmallInteger(), nullable=True),
        sa.Column("mistakes_ok", sa.SmallInteger(), nullable=True),
        sa.Column("own_errors", sa.SmallInteger(), nullable=True),
        sa.Column("listen", sa.SmallInteger(), nullable=True),
        sa.Column("autonomy", sa.SmallInteger(), nullable=True),
        sa.Column("zwisch", sa.SmallInteger(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "(care IS NULL OR care BETWEEN 1 AND 4) AND (no_ego IS NULL OR no_ego BETWEEN 1 AND 4) AND (mistakes_ok IS NULL OR mistakes_ok BETWEEN 1 AND 4) AND (own_errors IS NULL OR own_errors BETWEEN 1 AND 4) AND (listen IS NULL OR listen BETWEEN 1 AND 4) AND (autonomy IS NULL OR autonomy BETWEEN 1 AND 4) AND (zwisch IS NULL OR zwisch BETWEEN 1 AND 4)",
            name=op.f("ck_pulse_answer_items"),
        ),
        sa.ForeignKeyConstraint(
            ["mentor_id"], ["person.id"], name=op.f("fk_pulse_answer_mentor_id_person"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["workspace.team_id"],
            name=op.f("fk_pulse_answer_team_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pulse_answer")),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("pulse_answer", schema=None) as batch_op:
        batch_op.create_index("ix_pulse_answer_mentor_quarter", ["mentor_id", "quarter"], unique=False)
        batch_op.create_index("ix_pulse_answer_team_quarter", ["team_id", "quarter"], unique=False)

    op.create_table(
        "pulse_participation",
        sa.Column("pair_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("quarter", sa.String(length=7), nullable=False),
        sa.ForeignKeyConstraint(
            ["pair_id"], ["pair.id"], name=op.f("fk_pulse_participation_pair_id_pair"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["workspace.team_id"],
            name=op.f("fk_pulse_participation_team_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("pair_id", "number", name=op.f("pk_pulse_participation")),
    )
    with op.batch_alter_table("pulse_participation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pulse_participation_quarter"), ["quarter"], unique=False)

    op.create_table(
        "pulse_round",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("pair_id", sa.Integer(), nullable=True),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("mentor_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("due_at", bot.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("closes_at", bot.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("delivery_id", sa.Integer(), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="1", nullable=False),
        sa.Column("sent_at", bot.models.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("channel", sa.String(length=32), nullable=True),
        sa.Column("ts", sa.String(length=32), nullable=True),
        sa.Column("reminder_due_at", bot.models.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("created_at", bot.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('mentee', 'mentor')", name=op.f("ck_pulse_round_kind")),
        sa.CheckConstraint(
            "status IN ('queued', 'sent', 'skipped', 'closed')", name=op.f("ck_pulse_round_status")
        ),
        sa.CheckConstraint("number >= 0", name=op.f("ck_pulse_round_number")),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["delivery.id"],
            name=op.f("fk_pulse_round_delivery_id_delivery"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["mentor_id"], ["person.id"], name=op.f("fk_pulse_round_mentor_id_person"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["pair_id"], ["pair.id"], name=op.f("fk_pulse_round_pair_id_pair"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_pulse_round_person_id_person"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["workspace.team_id"],
            name=op.f("fk_pulse_round_team_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pulse_round")),
        sa.UniqueConstraint("key", name=op.f("uq_pulse_round_key")),
    )
    with op.batch_alter_table("pulse_round", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pulse_round_pair_id"), ["pair_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_pulse_round_person_id"), ["person_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_pulse_round_reminder_due_at"), ["reminder_due_at"], unique=False)
        batch_op.create_index("ix_pulse_round_status", ["status"], unique=False)

    op.create_table(
        "pulse_self_answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("mentor_id", sa.Integer(), nullable=False),
        sa.Column("quarter", sa.String(length=7), nullable=False),
        sa.Column("care", sa.SmallInteger(), nullable=True),
        sa.Column("no_ego", sa.SmallInteger(), nullable=True),
        sa.Column("mistakes_ok", sa.SmallInteger(), nullable=True),
        sa.Column("own_errors", sa.SmallInteger(), nullable=True),
        sa.Column("listen", sa.SmallInteger(), nullable=True),
        sa.Column("autonomy", sa.SmallInteger(), nullable=True),
        sa.Column("zwisch", sa.SmallInteger(), nullable=True),
        sa.Column("answered_at", bot.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(care IS NULL OR care BETWEEN 1 AND 4) AND (no_ego IS NULL OR no_ego BETWEEN 1 AND 4) AND (mistakes_ok IS NULL OR mistakes_ok BETWEEN 1 AND 4) AND (own_errors IS NULL OR own_errors BETWEEN 1 AND 4) AND (listen IS NULL OR listen BETWEEN 1 AND 4) AND (autonomy IS NULL OR autonomy BETWEEN 1 AND 4) AND (zwisch IS NULL OR zwisch BETWEEN 1 AND 4)",
            name=op.f("ck_pulse_self_answer_items"),
        ),
        sa.ForeignKeyConstraint(
            ["mentor_id"],
            ["person.id"],
            name=op.f("fk_pulse_self_answer_mentor_id_person"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["pulse_round.id"],
            name=op.f("fk_pulse_self_answer_round_id_pulse_round"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["workspace.team_id"],
            name=op.f("fk_pulse_self_answer_team_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pulse_self_answer")),
        sa.UniqueConstraint("round_id", name=op.f("uq_pulse_self_answer_round_id")),
    )
    with op.batch_alter_table("pulse_self_answer", schema=None) as batch_op:
        batch_op.create_index("ix_pulse_self_answer_mentor_quarter", ["mentor_id", "quarter"], unique=False)

    with op.batch_alter_table("nudge_send", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reason", sa.String(length=8), nullable=True))

    with op.batch_alter_table("pair", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("next_pulse_at", bot.models.base.UtcDateTime(timezone=True), nullable=True)
        )
        batch_op.create_index(batch_op.f("ix_pair_next_pulse_at"), ["next_pulse_at"], unique=False)

    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("next_selfcheck_at", bot.models.base.UtcDateTime(timezone=True), nullable=True)
        )
        batch_op.create_index(batch_op.f("ix_person_next_selfcheck_at"), ["next_selfcheck_at"], unique=False)

    # Pairs already running get their pulses planned on the clock's next tick (see
    # Pair.next_pulse_at); ended ones get none (no close-out for pairs ended before).
    op.execute("UPDATE pair SET next_pulse_at = started_at WHERE ended_at IS NULL")


def downgrade() -> None:
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_person_next_selfcheck_at"))
        batch_op.drop_column("next_selfcheck_at")

    with op.batch_alter_table("pair", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pair_next_pulse_at"))
        batch_op.drop_column("next_pulse_at")

    with op.batch_alter_table("nudge_send", schema=None) as batch_op:
        batch_op.drop_column("reason")

    with op.batch_alter_table("pulse_self_answer", schema=None) as batch_op:
        batch_op.drop_index("ix_pulse_self_answer_mentor_quarter")

    op.drop_table("pulse_self_answer")
    with op.batch_alter_table("pulse_round", schema=None) as batch_op:
        batch_op.drop_index("ix_pulse_round_status")
        batch_op.drop_index(batch_op.f("ix_pulse_round_reminder_due_at"))
        batch_op.drop_index(batch_op.f("ix_pulse_round_person_id"))
        batch_op.drop_index(batch_op.f("ix_pulse_round_pair_id"))

    op.drop_table("pulse_round")
    with op.batch_alter_table("pulse_participation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pulse_participation_quarter"))

    op.drop_table("pulse_participation")
    with op.batch_alter_table("pulse_answer", schema=None) as batch_op:
        batch_op.drop_index("ix_pulse_answer_team_quarter")
        batch_op.drop_index("ix_pulse_answer_mentor_quarter")

    op.drop_table("pulse_answer")
    op.drop_table("pulse_settings")
