"""Nudges in the outbox: queueing one with its log row, rendering it at send time, noting
where it landed, and cancelling the ones a roster change made pointless.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.deps import Deps
from bot.models import Delivery, DeliveryStatus, NudgeOrigin, NudgeSend, Pair, Person
from bot.nudges.blocks import backoff_blocks, backoff_text, nudge_blocks
from bot.nudges.cards import card_for
from bot.nudges.types import BACKOFF_KIND, NUDGE_KIND
from bot.outbox import Cancel, DeliveryKind, Message, enqueue


def send_for_delivery(session: Session, delivery_id: int) -> NudgeSend | None:
    """The nudge log row written with an outbox row (see `record_nudge`), or None if there is none."""
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
    reason: str | None = None,
) -> NudgeSend | None:
    """Put a nudge in the outbox and the nudge log together; None if the key exists.

    A nudge the mentor asked for (`/mentor nudge`) goes at any hour; the others wait for
    the mentor's allowed hours if they would land outside them. `reason` is why the
    planner's focus chose its practice ("gap", "self"), if it did.
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
        reason=reason,
        reminder_of_id=reminder_of_id,
        planned_for=due_at,
    )
    session.add(send)
    return send


def _render_nudge(session: Session, delivery: Delivery, deps: Deps) -> Message:
    send = send_for_delivery(session, delivery.id)
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
    send = send_for_delivery(session, delivery.id)
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
