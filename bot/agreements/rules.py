"""Pure rules for agreements: checking a draft before anything is stored (sizes, then the
patient-information screen), and when a cycle's reviews fall."""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.agreements.types import (
    FIELD_MAX_CHARS,
    GOAL_MAX_CHARS,
    MAX_GOALS,
    MEETING_CHOICES,
    NOTE_MAX_CHARS,
    Draft,
    DraftRefused,
)
from bot.privacy import check as privacy_check

GOAL_BLOCKS = tuple(f"goal_{n}" for n in range(1, MAX_GOALS + 1))
MEET_BLOCK, REACH_BLOCK, FEEDBACK_BLOCK, NOTE_BLOCK = "meet_every", "reach", "feedback", "note"


def _clean(text: str | None) -> str:
    return " ".join((text or "").split())


def _checked(text: str | None, *, limit: int, block: str, what: str) -> str | None:
    value = _clean(text)
    if not value:
        return None
    if len(value) > limit:
        raise DraftRefused(f"Please keep {what} to {limit} characters (this has {len(value)}).", block=block)
    refusal = privacy_check(value, ask=f"write {what}")
    if refusal:
        raise DraftRefused(refusal, block=block)
    return value


def check_draft(
    goals: Sequence[str],
    *,
    meet_every: str | None,
    reach: str | None,
    feedback: str | None,
    note: str | None = None,
) -> Draft:
    """The draft to store; DraftRefused (naming the field) for anything too long or unsafe."""
    kept = []
    for text, block in zip(list(goals)[:MAX_GOALS], GOAL_BLOCKS, strict=False):
        goal = _checked(text, limit=GOAL_MAX_CHARS, block=block, what="a goal")
        if goal:
            kept.append(goal)
    if not kept:
        raise DraftRefused("Write at least one goal — one is plenty to start with.", block=GOAL_BLOCKS[0])
    if meet_every is not None and meet_every not in MEETING_CHOICES:
        raise DraftRefused("Choose how often you'd like to meet.", block=MEET_BLOCK)
    return Draft(
        goals=tuple(kept),
        meet_every=meet_every,
        reach=_checked(reach, limit=FIELD_MAX_CHARS, block=REACH_BLOCK, what="how to reach each other"),
        feedback=_checked(feedback, limit=FIELD_MAX_CHARS, block=FEEDBACK_BLOCK, what="your feedback wishes"),
        note=_checked(note, limit=NOTE_MAX_CHARS, block=NOTE_BLOCK, what="the note"),
    )


def add_months(moment: datetime, months: int) -> datetime:
    """The same time `months` later; a day past the month's end falls on its last day."""
    month = moment.month - 1 + months
    year, month = moment.year + month // 12, month % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def review_times(cycle_start: datetime, months: int) -> tuple[datetime, datetime]:
    """(midpoint, end) of a cycle that starts at `cycle_start`."""
    end = add_months(cycle_start, months)
    return cycle_start + (end - cycle_start) / 2, end


def next_review(cycle_start: datetime, months: int, sent: int) -> datetime | None:
    """When the next review is due after `sent` reviews (None after the end review)."""
    times = review_times(cycle_start, months)
    return times[sent] if sent < len(times) else None


REVIEW_LIFETIME = timedelta(days=21)
