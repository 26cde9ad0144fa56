"""The database side of planning: load each due mentor's state for the pure planner
(`bot.nudges.planner`), and write its decisions as outbox and nudge-log rows.

A fixed number of queries per batch, whatever the batch size.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, exists, func, insert, or_, select, update
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.library.service import active_nudges
from bot.library.types import Nudge
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
from bot.nudges.planner import (
    BACKOFF,
    CATCH_UP_LIMIT,
    NO_REPEAT,
    SEARCH_DAYS,
    Decision,
    Mentee,
    MentorPlan,
    MentorState,
    PastNudge,
    PersonRow,
)
from bot.nudges.types import BACKOFF_KIND, NUDGE_KIND
from bot.outbox import Queued, enqueue_many
from bot.people import person_timezone
from bot.pulse.results import focus_for_mentors
from bot.rhythm import describe_pace
from bot.rota.service import busy_for_people

# History the chooser needs: the last few rounds of practices, and everything in the
# no-repeat window.
HISTORY_ROWS = 24
# How far back the history holds back-off messages (each one used a slot).
BACKOFF_HISTORY = timedelta(weeks=26)

_NUDGE_SEND = NudgeSend.__table__
_PERSON = Person.__table__
# A mentor's next slot and back-off state, written for a whole batch at once
# (`updated_at` is set by the column's onupdate, as a flush would).
_SET_SLOT = (
    update(_PERSON)
    .where(_PERSON.c.id == bindparam("_id"))
    .values(
        next_nudge_at=bindparam("_next"),
        unanswered_streak=bindparam("_streak"),
        backoff_level=bindparam("_level"),
    )
)


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


def load_states(
    session: Session, settings: Settings, persons: Sequence[Person | PersonRow], now: datetime
) -> dict[int, MentorState]:
    """The planner's view of each mentor, with a fixed number of queries per batch."""
    ids = [p.id for p in persons]
    mentees = _active_mentees(session, ids)
    history = _history(session, ids, now)
    # Released pulse figures and self-checks only: an unreleased answer never steers a nudge.
    focus = focus_for_mentors(session, settings, ids, now)
    # Duty from the rota over every slot the planner may look at (catch-up to search).
    horizon = (now - CATCH_UP_LIMIT, now + timedelta(days=SEARCH_DAYS))
    busy = busy_for_people(session, settings, persons, *horizon)
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
            focus=focus[person.id],
            busy=busy.get(person.id, ()),
        )
    return states


