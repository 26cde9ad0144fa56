"""Core tables: workspaces, people, mentoring pairs, the audit log and the outbox.

Every row carries `team_id` (and `enterprise_id` where Slack gives one), so several
workspaces or an Enterprise Grid org can share one deployment.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.models.base import Base, utcnow

# Slack ids are short ("T0123ABCD"); 32 leaves room for Grid's longer forms.
SlackId = String(32)

# Defaults for when the app may speak to someone: 08:00–18:00 local, weekdays only.
DEFAULT_CONTACT_START = 8 * 60
DEFAULT_CONTACT_END = 18 * 60
# A mentor's nudge arrives on Tuesday at 09:30 local unless they choose otherwise.
DEFAULT_NUDGE_DAYS = "1"
DEFAULT_NUDGE_MINUTE = 9 * 60 + 30
CADENCES = ("weekly", "biweekly", "monthly")

# Someone who asked to be forgotten but still has a place in another person's history
# (an ended pair, the other side's meeting log) keeps a bare row whose `user_id` is this
# prefix and a random tail; columns that named them as the author of something (an
# admin's audit rows, a custom nudge) say FORMER_MEMBER. Neither is a Slack member id,
# so neither matches a mention, a click or a Slack call (bot.mydata.forget).
FORMER_MEMBER_PREFIX = "former-"
FORMER_MEMBER = "former-member"


def is_former_member(user_id: str | None) -> bool:
    """True for the placeholder that stands where a forgotten person's Slack id was."""
    return bool(user_id) and str(user_id).startswith(FORMER_MEMBER_PREFIX)


class Workspace(Base):
    """A Slack workspace the app is installed in."""

    __tablename__ = "workspace"

    team_id: Mapped[str] = mapped_column(SlackId, primary_key=True)
    enterprise_id: Mapped[str | None] = mapped_column(SlackId)
    name: Mapped[str | None] = mapped_column(String(255))
    bot_user_id: Mapped[str | None] = mapped_column(SlackId)
    # The program's default time zone for people Slack gives none for; None → settings.
    timezone: Mapped[str | None] = mapped_column(String(64))
    # Set when Slack says our token is no longer good: nothing is sent until it is fixed.
    sending_paused_reason: Mapped[str | None] = mapped_column(String(255))
    sending_paused_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Person(Base):
    """Someone in a workspace the app knows: mentor, mentee, admin, or just a visitor.

    Mentor and mentee roles follow from active pairs; `is_admin` is stored because
    admins are granted explicitly.
    """

    __tablename__ = "person"
    __table_args__ = (
        UniqueConstraint("team_id", "user_id"),
        CheckConstraint(
            "contact_start >= 0 AND contact_start < contact_end AND contact_end <= 1440",
            name="contact_window",
        ),
        CheckConstraint("nudge_minute >= 0 AND nudge_minute < 1440", name="nudge_minute"),
        CheckConstraint("cadence IN ('weekly', 'biweekly', 'monthly')", name="cadence"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(SlackId, ForeignKey("workspace.team_id", ondelete="CASCADE"))
    enterprise_id: Mapped[str | None] = mapped_column(SlackId)
    user_id: Mapped[str] = mapped_column(SlackId)
    display_name: Mapped[str | None] = mapped_column(String(255))
    # The profile's full name ("Maria Alvarez"), so the privacy screen can place a
    # colleague written by first name, surname or both (display names are often "maria").
    real_name: Mapped[str | None] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(320))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))

    # Time zone: Slack's (cached and refreshed) unless the person set their own.
    tz: Mapped[str | None] = mapped_column(String(64))
    tz_override: Mapped[str | None] = mapped_column(String(64))
    tz_refreshed_at: Mapped[datetime | None]

    # False once Slack says the account is gone or deactivated: nothing is scheduled.
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))
    inactive_reason: Mapped[str | None] = mapped_column(String(64))
    # `/mentor stop`: no messages at all until they undo it.
    opted_out_at: Mapped[datetime | None]
    # `/mentor pause`: nothing scheduled or sent before this instant.
    paused_until: Mapped[datetime | None]
    # When the current pause began (an extension keeps it); None when not paused, or for
    # pauses made before it was stored.
    paused_at: Mapped[datetime | None]
    pause_reason: Mapped[str | None] = mapped_column(String(64))
    welcomed_at: Mapped[datetime | None]
    # The page of the admin Home's flagged pairs they last turned to: a redraw after
    # something done elsewhere (a DM click carries no Home view) keeps it.
    home_page: Mapped[int | None] = mapped_column(Integer)

    # When the app may speak to them, in minutes after local midnight, and weekends.
    contact_start: Mapped[int] = mapped_column(
        Integer, default=DEFAULT_CONTACT_START, server_default=str(DEFAULT_CONTACT_START)
    )
    contact_end: Mapped[int] = mapped_column(
        Integer, default=DEFAULT_CONTACT_END, server_default=str(DEFAULT_CONTACT_END)
    )
    quiet_weekends: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))

    # Mentor nudge preferences: ISO-like weekday numbers (Monday=0) as "0,3", local
    # minute of day, and cadence.
    nudge_days: Mapped[str] = mapped_column(
        String(20), default=DEFAULT_NUDGE_DAYS, server_default=DEFAULT_NUDGE_DAYS
    )
    nudge_minute: Mapped[int] = mapped_column(
        Integer, default=DEFAULT_NUDGE_MINUTE, server_default=str(DEFAULT_NUDGE_MINUTE)
    )
    cadence: Mapped[str] = mapped_column(String(16), default="weekly", server_default="weekly")
    # Back-off after ignored nudges: each level halves the frequency.
    backoff_level: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    unanswered_streak: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The planner's index: the next instant this mentor has a nudge slot due.
    next_nudge_at: Mapped[datetime | None] = mapped_column(index=True)
    # The pulse step's index: when this mentor's next self-check is due (bot.pulse).
    next_selfcheck_at: Mapped[datetime | None] = mapped_column(index=True)

    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    mentor_pairs: Mapped[list[Pair]] = relationship(
        foreign_keys="Pair.mentor_id", back_populates="mentor", viewonly=True
    )
    mentee_pairs: Mapped[list[Pair]] = relationship(
        foreign_keys="Pair.mentee_id", back_populates="mentee", viewonly=True
    )

    @property
    def mention(self) -> str:
        """How to name this person in a Slack message."""
        return "a former member" if is_former_member(self.user_id) else f"<@{self.user_id}>"


