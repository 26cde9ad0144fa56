"""The reflection questions: one set per practice, warm, and never about patients."""

from __future__ import annotations

import re

import pytest

from bot import privacy
from bot.library.types import PRACTICES
from bot.reflections.questions import (
    QuestionsError,
    all_questions,
    parse_questions,
    pick_question,
    questions_for,
)

PATIENTS = re.compile(r"\bpatients?\b", re.IGNORECASE)


def test_every_practice_has_several_questions():
    for key in PRACTICES:
        assert len(questions_for(key)) >= 3, key


def test_keys_are_unique_and_namespaced_by_practice():
    keys = [q.key for q in all_questions()]
    assert len(keys) == len(set(keys))
    assert all(q.key.startswith(q.practice + ".") for q in all_questions())


@pytest.mark.parametrize("question", all_questions(), ids=lambda q: q.key)
def test_questions_are_open_short_and_never_about_patients(question):
    assert "?" in question.text
    assert len(question.text) <= 280
    assert not PATIENTS.search(question.text)
    assert privacy.check(question.text) is None


def test_a_channel_meets_every_question_of_a_theme_before_any_repeats():
    listen = questions_for("listen")
    asked = [pick_question("listen", n).key for n in range(len(listen) * 2)]
    assert asked[: len(listen)] == [q.key for q in listen]
    assert asked[len(listen) :] == asked[: len(listen)]


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ({}, "`questions` list"),
        ({"questions": [{"key": "a", "practice": "nope", "text": "x?"}]}, "unknown practice"),
        ({"questions": [{"key": "a", "practice": "care", "text": " "}]}, "empty text"),
        ({"questions": [{"key": "a", "practice": "care", "text": "x?"}] * 2}, "repeated"),
        ({"questions": [{"key": "a", "practice": "care", "text": "x?"}]}, "no question for practice"),
    ],
)
def test_a_malformed_file_is_refused_with_the_entry_named(raw, fragment):
    with pytest.raises(QuestionsError, match=fragment):
        parse_questions(raw)
