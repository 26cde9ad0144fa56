"""Mentoring agreements: drafting, answering, reviewing, and what Home and reports read.

Each public function is one unit of work inside the caller's transaction. The mentee
drafts (or either of them changes a version); the other person confirms it or suggests
changes, which becomes a new version for the first to answer — every version is kept.
Once agreed, the cycle (`AGREEMENT_CYCLE_MONTHS`) brings both a review halfway and at
the end, where each goal is marked Met / Still working on it / Changed. Every text is
size-limited and screened (`bot.agreements.rules`) before it is stored.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.agreements.delivery import (
    card_for,
    goal_states,
    queue_agreed,
    queue_invite,
    queue_invites,
    queue_proposal,
    review_card,
)
from bot.agreements.rules import check_draft, next_review
from bot.agreements.types import (
    AGREED,
    ENDED,
    MENTEE,
    MENTOR,
    MET,
    PROPOSED,
    AgreementCard,
    AgreementCounts,
    AgreementNotFound,
    AgreementRefused,
    AgreementSummary,
    CommandOutcome,
    Draft,
    DraftContext,
    GoalLine,
    NotYourTurn,
    ReviewCard,
    Superseded,
)
from bot.config import Settings
from bot.models import Agreement, AgreementVersion, GoalReview, GoalState, Pair, Person
from bot.people import ensure_person, zone_for

# Reviews in a cycle: halfway and at the end.
REVIEWS_PER_CYCLE = 2
# A pair's invitation waits this long after the pair starts (the welcome comes first).
INVITE_AFTER_START = timedelta(days=1)


def _day(moment: datetime) -> str:
    return f"{moment:%a} {moment.day} {moment:%b}"


# --- whose pair ---------------------------------------------------------------------------------


def _pairs_of(session: Session, person: Person) -> list[tuple[Pair, str, Person]]:
    """(pair, the person's role in it, the other person) for their active pairs, oldest first."""
    found: list[tuple[Pair, str, Person]] = []
    for role, mine, theirs in (
        (MENTEE, Pair.mentee_id, Pair.mentor_id),
        (MENTOR, Pair.mentor_id, Pair.mentee_id),
    ):
        rows = session.execute(
            select(Pair, Person)
            .join(Person, Person.id == theirs)
            .where(mine == person.id, Pair.ended_at.is_(None))
            .order_by(Pair.started_at, Pair.id)
        ).all()
        found += [(pair, role, other) for pair, other in rows]
    return found


def _choose_pair(
    pairs: list[tuple[Pair, str, Person]], other_user_id: str | None
) -> tuple[Pair, str, Person]:
    if not pairs:
        raise AgreementRefused(
            "Agreements are between a mentor and a mentee, and you aren't paired with anyone in Mentor Nudge "
            "yet. Your program director can pair you."
        )
    if other_user_id is not None:
        for entry in pairs:
            if entry[2].user_id == other_user_id:
                return entry
        listed = ", ".join(f"<@{other.user_id}>" for _p, _r, other in pairs)
        raise AgreementRefused(
            f"<@{other_user_id}> isn't your mentor or mentee here. You're paired with {listed}."
        )
    if len(pairs) == 1:
        return pairs[0]
    listed = ", ".join(f"<@{other.user_id}>" for _p, _r, other in pairs)
    raise AgreementRefused(f"You're paired with {listed}. Name one: `/mentor agreement @name`.")


def _open_agreement(session: Session, pair_id: int, *, lock: bool = False) -> Agreement | None:
    query = select(Agreement).where(Agreement.pair_id == pair_id, Agreement.status != ENDED)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return session.scalars(query).first()


def _draft_of(session: Session, agreement: Agreement, number: int) -> Draft:
    row = session.scalars(
        select(AgreementVersion).where(
            AgreementVersion.agreement_id == agreement.id, AgreementVersion.number == number
        )
    ).one()
    return Draft(tuple(row.goals or ()), row.meet_every, row.reach, row.feedback)


# --- `/mentor agreement` and the invitation -------------------------------------------------------


def agreement_command(
    session: Session,
    settings: Settings,
    *,
    team_id: str,
    user_id: str,
    other_user_id: str | None,
    now: datetime,
) -> CommandOutcome:
    """What `/mentor agreement [@person]` does for this person.

    A mentee gets the drafting modal (their current agreement filled in). A mentor with
    no agreement yet with that mentee invites them to draft one; with one, sees it (and
    can change it through `propose_changes`). AgreementRefused for someone not in a pair.
    """
    person = ensure_person(session, team_id, user_id)
    pair, role, other = _choose_pair(_pairs_of(session, person), other_user_id)
    agreement = _open_agreement(session, pair.id)
    if agreement is None:
        if role == MENTEE:
            return CommandOutcome(context=DraftContext(pair.id, role, other.user_id))
        queued = queue_invite(session, pair=pair, mentee=other, due_at=now, why=f"asked-{now:%Y%m%d}")
        if not queued:
            return CommandOutcome(message=f"I already asked <@{other.user_id}> today. Nothing more was sent.")
        return CommandOutcome(
            message=f"I've asked <@{other.user_id}> to draft your agreement (during their working hours). "
            "You'll get it to confirm or suggest changes."
        )
    card = card_for(session, settings, agreement, person)
    if role == MENTEE or card.awaiting_user_id == user_id:
        return CommandOutcome(context=_change_context(session, agreement, pair, role, other), card=card)
    return CommandOutcome(card=card)


def _cycle_over(agreement: Agreement) -> bool:
    """The end review went out: the next draft starts a new agreement (and cycle)."""
    return agreement.status == AGREED and agreement.reviews_sent >= REVIEWS_PER_CYCLE


def _change_context(
    session: Session, agreement: Agreement, pair: Pair, role: str, other: Person
) -> DraftContext:
    if _cycle_over(agreement):
        # A fresh agreement, starting from the last one's words.
        initial = _draft_of(session, agreement, agreement.agreed_version or agreement.latest_version)
        return DraftContext(pair.id, role, other.user_id, initial=initial)
    return DraftContext(
        pair.id,
        role,
        other.user_id,
        agreement_id=agreement.id,
        base_version=agreement.latest_version,
        initial=_draft_of(session, agreement, agreement.latest_version),
    )


def invite_new_pair(session: Session, *, pair: Pair, mentee: Person, now: datetime) -> bool:
    """The roster's hook when a pair starts: invite the mentee to draft, a day later
    (after the welcome), in their hours."""
    return queue_invite(session, pair=pair, mentee=mentee, due_at=now + INVITE_AFTER_START, why="start")


def invite_new_pairs(session: Session, pairs: Sequence[tuple[Pair, Person]], now: datetime) -> int:
    """:func:`invite_new_pair` for many new (pair, mentee) at once (a roster import)."""
    return queue_invites(session, pairs, due_at=now + INVITE_AFTER_START, why="start")


def draft_context(session: Session, *, team_id: str, user_id: str, pair_id: int) -> DraftContext:
    """The modal for *Draft our agreement* in an invitation; AgreementRefused when the pair
    is not theirs or has ended."""
    person = ensure_person(session, team_id, user_id)
    for pair, role, other in _pairs_of(session, person):
        if pair.id == pair_id:
            agreement = _open_agreement(session, pair.id)
            if agreement is None:
                return DraftContext(pair.id, role, other.user_id)
            return _change_context(session, agreement, pair, role, other)
    raise AgreementRefused("That pairing has ended or isn't yours, so there's no agreement to draft.")


# --- proposing -----------------------------------------------------------------------------------


def _checked_fields(fields: dict[str, object], *, changing: bool) -> Draft:
    goals = fields.get("goals")
    return check_draft(
        [str(goal) for goal in goals] if isinstance(goals, list) else [],
        meet_every=str(fields["meet_every"]) if fields.get("meet_every") else None,
        reach=str(fields.get("reach") or ""),
        feedback=str(fields.get("feedback") or ""),
        note=str(fields.get("note") or "") if changing else None,
    )


def _agreement_to_change(
    session: Session,
    settings: Settings,
    *,
    pair: Pair,
    person: Person,
    role: str,
    agreement_id: int | None,
    base_version: int | None,
    now: datetime,
) -> Agreement:
    """The open agreement the new version goes into (locked), or a new one; Superseded
    when the version the writer started from is no longer the latest."""
    agreement = _open_agreement(session, pair.id, lock=True)
    if agreement is not None and agreement_id is None and _cycle_over(agreement):
        agreement.status, agreement.ended_at, agreement.next_review_at = ENDED, now, None
        session.flush()
        agreement = None
    if agreement is None:
        agreement = Agreement(
            team_id=pair.team_id,
            enterprise_id=person.enterprise_id,
            pair_id=pair.id,
            mentor_id=pair.mentor_id,
            mentee_id=pair.mentee_id,
            status=PROPOSED,
            latest_version=0,
            proposed_by=role,
            created_at=now,
            updated_at=now,
        )
        session.add(agreement)
        session.flush()
    elif agreement_id != agreement.id or base_version != agreement.latest_version:
        raise Superseded(
            "The agreement changed while you were writing — here is the latest. Nothing was saved.",
            card_for(session, settings, agreement, person),
        )
    return agreement


def submit_draft(
    session: Session,
    settings: Settings,
    *,
    team_id: str,
    user_id: str,
    pair_id: int,
    agreement_id: int | None,
    base_version: int | None,
    fields: dict[str, object],
    now: datetime,
) -> AgreementCard:
    """Store a new version and send it to the other person. DraftRefused (naming the field)
    for an unsafe or oversized text; Superseded when someone changed it meanwhile."""
    draft = _checked_fields(fields, changing=base_version is not None)
    person = ensure_person(session, team_id, user_id)
    entry = next((e for e in _pairs_of(session, person) if e[0].id == pair_id), None)
    if entry is None:
        raise AgreementRefused("That pairing has ended or isn't yours, so nothing was saved.")
    pair, role, other = entry
    agreement = _agreement_to_change(
        session,
        settings,
        pair=pair,
        person=person,
        role=role,
        agreement_id=agreement_id,
        base_version=base_version,
        now=now,
    )
    agreement.latest_version += 1
    agreement.status, agreement.proposed_by, agreement.updated_at = PROPOSED, role, now
    session.add(
        AgreementVersion(
            agreement_id=agreement.id,
            number=agreement.latest_version,
            author_id=person.id,
            author_role=role,
            goals=list(draft.goals),
            meet_every=draft.meet_every,
            reach=draft.reach,
            feedback=draft.feedback,
            note=draft.note,
            created_at=now,
        )
    )
    session.flush()
    queue_proposal(session, settings, agreement, other, now)
    return card_for(session, settings, agreement, person)


def _clicked(session: Session, team_id: str, user_id: str, agreement_id: int) -> tuple[Agreement, Person]:
    agreement = session.scalars(
        select(Agreement)
        .where(Agreement.id == agreement_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    if agreement is None or agreement.team_id != team_id:
        raise AgreementNotFound(agreement_id)
    person = ensure_person(session, team_id, user_id)
    if person.id not in (agreement.mentor_id, agreement.mentee_id):
        raise NotYourTurn("This agreement belongs to someone else, so your click wasn't recorded.")
    return agreement, person


def _check_turn(
    session: Session, settings: Settings, agreement: Agreement, person: Person, version: int
) -> None:
    card = card_for(session, settings, agreement, person)
    pair = session.get(Pair, agreement.pair_id)
    if agreement.status == ENDED or pair is None or pair.ended_at is not None:
        raise Superseded("This pairing has ended, so the agreement is closed.", card)
    if version != agreement.latest_version or agreement.status != PROPOSED:
        raise Superseded("This version has been answered or replaced since — here is where it stands.", card)
    if card.awaiting_user_id != person.user_id:
        raise NotYourTurn("This is your own proposal: the other person confirms it or suggests changes.")


def confirm(
    session: Session,
    settings: Settings,
    *,
    team_id: str,
    user_id: str,
    agreement_id: int,
    version: int,
    now: datetime,
) -> AgreementCard:
    """The other person agrees the latest version: the cycle starts (first time), and the
    proposer gets the agreed version."""
    agreement, person = _clicked(session, team_id, user_id, agreement_id)
    _check_turn(session, settings, agreement, person, version)
    agreement.status, agreement.agreed_version, agreement.agreed_at = AGREED, version, now
    if agreement.cycle_started_at is None:
        agreement.cycle_started_at, agreement.cycle_months = now, settings.agreement_cycle_months
        agreement.next_review_at = next_review(now, agreement.cycle_months, 0)
    author_id = agreement.mentor_id if agreement.proposed_by == MENTOR else agreement.mentee_id
    author = session.get(Person, author_id)
    assert author is not None
    session.flush()
    queue_agreed(session, settings, agreement, author, now)
    return card_for(session, settings, agreement, person)


def propose_changes(
    session: Session,
    settings: Settings,
    *,
    team_id: str,
    user_id: str,
    agreement_id: int,
    version: int | None,
) -> DraftContext:
    """The modal for *Suggest changes* (the version awaiting them) or for changing an
    agreed agreement (`version` None)."""
    agreement, person = _clicked(session, team_id, user_id, agreement_id)
    if version is not None:
        _check_turn(session, settings, agreement, person, version)
    pair = session.get(Pair, agreement.pair_id)
    assert pair is not None
    role = MENTOR if person.id == agreement.mentor_id else MENTEE
    other = session.get(Person, agreement.mentee_id if role == MENTOR else agreement.mentor_id)
    assert other is not None
    return _change_context(session, agreement, pair, role, other)


# --- reviews ------------------------------------------------------------------------------------------


def mark_goal(
    session: Session,
    *,
    team_id: str,
    user_id: str,
    agreement_id: int,
    stage: str,
    goal_index: int,
    state: str,
    now: datetime,
) -> ReviewCard:
    """Record a goal's state at a review (either of the pair; a second click changes it)."""
    if state not in GoalState.ALL or stage not in ("mid", "end"):
        raise AgreementNotFound(agreement_id)
    agreement, person = _clicked(session, team_id, user_id, agreement_id)
    if agreement.agreed_version is None or agreement.status == ENDED:
        raise AgreementRefused("This agreement is no longer open for review, so nothing changed.")
    card = review_card(session, agreement, stage, person)
    if not 0 <= goal_index < len(card.goals):
        raise AgreementNotFound(agreement_id)
    row = session.scalars(
        select(GoalReview).where(
            GoalReview.agreement_id == agreement.id,
            GoalReview.version == agreement.agreed_version,
            GoalReview.goal_index == goal_index,
            GoalReview.stage == stage,
        )
    ).first()
    if row is None:
        row = GoalReview(
            team_id=team_id,
            agreement_id=agreement.id,
            version=agreement.agreed_version,
            goal_index=goal_index,
            stage=stage,
        )
        session.add(row)
    row.state, row.marked_by, row.marked_at = state, person.id, now
    session.flush()
    return review_card(session, agreement, stage, person)


# --- Home and reports ------------------------------------------------------------------------------


def agreement_summary(
    session: Session, settings: Settings, team_id: str, person_id: int
) -> list[AgreementSummary]:
    """The person's open agreements with goals and their states, for Home (oldest pair first)."""
    person = session.get(Person, person_id)
    if person is None or person.team_id != team_id:
        return []
    zone = zone_for(session, settings, person)
    summaries = []
    for pair, role, other in _pairs_of(session, person):
        agreement = _open_agreement(session, pair.id)
        if agreement is None:
            continue
        number = agreement.agreed_version or agreement.latest_version
        draft = _draft_of(session, agreement, number)
        states = goal_states(session, agreement) if agreement.agreed_version else ()
        goals = tuple(
            GoalLine(text, states[i] if i < len(states) else None) for i, text in enumerate(draft.goals)
        )
        card = card_for(session, settings, agreement, person)
        summaries.append(
            AgreementSummary(
                other_user_id=other.user_id,
                role=role,
                status=AGREED if agreement.agreed_version else agreement.status,
                goals=goals,
                agreed_on=_day(agreement.agreed_at.astimezone(zone)) if agreement.agreed_at else None,
                next_review=_day(agreement.next_review_at.astimezone(zone))
                if agreement.next_review_at
                else None,
                waiting_for_you=card.awaiting_user_id == person.user_id,
            )
        )
    return summaries


def agreement_counts(session: Session, team_id: str, start: datetime, end: datetime) -> AgreementCounts:
    """Program figures for [start, end): agreements first agreed, and goals by their latest
    mark made in the period. Counts only — never goal text or names."""
    made = session.scalar(
        select(func.count(Agreement.id)).where(
            Agreement.team_id == team_id,
            Agreement.cycle_started_at >= start,
            Agreement.cycle_started_at < end,
        )
    )
    marks = session.execute(
        select(GoalReview.agreement_id, GoalReview.version, GoalReview.goal_index, GoalReview.state)
        .where(GoalReview.team_id == team_id, GoalReview.marked_at >= start, GoalReview.marked_at < end)
        .order_by(GoalReview.marked_at, GoalReview.id)
    ).all()
    latest: dict[tuple[int, int, int], str] = {(a, v, g): state for a, v, g, state in marks}
    states = list(latest.values())
    return AgreementCounts(
        made=made or 0,
        goals=len(states),
        goals_met=states.count(MET),
        goals_working=states.count(GoalState.WORKING),
        goals_changed=states.count(GoalState.CHANGED),
    )


def end_for_pairs(session: Session, pair_ids: Sequence[int], now: datetime) -> int:
    """Close the open agreements of ended pairs (the review step calls it)."""
    rows = session.scalars(
        select(Agreement).where(Agreement.pair_id.in_(list(pair_ids)), Agreement.status != ENDED)
    )
    count = 0
    for agreement in rows:
        agreement.status, agreement.ended_at, agreement.next_review_at = ENDED, now, None
        count += 1
    return count
