"""`/mentor nudge` at the very moment the clock plans the same mentor's slot (PostgreSQL)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.db import transaction
from bot.models import NudgeOrigin, Person
from bot.nudges.delivery import record_nudge
from bot.nudges.planner import choose_mentee, choose_nudge
from bot.nudges.planning import load_states
from bot.nudges.request import request_nudge
from tests.conftest import MENTOR
from tests.fakes.slack_api import TEAM_ID
from tests.nudge_helpers import make_mentor, sends
from tests.pg_locks import backend_pid, wait_until_blocked

NOW = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


def test_a_request_during_the_planners_slot_waits_and_gets_a_different_nudge(
    engine, session_factory, settings
):
    if engine.dialect.name != "postgresql":
        pytest.skip("needs PostgreSQL row locks; SQLite lets one writer in at a time (BEGIN IMMEDIATE)")
    mentor_id = make_mentor(session_factory, MENTOR, now=NOW)
    planner_locked, release_planner = threading.Event(), threading.Event()
    request_pid: list[int] = []
    failures: list[Exception] = []

    def planner() -> None:
        # What the nudge step does for a due mentor: lock, read the state, choose, write.
        try:
            with transaction(session_factory) as session:
                person = session.scalars(select(Person).where(Person.id == mentor_id).with_for_update()).one()
                state = load_states(session, settings, [person], NOW)[person.id]
                nudge = choose_nudge(state.library, state.history, person.user_id, NOW)
                record_nudge(
                    session,
                    person=person,
                    dedupe_key="nudge:slot",
                    nudge_key=nudge.key,
                    practice=nudge.practice,
                    mentee_id=choose_mentee(nudge, state.mentees, state.history),
                    origin=NudgeOrigin.SCHEDULED,
                    due_at=NOW,
                    expires_at=None,
                )
                session.flush()
                planner_locked.set()
                release_planner.wait(10)
        except Exception as error:  # reported by the assertion below
            failures.append(error)
            planner_locked.set()

    def ask() -> None:
        try:
            with transaction(session_factory) as session:
                request_pid.append(backend_pid(session))
                request_nudge(session, settings, TEAM_ID, MENTOR, NOW)
        except Exception as error:  # reported by the assertion below
            failures.append(error)

    slot = threading.Thread(target=planner)
    slot.start()
    assert planner_locked.wait(10) and not failures, failures
    request = threading.Thread(target=ask)
    request.start()
    try:
        while not request_pid and request.is_alive():
            request.join(0.01)
        wait_until_blocked(session_factory, request_pid[0])
    finally:
        release_planner.set()
        slot.join(10)
        request.join(10)

    assert failures == []
    scheduled, requested = sorted(sends(session_factory, mentor_id), key=lambda s: s.origin != "scheduled")
    assert (scheduled.origin, requested.origin) == (NudgeOrigin.SCHEDULED, NudgeOrigin.REQUESTED)
    assert requested.nudge_key != scheduled.nudge_key
