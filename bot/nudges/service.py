"""Nudges after the planner: recording answers, reminders, notes, history.

The planner (`bot.nudges.planner`) decides *when* and *which*; this module owns what a
mentor does with a nudge once it exists: the answer buttons, "Remind me tomorrow", notes
(screened for patient identifiers), the back-off check-in's three choices, and
`/mentor history`. Rendering at send time is `bot.nudges.delivery`; the card a message
shows is `bot.nudges.cards`. Each public function is one unit of work inside the
caller's transaction.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.library.types import PRACTICES
from bot.models import (
    Delivery,
    DeliveryStatus,
    NudgeAnswer,
    NudgeAnswerKind,
    NudgeOrigin,
    NudgeSend,
    Person,
)
from bot.nudges.blocks import long_day, short_day
from bot.nudges.cards import card_for, find_answer, nudge_or_placeholder
from bot.nudges.delivery import record_nudge, send_for_delivery
from bot.nudges.types import (
    BACKOFF_KIND,
    HistoryLine,
    NoteRefused,
    NotYourNudge,
    NudgeCard,
    NudgeNotFound,
    PaceChoice,
)
from bot.people import find_person, zone_for
from bot.preferences import service as preferences
from bot.privacy import NamesToConfirm, refusal
from bot.privacy.workspace import WorkspaceScreen
from bot.sqlutil import insert_ignoring_conflict
from bot.timing import end_of_contact_day, local_datetime, mark_for_replanning, next_contact_time

# "Pause for a month" from the back-off check-in: four whole weeks of local days.
BACKOFF_PAUSE_DAYS = 28


# --- the mentor's own nudge --------------------------------------------------------------


def _own_send(session: Session, team_id: str, user_id: str, send_id: int) -> tuple[NudgeSend, Person]:
    send = session.get(NudgeSend, send_id)
    if send is None or send.team_id != team_id:
        raise NudgeNotFound(send_id)
    person = session.get(Person, send.person_id)
    if person is None or person.user_id != user_id:
        raise NotYourNudge(send_id)
    return send, person


def _answer_for_update(session: Session, send: NudgeSend, person: Person) -> NudgeAnswer:
    """The nudge's answer row, created if needed and locked until the transaction ends.

    Two clicks at the same moment (Done on a phone, Skip on a laptop) both find no row:
    the database decides which insert creates it, the other insert does nothing, and the
    row lock then makes the second click wait and apply on top — the latest click wins,
    and neither fails. `populate_existing` re-reads the row the other click committed.
    """
    insert_ignoring_conflict(
        session,
        NudgeAnswer,
        {"team_id": send.team_id, "nudge_send_id": send.id, "person_id": person.id},
        ["nudge_send_id"],
    )
    answer = session.scalars(
        select(NudgeAnswer)
        .where(NudgeAnswer.nudge_send_id == send.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    # Any answer, note or follow-up means the nudge reached someone who cares: the
    # back-off count starts again.
    person.unanswered_streak = 0
    return answer


# --- answers -----------------------------------------------------------------------------


def answer_nudge(
    session: Session, settings: Settings, team_id: str, user_id: str, send_id: int, answer: str, now: datetime
) -> NudgeCard:
    """Record Done / Remind me tomorrow / Skip for one nudge (a second click changes it).

    `now` is when the person clicked: a click older than the stored answer is ignored.
    Raises NudgeNotFound or NotYourNudge. Choosing "remind" queues the same nudge for
    the mentor's next allowed time tomorrow; choosing something else afterwards
    cancels that reminder if it has not gone out yet.
    """
    if answer not in NudgeAnswerKind.ALL:
        raise ValueError(f"unknown answer {answer!r}")
    send, person = _own_send(session, team_id, user_id, send_id)
    row = _answer_for_update(session, send, person)
    if row.answered_at is not None and now < row.answered_at:
        # A click made before the stored answer, recorded after it (answers are recorded
        # after the ack, on a pool): the later click stands; this one changes nothing.
        return card_for(session, settings, send, row)
    if row.first_answered_at is None:
        row.first_answered_at = now
        if send.sent_at is not None:
            row.response_seconds = max(0, int((now - send.sent_at).total_seconds()))
    previous, row.answer, row.answered_at = row.answer, answer, now
    if answer == NudgeAnswerKind.REMIND:
        _schedule_reminder(session, settings, send, person, now)
    elif previous == NudgeAnswerKind.REMIND:
        _cancel_reminder(session, send)
    session.flush()
    return card_for(session, settings, send, row)


def answer_followup(
    session: Session, settings: Settings, team_id: str, user_id: str, send_id: int, choice: int, now: datetime
) -> NudgeCard:
    """Record the one-tap answer to a nudge's follow-up question."""
    send, person = _own_send(session, team_id, user_id, send_id)
    nudge = nudge_or_placeholder(session, send)
    if nudge.followup is None or not 0 <= choice < len(nudge.followup.choices):
        raise NudgeNotFound(send_id)
    row = _answer_for_update(session, send, person)
    row.followup_choice, row.followup_at = nudge.followup.choices[choice][:100], now
    session.flush()
    return card_for(session, settings, send, row)


