"""Agreements in the outbox: the invitation to draft, a proposal for the other person,
the agreed version for whoever proposed it, and the reviews — each queued for the
recipient's allowed moment (their hours, off duty) and rendered at send time from the
agreement as it then stands.

Dedupe keys: `agreement-invite:<team>:<pair>:<why>`, `agreement-proposal:<team>:<agreement>:<version>`,
`agreement-agreed:<team>:<agreement>:<version>`, `agreement-review:<team>:<agreement>:<stage>:<person>`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.agreements.blocks import (
    agreed_blocks,
    agreed_text,
    invite_blocks,
    invite_text,
    proposal_blocks,
    proposal_text,
    review_blocks,
    review_text,
)
from bot.agreements.types import (
    AGREED,
    AGREED_KIND,
    ENDED,
    INVITE_KIND,
    PROPOSAL_KIND,
    PROPOSED,
    REVIEW_KIND,
    AgreementCard,
    Draft,
    ReviewCard,
    VersionView,
)
from bot.config import Settings
from bot.deps import Deps
from bot.models import Agreement, AgreementVersion, Delivery, GoalReview, Pair, Person
from bot.outbox import Cancel, DeliveryKind, Message, Queued, enqueue, enqueue_many
from bot.people import zone_for
from bot.rota.service import allowed_moment

# A proposal or review left this long is no longer news; Home and the command still show it.
MESSAGE_LIFETIME = timedelta(days=14)


def _day(moment: datetime) -> str:
    return f"{moment:%a} {moment.day} {moment:%b}"


def version_view(session: Session, settings: Settings, row: AgreementVersion, reader: Person) -> VersionView:
    """A stored version as messages show it, its date in the reader's zone."""
    author = session.get(Person, row.author_id)
    assert author is not None
    draft = Draft(tuple(row.goals or ()), row.meet_every, row.reach, row.feedback, row.note)
    written = row.created_at.astimezone(zone_for(session, settings, reader))
    return VersionView(row.number, row.author_role, author.user_id, draft, _day(written))


def _version(session: Session, agreement_id: int, number: int) -> AgreementVersion:
    row = session.scalars(
        select(AgreementVersion).where(
            AgreementVersion.agreement_id == agreement_id, AgreementVersion.number == number
        )
    ).one()
    return row


def goal_states(session: Session, agreement: Agreement) -> tuple[str | None, ...]:
    """Each agreed goal's latest mark (any review stage)."""
    if agreement.agreed_version is None:
        return ()
    goals = _version(session, agreement.id, agreement.agreed_version).goals or []
    marks = session.execute(
        select(GoalReview.goal_index, GoalReview.state)
        .where(GoalReview.agreement_id == agreement.id, GoalReview.version == agreement.agreed_version)
        .order_by(GoalReview.marked_at, GoalReview.id)
    ).all()
    latest: dict[int, str] = {index: state for index, state in marks}
    return tuple(latest.get(index) for index in range(len(goals)))


def card_for(session: Session, settings: Settings, agreement: Agreement, reader: Person) -> AgreementCard:
    """The agreement as `reader` sees it."""
    mentor = session.get(Person, agreement.mentor_id)
    mentee = session.get(Person, agreement.mentee_id)
    assert mentor is not None and mentee is not None
    latest = version_view(
        session, settings, _version(session, agreement.id, agreement.latest_version), reader
    )
    agreed = None
    if agreement.agreed_version is not None:
        agreed = version_view(
            session, settings, _version(session, agreement.id, agreement.agreed_version), reader
        )
    return AgreementCard(
        agreement.id,
        mentor.user_id,
        mentee.user_id,
        agreement.status,
        latest,
        agreed,
        goal_states(session, agreement),
    )


def review_card(session: Session, agreement: Agreement, stage: str, reader: Person) -> ReviewCard:
    """The review message's content for `reader`."""
    assert agreement.agreed_version is not None
    goals = tuple(_version(session, agreement.id, agreement.agreed_version).goals or ())
    other_id = agreement.mentee_id if reader.id == agreement.mentor_id else agreement.mentor_id
    other = session.get(Person, other_id)
    assert other is not None
    return ReviewCard(agreement.id, stage, other.user_id, goals, goal_states(session, agreement))


# --- queueing -------------------------------------------------------------------------------------


def queue_invite(session: Session, *, pair: Pair, mentee: Person, due_at: datetime, why: str) -> bool:
    """The invitation to draft, held by the sender to the mentee's hours (and off duty)."""
    return enqueue(
        session,
        team_id=pair.team_id,
        kind=INVITE_KIND,
        recipient=mentee.user_id,
        dedupe_key=f"agreement-invite:{pair.team_id}:{pair.id}:{why}",
        due_at=due_at,
        expires_at=due_at + MESSAGE_LIFETIME,
        person_id=mentee.id,
        payload={"pair_id": pair.id},
    )


def queue_invites(
    session: Session, pairs: Sequence[tuple[Pair, Person]], *, due_at: datetime, why: str
) -> int:
    """:func:`queue_invite` for many (pair, mentee) at once, in a few multi-row INSERTs
    (a roster import starts thousands of pairs); returns how many were queued."""
    rows = [
        Queued(
            team_id=pair.team_id,
            kind=INVITE_KIND,
            recipient=mentee.user_id,
            dedupe_key=f"agreement-invite:{pair.team_id}:{pair.id}:{why}",
            due_at=due_at,
            expires_at=due_at + MESSAGE_LIFETIME,
            person_id=mentee.id,
            payload={"pair_id": pair.id},
        )
        for pair, mentee in pairs
    ]
    return len(enqueue_many(session, rows))


