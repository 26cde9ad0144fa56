"""Colleague names a workspace confirmed, and people's full names from Slack.

The privacy screen asks "Is Maria a colleague?" about a name it cannot place; a yes is
kept per workspace in `colleague_name` (no user, only the day). `person.real_name`
holds the Slack profile's full name so a colleague written by first name or surname
is placed without asking.

Revision ID: 0009
Revises: 0006
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "colleague_name",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("enterprise_id", sa.String(length=32), nullable=True),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("confirmed_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["workspace.team_id"],
            name=op.f("fk_colleague_name_team_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_colleague_name")),
        sa.UniqueConstraint("team_id", "name", name=op.f("uq_colleague_name_team_id_name")),
    )
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.add_column(sa.Column("real_name", sa.String(length=255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_column("real_name")
    op.drop_table("colleague_name")
