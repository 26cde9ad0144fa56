"""When a pause began (person.paused_at), and the admin Home's page (person.home_page).

The pairs that need attention flag a mentor paused for over a month. Without the pause's
start that could only be guessed from how far its end lies ahead or how long since the
last nudge, which flagged fresh pauses of mentors rarely nudged. Pauses made before this
column existed keep NULL (and are judged by the old guess, worded as such).

An admin paging through the flagged pairs was sent back to the first page whenever Home
was redrawn after something done elsewhere (a nudge answered in a DM, a meeting logged):
Slack sends no Home view with those clicks, so the page is kept here.

Revision ID: 0019
Revises: 0017
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.models.base

revision: str = "0019"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("person", sa.Column("paused_at", bot.models.base.UtcDateTime(timezone=True), nullable=True))
    op.add_column("person", sa.Column("home_page", sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_column("person", "home_page")
    op.drop_column("person", "paused_at")