def _queue(
    session: Session,
    settings: Settings,
    *,
    kind: str,
    agreement: Agreement,
    recipient: Person,
    key: str,
    now: datetime,
    payload: dict[str, object],
) -> bool:
    due = allowed_moment(session, settings, recipient, now)
    return enqueue(
        session,
        team_id=agreement.team_id,
        kind=kind,
        recipient=recipient.user_id,
        dedupe_key=key,
        due_at=due,
        expires_at=max(due, now) + MESSAGE_LIFETIME,
        person_id=recipient.id,
        payload={"agreement_id": agreement.id, **payload},
    )


def queue_proposal(
    session: Session, settings: Settings, agreement: Agreement, recipient: Person, now: datetime
) -> bool:
    """The latest version for the person who must answer it."""
    key = f"agreement-proposal:{agreement.team_id}:{agreement.id}:{agreement.latest_version}"
    return _queue(
        session,
        settings,
        kind=PROPOSAL_KIND,
        agreement=agreement,
        recipient=recipient,
        key=key,
        now=now,
        payload={"version": agreement.latest_version},
    )


def queue_agreed(
    session: Session, settings: Settings, agreement: Agreement, recipient: Person, now: datetime
) -> bool:
    """The agreed version for the person who proposed it (the other saw it on their click)."""
    key = f"agreement-agreed:{agreement.team_id}:{agreement.id}:{agreement.agreed_version}"
    return _queue(
        session,
        settings,
        kind=AGREED_KIND,
        agreement=agreement,
        recipient=recipient,
        key=key,
        now=now,
        payload={"version": agreement.agreed_version},
    )


def queue_review(
    session: Session, settings: Settings, agreement: Agreement, stage: str, recipient: Person, now: datetime
) -> bool:
    """One review message for one of the pair."""
    key = f"agreement-review:{agreement.team_id}:{agreement.id}:{stage}:{recipient.user_id}"
    return _queue(
        session,
        settings,
        kind=REVIEW_KIND,
        agreement=agreement,
        recipient=recipient,
        key=key,
        now=now,
        payload={"stage": stage},
    )


# --- rendering at send time ---------------------------------------------------------------------


def _agreement_of(session: Session, delivery: Delivery) -> tuple[Agreement, Person]:
    agreement = session.get(Agreement, (delivery.payload or {}).get("agreement_id"))
    if agreement is None or agreement.team_id != delivery.team_id:
        raise Cancel("its agreement no longer exists")
    if agreement.status == ENDED:
        raise Cancel("the agreement has ended")
    reader = session.get(Person, delivery.person_id)
    if reader is None:
        raise Cancel("its recipient is gone")
    return agreement, reader


def _render_invite(session: Session, delivery: Delivery, _deps: Deps) -> Message:
    pair = session.get(Pair, (delivery.payload or {}).get("pair_id"))
    if pair is None or pair.ended_at is not None or pair.team_id != delivery.team_id:
        raise Cancel("the pair has ended")
    open_one = session.scalar(
        select(Agreement.id).where(Agreement.pair_id == pair.id, Agreement.status != ENDED)
    )
    if open_one is not None:
        raise Cancel("they have already started an agreement")
    mentor = session.get(Person, pair.mentor_id)
    assert mentor is not None
    return Message(text=invite_text(mentor.user_id), blocks=invite_blocks(mentor.user_id, pair.id))


def _render_proposal(session: Session, delivery: Delivery, deps: Deps) -> Message:
    agreement, reader = _agreement_of(session, delivery)
    if agreement.status != PROPOSED or agreement.latest_version != (delivery.payload or {}).get("version"):
        raise Cancel("a newer version of the agreement replaced this one")
    card = card_for(session, deps.settings, agreement, reader)
    return Message(text=proposal_text(card), blocks=proposal_blocks(card, reader.user_id))


def _render_agreed(session: Session, delivery: Delivery, deps: Deps) -> Message:
    agreement, reader = _agreement_of(session, delivery)
    if agreement.status != AGREED:
        raise Cancel("the agreement is being changed again")
    card = card_for(session, deps.settings, agreement, reader)
    return Message(text=agreed_text(card, reader.user_id), blocks=agreed_blocks(card, reader.user_id))


def _render_review(session: Session, delivery: Delivery, _deps: Deps) -> Message:
    agreement, reader = _agreement_of(session, delivery)
    if agreement.agreed_version is None:
        raise Cancel("the agreement has no agreed goals to review")
    pair = session.get(Pair, agreement.pair_id)
    if pair is None or pair.ended_at is not None:
        raise Cancel("the pair has ended")
    card = review_card(session, agreement, str((delivery.payload or {}).get("stage")), reader)
    return Message(text=review_text(card), blocks=review_blocks(card))


def agreement_kinds() -> list[DeliveryKind]:
    """The outbox kinds this feature adds (registered in schedules/kinds.py)."""
    return [
        DeliveryKind(name=INVITE_KIND, render=_render_invite),
        DeliveryKind(name=PROPOSAL_KIND, render=_render_proposal),
        DeliveryKind(name=AGREED_KIND, render=_render_agreed),
        DeliveryKind(name=REVIEW_KIND, render=_render_review),
    ]
