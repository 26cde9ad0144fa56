"""Feedback-chat requests: a mentee asks one of their mentors for a short chat; the mentor
answers with one tap; the mentee is told.

Each public function is one unit of work inside the caller's transaction. Requests go
only to one's own active mentors; a second request to the same mentor within a day
updates the first (no second DM); topics and notes are size-limited and screened for
patient information before anything is stored. The mentor's DM and the answer are
outbox rows (`bot.feedback.delivery`), sent in each recipient's allowed hours.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.feedback.blocks import short_day
from bot.feedback.delivery import cancel_queued_dm, card_for, queue_answer, queue_request_dm
from bot.feedback.rules import ASK_USAGE, check_note, check_topic
from bot.feedback.types import (
    ANSWER_LABELS,
    MERGE_WINDOW,
    OPEN_FOR,
    AskOutcome,
    AskRefused,
    MentorChoice,
    NotYourRequest,
    RequestCard,
    RequestClosed,
    RequestNotFound,
)
from bot.models import FeedbackRequest, FeedbackSource, FeedbackStatus, Pair, Person
from bot.people import ensure_person, zone_for
from bot.timing import is_paused

NO_MENTOR = (
    "Feedback chats are for asking your mentor, and you don't have a mentor in Mentor Nudge yet. Once your "
    "program director pairs you with someone, you can ask them here."
)
# A DM that goes out within this long reads as "now" in the confirmation.
SOON = timedelta(minutes=2)


# --- who may be asked ---------------------------------------------------------------------


def _mentor_pairs(session: Session, mentee: Person, *, active_only: bool = True) -> list[tuple[Pair, Person]]:
    """The mentee's active pairs, oldest first: with mentors whose Slack account is active,
    unless `active_only` is False."""
    query = (
        select(Pair, Person)
        .join(Person, Person.id == Pair.mentor_id)
        .where(Pair.mentee_id == mentee.id, Pair.ended_at.is_(None))
        .order_by(Pair.started_at, Pair.id)
    )
    if active_only:
        query = query.where(Person.is_active.is_(True))
    return [(pair, mentor) for pair, mentor in session.execute(query).all()]


def _listed(mentors: list[Person]) -> str:
    mentions = [f"<@{m.user_id}>" for m in mentors]
    return mentions[0] if len(mentions) == 1 else ", ".join(mentions[:-1]) + " and " + mentions[-1]


def _choose(
    pairs: list[tuple[Pair, Person]], mentor_user_id: str | None, user_id: str
) -> tuple[Pair, Person]:
    """The pair to ask within, or AskRefused saying whom they may ask."""
    mentors = [mentor for _pair, mentor in pairs]
    if mentor_user_id is None:
        if len(pairs) == 1:
            return pairs[0]
        first = mentors[0].user_id
        raise AskRefused(
            f"You have {len(mentors)} mentors here: {_listed(mentors)}. Name the one you'd like to ask, "
            f"e.g. `/mentor ask @{first} how my presentations are going` (pick them from the @-menu)."
        )
    if mentor_user_id == user_id:
        raise AskRefused(
            "You can't ask yourself for a feedback chat — name one of your mentors. " + ASK_USAGE
        )
    for pair, mentor in pairs:
        if mentor.user_id == mentor_user_id:
            return pair, mentor
    if not pairs:
        raise AskRefused(NO_MENTOR)
    # The same words whether or not we know them: the app says nothing about strangers.
    raise AskRefused(
        f"<@{mentor_user_id}> isn't one of your mentors in Mentor Nudge, so nothing was sent. "
        f"You can ask {_listed(mentors)}."
    )


def mentor_choices(session: Session, team_id: str, user_id: str) -> list[MentorChoice]:
    """The mentee's mentors for the ask modal's menu; AskRefused when they have none."""
    mentee = ensure_person(session, team_id, user_id)
    pairs = _mentor_pairs(session, mentee)
    if not pairs:
        raise AskRefused(NO_MENTOR)
    return [MentorChoice(m.user_id, m.display_name or m.user_id) for _pair, m in pairs]


def _check_reachable(mentor: Person, now: datetime) -> None:
    # Leave is the mentor's own business: say only that they are not receiving messages.
    if not mentor.is_active or mentor.opted_out_at is not None or is_paused(mentor, now):
        raise AskRefused(
            f"<@{mentor.user_id}> isn't receiving Mentor Nudge messages at the moment, so I couldn't pass "
            "your request on and nothing was sent. A direct message to them works just as well — or try "
            "again in a while."
        )


# --- asking ---------------------------------------------------------------------------------


def ask_for_chat(
    session: Session,
    settings: Settings,
    *,
    team_id: str,
    user_id: str,
    mentor_user_id: str | None,
    topic_text: str,
    source: str,
    now: datetime,
    enterprise_id: str | None = None,
) -> AskOutcome:
    """A mentee asks one of their mentors for a feedback chat (`/mentor ask`, or Home).

    Raises AskRefused (nothing changed) for a topic that is too long or looks like it
    holds patient information, someone who is not their mentor, a mentor who isn't
    receiving messages, or a request the mentor already answered within the day. A
    request within a day of an unanswered one updates it; an unanswered one older than
    that is replaced by the new one.
    """
    if source not in FeedbackSource.ALL:
        raise ValueError(f"unknown source {source!r}")
    topic = check_topic(topic_text)
    mentee = _locked_person(session, team_id, user_id, enterprise_id)
    pairs = _mentor_pairs(session, mentee, active_only=False)
    if not pairs:
        raise AskRefused(NO_MENTOR)
    # Unnamed, the choice is among mentors Slack still has; named, an inactive one is told apart.
    named = mentor_user_id is not None and any(m.user_id == mentor_user_id for _p, m in pairs)
    pair, mentor = _choose(
        pairs if named else [(p, m) for p, m in pairs if m.is_active], mentor_user_id, user_id
    )
    _check_reachable(mentor, now)
    recent = _recent_request(session, mentee, mentor, now)
    if recent is not None and recent.status == FeedbackStatus.PENDING:
        return _merge(session, settings, recent, mentor, mentee, topic, now)
    if recent is not None and recent.status in FeedbackStatus.ANSWERS:
        raise AskRefused(_already_answered(session, settings, recent, mentor, mentee))
    replaced = _supersede_older(session, mentor, mentee)
    request = FeedbackRequest(
        team_id=team_id,
        enterprise_id=enterprise_id,
        pair_id=pair.id,
        mentor_id=mentor.id,
        mentee_id=mentee.id,
        topic=topic,
        source=source,
        status=FeedbackStatus.PENDING,
        requested_at=now,
        last_asked_at=now,
        times_asked=1,
        closes_at=now + OPEN_FOR,
    )
    session.add(request)
    session.flush()
    due = queue_request_dm(session, settings, request, mentor, now)
    message = _sent_message(session, settings, mentor, mentee, due, replaced, now)
    refresh = tuple(card_for(session, settings, old, mentor) for old in replaced if old.ts)
    return AskOutcome(message, request.id, mentor.user_id, refresh)


def _recent_request(
    session: Session, mentee: Person, mentor: Person, now: datetime
) -> FeedbackRequest | None:
    """The mentee's newest request to this mentor within the merge window, if any."""
    return session.scalars(
        select(FeedbackRequest)
        .where(
            FeedbackRequest.mentee_id == mentee.id,
            FeedbackRequest.mentor_id == mentor.id,
            FeedbackRequest.requested_at > now - MERGE_WINDOW,
        )
        .order_by(FeedbackRequest.requested_at.desc(), FeedbackRequest.id.desc())
    ).first()


