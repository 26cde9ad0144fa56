"""Names a workspace has confirmed are colleagues, so the privacy screen stops asking."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base
from bot.models.core import SlackId


class ColleagueName(Base):
    """A name someone answered "Yes, save" for: "Is Maria a colleague?".

    Kept per workspace as the name's lower-case words ("maria lopez"). Deliberately
    nothing about who answered, and only the day: the answer may come from someone
    sharing an anonymous reflection, and this row must not lead back to them.
    """

    __tablename__ = "colleague_name"
    __table_args__ = (UniqueConstraint("team_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(SlackId, ForeignKey("workspace.team_id", ondelete="CASCADE"))
    enterprise_id: Mapped[str | None] = mapped_column(SlackId)
    name: Mapped[str] = mapped_column(String(255))
    confirmed_on: Mapped[date] = mapped_column(Date)
