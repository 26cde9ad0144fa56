"""Nudges after the planner: rendering the DM, recording answers, reminders, notes, history.

The planner (`schedules/nudge_planner.py`) decides *when* and *which*; this module owns
what happens to a nudge once it exists: the outbox kinds that render it at send time
and note where it landed, the answer buttons, "Remind me tomorrow", notes (screened
for patient identifiers), the back-off check-in's three choices, and `/mentor history`.
Each public function is one unit of work inside the caller's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.deps import Deps
from bot.library.catalogue import PRACTICES, Nudge, find_nudge
from bot.models import (
    Delivery,
    DeliveryStatus,
    NudgeAnswer,
    NudgeAnswerKind,
    NudgeOrigin,
    NudgeSend,
    Pair,
    Person,
)
from bot.nudges.blocks import (
    HistoryLine,
    NudgeCard,
    backoff_blocks,
    backoff_text,
    long_day,
    nudge_blocks,
    short_day,
)
from bot.outbox import Cancel, DeliveryKind, Message, enqueue
from bot.people import find_person, zone_for
from bot.preferences import service as preferences
from bot.privacy import check as privacy_check
from bot.sqlutil import insert_ignoring_conflict
from bot.timing import end_of_contact_day, local_datetime, mark_for_replanning, next_contact_time

NUDGE_KIND = "nudge"
BACKOFF_KIND = "nudge_backoff"
# "Pause for a month" from the back-off check-in: four whole weeks of local days.
BACKOFF_PAUSE_DAYS = 28


class NudgeNotFound(LookupError):
    """No nudge with that id in this workspace (an old or forged button)."""


class NotYourNudge(PermissionError):
    """Someone other than the nudge's recipient clicked it."""


class NoteRefused(ValueError):
    """The note looks like it holds a patient identifier; the message says what to do."""


# --- rendering at send time --------------------------------------------------------------


def _send_for_delivery(session: Session, delivery_id: int) -> NudgeSend | None:
    return session.scalars(select(NudgeSend).where(NudgeSend.delivery_id == delivery_id)).first()


def record_nudge(
    session: Session,
    *,
    person: Person,
    dedupe_key: str,
    nudge_key: str,
    practice: str,
    mentee_id: int | None,
    origin: str,
    due_at: datetime,
    expires_at: datetime | None,
    reminder_of_id: int | None = None,
) -> NudgeSend | None:
    """Put a nudge in the outbox and the nudge log together; None if the key exists.

    A nudge the mentor asked for (`/mentor nudge`) goes at any hour; the others wait for
    the mentor's allowed hours if they would land outside them.
    """
    if not enqueue(
        session,
        team_id=person.team_id,
        kind=NUDGE_KIND,
        recipient=person.user_id,
        dedupe_key=dedupe_key,
        due_at=due_at,
        expires_at=expires_at,
        person_id=person.id,
        any_hour=origin == NudgeOrigin.REQUESTED,
    ):
        return None
    delivery_id = session.scalar(select(Delivery.id).where(Delivery.dedupe_key == dedupe_key))
    send = NudgeSend(
        team_id=person.team_id,
        person_id=person.id,
        delivery_id=delivery_id,
        nudge_key=nudge_key,
        practice=practice,
        mentee_id=mentee_id,
        origin=origin,
        reminder_of_id=reminder_of_id,
        planned_for=due_at,
    )
    session.add(send)
    return send


def _render_nudge(session: Session, delivery: Delivery, deps: Deps) -> Message:
    send = _send_for_delivery(session, delivery.id)
    if send is None:
        raise Cancel("no nudge is recorded for this outbox row")
    _check_still_paired(session, send)
    card = card_for(session, deps.settings, send)
    return Message(text=card.text, blocks=nudge_blocks(card))


def _check_still_paired(session: Session, send: NudgeSend) -> None:
    """Cancel (at send time) a nudge about a pair that has ended since it was queued.

    `end_pair` cancels queued rows naming the mentee; this also covers reminders and
    rows claimed at that moment, and a mentor left with no mentee at all.
    """
    active = select(Pair.id).where(Pair.mentor_id == send.person_id, Pair.ended_at.is_(None))
    if send.mentee_id is not None:
        if session.scalar(active.where(Pair.mentee_id == send.mentee_id).limit(1)) is None:
            raise Cancel("the pair this nudge names has ended")
    elif session.scalar(active.limit(1)) is None:
        raise Cancel("the mentor has no active mentee any more")


