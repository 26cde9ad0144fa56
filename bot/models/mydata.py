"""What is left after someone asks to be forgotten: counts with no one behind them, and a
fingerprint that keeps the app quiet if they are added again.

`kept_count` holds the counts program figures need from records that were deleted when a
person was forgotten (their nudges and answers, the meetings they logged, the check-ins
they took part in): per workspace, month (or quarter) and practice, added together
across everyone forgotten, with no person, no row ids and no timestamps.

`forget_mark` holds one SHA-256 fingerprint of (workspace, member id) per forgotten
person, and nothing else. If that member is seen again (an admin pairs them, they open
Home), their new record starts with messages off, so the app stays silent until they
choose `/mentor start`; the mark is used up then. See bot.mydata.forget and
docs/security.md.
"""

from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base
from bot.models.core import SlackId


class KeptCount(Base):
    """One count kept from deleted records: e.g. 3 `nudges_done` in `care` in 2026-11."""

    __tablename__ = "kept_count"

    team_id: Mapped[str] = mapped_column(
        SlackId, ForeignKey("workspace.team_id", ondelete="CASCADE"), primary_key=True
    )
    # "2026-11" (a UTC month) or "2026-Q4" (check-ins are kept by quarter).
    period: Mapped[str] = mapped_column(String(7), primary_key=True)
    metric: Mapped[str] = mapped_column(String(32), primary_key=True)
    # A practice key, or "" for counts that belong to none.
    practice: Mapped[str] = mapped_column(String(32), primary_key=True, default="", server_default="")
    count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class ForgetMark(Base):
    """A forgotten member's fingerprint: SHA-256 of "<team_id>:<user_id>" (bot.people)."""

    __tablename__ = "forget_mark"

    team_id: Mapped[str] = mapped_column(
        SlackId, ForeignKey("workspace.team_id", ondelete="CASCADE"), primary_key=True
    )
    fingerprint: Mapped[str] = mapped_column(String(64), primary_key=True)
