"""Conversations between mentor and mentee: feedback-chat requests and the meeting log.

`feedback_request` holds one row per request a mentee sends (a second one to the same
mentor within a day updates the first instead), with what the mentor answered and when.
It is not anonymous — the mentor is told who asks — so it links both people.

`meeting_log` holds one row per meeting a mentor logged: from the monthly "did you
meet?" DM (at most one row per DM; a second click changes it) or from `/mentor met`
(any number). `minutes` is 0 for "not yet". Program reports read counts from here,
never who said what.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base, utcnow
from bot.models.core import SlackId


class FeedbackStatus:
    """Where a feedback-chat request stands."""

    PENDING = "pending"  # queued for the mentor, or with them and unanswered
    TALK = "talk"  # "Let's talk this week"
    LATER = "later"  # "Suggest another time" (with an optional note)
    CANT = "cant"  # "Can't right now"
    SUPERSEDED = "superseded"  # a newer request to the same mentor replaced it
    UNDELIVERED = "undelivered"  # the DM could not reach the mentor (paused, stopped, Slack…)
    CLOSED = "closed"  # a week went by without an answer
    ENDED = "ended"  # the pair ended before an answer

    ANSWERS = (TALK, LATER, CANT)
    ALL = (PENDING, TALK, LATER, CANT, SUPERSEDED, UNDELIVERED, CLOSED, ENDED)


class FeedbackSource:
    """Where a request was made."""

    COMMAND = "command"
    HOME = "home"

    ALL = (COMMAND, HOME)


class FeedbackRequest(Base):
    """A mentee asking one of their mentors for a short feedback chat, and the outcome."""

    __tablename__ = "feedback_request"
    __table_args__ = (
        CheckConstraint(
            "status IN ('pending', 'talk', 'later', 'cant', 'superseded', 'undelivered', 'closed', 'ended')",
            name="status",
        ),
        CheckConstraint("source IN ('command', 'home')", name="source"),
        CheckConstraint("times_asked >= 1", name="times_asked"),
        # The clock's query: open requests whose week is up.
        Index("ix_feedback_request_status_closes_at", "status", "closes_at"),
        # "Has this mentee asked this mentor lately?" (merging, and Home).
        Index("ix_feedback_request_mentee_mentor_requested", "mentee_id", "mentor_id", "requested_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(SlackId, ForeignKey("workspace.team_id", ondelete="CASCADE"))
    enterprise_id: Mapped[str | None] = mapped_column(SlackId)
    pair_id: Mapped[int] = mapped_column(ForeignKey("pair.id", ondelete="CASCADE"), index=True)
    mentor_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    mentee_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    # Screened by bot.privacy and size-limited before it is stored; the mentor sees it.
    topic: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default=FeedbackStatus.PENDING)
    requested_at: Mapped[datetime]
    # A second request within a day updates this one: how often, and the latest.
    times_asked: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    last_asked_at: Mapped[datetime]
    # Unanswered by then, the request closes and the mentee is told.
    closes_at: Mapped[datetime]
    # The outbox row carrying the DM to the mentor, and where it landed.
    delivery_id: Mapped[int | None] = mapped_column(
        ForeignKey("delivery.id", ondelete="SET NULL"), unique=True
    )
    sent_at: Mapped[datetime | None]
    channel: Mapped[str | None] = mapped_column(SlackId)
    ts: Mapped[str | None] = mapped_column(String(32))
    answered_at: Mapped[datetime | None]
    # "Suggest another time" may carry a short note for the mentee (screened).
    mentor_note: Mapped[str | None] = mapped_column(Text)
    # Why a request ended without an answer (for the mentee's notice and reports).
    closed_reason: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class MeetingSource:
    """How a meeting came to be logged."""

    DM = "dm"  # the monthly "did you meet?" question
    COMMAND = "command"  # `/mentor met`

    ALL = (DM, COMMAND)


class MeetingLog(Base):
    """One meeting (or a "not yet") a mentor logged for one of their pairs."""

    __tablename__ = "meeting_log"
    __table_args__ = (
        CheckConstraint("minutes >= 0 AND minutes <= 1440", name="minutes"),
        CheckConstraint("source IN ('dm', 'command')", name="source"),
        # "Was a meeting logged for this pair this month?" (the monthly question) and reports.
        Index("ix_meeting_log_pair_month", "pair_id", "month"),
        # `/mentor meetings`: a mentor's own log, month by month.
        Index("ix_meeting_log_mentor_month", "mentor_id", "month"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(SlackId, ForeignKey("workspace.team_id", ondelete="CASCADE"))
    enterprise_id: Mapped[str | None] = mapped_column(SlackId)
    pair_id: Mapped[int] = mapped_column(ForeignKey("pair.id", ondelete="CASCADE"))
    mentor_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    mentee_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    # "2026-12": the month in the mentor's own time zone.
    month: Mapped[str] = mapped_column(String(7))
    # 0 means "not yet" (the monthly question's answer when they have not met).
    minutes: Mapped[int] = mapped_column(Integer)
    # Practice keys that came up (bot.library.types.PRACTICE_KEYS), in that order.
    practices: Mapped[list[str]] = mapped_column(JSON, default=list)
    source: Mapped[str] = mapped_column(String(16))
    # The monthly question this answers (one row per question); NULL for `/mentor met`.
    delivery_id: Mapped[int | None] = mapped_column(
        ForeignKey("delivery.id", ondelete="SET NULL"), unique=True
    )
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
