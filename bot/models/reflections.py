"""Monthly reflections: which channels get prompts, each month's prompt, and what people shared."""

from __future__ import annotations

from datetime import date, datetime

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
)
from sqlalchemy import text as sql
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.models.base import Base, utcnow
from bot.models.core import SlackId


class ReflectionChannel(Base):
    """A channel that gets a monthly reflection prompt, and how.

    Turning prompts off keeps the row (and every prompt and reflection) with
    `enabled` false; turning them on again reuses it.
    """

    __tablename__ = "reflection_channel"
    __table_args__ = (
        UniqueConstraint("team_id", "channel_id"),
        CheckConstraint("minute_of_day >= 0 AND minute_of_day < 1440", name="minute_of_day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(SlackId, ForeignKey("workspace.team_id", ondelete="CASCADE"))
    channel_id: Mapped[str] = mapped_column(SlackId)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default=sql("true"))
    # `first-tue`, `last-fri`, `day-31` (bot.reflection_rules.DayRule).
    day_rule: Mapped[str] = mapped_column(String(16))
    # Local time of the prompt, minutes after midnight in `timezone`.
    minute_of_day: Mapped[int] = mapped_column(Integer)
    timezone: Mapped[str] = mapped_column(String(64))
    # Practice keys in rotation order; the month `rotation_anchor` (a month index, see
    # bot.reflection_rules.month_index) gets the first one.
    themes: Mapped[list[str]] = mapped_column(JSON)
    rotation_anchor: Mapped[int] = mapped_column(Integer)
    allow_anonymous: Mapped[bool] = mapped_column(Boolean, default=True, server_default=sql("true"))
    reminder_enabled: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sql("false"))
    # The planner's index: when this channel's next prompt is due (None while off).
    next_prompt_at: Mapped[datetime | None] = mapped_column(index=True)
    # The admin who last turned prompts on or changed them: told when a prompt cannot go out.
    admin_user_id: Mapped[str] = mapped_column(SlackId)
    disabled_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class PromptStatus:
    """Where a month's prompt stands.

    scheduled → posted, or → waiting (Slack refused for a reason an admin can fix; the
    outbox row is held and retried) → posted; missed when the month ended before it
    could be posted; cancelled when prompts were turned off before it went out.
    """

    SCHEDULED = "scheduled"
    WAITING = "waiting"
    POSTED = "posted"
    MISSED = "missed"
    CANCELLED = "cancelled"

    OPEN = (SCHEDULED, WAITING)


class ReflectionPrompt(Base):
    """One channel's prompt for one month (at most one: unique channel + month)."""

    __tablename__ = "reflection_prompt"
    __table_args__ = (
        UniqueConstraint("reflection_channel_id", "month"),
        # Thread replies arrive as (channel, thread_ts): find their prompt quickly.
        Index("ix_reflection_prompt_channel_ts", "channel_id", "ts"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(SlackId, ForeignKey("workspace.team_id", ondelete="CASCADE"))
    reflection_channel_id: Mapped[int] = mapped_column(
        ForeignKey("reflection_channel.id", ondelete="CASCADE"), index=True
    )
    channel_id: Mapped[str] = mapped_column(SlackId)
    month: Mapped[str] = mapped_column(String(7))  # "2026-12", in the channel's zone
    theme: Mapped[str] = mapped_column(String(32))
    question_key: Mapped[str] = mapped_column(String(64))
    planned_at: Mapped[datetime]
    # The month's end in the channel's zone: sharing closes, an unposted prompt is missed.
    closes_at: Mapped[datetime] = mapped_column(index=True)
    status: Mapped[str] = mapped_column(String(16), default=PromptStatus.SCHEDULED)
    # The last Slack error an admin can fix (`not_in_channel`…), kept after it is fixed.
    problem: Mapped[str | None] = mapped_column(String(64))
    # How often an admin re-armed it: each manual retry that fails again is told anew.
    rearm_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    ts: Mapped[str | None] = mapped_column(String(32))
    posted_at: Mapped[datetime | None]
    # The planner's indexes for what follows a posted prompt; None once queued or skipped.
    reminder_due_at: Mapped[datetime | None] = mapped_column(index=True)
    summary_due_at: Mapped[datetime | None] = mapped_column(index=True)
    # Why something did not happen (a missed prompt, skipped reminders), for the admin list.
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    channel: Mapped[ReflectionChannel] = relationship()


class Reflection(Base):
    """Something a person shared in a prompt's thread.

    Anonymous reflections have no `user_id`, and no reflection stores a precise time
    (only the local day), so an anonymous row cannot be lined up with anything that
    names a person. See handlers/reflections.py for the rest of that story.
    """

    __tablename__ = "reflection"
    __table_args__ = (
        # Thread replies are recorded from events that Slack may deliver twice.
        UniqueConstraint("prompt_id", "source_ts"),
        CheckConstraint("source IN ('modal', 'thread')", name="source"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(SlackId, ForeignKey("workspace.team_id", ondelete="CASCADE"))
    prompt_id: Mapped[int] = mapped_column(ForeignKey("reflection_prompt.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    # Practice keys the writer said it touches (default: the month's theme).
    practices: Mapped[list[str]] = mapped_column(JSON)
    # None means anonymous.
    user_id: Mapped[str | None] = mapped_column(SlackId)
    # "modal" (the Share button) or "thread" (typed into the thread; needs channels:history).
    source: Mapped[str] = mapped_column(String(8))
    # The ts of a thread reply typed by a person (never set for what the app posts).
    source_ts: Mapped[str | None] = mapped_column(String(32))
    shared_on: Mapped[date]