def _sent_message(
    session: Session,
    settings: Settings,
    mentor: Person,
    mentee: Person,
    due: datetime,
    replaced: Sequence[FeedbackRequest],
    now: datetime,
) -> str:
    """What the mentee is told once the request is queued: when it goes, what it replaced."""
    when = "in a minute or so" if due <= now + SOON else "during their working hours"
    message = f"Sent: <@{mentor.user_id}> will get your request {when}. I'll let you know what they say."
    if replaced:
        asked = replaced[0].requested_at.astimezone(zone_for(session, settings, mentee))
        message += f" It replaces your unanswered request from {short_day(asked)}."
    return message + _own_quiet_note(mentee, now)


def _locked_person(session: Session, team_id: str, user_id: str, enterprise_id: str | None) -> Person:
    """The mentee, row-locked until the transaction ends (PostgreSQL), so two requests
    sent at the same moment (a double tap) are merged rather than both sent."""
    ensure_person(session, team_id, user_id, enterprise_id=enterprise_id)
    return session.scalars(
        select(Person)
        .where(Person.team_id == team_id, Person.user_id == user_id)
        .with_for_update(of=Person)
        .execution_options(populate_existing=True)
    ).one()


def _own_quiet_note(mentee: Person, now: datetime) -> str:
    if mentee.opted_out_at is not None or is_paused(mentee, now):
        return (
            " Your own Mentor Nudge messages are off or paused, so their answer will wait on your Home tab."
        )
    return ""


