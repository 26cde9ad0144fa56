"""The clock's nudge step: plan every mentor whose next slot is due, and write the rows.

Each tick reads `person.next_nudge_at <= now` through its index, so a tick costs in
proportion to the mentors that are due, never to the size of the roster. For each due
mentor it loads their state (settings, zone, active mentees, recent nudges and answers),
runs the pure planner (`schedules.nudge_planner.plan_mentor`), and in the same
transaction writes the outbox rows, the nudge log rows and the mentor's next slot.

Several clocks on PostgreSQL share the work: due mentors are locked with
`FOR UPDATE SKIP LOCKED`, so each is planned by exactly one clock; the outbox's unique
dedupe key is the second line of defence. On SQLite there is one clock, and every
transaction takes the write lock up front (`BEGIN IMMEDIATE`).

`next_nudge_at <= now` is also how the rest of the app asks for a re-plan
(`bot.timing.mark_for_replanning`: settings, pause/resume, new pairs).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import exists, func, or_, select, update
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.db import SessionFactory, is_sqlite, transaction
from bot.library.catalogue import PRACTICES, Nudge, active_nudges
from bot.models import (
    Delivery,
    DeliveryStatus,
    NudgeAnswer,
    NudgeOrigin,
    NudgeSend,
    Pair,
    Person,
    Workspace,
)
from bot.nudges.blocks import describe_pace, long_day
from bot.nudges.planner import (
    BACKOFF,
    CATCH_UP_LIMIT,
    NO_REPEAT,
    Mentee,
    MentorPlan,
    MentorState,
    PastNudge,
    choose_mentee,
    choose_nudge,
    plan_mentor,
)
from bot.nudges.service import BACKOFF_KIND, record_nudge
from bot.outbox import enqueue
from bot.people import person_timezone
from bot.timing import end_of_contact_day, is_paused

log = logging.getLogger(__name__)

BATCH_SIZE = 200
# A tick plans at most this many batches; anything left is due on the next tick.
MAX_BATCHES = 25
# History the chooser needs: the last few rounds of practices, and everything in the
# no-repeat window.
HISTORY_ROWS = 24
BACKOFF_HISTORY = timedelta(weeks=26)
# `/mentor nudge`: an explicit request is allowed past the weekly cap, but not twice
# in a few minutes (a double tap, or an impatient retry, must not give two).
REQUEST_COOLDOWN = timedelta(minutes=10)
REQUEST_LIFETIME = timedelta(hours=1)


@dataclass
class PlanReport:
    """What one pass of the planner did, for the tick's log line and for tests."""

    mentors: int = 0
    nudges: int = 0
    missed: int = 0  # rows created for slots whose day was already over (they expire)
    backoffs: int = 0
    unscheduled: int = 0  # mentors the planner stopped scheduling (no mentee, stopped…)
    skipped: dict[str, int] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        """Non-zero counts for the clock's log line."""
        flat = {k: v for k, v in vars(self).items() if isinstance(v, int) and v}
        flat.update({f"skipped_{k.replace(' ', '_')}": v for k, v in self.skipped.items()})
        return flat


def plan_due(session_factory: SessionFactory, settings: Settings, now: datetime) -> PlanReport:
    """Plan every mentor whose `next_nudge_at` has come, in batches of one transaction each."""
    report = PlanReport()
    for _ in range(MAX_BATCHES):
        with transaction(session_factory) as session:
            planned = _plan_batch(session, settings, now, report)
        if planned < BATCH_SIZE:
            break
    return report


def _plan_batch(session: Session, settings: Settings, now: datetime, report: PlanReport) -> int:
    query = (
        select(Person)
        .where(Person.next_nudge_at <= now)
        .order_by(Person.next_nudge_at, Person.id)
        .limit(BATCH_SIZE)
    )
    if not is_sqlite(session.get_bind().engine):
        query = query.with_for_update(skip_locked=True, of=Person)
    persons = list(session.scalars(query))
    if not persons:
        return 0
    states = load_states(session, settings, persons, now)
    # Nothing below reads back what it wrote, so the ORM's writes (log rows, new slots)
    # are flushed together at commit instead of once per outbox insert.
    with session.no_autoflush:
        _plan_persons(session, persons, states, now, report)
    return len(persons)


def _plan_persons(
    session: Session, persons: list[Person], states: dict[int, MentorState], now: datetime, report: PlanReport
) -> None:
    for person in persons:
        if person.next_nudge_at is not None and person.next_nudge_at < now - CATCH_UP_LIMIT:
            # Slots older than the catch-up window get no row at all: say so, once per mentor.
            log.warning(
                "team=%s user=%s: nudge slots between %s and %s were missed while the clock was down; "
                "only the last %d days get (expired) rows",
                person.team_id,
                person.user_id,
                person.next_nudge_at.isoformat(timespec="minutes"),
                (now - CATCH_UP_LIMIT).isoformat(timespec="minutes"),
                CATCH_UP_LIMIT.days,
            )
        plan = plan_mentor(states[person.id], now)
        apply_plan(session, person, plan, report)