def _pulse_planning_start(context: Any) -> datetime:
    """A new pair's `next_pulse_at`: its start (so the pulse step plans it on its next tick)."""
    started = context.get_current_parameters().get("started_at") if context is not None else None
    return started if isinstance(started, datetime) else utcnow()


class Pair(Base):
    """A mentor–mentee relationship. Ending one sets `ended_at`; history stays."""

    __tablename__ = "pair"
    __table_args__ = (
        CheckConstraint("mentor_id <> mentee_id", name="not_self"),
        # At most one *active* pair per mentor and mentee; ended ones may repeat.
        Index(
            "uq_pair_active",
            "mentor_id",
            "mentee_id",
            unique=True,
            sqlite_where=text("ended_at IS NULL"),
            postgresql_where=text("ended_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(SlackId, ForeignKey("workspace.team_id", ondelete="CASCADE"))
    mentor_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    mentee_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    cohort: Mapped[str | None] = mapped_column(String(120))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]
    created_by: Mapped[str | None] = mapped_column(SlackId)
    # The pulse step's index: when to look at this pair's check-ins next. A new pair is
    # due at once (its start), so however it was inserted the clock plans its pulses;
    # ending a pair sets it to "now" again, for the close-out (bot.pulse.rules).
    next_pulse_at: Mapped[datetime | None] = mapped_column(default=_pulse_planning_start, index=True)

    mentor: Mapped[Person] = relationship(foreign_keys=[mentor_id], back_populates="mentor_pairs")
    mentee: Mapped[Person] = relationship(foreign_keys=[mentee_id], back_populates="mentee_pairs")


class AuditLog(Base):
    """Who did what to whom, for every admin action."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(SlackId, index=True)
    actor_user_id: Mapped[str] = mapped_column(SlackId)
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str | None] = mapped_column(String(255))
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class DeliveryStatus:
    """The states an outbox row moves through.

    pending → claimed → sending → sent, with failed / expired / cancelled / interrupted
    as other ends. `claimed` means a sender owns the row but has not called Slack yet
    (safe to retry if the sender dies); `sending` means the Slack call may have happened.
    `interrupted`: the call may or may not have reached Slack (the sender died mid-call,
    or Slack took the request and its answer never came back); it is never resent, so
    nobody gets a message twice, and it is counted apart from plain failures.
    """

    PENDING = "pending"
    CLAIMED = "claimed"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    INTERRUPTED = "interrupted"

    OPEN = (PENDING, CLAIMED, SENDING)
    ALL = (PENDING, CLAIMED, SENDING, SENT, FAILED, EXPIRED, CANCELLED, INTERRUPTED)


class Delivery(Base):
    """One scheduled message, written before anything is sent (the outbox)."""

    __tablename__ = "delivery"
    __table_args__ = (
        # The sender's query: open rows whose next attempt is due.
        Index("ix_delivery_status_next_attempt_at", "status", "next_attempt_at"),
        Index("ix_delivery_team_recipient", "team_id", "recipient"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(SlackId, ForeignKey("workspace.team_id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    # A user id (direct message) or a channel id.
    recipient: Mapped[str] = mapped_column(SlackId)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"), index=True)
    # e.g. "nudge:T1:U1:2026-W49#1": inserting the same key twice is a no-op.
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # When it was planned for, and when the sender should next try it (retries move this).
    due_at: Mapped[datetime]
    next_attempt_at: Mapped[datetime]
    # Past this instant it is no longer worth sending (a nudge belongs to its day).
    expires_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16), default=DeliveryStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_until: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    channel: Mapped[str | None] = mapped_column(SlackId)
    ts: Mapped[str | None] = mapped_column(String(32))
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    sent_at: Mapped[datetime | None]

    person: Mapped[Person | None] = relationship()
