"""The program view: an index for reading a workspace's nudges by when they were sent.

The admin Home, the director digest and the pairs that need attention read the nudges a
workspace sent in a period (or lately); without this index each of those reads walked
the whole nudge log, which grows by every nudge of every year.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_nudge_send_team_sent", "nudge_send", ["team_id", "sent_at"])


def downgrade() -> None:
    op.drop_index("ix_nudge_send_team_sent", table_name="nudge_send")