def _merge(
    session: Session,
    settings: Settings,
    request: FeedbackRequest,
    mentor: Person,
    mentee: Person,
    topic: str | None,
    now: datetime,
) -> AskOutcome:
    """A second request within a day: update the first (its topic, how often asked)."""
    if topic is not None:
        request.topic = topic
    request.times_asked += 1
    request.last_asked_at = now
    session.flush()
    changed = "with your new topic" if topic is not None else "as it was"
    asked = short_day(request.requested_at.astimezone(zone_for(session, settings, mentee)))
    if request.sent_at is None:
        message = (
            f"You already asked <@{mentor.user_id}> ({asked}), and that request hasn't reached them yet — "
            f"I've kept it {changed} rather than sending a second one."
        )
        refresh: tuple[RequestCard, ...] = ()
    else:
        message = (
            f"You already asked <@{mentor.user_id}> ({asked}) and it's with them now. I've updated that "
            f"request {changed} rather than sending a second message — I'll let you know what they say."
        )
        refresh = (card_for(session, settings, request, mentor),)
    return AskOutcome(message, request.id, mentor.user_id, refresh)


def _already_answered(
    session: Session, settings: Settings, request: FeedbackRequest, mentor: Person, mentee: Person
) -> str:
    zone = zone_for(session, settings, mentee)
    again = (request.requested_at + MERGE_WINDOW).astimezone(zone)
    return (
        f"You asked <@{mentor.user_id}> earlier and they've answered: *{ANSWER_LABELS[request.status]}* "
        f"(it's in your DMs from Mentor Nudge, or on its way). To keep requests light, a new one can go from "
        f"{short_day(again)} at {again:%H:%M} — or just send them a message. Nothing new was sent."
    )


def _supersede_older(session: Session, mentor: Person, mentee: Person) -> list[FeedbackRequest]:
    """Unanswered requests to this mentor older than a day are replaced by the new one:
    queued DMs are cancelled, sent ones will say so. Returns them, newest first."""
    older = session.scalars(
        select(FeedbackRequest)
        .where(
            FeedbackRequest.mentee_id == mentee.id,
            FeedbackRequest.mentor_id == mentor.id,
            FeedbackRequest.status == FeedbackStatus.PENDING,
        )
        .order_by(FeedbackRequest.requested_at.desc())
    ).all()
    for request in older:
        request.status, request.closed_reason = FeedbackStatus.SUPERSEDED, "replaced by a newer request"
        cancel_queued_dm(session, request, "not sent: replaced by a newer request")
    return list(older)


# --- the mentor's answer ---------------------------------------------------------------------


