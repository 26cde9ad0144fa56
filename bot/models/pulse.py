"""The relationship pulse: check-ins sent, who took part, answers waiting to be
published, and the published figures — kept apart.

* `pulse_round` — one check-in sent to one person: a mentee about one pair (pulse n of
  that pair, or its close-out), or a mentor's self-check. It is the sending side: when
  it was due, the outbox row that carries it, where it landed, its reminder. Answering
  never changes it.
* `pulse_participation` — *that* a mentee answered a pair's pulse: the pair, the pulse
  number and the calendar quarter, and nothing finer. It stops the reminder and refuses
  a second answer.
* `pulse_inbox` — *what* mentees answered, sealed with the app's secret key until the
  quarter has closed and enough different mentees stand behind it; a random id, the
  quarter, and a fixed-size ciphertext (`bot.pulse.sealing`).
* `pulse_batch` — what may be shown: the combined answers of one mentor's mentees, or of
  one cohort, over whole closed quarters, written once when published (`bot.pulse.pools`
  says when), with the comments of a mentor's batch in random order.
* `pulse_self_answer` — a mentor's own self-check, linked to them: it is their data.

`pulse_settings` holds each program's pulse timing, set by its admins;
`pulse_publication` how far each workspace's answers have been through publishing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, LargeBinary, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base, utcnow
from bot.models.core import SlackId

# The seven items, as columns of both answer tables (bot.pulse.items has their words).
ITEM_COLUMNS = ("care", "no_ego", "mistakes_ok", "own_errors", "listen", "autonomy", "zwisch")
# "1".."4" on the item's own scale; NULL means "doesn't apply".
_ITEM_RANGE = " AND ".join(f"({c} IS NULL OR {c} BETWEEN 1 AND 4)" for c in ITEM_COLUMNS)


class PulseSettings(Base):
    """A program's pulse timing, when its admins changed it (else the env defaults)."""

    __tablename__ = "pulse_settings"
    __table_args__ = (CheckConstraint("first_days > 0 AND every_days > 0", name="positive"),)

    team_id: Mapped[str] = mapped_column(
        SlackId, ForeignKey("workspace.team_id", ondelete="CASCADE"), primary_key=True
    )
    first_days: Mapped[int] = mapped_column(Integer)
    every_days: Mapped[int] = mapped_column(Integer)
    updated_by: Mapped[str] = mapped_column(SlackId)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class RoundKind:
    """Who a round goes to."""

    MENTEE = "mentee"  # a mentee, about one pair
    MENTOR = "mentor"  # a mentor's self-check

    ALL = (MENTEE, MENTOR)


class RoundStatus:
    """Where a round's invitation stands (never whether it was answered: see the module doc).

    queued → sent; skipped when the person could not be asked at all (stopped,
    deactivated); closed when its period ended, or its pair did, before it was sent.
    """

    QUEUED = "queued"
    SENT = "sent"
    SKIPPED = "skipped"
    CLOSED = "closed"

    ALL = (QUEUED, SENT, SKIPPED, CLOSED)


# The number of a pair's close-out round (regular rounds count from 1).
CLOSE_OUT = 0


