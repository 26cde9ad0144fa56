"""Feedback chats in the outbox: the DM to the mentor and the answer to the mentee, each
queued for the recipient's allowed hours and rendered at send time from the request as
it then stands; and settling requests that can no longer be answered.

Dedupe keys: `feedback-ask:<team>:<request>` (the mentor's DM),
`feedback-answer:<team>:<request>` (the answer), `feedback-notice:<team>:<request>`
(telling the mentee a request could not be delivered, went unanswered, or ended).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.deps import Deps
from bot.feedback.blocks import (
    answer_blocks,
    answer_text,
    closed_text,
    ended_text,
    request_blocks,
    request_text,
    short_day,
    undelivered_text,
)
from bot.feedback.types import ANSWER_KIND, ANSWER_LIFETIME, REQUEST_KIND, RequestCard
from bot.models import Delivery, DeliveryStatus, FeedbackRequest, FeedbackStatus, Pair, Person
from bot.outbox import Cancel, DeliveryKind, Message, enqueue, enqueue_message
from bot.people import zone_for
from bot.timing import next_contact_time

# What stopped a mentor's DM, in words a mentee may read. A pause or a stop is not
# named: it can mean leave, which is the mentor's own business.
NOT_RECEIVING = "they aren't receiving Mentor Nudge messages at the moment"
_REASONS = (
    ("pair", "your pairing in Mentor Nudge has ended"),
    ("paused", NOT_RECEIVING),
    ("stopped", NOT_RECEIVING),
    ("opted out", NOT_RECEIVING),
    ("inactive", NOT_RECEIVING),
    ("account", NOT_RECEIVING),
    ("expired", "it couldn't reach them in time"),
    ("time ran out", "it couldn't reach them in time"),
)


def card_for(session: Session, settings: Settings, request: FeedbackRequest, reader: Person) -> RequestCard:
    """The request as `reader` (the mentor or the mentee) sees it, dates in their zone."""
    mentor = session.get(Person, request.mentor_id)
    mentee = session.get(Person, request.mentee_id)
    assert mentor is not None and mentee is not None
    return RequestCard(
        request_id=request.id,
        mentor_user_id=mentor.user_id,
        mentee_user_id=mentee.user_id,
        topic=request.topic,
        status=request.status,
        asked_on=short_day(request.requested_at.astimezone(zone_for(session, settings, reader))),
        times_asked=request.times_asked,
        note=request.mentor_note,
        channel=request.channel,
        ts=request.ts,
    )


def allowed_from(session: Session, settings: Settings, person: Person, now: datetime) -> datetime:
    """The person's next allowed moment from `now` (`now` itself if no slot is found)."""
    try:
        return next_contact_time(person, zone_for(session, settings, person), now)
    except ValueError:
        return now


def queue_request_dm(
    session: Session, settings: Settings, request: FeedbackRequest, mentor: Person, now: datetime
) -> datetime:
    """Put the mentor's DM in the outbox for their next allowed moment; returns when."""
    due = allowed_from(session, settings, mentor, now)
    key = f"feedback-ask:{request.team_id}:{request.id}"
    enqueue(
        session,
        team_id=request.team_id,
        kind=REQUEST_KIND,
        recipient=mentor.user_id,
        dedupe_key=key,
        due_at=due,
        payload={"request_id": request.id},
        person_id=mentor.id,
        expires_at=request.closes_at,
    )
    request.delivery_id = session.scalar(select(Delivery.id).where(Delivery.dedupe_key == key))
    return due


def queue_answer(session: Session, settings: Settings, request: FeedbackRequest, now: datetime) -> None:
    """Tell the mentee what their mentor answered, in the mentee's allowed hours."""
    mentee = session.get(Person, request.mentee_id)
    assert mentee is not None
    due = allowed_from(session, settings, mentee, now)
    enqueue(
        session,
        team_id=request.team_id,
        kind=ANSWER_KIND,
        recipient=mentee.user_id,
        dedupe_key=f"feedback-answer:{request.team_id}:{request.id}",
        due_at=due,
        payload={"request_id": request.id},
        person_id=mentee.id,
        expires_at=due + ANSWER_LIFETIME,
    )


def cancel_queued_dm(session: Session, request: FeedbackRequest, reason: str) -> None:
    """Cancel the mentor's DM if it has not been taken for sending yet."""
    if request.delivery_id is None:
        return
    delivery = session.get(Delivery, request.delivery_id)
    if delivery is not None and delivery.status in (DeliveryStatus.PENDING, DeliveryStatus.CLAIMED):
        delivery.status, delivery.error, delivery.lease_until = DeliveryStatus.CANCELLED, reason, None


# --- rendering at send time -------------------------------------------------------------


def _request_of(session: Session, delivery: Delivery) -> FeedbackRequest:
    request = session.get(FeedbackRequest, (delivery.payload or {}).get("request_id"))
    if request is None or request.team_id != delivery.team_id:
        raise Cancel("its feedback request no longer exists")
    return request


def _render_request(session: Session, delivery: Delivery, deps: Deps) -> Message:
    request = _request_of(session, delivery)
    if request.status != FeedbackStatus.PENDING:
        raise Cancel(f"the request is {request.status}")
    pair = session.get(Pair, request.pair_id)
    if pair is None or pair.ended_at is not None:
        raise Cancel("the pair the request belongs to has ended")
    mentor = session.get(Person, request.mentor_id)
    assert mentor is not None
    card = card_for(session, deps.settings, request, mentor)
    return Message(text=request_text(card), blocks=request_blocks(card))


