"""Bolt tries the busiest listeners first: `/mentor` and the nudge answer buttons, known
by the listener objects those modules registered, not by function name."""

from __future__ import annotations

import functools

from handlers import feedback, meetings, nudges
from handlers.nudges import ANSWER_BY_ACTION


def wrapped(listener: object) -> object:
    function = getattr(listener, "ack_function", None)
    return function.func if isinstance(function, functools.partial) else function


def test_mentor_and_the_nudge_answers_come_first_and_only_they(app):
    listeners = app._listeners
    front = len(ANSWER_BY_ACTION) + 1

    assert listeners[0].ack_function.__name__ == "mentor_command"
    assert [wrapped(listener) for listener in listeners[1:front]] == [nudges.on_answer] * len(
        ANSWER_BY_ACTION
    )
    # Other modules' `on_answer` listeners keep their registration place, further back.
    others = [
        i
        for i, listener in enumerate(listeners)
        if wrapped(listener) in (feedback.on_answer, meetings.on_answer)
    ]
    assert others and min(others) > front + 5
