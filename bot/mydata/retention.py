"""Retention: free text older than RETENTION_DAYS is emptied by the daily housekeeping.

What people typed — nudge notes, feedback-chat topics and notes, check-in comments,
reflections, end-of-rotation lines — is worth keeping while it is fresh and a risk once
it is not. Each text goes RETENTION_DAYS after it was written (an agreement's words
RETENTION_DAYS after its pair ended); the record around it stays (a nudge's answer,
a request's outcome, a reflection's practices and day), so counts and one-tap answers
are untouched. Colleague names the privacy screen remembered are forgotten too, so a
name confirmed by mistake does not stay for good. bot.mydata.inventory lists the free
text the app keeps and what happens to each; admins' own nudges are program content and
stay.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, update
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.models import ColleagueName, FeedbackRequest, NudgeAnswer, Reflection
from bot.mydata.goals_and_rota import empty_old_goal_text
from bot.mydata.types import PurgeReport
from bot.pulse.erasure import empty_old_comments, quarter_end

__all__ = ["empty_old_text", "quarter_end"]


def empty_old_text(
    session: Session, *, days: int, now: datetime, settings: Settings | None = None
) -> PurgeReport:
    """Empty every free text older than `days` (all workspaces, one transaction).

    `settings` carries the key that opens check-in answers still waiting to be published;
    without it only published comments are emptied.
    """
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
        "pulse comment": empty_old_comments(session, settings, cutoff),
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
    emptied.update(empty_old_goal_text(session, cutoff))
    return PurgeReport(emptied)


def _run(session: Session, statement: Any) -> int:
    return int(session.execute(statement.execution_options(synchronize_session=False)).rowcount or 0)
