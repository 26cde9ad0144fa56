"""The shared pacing schedule: when each workspace may next be posted to.

Several clock processes on one PostgreSQL database share Slack's per-workspace budget
for `chat.postMessage`. Each used to pace itself to the whole budget, so two together
went over it and met 429s. One row per workspace holds the schedule they all draw
their slots from (schedules/pacing.py, `SharedPacer`). It names no person: the
retention and forget code need not know it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base
from bot.models.core import SlackId


class SendPace(Base):
    """One workspace's posting schedule, shared by every clock.

    `next_slot_at` is the schedule's "theoretical arrival time" (generic cell rate
    algorithm): the instant the next post would go if posts were spaced evenly; a post
    may go up to a burst's worth of spacing before it. `held_until` is the end of the
    latest 429's `Retry-After`: no clock posts to the workspace before then.
    """

    __tablename__ = "send_pace"

    team_id: Mapped[str] = mapped_column(
        SlackId, ForeignKey("workspace.team_id", ondelete="CASCADE"), primary_key=True
    )
    next_slot_at: Mapped[datetime]
    held_until: Mapped[datetime | None]