def _own_request(
    session: Session, team_id: str, user_id: str, request_id: int
) -> tuple[FeedbackRequest, Person]:
    """The request, locked (two clicks at once: the second waits and finds it answered)."""
    request = session.scalars(
        select(FeedbackRequest)
        .where(FeedbackRequest.id == request_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    if request is None or request.team_id != team_id:
        raise RequestNotFound(request_id)
    mentor = session.get(Person, request.mentor_id)
    if mentor is None or mentor.user_id != user_id:
        raise NotYourRequest(request_id)
    return request, mentor


def _check_open(session: Session, settings: Settings, request: FeedbackRequest, mentor: Person) -> None:
    """RequestClosed (with the words for the mentor) unless the request awaits an answer."""
    card = card_for(session, settings, request, mentor)
    mentee = f"<@{card.mentee_user_id}>"
    pair = session.get(Pair, request.pair_id)
    if request.status in FeedbackStatus.ANSWERS:
        assert request.answered_at is not None
        day = short_day(request.answered_at.astimezone(zone_for(session, settings, mentor)))
        raise RequestClosed(
            f"You already answered this request (*{ANSWER_LABELS[request.status]}*, {day}) and {mentee} has "
            "been told, so this click changed nothing.",
            card,
        )
    if request.status == FeedbackStatus.ENDED or (
        request.status == FeedbackStatus.PENDING and (pair is None or pair.ended_at is not None)
    ):
        raise RequestClosed(
            f"Your pairing with {mentee} has ended in Mentor Nudge, so this request is closed and nothing "
            "was sent.",
            replace(card, status=FeedbackStatus.ENDED),
        )
    words = {
        FeedbackStatus.SUPERSEDED: f"{mentee} sent a newer request after this one, so this one is closed — "
        "please answer the newer one.",
        FeedbackStatus.CLOSED: "This request closed after a week without an answer, and "
        f"{mentee} was told. A direct message to them works any time.",
        FeedbackStatus.UNDELIVERED: "This request is closed, so nothing was recorded.",
    }
    if request.status in words:
        raise RequestClosed(words[request.status], card)


def answerable(
    session: Session, settings: Settings, team_id: str, user_id: str, request_id: int
) -> RequestCard:
    """The request as its mentor sees it, if they may still answer it (for the note modal).

    Raises RequestNotFound, NotYourRequest or RequestClosed.
    """
    request, mentor = _own_request(session, team_id, user_id, request_id)
    _check_open(session, settings, request, mentor)
    return card_for(session, settings, request, mentor)


def answer_request(
    session: Session,
    settings: Settings,
    team_id: str,
    user_id: str,
    request_id: int,
    answer: str,
    now: datetime,
    *,
    note_text: str = "",
) -> RequestCard:
    """Record the mentor's answer (once: a second answer is refused) and queue it for the
    mentee. "Suggest another time" may carry a short note (NoteRefused when it is too
    long or looks like it holds patient information; nothing is stored then)."""
    if answer not in FeedbackStatus.ANSWERS:
        raise ValueError(f"unknown answer {answer!r}")
    note = check_note(note_text) if answer == FeedbackStatus.LATER else None
    request, mentor = _own_request(session, team_id, user_id, request_id)
    _check_open(session, settings, request, mentor)
    request.status, request.answered_at, request.mentor_note = answer, now, note
    queue_answer(session, settings, request, now)
    session.flush()
    return card_for(session, settings, request, mentor)


# --- the mentee's Home --------------------------------------------------------------------------


def home_requests(
    session: Session, settings: Settings, person: Person, *, limit: int = 3
) -> list[RequestCard] | None:
    """The mentee's last few requests for Home, newest first; None when they have no mentor."""
    if not _mentor_pairs(session, person):
        return None
    requests = session.scalars(
        select(FeedbackRequest)
        .where(FeedbackRequest.mentee_id == person.id, FeedbackRequest.team_id == person.team_id)
        .order_by(FeedbackRequest.requested_at.desc(), FeedbackRequest.id.desc())
        .limit(limit)
    ).all()
    return [card_for(session, settings, request, person) for request in requests]
