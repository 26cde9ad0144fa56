"""Mentoring agreements: what a mentor and mentee agreed to work on, every version of it,
and how each goal is going at the cycle's reviews.

`agreement` is one per pair and cycle (at most one open per pair); `agreement_version`
keeps every draft and counter-proposal, so history is never lost; `goal_review` holds
the latest mark of each goal at each review (Met / Still working on it / Changed).
Goals and the other fields are screened for patient information before they are stored.
Program reports read counts only (`bot.agreements.service.agreement_counts`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base, utcnow
from bot.models.core import SlackId


class AgreementStatus:
    """Where an agreement stands."""

    PROPOSED = "proposed"  # a version waits for the other person
    AGREED = "agreed"  # both agreed the latest version
    ENDED = "ended"  # the pair ended, or the cycle was closed for a new one

    ALL = (PROPOSED, AGREED, ENDED)


class GoalState:
    """A goal's state at a review."""

    MET = "met"
    WORKING = "working"
    CHANGED = "changed"

    ALL = (MET, WORKING, CHANGED)


class Agreement(Base):
    """One pair's agreement for one cycle."""

    __tablename__ = "agreement"
    __table_args__ = (
        CheckConstraint("status IN ('proposed', 'agreed', 'ended')", name="status"),
        CheckConstraint("proposed_by IN ('mentor', 'mentee')", name="proposed_by"),
        # At most one open agreement per pair.
        Index(
            "uq_agreement_open_pair",
            "pair_id",
            unique=True,
            sqlite_where=text("status <> 'ended'"),
            postgresql_where=text("status <> 'ended'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(SlackId, ForeignKey("workspace.team_id", ondelete="CASCADE"))
    enterprise_id: Mapped[str | None] = mapped_column(SlackId)
    pair_id: Mapped[int] = mapped_column(ForeignKey("pair.id", ondelete="CASCADE"), index=True)
    mentor_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    mentee_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16), default=AgreementStatus.PROPOSED)
    # The newest version, who wrote it, and the version both agreed (None until then).
    latest_version: Mapped[int] = mapped_column(Integer, default=1)
    proposed_by: Mapped[str] = mapped_column(String(8))
    agreed_version: Mapped[int | None] = mapped_column(Integer)
    agreed_at: Mapped[datetime | None]
    # The review cycle runs from the first agreement: midpoint and end reviews.
    cycle_started_at: Mapped[datetime | None]
    cycle_months: Mapped[int | None] = mapped_column(Integer)
    # The review step's index, and how many reviews went out (0, 1 midpoint, 2 end).
    next_review_at: Mapped[datetime | None] = mapped_column(index=True)
    reviews_sent: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    ended_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class AgreementVersion(Base):
    """One draft or counter-proposal; never changed once written."""

    __tablename__ = "agreement_version"
    __table_args__ = (
        UniqueConstraint("agreement_id", "number"),
        CheckConstraint("author_role IN ('mentor', 'mentee')", name="author_role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreement.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    author_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    author_role: Mapped[str] = mapped_column(String(8))
    # Up to three goals, each screened and size-limited.
    goals: Mapped[list[str]] = mapped_column(JSON, default=list)
    # How often to meet (a key of bot.agreements.types.MEETING_CHOICES).
    meet_every: Mapped[str | None] = mapped_column(String(32))
    reach: Mapped[str | None] = mapped_column(Text)
    feedback: Mapped[str | None] = mapped_column(Text)
    # A short note to the other person with a counter-proposal (screened).
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class GoalReview(Base):
    """How one goal of an agreed version stood at one review; a second mark replaces it."""

    __tablename__ = "goal_review"
    __table_args__ = (
        UniqueConstraint("agreement_id", "version", "goal_index", "stage"),
        CheckConstraint("state IN ('met', 'working', 'changed')", name="state"),
        CheckConstraint("stage IN ('mid', 'end')", name="stage"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(SlackId, ForeignKey("workspace.team_id", ondelete="CASCADE"))
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreement.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    goal_index: Mapped[int] = mapped_column(Integer)
    stage: Mapped[str] = mapped_column(String(8))
    state: Mapped[str] = mapped_column(String(16))
    marked_by: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    marked_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
