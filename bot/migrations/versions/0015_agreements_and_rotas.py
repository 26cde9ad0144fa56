"""Mentoring agreements (versions, goal reviews) and rotas (shifts, calendar feeds,
checked uploads, end-of-rotation reflections).

Revision ID: 0015
Revises: 0010
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.models.base

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rota_import",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("created_by", sa.String(length=32), nullable=False),
        sa.Column("source", sa.String(length=255), nullable=False),
        sa.Column("plan", sa.JSON(), nullable=False),
        sa.Column("created_at", bot.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("applied_at", bot.models.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("applied_by", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["workspace.team_id"],
            name=op.f("fk_rota_import_team_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rota_import")),
        sa.UniqueConstraint("key", name=op.f("uq_rota_import_key")),
    )
    with op.batch_alter_table("rota_import", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rota_import_team_id"), ["team_id"], unique=False)

    op.create_table(
        "rota_feed",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("added_at", bot.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("next_refresh_at", bot.models.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("last_ok_at", bot.models.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("failing_since", bot.models.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("failure_told_at", bot.models.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_rota_feed_person_id_person"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["workspace.team_id"],
            name=op.f("fk_rota_feed_team_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rota_feed")),
        sa.UniqueConstraint("person_id", name=op.f("uq_rota_feed_person_id")),
    )
    with op.batch_alter_table("rota_feed", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rota_feed_next_refresh_at"), ["next_refresh_at"], unique=False)

    op.create_table(
        "rota_shift",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("label", sa.String(length=80), nullable=True),
        sa.Column("starts_at", bot.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", bot.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("all_day", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("next_checkin_at", bot.models.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("created_at", bot.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('call', 'night', 'day', 'rotation')", name=op.f("ck_rota_shift_kind")),
        sa.CheckConstraint("source IN ('upload', 'feed')", name=op.f("ck_rota_shift_source")),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_rota_shift_ends_after_start")),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_rota_shift_person_id_person"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["workspace.team_id"],
            name=op.f("fk_rota_shift_team_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rota_shift")),
    )
    with op.batch_alter_table("rota_shift", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rota_shift_next_checkin_at"), ["next_checkin_at"], unique=False)
        batch_op.create_index("ix_rota_shift_person_ends", ["person_id", "ends_at"], unique=False)

    op.create_table(
        "rotation_reflection",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("rotation_key", sa.String(length=120), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", bot.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", bot.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_rotation_reflection_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["workspace.team_id"],
            name=op.f("fk_rotation_reflection_team_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rotation_reflection")),
        sa.UniqueConstraint(
            "person_id", "rotation_key", name=op.f("uq_rotation_reflection_person_id_rotation_key")
        ),
    )
    op.create_table(
        "agreement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("enterprise_id", sa.String(length=32), nullable=True),
        sa.Column("pair_id", sa.Integer(), nullable=False),
        sa.Column("mentor_id", sa.Integer(), nullable=False),
        sa.Column("mentee_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("latest_version", sa.Integer(), nullable=False),
        sa.Column("proposed_by", sa.String(length=8), nullable=False),
        sa.Column("agreed_version", sa.Integer(), nullable=True),
        sa.Column("agreed_at", bot.models.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("cycle_started_at", bot.models.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("cycle_months", sa.Integer(), nullable=True),
        sa.Column("next_review_at", bot.models.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("reviews_sent", sa.Integer(), server_default="0", nullable=False),
        sa.Column("ended_at", bot.models.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("created_at", bot.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", bot.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("proposed_by IN ('mentor', 'mentee')", name=op.f("ck_agreement_proposed_by")),
        sa.CheckConstraint("status IN ('proposed', 'agreed', 'ended')", name=op.f("ck_agreement_status")),
        sa.ForeignKeyConstraint(
            ["mentee_id"], ["person.id"], name=op.f("fk_agreement_mentee_id_person"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["mentor_id"], ["person.id"], name=op.f("fk_agreement_mentor_id_person"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["pair_id"], ["pair.id"], name=op.f("fk_agreement_pair_id_pair"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["workspace.team_id"],
            name=op.f("fk_agreement_team_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agreement")),
    )
    with op.batch_alter_table("agreement", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_agreement_next_review_at"), ["next_review_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_agreement_pair_id"), ["pair_id"], unique=False)
        batch_op.create_index(
            "uq_agreement_open_pair",
            ["pair_id"],
            unique=True,
            sqlite_where=sa.text("status <> 'ended'"),
            postgresql_where=sa.text("status <> 'ended'"),
        )

    op.create_table(
        "agreement_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("author_role", sa.String(length=8), nullable=False),
        sa.Column("goals", sa.JSON(), nullable=False),
        sa.Column("meet_every", sa.String(length=32), nullable=True),
        sa.Column("reach", sa.Text(), nullable=True),
        sa.Column("feedback", sa.Text(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", bot.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "author_role IN ('mentor', 'mentee')", name=op.f("ck_agreement_version_author_role")
        ),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreement.id"],
            name=op.f("fk_agreement_version_agreement_id_agreement"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["person.id"],
            name=op.f("fk_agreement_version_author_id_person"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agreement_version")),
        sa.UniqueConstraint("agreement_id", "number", name=op.f("uq_agreement_version_agreement_id_number")),
    )
    op.create_table(
        "goal_review",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("goal_index", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=8), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("marked_by", sa.Integer(), nullable=True),
        sa.Column("marked_at", bot.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("stage IN ('mid', 'end')", name=op.f("ck_goal_review_stage")),
        sa.CheckConstraint("state IN ('met', 'working', 'changed')", name=op.f("ck_goal_review_state")),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreement.id"],
            name=op.f("fk_goal_review_agreement_id_agreement"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["marked_by"], ["person.id"], name=op.f("fk_goal_review_marked_by_person"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["workspace.team_id"],
            name=op.f("fk_goal_review_team_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_goal_review")),
        sa.UniqueConstraint(
            "agreement_id",
            "version",
            "goal_index",
            "stage",
            name=op.f("uq_goal_review_agreement_id_version_goal_index_stage"),
        ),
    )
    with op.batch_alter_table("goal_review", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_goal_review_agreement_id"), ["agreement_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_goal_review_marked_at"), ["marked_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("goal_review", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_goal_review_marked_at"))
        batch_op.drop_index(batch_op.f("ix_goal_review_agreement_id"))

    op.drop_table("goal_review")
    op.drop_table("agreement_version")
    with op.batch_alter_table("agreement", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_agreement_open_pair",
            sqlite_where=sa.text("status <> 'ended'"),
            postgresql_where=sa.text("status <> 'ended'"),
        )
        batch_op.drop_index(batch_op.f("ix_agreement_pair_id"))
        batch_op.drop_index(batch_op.f("ix_agreement_next_review_at"))

    op.drop_table("agreement")
    op.drop_table("rotation_reflection")
    with op.batch_alter_table("rota_shift", schema=None) as batch_op:
        batch_op.drop_index("ix_rota_shift_person_ends")
        batch_op.drop_index(batch_op.f("ix_rota_shift_next_checkin_at"))

    op.drop_table("rota_shift")
    with op.batch_alter_table("rota_feed", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rota_feed_next_refresh_at"))

    op.drop_table("rota_feed")
    with op.batch_alter_table("rota_import", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rota_import_team_id"))

    op.drop_table("rota_import")
