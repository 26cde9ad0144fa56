"""Feedback requests at the same moment: a double tap is merged, two answers at once give
one answer (PostgreSQL row locks; SQLite lets one writer in at a time)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.db import transaction
from bot.feedback.service import answer_request, ask_for_chat, mentor_choices
from bot.feedback.types import RequestClosed
from bot.models import FeedbackStatus, Person
from bot.people import find_person
from schedules.feedback_step import settle_feedback
from tests.bot.feedback.helpers import deliveries, pair_up, requests
from tests.conftest import MENTEE, MENTOR
from tests.fakes.slack_api import TEAM_ID
from tests.pg_locks import backend_pid, wait_until_blocked

NOW = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)


def ask(session, settings, topic: str = "") -> Any:
    return ask_for_chat(
        session,
        settings,
        team_id=TEAM_ID,
        user_id=MENTEE,
        mentor_user_id=None,
        topic_text=topic,
        source="command",
        now=NOW,
    )


def race(session_factory, first: Callable[[Any], Any], second: Callable[[Any], Any]) -> list[Any]:
    """Run `first` in a transaction that stays open until `second` (in another thread) is
    waiting on its lock; then let both finish. Returns [first's result, second's result]."""
    holding, release = threading.Event(), threading.Event()
    results: list[Any] = [None, None]
    second_pid: list[int] = []

    def one() -> None:
        try:
            with transaction(session_factory) as session:
                results[0] = first(session)
                session.flush()
                holding.set()
                release.wait(10)
        except Exception as error:
            results[0] = error
            holding.set()

    def two() -> None:
        try:
            with transaction(session_factory) as session:
                second_pid.append(backend_pid(session))
                results[1] = second(session)
        except Exception as error:
            results[1] = error

    a = threading.Thread(target=one)
    a.start()
    assert holding.wait(10)
    b = threading.Thread(target=two)
    b.start()
    while not second_pid:
        pass
    wait_until_blocked(session_factory, second_pid[0])
    release.set()
    a.join(10)
    b.join(10)
    return results


def test_a_double_tap_is_merged_into_one_request(engine, session_factory, settings):
    if engine.dialect.name != "postgresql":
        pytest.skip("needs PostgreSQL row locks; SQLite lets one writer in at a time (BEGIN IMMEDIATE)")
    pair_up(session_factory, MENTOR, MENTEE)

    first, second = race(
        session_factory, lambda s: ask(s, settings, "one"), lambda s: ask(s, settings, "two")
    )

    assert first.message.startswith("Sent:") and "I've kept it with your new topic" in second.message
    [request] = requests(session_factory)
    assert request.times_asked == 2 and request.topic == "two"
    assert len(deliveries(session_factory, "feedback_request")) == 1


def test_two_answers_at_once_give_one_answer(engine, session_factory, settings):
    if engine.dialect.name != "postgresql":
        pytest.skip("needs PostgreSQL row locks; SQLite lets one writer in at a time (BEGIN IMMEDIATE)")
    pair_up(session_factory, MENTOR, MENTEE)
    with transaction(session_factory) as session:
        request_id = ask(session, settings).request_id

    def answer(kind: str) -> Callable[[Any], Any]:
        return lambda s: answer_request(s, settings, TEAM_ID, MENTOR, request_id, kind, NOW)

    first, second = race(session_factory, answer(FeedbackStatus.TALK), answer(FeedbackStatus.CANT))

    assert first.status == FeedbackStatus.TALK
    assert isinstance(second, RequestClosed) and "You already answered" in second.message
    assert requests(session_factory)[0].status == FeedbackStatus.TALK
    assert len(deliveries(session_factory, "feedback_answer")) == 1


def test_the_menu_names_mentors_as_slack_does_and_only_active_ones(session_factory, settings):
    pair_up(session_factory, MENTOR, MENTEE)
    pair_up(session_factory, "U0MENTOR2", MENTEE)
    pair_up(session_factory, "U0MENTOR3", MENTEE)
    with transaction(session_factory) as session:
        named = find_person(session, TEAM_ID, MENTOR)
        assert named is not None
        named.display_name = "Dr Okafor"
        gone = find_person(session, TEAM_ID, "U0MENTOR3")
        assert isinstance(gone, Person)
        gone.is_active = False

    with transaction(session_factory) as session:
        choices = mentor_choices(session, TEAM_ID, MENTEE)

    assert [(c.user_id, c.label) for c in choices] == [(MENTOR, "Dr Okafor"), ("U0MENTOR2", "U0MENTOR2")]


def test_a_request_still_undelivered_after_a_week_is_told_as_undelivered(session_factory, settings):
    pair_up(session_factory, MENTOR, MENTEE)
    with transaction(session_factory) as session:
        ask(session, settings, "rotations")

    assert settle_feedback(session_factory, settings, NOW + timedelta(days=6)) is None
    assert settle_feedback(session_factory, settings, NOW + timedelta(days=7)) == {"undelivered": 1}

    [request] = requests(session_factory)
    assert request.status == FeedbackStatus.UNDELIVERED
    [dm, notice] = deliveries(session_factory)
    assert dm.status == "cancelled"
    assert "it couldn't reach them in time" in notice.payload["text"] and notice.recipient == MENTEE
    assert settle_feedback(session_factory, settings, NOW + timedelta(days=8)) is None