class PulseRound(Base):
    """One check-in sent (or to be sent) to one person."""

    __tablename__ = "pulse_round"
    __table_args__ = (
        CheckConstraint("kind IN ('mentee', 'mentor')", name="kind"),
        CheckConstraint("status IN ('queued', 'sent', 'skipped', 'closed')", name="status"),
        CheckConstraint("number >= 0", name="number"),
        # The clock's questions: which invitations are in flight, which reminders are due.
        Index("ix_pulse_round_status", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(SlackId, ForeignKey("workspace.team_id", ondelete="CASCADE"))
    # "pair:<pair id>:<number>" or "self:<mentor id>:<number>": one round per pair (or
    # mentor) and period, however many clocks plan it at once.
    key: Mapped[str] = mapped_column(String(80), unique=True)
    kind: Mapped[str] = mapped_column(String(8))
    pair_id: Mapped[int | None] = mapped_column(ForeignKey("pair.id", ondelete="CASCADE"), index=True)
    # Who is asked: the mentee (kind mentee) or the mentor (kind mentor).
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    # Whom the answers are about.
    mentor_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    due_at: Mapped[datetime]
    # After this instant the round takes no answers ("an old period").
    closes_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(8), default=RoundStatus.QUEUED)
    # The outbox row carrying the invitation now; `attempts` counts re-queues after a pause.
    # Indexed: deleting an outbox row has the database look for the rounds that point at it.
    delivery_id: Mapped[int | None] = mapped_column(
        ForeignKey("delivery.id", ondelete="SET NULL"), index=True
    )
    attempts: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    sent_at: Mapped[datetime | None]
    channel: Mapped[str | None] = mapped_column(SlackId)
    ts: Mapped[str | None] = mapped_column(String(32))
    # The clock's index: when to remind (None once reminded, or when no reminder is due).
    reminder_due_at: Mapped[datetime | None] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PulseParticipation(Base):
    """That a mentee answered one pulse of one pair — and in which quarter, nothing finer."""

    __tablename__ = "pulse_participation"

    pair_id: Mapped[int] = mapped_column(ForeignKey("pair.id", ondelete="CASCADE"), primary_key=True)
    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[str] = mapped_column(SlackId, ForeignKey("workspace.team_id", ondelete="CASCADE"))
    quarter: Mapped[str] = mapped_column(String(7), index=True)  # "2026-Q4"


class PulseInbox(Base):
    """One mentee answer waiting to be published, sealed with the app's secret key.

    `sealed` is a fixed-size AES-GCM box (bot.pulse.sealing) holding the mentor, the
    cohort, the mentee (to count different mentees), the seven items and the comment:
    without the key a reader of the database sees only its quarter. A random text id,
    no timestamp, and no SQLite rowid (`WITHOUT ROWID`: rows are kept in id order).
    """

    __tablename__ = "pulse_inbox"
    __table_args__ = (
        Index("ix_pulse_inbox_team_quarter", "team_id", "quarter"),
        {"sqlite_with_rowid": False},
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    team_id: Mapped[str] = mapped_column(SlackId, ForeignKey("workspace.team_id", ondelete="CASCADE"))
    quarter: Mapped[str] = mapped_column(String(7))
    sealed: Mapped[bytes] = mapped_column(LargeBinary)


class BatchScope:
    """Whom a published batch is about."""

    MENTOR = "mentor"  # one mentor's mentees (shown to that mentor only)
    COHORT = "cohort"  # one cohort (shown to admins, and summed into the program's line)

    ALL = (MENTOR, COHORT)


class PulseBatch(Base):
    """Published figures: the combined answers of one group over whole closed quarters.

    Written once, when a quarter closes and the group's new answers come from enough
    different mentees (bot.pulse.pools); never changed. What anyone is shown is a sum of
    whole batches, so comparing two views can reveal no less than one batch.
    `items` holds `{item: [sum, count]}` for the items enough mentees rated; `comments`
    (mentor batches only) is in random order.
    """

    __tablename__ = "pulse_batch"
    __table_args__ = (
        CheckConstraint("scope IN ('mentor', 'cohort')", name="scope"),
        CheckConstraint("answers > 0 AND mentees > 0 AND mentors > 0", name="counts"),
        Index("ix_pulse_batch_team_scope", "team_id", "scope", "first_quarter"),
        Index("ix_pulse_batch_mentor", "mentor_id", "first_quarter"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(SlackId, ForeignKey("workspace.team_id", ondelete="CASCADE"))
    scope: Mapped[str] = mapped_column(String(8))
    mentor_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    cohort: Mapped[str | None] = mapped_column(String(120))
    first_quarter: Mapped[str] = mapped_column(String(7))
    last_quarter: Mapped[str] = mapped_column(String(7))
    answers: Mapped[int] = mapped_column(Integer)
    mentees: Mapped[int] = mapped_column(Integer)
    mentors: Mapped[int] = mapped_column(Integer)
    items: Mapped[dict[str, Any]] = mapped_column(JSON)
    comments: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PulsePublication(Base):
    """How far a workspace's answers have been through publishing: the last closed quarter."""

    __tablename__ = "pulse_publication"

    team_id: Mapped[str] = mapped_column(
        SlackId, ForeignKey("workspace.team_id", ondelete="CASCADE"), primary_key=True
    )
    # The clock asks every minute which workspaces are behind: an index keeps that a lookup.
    through_quarter: Mapped[str] = mapped_column(String(7), index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class PulseSelfAnswer(Base):
    """A mentor's answers to their own self-check (the mirror of the mentee items)."""

    __tablename__ = "pulse_self_answer"
    __table_args__ = (
        CheckConstraint(_ITEM_RANGE, name="items"),
        Index("ix_pulse_self_answer_mentor_quarter", "mentor_id", "quarter"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(SlackId, ForeignKey("workspace.team_id", ondelete="CASCADE"))
    round_id: Mapped[int] = mapped_column(ForeignKey("pulse_round.id", ondelete="CASCADE"), unique=True)
    mentor_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    quarter: Mapped[str] = mapped_column(String(7))
    care: Mapped[int | None] = mapped_column(SmallInteger)
    no_ego: Mapped[int | None] = mapped_column(SmallInteger)
    mistakes_ok: Mapped[int | None] = mapped_column(SmallInteger)
    own_errors: Mapped[int | None] = mapped_column(SmallInteger)
    listen: Mapped[int | None] = mapped_column(SmallInteger)
    autonomy: Mapped[int | None] = mapped_column(SmallInteger)
    zwisch: Mapped[int | None] = mapped_column(SmallInteger)
    answered_at: Mapped[datetime] = mapped_column(default=utcnow)