def _request_sent(session: Session, delivery: Delivery, _deps: Deps) -> None:
    request = _request_of(session, delivery)
    request.sent_at, request.channel, request.ts = delivery.sent_at, delivery.channel, delivery.ts


def _render_answer(session: Session, delivery: Delivery, deps: Deps) -> Message:
    request = _request_of(session, delivery)
    if request.status not in FeedbackStatus.ANSWERS:
        raise Cancel("the request has no answer to pass on")
    mentee = session.get(Person, request.mentee_id)
    assert mentee is not None
    card = card_for(session, deps.settings, request, mentee)
    return Message(text=answer_text(card), blocks=answer_blocks(card))


def feedback_kinds() -> list[DeliveryKind]:
    """The outbox kinds this feature adds (registered in schedules/kinds.py)."""
    return [
        DeliveryKind(name=REQUEST_KIND, render=_render_request, on_sent=_request_sent),
        DeliveryKind(name=ANSWER_KIND, render=_render_answer),
    ]


# --- settling requests nobody can answer any more ----------------------------------------


def _reason_in_words(error: str | None) -> str:
    text = (error or "").lower()
    for marker, words in _REASONS:
        if marker in text:
            return words
    return "Slack wouldn't deliver it"


def _tell_mentee(
    session: Session, settings: Settings, request: FeedbackRequest, text: str, now: datetime
) -> None:
    mentee = session.get(Person, request.mentee_id)
    assert mentee is not None
    due = allowed_from(session, settings, mentee, now)
    enqueue_message(
        session,
        team_id=request.team_id,
        recipient=mentee.user_id,
        dedupe_key=f"feedback-notice:{request.team_id}:{request.id}",
        due_at=due,
        text=text,
        person_id=mentee.id,
        expires_at=due + ANSWER_LIFETIME,
    )


def _locked(session: Session, query: Select[Any]) -> Select[Any]:
    """On PostgreSQL a second clock skips requests the first is settling (SQLite has one)."""
    if session.get_bind().dialect.name == "postgresql":
        return query.with_for_update(skip_locked=True, of=FeedbackRequest)
    return query


def settle_requests(session: Session, settings: Settings, now: datetime) -> Counter[str]:
    """Close open requests that can no longer be answered, telling each mentee once:
    the DM could not be delivered (the mentor paused or stopped, Slack refused, it
    expired), the pair ended, or a week passed without an answer.

    Reads only open requests (an index on status), so it costs what is open, not the
    history. Safe to run twice: a settled request is no longer pending.
    """
    counts: Counter[str] = Counter()
    undelivered = session.execute(
        _locked(
            session,
            select(FeedbackRequest, Delivery.error)
            .join(Delivery, Delivery.id == FeedbackRequest.delivery_id)
            .where(
                FeedbackRequest.status == FeedbackStatus.PENDING,
                Delivery.status.in_(
                    (DeliveryStatus.CANCELLED, DeliveryStatus.EXPIRED, DeliveryStatus.FAILED)
                ),
            ),
        )
    ).all()
    for request, error in undelivered:
        request.status, request.closed_reason = FeedbackStatus.UNDELIVERED, (error or "not delivered")[:255]
        mentor = session.get(Person, request.mentor_id)
        assert mentor is not None
        _tell_mentee(
            session, settings, request, undelivered_text(mentor.user_id, _reason_in_words(error)), now
        )
        counts["undelivered"] += 1
    ended = session.scalars(
        _locked(
            session,
            select(FeedbackRequest)
            .join(Pair, Pair.id == FeedbackRequest.pair_id)
            .where(FeedbackRequest.status == FeedbackStatus.PENDING, Pair.ended_at.is_not(None)),
        )
    ).all()
    for request in ended:
        request.status, request.closed_reason = FeedbackStatus.ENDED, "the pair ended"
        cancel_queued_dm(session, request, "not sent: the pair ended")
        mentor = session.get(Person, request.mentor_id)
        assert mentor is not None
        _tell_mentee(session, settings, request, ended_text(mentor.user_id), now)
        counts["ended"] += 1
    unanswered = session.scalars(
        _locked(
            session,
            select(FeedbackRequest).where(
                FeedbackRequest.status == FeedbackStatus.PENDING, FeedbackRequest.closes_at <= now
            ),
        )
    ).all()
    for request in unanswered:
        mentor = session.get(Person, request.mentor_id)
        mentee = session.get(Person, request.mentee_id)
        assert mentor is not None and mentee is not None
        if request.sent_at is None:
            # A week and still not delivered: say that, not "no answer".
            request.status, request.closed_reason = FeedbackStatus.UNDELIVERED, "not delivered within a week"
            cancel_queued_dm(session, request, "not sent: the request closed")
            text = undelivered_text(mentor.user_id, "it couldn't reach them in time")
            counts["undelivered"] += 1
        else:
            request.status, request.closed_reason = FeedbackStatus.CLOSED, "no answer within a week"
            asked_on = short_day(request.requested_at.astimezone(zone_for(session, settings, mentee)))
            text = closed_text(mentor.user_id, asked_on)
            counts["closed"] += 1
        _tell_mentee(session, settings, request, text, now)
    return counts
