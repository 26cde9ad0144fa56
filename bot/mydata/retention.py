"""Retention: free text older than RETENTION_DAYS is emptied by the daily housekeeping.

What people typed — nudge notes, feedback-chat topics and notes, check-in comments,
reflections — is worth keeping while it is fresh and a risk once it is not. Each text
goes RETENTION_DAYS after it was written; the record around it stays (a nudge's answer,
a request's outcome, a reflection's practices and day), so counts and one-tap answers
are untouched. Colleague names the privacy screen remembered are forgotten too, so a
name confirmed by mistake does not stay for good. bot.mydata.inventory lists the free
text the app keeps and what happens to each; admins' own nudges are program content and
stay.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from bot.models import ColleagueName, FeedbackRequest, NudgeAnswer, PulseAnswer, Reflection
from bot.mydata.types import PurgeReport


def quarter_end(key: str) -> datetime | None:
    """The first instant after quarter "2026-Q4" (2027-01-01 00:00 UTC); None if malformed."""
    year, _, number = key.partition("-Q")
    if not (year.isdigit() and number in ("1", "2", "3", "4")):
        return None
    following = int(number) * 3 + 1
    return datetime(int(year) + following // 13, (following - 1) % 12 + 1, 1, tzinfo=UTC)


def empty_old_text(session: Session, *, days: int, now: datetime) -> PurgeReport:
    """Empty every free text older than `days` (all workspaces, one transaction)."""
    cutoff = now - timedelta(days=days)
    answered = func.coalesce(FeedbackRequest.answered_at, FeedbackRequest.last_asked_at)
    emptied = {
        "nudge_answer.note": _run(
            session,
            update(NudgeAnswer)
            .where(
                NudgeAnswer.note.is_not(None),
                func.coalesce(NudgeAnswer.note_at, NudgeAnswer.updated_at) < cutoff,
            )
            .values(note=None),
        ),
        "feedback_request.topic": _run(
            session,
            update(FeedbackRequest)
            .where(FeedbackRequest.topic.is_not(None), answered < cutoff)
            .values(topic=None),
        ),
        "feedback_request.mentor_note": _run(
            session,
            update(FeedbackRequest)
            .where(FeedbackRequest.mentor_note.is_not(None), answered < cutoff)
            .values(mentor_note=None),
        ),
        "pulse_answer.comment": _empty_comments(session, cutoff),
        "reflection.text": _run(
            session,
            update(Reflection)
            .where(Reflection.text != "", Reflection.shared_on < cutoff.date())
            .values(text=""),
        ),
        "colleague_name.name": _run(
            session, delete(ColleagueName).where(ColleagueName.confirmed_on < cutoff.date())
        ),
    }
    return PurgeReport(emptied)


def _empty_comments(session: Session, cutoff: datetime) -> int:
    """Check-in comments keep only their quarter, so a comment goes once its quarter has
    ended `days` ago: never earlier than any other text, at most a quarter later. Every
    row of a quarter changes in one statement, so nothing about the order of answers is
    added."""
    quarters = session.scalars(
        select(PulseAnswer.quarter).where(PulseAnswer.comment.is_not(None)).distinct()
    ).all()
    old = [q for q in quarters if (end := quarter_end(q)) is not None and end <= cutoff]
    if not old:
        return 0
    return _run(
        session,
        update(PulseAnswer)
        .where(PulseAnswer.quarter.in_(old), PulseAnswer.comment.is_not(None))
        .values(comment=None),
    )


def _run(session: Session, statement: Any) -> int:
    return int(session.execute(statement.execution_options(synchronize_session=False)).rowcount or 0)
