"""The nudge log: which nudge went to which mentor (and named which mentee), and their answers.

`nudge_send` is written by the planner together with the outbox row, and completed by
the sender (`sent_at`, `channel`, `ts`) when Slack has the message. It is the program's
record of what was sent, so it stands on its own: the outbox row it came from may be
purged one day, and reports never need to read `delivery.payload`.

`nudge_answer` holds at most one row per nudge: a second click changes the answer in
place rather than adding a row.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base, utcnow
from bot.models.core import SlackId


class NudgeOrigin:
    """Why a nudge was sent."""

    SCHEDULED = "scheduled"  # the mentor's own rhythm (counts toward the weekly cap and back-off)
    REQUESTED = "requested"  # `/mentor nudge`
    REMINDER = "reminder"  # "Remind me tomorrow" on an earlier nudge

    ALL = (SCHEDULED, REQUESTED, REMINDER)


class NudgeAnswerKind:
    """What a mentor said about a nudge with its buttons."""

    DONE = "done"
    REMIND = "remind"
    SKIP = "skip"

    ALL = (DONE, REMIND, SKIP)


class NudgeSend(Base):
    """One nudge planned for a mentor: what it was, whom it named, and when it went out."""

    __tablename__ = "nudge_send"
    __table_args__ = (
        CheckConstraint("origin IN ('scheduled', 'requested', 'reminder')", name="origin"),
        # The planner's history query: a mentor's recent nudges, newest first.
        Index("ix_nudge_send_person_planned", "person_id", "planned_for"),
        # The program view (bot.program, bot.attention): a workspace's nudges sent in a period.
        Index("ix_nudge_send_team_sent", "team_id", "sent_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(SlackId, ForeignKey("workspace.team_id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    # The outbox row that carries it (NULL only if the outbox row was purged).
    delivery_id: Mapped[int | None] = mapped_column(
        ForeignKey("delivery.id", ondelete="SET NULL"), unique=True
    )
    nudge_key: Mapped[str] = mapped_column(String(64))
    practice: Mapped[str] = mapped_column(String(32))
    # The mentee the text names, when it names one.
    mentee_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    origin: Mapped[str] = mapped_column(String(16))
    # Why the planner leaned toward this practice, when it did: "gap" (the mentor's
    # released pulse gap) or "self" (their own self-check); None for the plain rotation.
    reason: Mapped[str | None] = mapped_column(String(8))
    # Indexed: deleting a nudge (bot.mydata.forget) has the database look for reminders of it.
    reminder_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("nudge_send.id", ondelete="SET NULL"), index=True
    )
    # The slot it was planned for (UTC); the sender may post it later the same day.
    planned_for: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    channel: Mapped[str | None] = mapped_column(SlackId)
    ts: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class NudgeAnswer(Base):
    """A mentor's answer to one nudge: the button, the follow-up choice and a note."""

    __tablename__ = "nudge_answer"
    __table_args__ = (CheckConstraint("answer IN ('done', 'remind', 'skip')", name="answer"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(SlackId, ForeignKey("workspace.team_id", ondelete="CASCADE"))
    nudge_send_id: Mapped[int] = mapped_column(ForeignKey("nudge_send.id", ondelete="CASCADE"), unique=True)
    # Who answered (always the mentor the nudge was sent to).
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    # NULL when the mentor only added a note.
    answer: Mapped[str | None] = mapped_column(String(16))
    first_answered_at: Mapped[datetime | None]
    answered_at: Mapped[datetime | None]
    # Seconds from the message reaching Slack to the first answer.
    response_seconds: Mapped[int | None] = mapped_column(Integer)
    followup_choice: Mapped[str | None] = mapped_column(String(100))
    followup_at: Mapped[datetime | None]
    # Screened by bot.privacy before it is stored.
    note: Mapped[str | None] = mapped_column(Text)
    note_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
