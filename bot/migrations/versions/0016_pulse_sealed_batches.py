"""The pulse: answers sealed until published, and published batches.

`pulse_answer` (answers in the clear, rewritten per mentor and quarter) is replaced by
`pulse_inbox` (each answer sealed with the app's secret key until its quarter closes)
and `pulse_batch` (what may be shown: whole closed quarters of one mentor's mentees or
one cohort, from enough different mentees). `pulse_publication` records how far each
workspace has been published.

Answers already in `pulse_answer` are deleted, not carried over: they were stored in a
way a reader of the database could line up with the mentee (see bot.pulse.service),
and they hold no mentee to count different mentees by, so they could never be
published under the new rule. Participation rows stay, so nobody is asked twice.

Revision ID: 0016
Revises: 0010
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.models.base

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ITEMS = ("care", "no_ego", "mistakes_ok", "own_errors", "listen", "autonomy", "zwisch")


def _workspace_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["team_id"], ["workspace.team_id"], name=op.f(f"fk_{table}_team_id_workspace"), ondelete="CASCADE"
    )


def upgrade() -> None:
    with op.batch_alter_table("pulse_answer", schema=None) as batch_op:
        batch_op.drop_index("ix_pulse_answer_team_quarter")
        batch_op.drop_index("ix_pulse_answer_mentor_quarter")
    op.drop_table("pulse_answer")

    op.create_table(
        "pulse_inbox",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("quarter", sa.String(length=7), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        _workspace_fk("pulse_inbox"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pulse_inbox")),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("pulse_inbox", schema=None) as batch_op:
        batch_op.create_index("ix_pulse_inbox_team_quarter", ["team_id", "quarter"], unique=False)

    op.create_table(
        "pulse_batch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("scope", sa.String(length=8), nullable=False),
        sa.Column("mentor_id", sa.Integer(), nullable=True),
        sa.Column("cohort", sa.String(length=120), nullable=True),
        sa.Column("first_quarter", sa.String(length=7), nullable=False),
        sa.Column("last_quarter", sa.String(length=7), nullable=False),
        sa.Column("answers", sa.Integer(), nullable=False),
        sa.Column("mentees", sa.Integer(), nullable=False),
        sa.Column("mentors", sa.Integer(), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("comments", sa.JSON(), nullable=False),
        sa.Column("created_at", bot.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("scope IN ('mentor', 'cohort')", name=op.f("ck_pulse_batch_scope")),
        sa.CheckConstraint("answers > 0 AND mentees > 0 AND mentors > 0", name=op.f("ck_pulse_batch_counts")),
        sa.ForeignKeyConstraint(
            ["mentor_id"], ["person.id"], name=op.f("fk_pulse_batch_mentor_id_person"), ondelete="CASCADE"
        ),
        _workspace_fk("pulse_batch"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pulse_batch")),
    )
    with op.batch_alter_table("pulse_batch", schema=None) as batch_op:
        batch_op.create_index("ix_pulse_batch_mentor", ["mentor_id", "first_quarter"], unique=False)
        batch_op.create_index(
            "ix_pulse_batch_team_scope", ["team_id", "scope", "first_quarter"], unique=False
        )

    op.create_table(
        "pulse_publication",
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("through_quarter", sa.String(length=7), nullable=False),
        sa.Column("updated_at", bot.models.base.UtcDateTime(timezone=True), nullable=False),
        _workspace_fk("pulse_publication"),
        sa.PrimaryKeyConstraint("team_id", name=op.f("pk_pulse_publication")),
    )
    with op.batch_alter_table("pulse_publication", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_pulse_publication_through_quarter"), ["through_quarter"], unique=False
        )
    # Workspaces already sending check-ins are published from their next closed quarter on.
    op.execute(
        "INSERT INTO pulse_publication (team_id, through_quarter, updated_at) "
        "SELECT DISTINCT team_id, '0000-Q1', CURRENT_TIMESTAMP FROM pulse_round"
    )


def downgrade() -> None:
    with op.batch_alter_table("pulse_publication", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pulse_publication_through_quarter"))
    op.drop_table("pulse_publication")
    with op.batch_alter_table("pulse_batch", schema=None) as batch_op:
        batch_op.drop_index("ix_pulse_batch_team_scope")
        batch_op.drop_index("ix_pulse_batch_mentor")
    op.drop_table("pulse_batch")
    with op.batch_alter_table("pulse_inbox", schema=None) as batch_op:
        batch_op.drop_index("ix_pulse_inbox_team_quarter")
    op.drop_table("pulse_inbox")

    # The old table comes back empty: sealed answers cannot be written back in the clear.
    range_check = " AND ".join(f"({c} IS NULL OR {c} BETWEEN 1 AND 4)" for c in _ITEMS)
    op.create_table(
        "pulse_answer",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("mentor_id", sa.Integer(), nullable=False),
        sa.Column("cohort", sa.String(length=120), nullable=True),
        sa.Column("quarter", sa.String(length=7), nullable=False),
        *[sa.Column(c, sa.SmallInteger(), nullable=True) for c in _ITEMS],
        sa.Column("comment", sa.Text(), nullable=True),
        sa.CheckConstraint(range_check, name=op.f("ck_pulse_answer_items")),
        sa.ForeignKeyConstraint(
            ["mentor_id"], ["person.id"], name=op.f("fk_pulse_answer_mentor_id_person"), ondelete="CASCADE"
        ),
        _workspace_fk("pulse_answer"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pulse_answer")),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("pulse_answer", schema=None) as batch_op:
        batch_op.create_index("ix_pulse_answer_mentor_quarter", ["mentor_id", "quarter"], unique=False)
        batch_op.create_index("ix_pulse_answer_team_quarter", ["team_id", "quarter"], unique=False)