def _active_mentees(session: Session, mentor_ids: list[int]) -> dict[int, list[Mentee]]:
    found: dict[int, list[Mentee]] = defaultdict(list)
    rows = session.connection().execute(
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
    # Columns, not NudgeSend objects: a busy tick reads thousands of these rows, and the
    # ORM's bookkeeping per object was a third of the planner's time. Through the
    # connection, too: the ORM's result handling for plain columns was half of what
    # is left of this function's time.
    rows = session.connection().execute(
        select(
            NudgeSend.person_id,
            NudgeSend.origin,
            NudgeSend.planned_for,
            NudgeSend.nudge_key,
            NudgeSend.practice,
            NudgeSend.mentee_id,
            # Whether it was sent, and whether it has an answer row, are all the planner
            # asks of these two: yes/no from the database saves a datetime per row.
            NudgeSend.sent_at.is_not(None),
            Delivery.status,
            NudgeAnswer.answer,
            NudgeAnswer.id.is_not(None),
        )
        .join(ranked, ranked.c.id == NudgeSend.id)
        .outerjoin(Delivery, Delivery.id == NudgeSend.delivery_id)
        .outerjoin(NudgeAnswer, NudgeAnswer.nudge_send_id == NudgeSend.id)
        .where(or_(ranked.c.rank <= HISTORY_ROWS, NudgeSend.planned_for >= now - NO_REPEAT))
    )
    found: dict[int, list[PastNudge]] = defaultdict(list)
    for person_id, origin, planned_for, key, practice, mentee_id, sent, status, answer, engaged in rows:
        sent = bool(sent)  # SQLite answers 0/1
        found[person_id].append(
            # Positional: keyword arguments cost a busy tick's thousands of rows noticeably.
            PastNudge(
                origin,
                planned_for,
                key,
                practice,
                mentee_id,
                sent or status in DeliveryStatus.OPEN,  # live
                sent,
                answer,
                bool(engaged),
            )
        )
    backoffs = session.connection().execute(
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


def apply_plans(
    session: Session, planned: Sequence[tuple[Person | PersonRow, MentorPlan]], report: PlanReport
) -> None:
    """Write a batch of mentors' plans: outbox rows (+ nudge log rows), and next slots.

    The rows of the whole batch go in together — one multi-row INSERT for the outbox
    (a dedupe key already there is skipped, as `enqueue` does), one for the nudge log —
    because one statement per nudge was most of a busy tick's time.
    """
    queued: list[Queued] = []
    logged: dict[str, dict[str, Any]] = {}  # nudge log rows, by their outbox row's key
    slots: list[dict[str, Any]] = []  # each mentor's new planning state
    for person, plan in planned:
        report.mentors += 1
        for decision in plan.decisions:
            key = decision.slot.dedupe_key(person.team_id, person.user_id)
            queued.append(_queued(person, decision, key))
            if decision.action != BACKOFF:
                assert decision.nudge_key is not None and decision.practice is not None
                logged[key] = {
                    "team_id": person.team_id,
                    "person_id": person.id,
                    "nudge_key": decision.nudge_key,
                    "practice": decision.practice,
                    "mentee_id": decision.mentee_id,
                    "origin": NudgeOrigin.SCHEDULED,
                    "reason": decision.reason,
                    "planned_for": decision.slot.at,
                    "_live": decision.live,
                }
        for _slot, why in plan.skipped:
            report.skipped[why] = report.skipped.get(why, 0) + 1
        if plan.next_nudge_at is None and person.next_nudge_at is not None:
            report.unscheduled += 1
        slots.append(
            {
                "_id": person.id,
                "_next": plan.next_nudge_at,
                "_streak": plan.unanswered_streak,
                "_level": plan.backoff_level,
            }
        )
    created = enqueue_many(session, queued)
    sends = []
    for key, delivery_id in created.items():
        row = logged.get(key)
        if row is None:
            report.backoffs += 1
            continue
        live = row.pop("_live")
        report.nudges += int(live)
        report.missed += int(not live)
        sends.append({**row, "delivery_id": delivery_id})
    # Core statements on the tables, not the ORM: the ORM's bulk insert split the rows
    # into one statement per run of rows with or without a mentee (None values are left
    # out), and flushing each mentor's changed attributes was an UPDATE per object. Every
    # row here carries every key, so each is one executemany.
    if sends:
        session.connection().execute(insert(_NUDGE_SEND), sends)
    if slots:
        session.connection().execute(_SET_SLOT, slots)


def _queued(person: Person | PersonRow, decision: Decision, key: str) -> Queued:
    """The outbox row for one decision: a back-off check-in, or a nudge (with where its
    slot moved from, for the preview, when duty moved it)."""
    payload: dict[str, Any] = {}
    if decision.action == BACKOFF:
        assert decision.old_rhythm is not None and decision.new_rhythm is not None
        payload = {
            "old_pace": describe_pace(decision.old_rhythm.days, decision.old_rhythm.cadence),
            "new_pace": describe_pace(decision.new_rhythm.days, decision.new_rhythm.cadence),
        }
    elif decision.slot.moved_from is not None:
        payload = {"moved_from": decision.slot.moved_from.isoformat(), "moved_why": decision.slot.moved_why}
    return Queued(
        team_id=person.team_id,
        kind=BACKOFF_KIND if decision.action == BACKOFF else NUDGE_KIND,
        recipient=person.user_id,
        dedupe_key=key,
        due_at=decision.slot.at,
        expires_at=decision.expires_at,
        person_id=person.id,
        payload=payload,
    )


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