def current_note(
    session: Session, settings: Settings, team_id: str, user_id: str, send_id: int
) -> tuple[str, str | None]:
    """(nudge text, existing note) for the note modal; checks the clicker owns the nudge."""
    send, _person = _own_send(session, team_id, user_id, send_id)
    answer = find_answer(session, send.id)
    return card_for(session, settings, send, answer).text, answer.note if answer else None


def save_note(
    session: Session, settings: Settings, team_id: str, user_id: str, send_id: int, text: str, now: datetime
) -> NudgeCard:
    """Store a note on a nudge, answered or not. Raises NoteRefused when the text looks
    like it holds a patient identifier, and NamesToConfirm when its only problem is a
    name the workspace cannot place (nothing is stored either way)."""
    send, person = _own_send(session, team_id, user_id, send_id)
    cleaned = text.strip()
    verdict = WorkspaceScreen(session, team_id).assess(cleaned, today=now.date())
    if verdict.refused:
        raise NoteRefused(refusal(verdict.findings()))
    if verdict.names:
        raise NamesToConfirm(verdict.names)
    row = _answer_for_update(session, send, person)
    row.note, row.note_at = cleaned or None, now
    session.flush()
    return card_for(session, settings, send, row)


# --- remind me tomorrow ------------------------------------------------------------------


def _reminder_key(send: NudgeSend) -> str:
    return f"nudge-remind:{send.team_id}:{send.delivery_id or f's{send.id}'}"


def reminder_time(person: Person, zone: ZoneInfo, now: datetime) -> datetime:
    """The mentor's next allowed moment from tomorrow at their usual nudge time."""
    tomorrow = now.astimezone(zone).date() + timedelta(days=1)
    minute = max(person.nudge_minute, person.contact_start)
    if minute >= person.contact_end:
        minute = person.contact_start
    candidate = local_datetime(tomorrow, minute, zone)
    try:
        return next_contact_time(person, zone, candidate)
    except ValueError:  # a contact window with no allowed day: keep the plain time
        return candidate


def _schedule_reminder(
    session: Session, settings: Settings, send: NudgeSend, person: Person, now: datetime
) -> None:
    zone = zone_for(session, settings, person)
    at = reminder_time(person, zone, now)
    expires_at = end_of_contact_day(person, zone, at)
    key = _reminder_key(send)
    existing = session.scalars(select(Delivery).where(Delivery.dedupe_key == key)).first()
    if existing is not None:
        if existing.status == DeliveryStatus.CANCELLED:
            # They changed their mind back to "remind me": re-arm the same row.
            existing.status, existing.error = DeliveryStatus.PENDING, None
            existing.due_at = existing.next_attempt_at = at
            existing.expires_at = expires_at
            reminder = send_for_delivery(session, existing.id)
            if reminder is not None:
                reminder.planned_for = at
        return
    record_nudge(
        session,
        person=person,
        dedupe_key=key,
        nudge_key=send.nudge_key,
        practice=send.practice,
        mentee_id=send.mentee_id,
        origin=NudgeOrigin.REMINDER,
        due_at=at,
        expires_at=expires_at,
        reminder_of_id=send.id,
    )


