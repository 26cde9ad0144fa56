"""Reading a nudge: its card (text, practice, answer, follow-up) as the mentor sees it now.

Shared by rendering at send time and by every answer, so a message always shows the
same thing however it was reached.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.library.service import find_nudge
from bot.library.types import PRACTICES, Nudge
from bot.models import NudgeAnswer, NudgeAnswerKind, NudgeOrigin, NudgeSend, Person
from bot.nudges.types import NudgeCard
from bot.people import zone_for


def nudge_or_placeholder(session: Session, send: NudgeSend) -> Nudge:
    """The library nudge a send points at, or a stand-in saying it is gone, so an old
    message still renders."""
    nudge = find_nudge(session, send.team_id, send.nudge_key)
    if nudge is None:
        # A key no longer in the library (should not happen: keys are permanent).
        return Nudge(key=send.nudge_key, practice=send.practice, text="(this nudge is no longer available)")
    return nudge


def card_for(
    session: Session, settings: Settings, send: NudgeSend, answer: NudgeAnswer | None = None
) -> NudgeCard:
    """The message content for a nudge in its current state."""
    answer = answer or find_answer(session, send.id)
    nudge = nudge_or_placeholder(session, send)
    mentee = session.get(Person, send.mentee_id) if send.mentee_id else None
    practice = PRACTICES.get(send.practice)
    remind_when = None
    if answer is not None and answer.answer == NudgeAnswerKind.REMIND:
        remind_when = _reminder_when(session, settings, send)
    return NudgeCard(
        send_id=send.id,
        text=nudge.render(mentee.user_id if mentee else None),
        practice_title=practice.title if practice else send.practice,
        is_reminder=send.origin == NudgeOrigin.REMINDER,
        answer=answer.answer if answer else None,
        followup=nudge.followup,
        followup_choice=answer.followup_choice if answer else None,
        has_note=bool(answer and answer.note),
        remind_when=remind_when,
        reason=send.reason,
        channel=send.channel,
        ts=send.ts,
    )


def find_answer(session: Session, send_id: int) -> NudgeAnswer | None:
    """The answer row of a nudge send, or None while nobody has answered, noted or followed up."""
    return session.scalars(select(NudgeAnswer).where(NudgeAnswer.nudge_send_id == send_id)).first()


def _reminder_when(session: Session, settings: Settings, send: NudgeSend) -> str | None:
    reminder = session.scalars(
        select(NudgeSend).where(NudgeSend.reminder_of_id == send.id).order_by(NudgeSend.id.desc())
    ).first()
    person = session.get(Person, send.person_id)
    if reminder is None or person is None:
        return None
    local = reminder.planned_for.astimezone(zone_for(session, settings, person))
    return local.strftime("on %A at %H:%M")
