"""Rotas: the shifts and rotations people work, where they came from, and calendar feeds.

`rota_shift` holds one row per shift (call, night, day) or rotation, as aware UTC
instants. Only call and night shifts are duty (nothing is delivered then, nor on the
post-call day); rotations drive the mentors' rotation check-ins. Rows come from an
admin's upload (`source` "upload", replaced per person over the file's dates), the CLI,
or a person's own calendar feed (`source` "feed", replaced on each refresh). No free
text is stored except a rotation's name, screened for patient information first.

`rota_feed` is a person's calendar feed: the URL is a secret (it grants reading their
calendar), so it is never logged and only ever shown masked. `rota_import` keeps a
checked upload between the dry run and "Apply", like `roster_import`.
`rotation_reflection` keeps a mentee's one line at the end of a rotation, for them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base, utcnow
from bot.models.core import SlackId


class ShiftKind:
    """What a row of the rota is. Call and night are duty."""

    CALL = "call"
    NIGHT = "night"
    DAY = "day"
    ROTATION = "rotation"

    DUTY = (CALL, NIGHT)
    ALL = (CALL, NIGHT, DAY, ROTATION)


class ShiftSource:
    """Where a rota row came from (a new import replaces rows of its own source only)."""

    UPLOAD = "upload"  # `/mentor rota` or `python -m bot import-rota`
    FEED = "feed"  # the person's own calendar feed

    ALL = (UPLOAD, FEED)


class RotaShift(Base):
    """One shift or rotation of one person."""

    __tablename__ = "rota_shift"
    __table_args__ = (
        CheckConstraint("kind IN ('call', 'night', 'day', 'rotation')", name="kind"),
        CheckConstraint("source IN ('upload', 'feed')", name="source"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        # "What duty does this person have around now?" (the planner, the sender).
        Index("ix_rota_shift_person_ends", "person_id", "ends_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(SlackId, ForeignKey("workspace.team_id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    # A rotation's name ("Cardiology"), screened; None for shifts or a name that failed the screen.
    label: Mapped[str | None] = mapped_column(String(80))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    all_day: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    source: Mapped[str] = mapped_column(String(16))
    # The rotation check-ins' index: when this rotation's next check-in is due (None: done).
    next_checkin_at: Mapped[datetime | None] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RotaFeed(Base):
    """A person's calendar feed (iCalendar URL), refreshed daily."""

    __tablename__ = "rota_feed"
    __table_args__ = (UniqueConstraint("person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(SlackId, ForeignKey("workspace.team_id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    # A secret: never logged, shown masked, deleted by `/mentor rota feed off`.
    url: Mapped[str] = mapped_column(Text)
    added_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The daily refresh's index.
    next_refresh_at: Mapped[datetime | None] = mapped_column(index=True)
    last_ok_at: Mapped[datetime | None]
    # Set by the first failure of a run of failures; the owner is told once (told_at).
    failing_since: Mapped[datetime | None]
    failure_told_at: Mapped[datetime | None]
    # What went wrong, in words for the owner (never the URL).
    last_error: Mapped[str | None] = mapped_column(String(200))


class RotaImport(Base):
    """One checked rota file and, once confirmed, when and by whom it was applied."""

    __tablename__ = "rota_import"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Random, named in the confirm modal's private_metadata (as `roster_import.key`).
    key: Mapped[str] = mapped_column(String(32), unique=True)
    team_id: Mapped[str] = mapped_column(
        SlackId, ForeignKey("workspace.team_id", ondelete="CASCADE"), index=True
    )
    created_by: Mapped[str] = mapped_column(SlackId)
    source: Mapped[str] = mapped_column(String(255))
    # The checked shifts per person; trimmed to counts once applied.
    plan: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    applied_at: Mapped[datetime | None]
    applied_by: Mapped[str | None] = mapped_column(SlackId)


class RotationReflection(Base):
    """A mentee's one line at the end of a rotation: theirs alone (a second one replaces it)."""

    __tablename__ = "rotation_reflection"
    __table_args__ = (UniqueConstraint("person_id", "rotation_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(SlackId, ForeignKey("workspace.team_id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    # "<start date>:<rotation name slug>", the same key the check-ins' dedupe keys use.
    rotation_key: Mapped[str] = mapped_column(String(120))
    # Screened and size-limited before it is stored.
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