def _cancel_reminder(session: Session, send: NudgeSend) -> None:
    session.execute(
        update(Delivery)
        .where(
            Delivery.dedupe_key == _reminder_key(send),
            Delivery.status.in_((DeliveryStatus.PENDING, DeliveryStatus.CLAIMED)),
        )
        .values(status=DeliveryStatus.CANCELLED, error="the mentor changed their answer", lease_until=None)
    )


# --- the back-off check-in ---------------------------------------------------------------


def choose_pace(
    session: Session,
    settings: Settings,
    team_id: str,
    user_id: str,
    delivery_id: int,
    choice: str,
    now: datetime,
) -> PaceChoice:
    """Apply "Fewer nudges" / "Pause for a month" / "Keep as is" from the back-off message."""
    delivery = session.get(Delivery, delivery_id)
    if delivery is None or delivery.team_id != team_id or delivery.kind != BACKOFF_KIND:
        raise NudgeNotFound(delivery_id)
    if delivery.recipient != user_id or delivery.person_id is None:
        raise NotYourNudge(delivery_id)
    person = session.get(Person, delivery.person_id)
    assert person is not None
    payload = dict(delivery.payload or {})
    old_pace, new_pace = payload.get("old_pace", "your usual pace"), payload.get("new_pace", "less often")
    person.unanswered_streak = 0
    if choice == "fewer":
        message = (
            f"Done — nudges will come {new_pace} from now on. You can change your days and pace any time "
            "from Mentor Nudge's Home tab."
        )
    elif choice == "pause":
        # The same pause as `/mentor pause 4w`: whole local days, and only what falls
        # inside it is cancelled.
        zone = zone_for(session, settings, person)
        last_day = now.astimezone(zone).date() + timedelta(days=BACKOFF_PAUSE_DAYS - 1)
        preferences.pause(session, settings, team_id, user_id, last_day=last_day, now=now)
        assert person.paused_until is not None
        resumes = long_day(person.paused_until.astimezone(zone))
        message = f"Paused for four weeks — nudges pick up again on {resumes}. Nothing to do on your side."
    elif choice == "keep":
        person.backoff_level = 0
        message = f"Back to {old_pace}. Thanks for staying with it!"
    else:
        raise ValueError(f"unknown pace choice {choice!r}")
    mark_for_replanning(person, now)
    payload.update({"choice": choice, "chosen_at": now.isoformat()})
    delivery.payload = payload
    return PaceChoice(choice, message, delivery.channel, delivery.ts)


# --- /mentor history ---------------------------------------------------------------------

HISTORY_LIMIT = 10


def recent_history(
    session: Session, settings: Settings, team_id: str, user_id: str, *, limit: int = HISTORY_LIMIT
) -> list[HistoryLine]:
    """The mentor's last `limit` nudges that reached Slack, newest first, with answers."""
    person = find_person(session, team_id, user_id)
    if person is None:
        return []
    rows = session.execute(
        select(NudgeSend, NudgeAnswer)
        .outerjoin(NudgeAnswer, NudgeAnswer.nudge_send_id == NudgeSend.id)
        .where(NudgeSend.person_id == person.id, NudgeSend.sent_at.is_not(None))
        .order_by(NudgeSend.sent_at.desc(), NudgeSend.id.desc())
        .limit(limit)
    ).all()
    zone = zone_for(session, settings, person)
    mentee_ids = {send.mentee_id for send, _ in rows if send.mentee_id}
    mentees = (
        {p.id: p.user_id for p in session.scalars(select(Person).where(Person.id.in_(mentee_ids)))}
        if mentee_ids
        else {}
    )
    lines = []
    for send, answer in rows:
        nudge = nudge_or_placeholder(session, send)
        practice = PRACTICES.get(send.practice)
        assert send.sent_at is not None
        lines.append(
            HistoryLine(
                when=short_day(send.sent_at.astimezone(zone)),
                practice_title=practice.title if practice else send.practice,
                text=nudge.render(mentees.get(send.mentee_id) if send.mentee_id else None),
                answer=answer.answer if answer else None,
                followup_question=nudge.followup.question if nudge.followup else None,
                followup_choice=answer.followup_choice if answer else None,
                note=answer.note if answer else None,
            )
        )
    return lines
