"""Answers to one nudge from two clicks at the same moment (two devices, a double tap)."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest

from bot.db import transaction
from bot.library.catalogue import builtin_nudges
from bot.models import NudgeOrigin, Person
from bot.nudges.delivery import record_nudge
from bot.nudges.service import answer_nudge
from tests.conftest import MENTOR
from tests.fakes.slack_api import TEAM_ID
from tests.nudge_helpers import answers, deliveries, make_mentor
from tests.pg_locks import backend_pid, wait_until_blocked

NOW = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


def a_nudge(session_factory) -> int:
    mentor_id = make_mentor(session_factory, MENTOR, now=NOW)
    nudge = builtin_nudges()[0]
    with transaction(session_factory) as session:
        send = record_nudge(
            session,
            person=session.get(Person, mentor_id),
            dedupe_key="nudge-ask:concurrent",
            nudge_key=nudge.key,
            practice=nudge.practice,
            mentee_id=None,
            origin=NudgeOrigin.REQUESTED,
            due_at=NOW,
            expires_at=None,
        )
        session.flush()
        return send.id


def test_done_and_skip_at_the_same_moment_both_succeed_and_the_later_one_wins(
    engine, session_factory, settings
):
    if engine.dialect.name != "postgresql":
        pytest.skip("needs PostgreSQL row locks; SQLite lets one writer in at a time (BEGIN IMMEDIATE)")
    send_id = a_nudge(session_factory)
    first_written, second_pid = threading.Event(), []
    release_first = threading.Event()
    failures: list[Exception] = []

    def click(answer: str, at: datetime, *, hold: bool) -> None:
        try:
            with transaction(session_factory) as session:
                if not hold:
                    second_pid.append(backend_pid(session))
                    first_written.wait(10)
                answer_nudge(session, settings, TEAM_ID, MENTOR, send_id, answer, at)
                if hold:  # keep the new answer row uncommitted while the other click arrives
                    first_written.set()
                    release_first.wait(10)
        except Exception as error:  # reported by the assertion below
            failures.append(error)
            first_written.set()

    done = threading.Thread(target=click, args=("done", NOW), kwargs={"hold": True})
    skip = threading.Thread(target=click, args=("skip", NOW + timedelta(seconds=1)), kwargs={"hold": False})
    done.start()
    skip.start()
    assert first_written.wait(10) and not failures, failures
    deadline = time.monotonic() + 10
    while not second_pid and time.monotonic() < deadline:
        time.sleep(0.01)
    wait_until_blocked(session_factory, second_pid[0])
    release_first.set()
    done.join(10)
    skip.join(10)

    assert failures == []
    [answer] = answers(session_factory)
    assert answer.answer == "skip" and answer.answered_at == NOW + timedelta(seconds=1)
    assert answer.first_answered_at == NOW  # the first click is still the first answer


def test_clicks_recorded_out_of_order_keep_the_last_click_made(session_factory, settings):
    # Remind me tomorrow, then Done a second later; the Done job commits first (two
    # after-ack threads under a backlog), then the older Remind job.
    send_id = a_nudge(session_factory)
    for answer, clicked_at in (("done", NOW + timedelta(seconds=1)), ("remind", NOW)):
        with transaction(session_factory) as session:
            card = answer_nudge(session, settings, TEAM_ID, MENTOR, send_id, answer, clicked_at)

    [answer] = answers(session_factory)
    assert answer.answer == "done" and answer.answered_at == NOW + timedelta(seconds=1)
    assert card.answer == "done"  # the older click is shown the answer that stands
    # And no reminder was queued for tomorrow by the stale click.
    assert len(deliveries(session_factory)) == 1  # the nudge itself, no reminder