# --- loading state -----------------------------------------------------------------------


def load_states(
    session: Session, settings: Settings, persons: list[Person], now: datetime
) -> dict[int, MentorState]:
    """The planner's view of each mentor, with a fixed number of queries per batch."""
    ids = [p.id for p in persons]
    mentees = _active_mentees(session, ids)
    history = _history(session, ids, now)
    libraries: dict[str, tuple[Nudge, ...]] = {}
    workspaces: dict[str, Workspace | None] = {}
    states = {}
    for person in persons:
        if person.team_id not in libraries:
            libraries[person.team_id] = tuple(active_nudges(session, person.team_id))
            workspaces[person.team_id] = session.get(Workspace, person.team_id)
        states[person.id] = MentorState(
            person=person,
            zone=person_timezone(person, workspaces[person.team_id], settings),
            mentees=tuple(mentees.get(person.id, ())),
            history=tuple(history.get(person.id, ())),
            library=libraries[person.team_id],
            weekly_cap=settings.nudge_weekly_cap,
        )
    return states


def _active_mentees(session: Session, mentor_ids: list[int]) -> dict[int, list[Mentee]]:
    found: dict[int, list[Mentee]] = defaultdict(list)
    rows = session.execute(
        select(Pair.mentor_id, Person.id, Person.user_id)
        .join(Person, Person.id == Pair.mentee_id)
        .where(Pair.mentor_id.in_(mentor_ids), Pair.ended_at.is_(None), Person.is_active.is_(True))
        .order_by(Pair.mentor_id, Person.id)
    )
    for mentor_id, mentee_id, user_id in rows:
        found[mentor_id].append(Mentee(mentee_id, user_id))
    return found


def _history(session: Session, mentor_ids: list[int], now: datetime) -> dict[int, list[PastNudge]]:
    """Recent nudges (the last HISTORY_ROWS, or all in the no-repeat window) and back-off
    messages, oldest first, per mentor."""
    ranked = (
        select(
            NudgeSend.id.label("id"),
            func.row_number()
            .over(
                partition_by=NudgeSend.person_id, order_by=(NudgeSend.planned_for.desc(), NudgeSend.id.desc())
            )
            .label("rank"),
        )
        .where(NudgeSend.person_id.in_(mentor_ids))
        .subquery()
    )
    rows = session.execute(
        select(NudgeSend, Delivery.status, NudgeAnswer.answer, NudgeAnswer.id)
        .join(ranked, ranked.c.id == NudgeSend.id)
        .outerjoin(Delivery, Delivery.id == NudgeSend.delivery_id)
        .outerjoin(NudgeAnswer, NudgeAnswer.nudge_send_id == NudgeSend.id)
        .where(or_(ranked.c.rank <= HISTORY_ROWS, NudgeSend.planned_for >= now - NO_REPEAT))
    )
    found: dict[int, list[PastNudge]] = defaultdict(list)
    for send, status, answer, answer_id in rows:
        found[send.person_id].append(
            PastNudge(
                origin=send.origin,
                planned_for=send.planned_for,
                key=send.nudge_key,
                practice=send.practice,
                mentee_id=send.mentee_id,
                live=send.sent_at is not None or status in DeliveryStatus.OPEN,
                sent=send.sent_at is not None,
                answer=answer,
                engaged=answer_id is not None,
            )
        )
    backoffs = session.execute(
        select(Delivery.person_id, Delivery.due_at).where(
            Delivery.person_id.in_(mentor_ids),
            Delivery.kind == BACKOFF_KIND,
            Delivery.due_at >= now - BACKOFF_HISTORY,
        )
    )
    for person_id, due_at in backoffs:
        found[person_id].append(PastNudge(BACKOFF, due_at))
    for items in found.values():
        items.sort(key=lambda item: item.planned_for)
    return found


# --- writing decisions -------------------------------------------------------------------


def apply_plan(session: Session, person: Person, plan: MentorPlan, report: PlanReport) -> None:
    """Write one mentor's plan: outbox rows (+ nudge log rows), and their next slot."""
    report.mentors += 1
    for decision in plan.decisions:
        key = decision.slot.dedupe_key(person.team_id, person.user_id)
        if decision.action == BACKOFF:
            assert decision.old_rhythm is not None and decision.new_rhythm is not None
            created = enqueue(
                session,
                team_id=person.team_id,
                kind=BACKOFF_KIND,
                recipient=person.user_id,
                dedupe_key=key,
                due_at=decision.slot.at,
                expires_at=decision.expires_at,
                person_id=person.id,
                payload={
                    "old_pace": describe_pace(decision.old_rhythm.days, decision.old_rhythm.cadence),
                    "new_pace": describe_pace(decision.new_rhythm.days, decision.new_rhythm.cadence),
                },
            )
            report.backoffs += int(created)
            continue
        assert decision.nudge_key is not None and decision.practice is not None
        send = record_nudge(
            session,
            person=person,
            dedupe_key=key,
            nudge_key=decision.nudge_key,
            practice=decision.practice,
            mentee_id=decision.mentee_id,
            origin=NudgeOrigin.SCHEDULED,
            due_at=decision.slot.at,
            expires_at=decision.expires_at,
        )
        if send is not None:
            if decision.live:
                report.nudges += 1
            else:
                report.missed += 1
    for _slot, why in plan.skipped:
        report.skipped[why] = report.skipped.get(why, 0) + 1
    if plan.next_nudge_at is None and person.next_nudge_at is not None:
        report.unscheduled += 1
    person.next_nudge_at = plan.next_nudge_at
    person.unanswered_streak = plan.unanswered_streak
    person.backoff_level = plan.backoff_level


