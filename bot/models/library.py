"""Program-specific nudges admins add, and built-in ones a program has switched off."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy import text as sql
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base, utcnow
from bot.models.core import SlackId


class CustomNudge(Base):
    """A nudge written by a program admin. Its key is `custom:<id>`; it is never deleted,
    only disabled, so answers recorded against it keep their meaning."""

    __tablename__ = "custom_nudge"
    __table_args__ = (UniqueConstraint("team_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(SlackId, ForeignKey("workspace.team_id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(64))
    practice: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    followup_question: Mapped[str | None] = mapped_column(String(150))
    followup_choices: Mapped[list[str] | None] = mapped_column(JSON)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default=sql("true"))
    created_by: Mapped[str] = mapped_column(SlackId)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class DisabledNudge(Base):
    """A built-in nudge one program has switched off for its own mentors.

    The built-in library is shared by every workspace, so "off" is recorded per team.
    Switching it back on deletes the row; the audit log keeps the story.
    """

    __tablename__ = "disabled_nudge"

    team_id: Mapped[str] = mapped_column(
        SlackId, ForeignKey("workspace.team_id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    disabled_by: Mapped[str] = mapped_column(SlackId)
    disabled_at: Mapped[datetime] = mapped_column(default=utcnow)
