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
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.collector import collector_paused
from bot.config import Settings
from bot.db import SessionFactory, is_sqlite, transaction
from bot.models import (
    Person,
)
from bot.nudges.planner import (
    CATCH_UP_LIMIT,
    MentorState,
    PersonRow,
    plan_mentor,
)
from bot.nudges.planning import PlanReport, apply_plans, load_states, mentor_ids_without_schedule

log = logging.getLogger(__name__)

BATCH_SIZE = 200
# A tick plans at most this many batches; anything left is due on the next tick.
MAX_BATCHES = 25
_PERSON = Person.__table__


def plan_due(session_factory: SessionFactory, settings: Settings, now: datetime) -> PlanReport:
    """Plan every mentor whose `next_nudge_at` has come, in batches of one transaction each."""
    report = PlanReport()
    with collector_paused():
        for _ in range(MAX_BATCHES):
            with transaction(session_factory) as session:
                planned = _plan_batch(session, settings, now, report)
            if planned < BATCH_SIZE:
                break
    return report


def _plan_batch(session: Session, settings: Settings, now: datetime, report: PlanReport) -> int:
    # Rows of the person table, not `Person` objects (see `PersonRow`): the planner only
    # reads them, and the new slots are written with a Core UPDATE.
    query = (
        select(_PERSON)
        .where(_PERSON.c.next_nudge_at <= now)
        .order_by(_PERSON.c.next_nudge_at, _PERSON.c.id)
        .limit(BATCH_SIZE)
    )
    if not is_sqlite(session.get_bind().engine):
        query = query.with_for_update(skip_locked=True, of=_PERSON)
    persons = [PersonRow._make(row) for row in session.connection().execute(query)]
    if not persons:
        return 0
    states = load_states(session, settings, persons, now)
    # Nothing below reads back what it wrote, so the ORM's writes (log rows, new slots)
    # are flushed together at commit instead of once per outbox insert.
    with session.no_autoflush:
        _plan_persons(session, persons, states, now, report)
    return len(persons)


def _plan_persons(
    session: Session,
    persons: list[PersonRow],
    states: dict[int, MentorState],
    now: datetime,
    report: PlanReport,
) -> None:
    planned = []
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
        planned.append((person, plan_mentor(states[person.id], now)))
    apply_plans(session, planned, report)


# --- loading state -----------------------------------------------------------------------


# --- writing decisions -------------------------------------------------------------------


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