def mentor_ids_without_schedule(session: Session) -> Iterable[int]:
    """Mentors who should have a slot but have none (a pairing that forgot to ask)."""
    mentee = select(Person.id).where(Person.is_active.is_(True)).scalar_subquery()
    has_mentee = exists().where(
        Pair.mentor_id == Person.id, Pair.ended_at.is_(None), Pair.mentee_id.in_(mentee)
    )
    return session.scalars(
        select(Person.id).where(
            Person.next_nudge_at.is_(None),
            Person.is_active.is_(True),
            Person.opted_out_at.is_(None),
            has_mentee,
        )
    )


def adopt_unscheduled(session_factory: SessionFactory, now: datetime) -> int:
    """Daily safety net: ask the planner to look at mentors with no next slot."""
    with transaction(session_factory) as session:
        ids = list(mentor_ids_without_schedule(session))
        if ids:
            session.execute(update(Person).where(Person.id.in_(ids)).values(next_nudge_at=now))
    if ids:
        log.info("nudges: %d mentor(s) had no next slot; asked the planner to look at them", len(ids))
    return len(ids)


# --- /mentor nudge -----------------------------------------------------------------------


@dataclass(frozen=True)
class RequestOutcome:
    """What happened to a mentor's request for a nudge now, in words for them."""

    queued: bool
    message: str


def request_nudge(
    session: Session, settings: Settings, team_id: str, user_id: str, now: datetime
) -> RequestOutcome:
    """Queue one nudge for a mentor who asked for it (`/mentor nudge`).

    It goes through the outbox like every nudge and is sent by the clock's next tick
    (within a minute). It is allowed past the weekly cap and outside the usual hours
    (they asked, now), not while they are paused or have stopped messages, and not
    twice within REQUEST_COOLDOWN. It counts for rotation and the no-repeat rule, not
    for the cap or back-off.
    """
    # Lock the mentor as the planner does (PostgreSQL; SQLite has one writer at a time):
    # a request at the very moment their slot is planned waits for it, then sees the
    # planner's nudge in the history and picks another, instead of the same one twice.
    person = session.scalars(
        select(Person)
        .where(Person.team_id == team_id, Person.user_id == user_id)
        .with_for_update(of=Person)
        .execution_options(populate_existing=True)
    ).first()
    if person is None:
        return RequestOutcome(False, NOT_A_MENTOR)
    state = load_states(session, settings, [person], now)[person.id]
    if not state.mentees:
        return RequestOutcome(False, NOT_A_MENTOR)
    if person.opted_out_at is not None:
        return RequestOutcome(
            False,
            "You've turned Mentor Nudge messages off, so I can't send one. Type `/mentor start` to turn "
            "them back on, then ask again.",
        )
    if is_paused(person, now):
        assert person.paused_until is not None
        until = long_day(person.paused_until.astimezone(state.zone))
        return RequestOutcome(
            False,
            f"Your nudges are paused until {until}. Type `/mentor resume` to end the pause, then ask again.",
        )
    recent = session.scalar(
        select(func.count(NudgeSend.id)).where(
            NudgeSend.person_id == person.id,
            NudgeSend.origin == NudgeOrigin.REQUESTED,
            NudgeSend.planned_for > now - REQUEST_COOLDOWN,
        )
    )
    if recent:
        return RequestOutcome(
            False, "One is already on its way from a few minutes ago — check your DMs from Mentor Nudge."
        )
    nudge = choose_nudge(state.library, state.history, person.user_id, now)
    if nudge is None:
        return RequestOutcome(False, "There are no nudges in the library right now. Please tell your admin.")
    send = record_nudge(
        session,
        person=person,
        dedupe_key=f"nudge-ask:{team_id}:{user_id}:{now:%Y%m%dT%H%M}",
        nudge_key=nudge.key,
        practice=nudge.practice,
        mentee_id=choose_mentee(nudge, state.mentees, state.history),
        origin=NudgeOrigin.REQUESTED,
        due_at=now,
        expires_at=max(end_of_contact_day(person, state.zone, now), now + REQUEST_LIFETIME),
    )
    if send is None:
        return RequestOutcome(False, "One is already on its way — check your DMs from Mentor Nudge.")
    title = PRACTICES[nudge.practice].title
    return RequestOutcome(
        True, f"On its way: a nudge about *{title}* will arrive in your DMs within a minute."
    )


NOT_A_MENTOR = (
    "Nudges are for mentors, and you don't have an active mentee yet. Once your program director pairs "
    "you with someone, your nudges start on their own."
)