def cancel_nudges_naming(session: Session, mentor_id: int, mentee_id: int, reason: str) -> int:
    """Cancel the mentor's nudges not yet sent that name this mentee (their pair ended).

    Rows mid-send are left alone (their Slack call may have happened), as everywhere.
    Returns how many rows were cancelled.
    """
    naming = select(NudgeSend.delivery_id).where(
        NudgeSend.person_id == mentor_id,
        NudgeSend.mentee_id == mentee_id,
        NudgeSend.sent_at.is_(None),
        NudgeSend.delivery_id.is_not(None),
    )
    result = session.execute(
        update(Delivery)
        .where(
            Delivery.id.in_(naming),
            Delivery.kind == NUDGE_KIND,
            Delivery.status.in_((DeliveryStatus.PENDING, DeliveryStatus.CLAIMED)),
        )
        .values(status=DeliveryStatus.CANCELLED, error=reason, lease_until=None)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def _nudge_sent(session: Session, delivery: Delivery, _deps: Deps) -> None:
    send = _send_for_delivery(session, delivery.id)
    if send is not None:
        send.sent_at, send.channel, send.ts = delivery.sent_at, delivery.channel, delivery.ts


def _render_backoff(_session: Session, delivery: Delivery, _deps: Deps) -> Message:
    payload = delivery.payload or {}
    old_pace, new_pace = str(payload.get("old_pace") or ""), str(payload.get("new_pace") or "")
    return Message(text=backoff_text(new_pace), blocks=backoff_blocks(delivery.id, old_pace, new_pace))


def nudge_kinds() -> list[DeliveryKind]:
    """The outbox kinds for nudges and the back-off check-in."""
    return [
        DeliveryKind(name=NUDGE_KIND, render=_render_nudge, on_sent=_nudge_sent),
        DeliveryKind(name=BACKOFF_KIND, render=_render_backoff),
    ]


# --- reading a nudge ---------------------------------------------------------------------


def _nudge_or_placeholder(session: Session, send: NudgeSend) -> Nudge:
    nudge = find_nudge(session, send.team_id, send.nudge_key)
    if nudge is None:
        # A key no longer in the library (should not happen: keys are permanent).
        return Nudge(key=send.nudge_key, practice=send.practice, text="(this nudge is no longer available)")
    return nudge


def card_for(
    session: Session, settings: Settings, send: NudgeSend, answer: NudgeAnswer | None = None
) -> NudgeCard:
    """The message content for a nudge in its current state."""
    answer = answer or _answer_row(session, send.id)
    nudge = _nudge_or_placeholder(session, send)
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
        channel=send.channel,
        ts=send.ts,
    )


def _answer_row(session: Session, send_id: int) -> NudgeAnswer | None:
    return session.scalars(select(NudgeAnswer).where(NudgeAnswer.nudge_send_id == send_id)).first()


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

    Raises NudgeNotFound or NotYourNudge. Choosing "remind" queues the same nudge for
    the mentor's next allowed time tomorrow; choosing something else afterwards
    cancels that reminder if it has not gone out yet.
    """
    if answer not in NudgeAnswerKind.ALL:
        raise ValueError(f"unknown answer {answer!r}")
    send, person = _own_send(session, team_id, user_id, send_id)
    row = _answer_for_update(session, send, person)
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
    nudge = _nudge_or_placeholder(session, send)
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
    answer = _answer_row(session, send.id)
    return card_for(session, settings, send, answer).text, answer.note if answer else None


def save_note(
    session: Session, settings: Settings, team_id: str, user_id: str, send_id: int, text: str, now: datetime
) -> NudgeCard:
    """Store a note on a nudge, answered or not. Raises NoteRefused when the text looks
    like it holds a patient identifier (nothing is stored then)."""
    send, person = _own_send(session, team_id, user_id, send_id)
    cleaned = text.strip()
    refusal = privacy_check(cleaned)
    if refusal:
        raise NoteRefused(refusal)
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
            reminder = _send_for_delivery(session, existing.id)
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


def _reminder_when(session: Session, settings: Settings, send: NudgeSend) -> str | None:
    reminder = session.scalars(
        select(NudgeSend).where(NudgeSend.reminder_of_id == send.id).order_by(NudgeSend.id.desc())
    ).first()
    person = session.get(Person, send.person_id)
    if reminder is None or person is None:
        return None
    local = reminder.planned_for.astimezone(zone_for(session, settings, person))
    return local.strftime("on %A at %H:%M")


# --- the back-off check-in ---------------------------------------------------------------


@dataclass(frozen=True)
class PaceChoice:
    """What a mentor chose in the back-off check-in, and the sentence confirming it."""

    choice: str
    message: str
    channel: str | None
    ts: str | None


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
        nudge = _nudge_or_placeholder(session, send)
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
