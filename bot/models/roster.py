"""Roster imports waiting for an admin to confirm them.

A dry run of a CSV import is stored here between "Check" and "Apply": the plan (who
would be paired or unpaired, already resolved to Slack ids) is too large for a modal's
3,000-character `private_metadata`, several web processes may serve the two clicks, and
keeping the plan means confirming applies exactly what the admin was shown without
asking Slack about every email a second time.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base, utcnow
from bot.models.core import SlackId


class RosterImport(Base):
    """One checked roster file and, once confirmed, when and by whom it was applied."""

    __tablename__ = "roster_import"

    id: Mapped[int] = mapped_column(primary_key=True)
    # What the confirm step names (in the modal's private_metadata): random, so an old
    # modal can never apply a newer check, even where SQLite reuses a deleted row's id.
    key: Mapped[str] = mapped_column(String(32), unique=True)
    team_id: Mapped[str] = mapped_column(
        SlackId, ForeignKey("workspace.team_id", ondelete="CASCADE"), index=True
    )
    created_by: Mapped[str] = mapped_column(SlackId)
    # The file name, "pasted rows", or the path given to the CLI.
    source: Mapped[str] = mapped_column(String(255))
    # The dry-run plan (see bot.roster_import.ImportPlan); trimmed to its counts once
    # applied, so staff emails are not kept longer than the import needs them.
    plan: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    applied_at: Mapped[datetime | None]
    applied_by: Mapped[str | None] = mapped_column(SlackId)
