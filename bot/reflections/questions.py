"""The monthly reflection questions: one open question per prompt, on the month's theme.

Questions live in `bot/content/reflection_questions.yaml` with permanent keys; a prompt
records the key it asked, so editing a sentence never changes history.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from bot.library.types import PRACTICES

CONTENT = Path(__file__).parents[1] / "content" / "reflection_questions.yaml"


class QuestionsError(ValueError):
    """The questions file is malformed; the message names the entry."""


@dataclass(frozen=True)
class Question:
    """One reflection question about one practice."""

    key: str
    practice: str
    text: str
    retired: bool = False


def parse_questions(raw: Any) -> tuple[Question, ...]:
    """Validate and build questions from the YAML structure."""
    if not isinstance(raw, dict) or not isinstance(raw.get("questions"), list):
        raise QuestionsError("the questions file must be a mapping with a `questions` list")
    questions: list[Question] = []
    seen: set[str] = set()
    for entry in raw["questions"]:
        key = str(entry.get("key") or "")
        if not key or key in seen:
            raise QuestionsError(f"question key {key!r} is missing or repeated")
        seen.add(key)
        practice = entry.get("practice")
        if practice not in PRACTICES:
            raise QuestionsError(f"{key}: unknown practice {practice!r}")
        text = " ".join(str(entry.get("text") or "").split())
        if not text:
            raise QuestionsError(f"{key}: empty text")
        questions.append(Question(key, practice, text, bool(entry.get("retired", False))))
    missing = [p for p in PRACTICES if not any(q.practice == p and not q.retired for q in questions)]
    if missing:
        raise QuestionsError(f"no question for practice(s) {missing}: every theme needs one")
    return tuple(questions)


@cache
def all_questions() -> tuple[Question, ...]:
    """Every question, retired ones included (old prompts still name them)."""
    return parse_questions(yaml.safe_load(CONTENT.read_text(encoding="utf-8")))


def questions_for(practice: str) -> list[Question]:
    """The questions in rotation for one practice, in file order."""
    return [q for q in all_questions() if q.practice == practice and not q.retired]


def find_question(key: str) -> Question | None:
    """A question by key, retired or not."""
    return next((q for q in all_questions() if q.key == key), None)


def pick_question(practice: str, round_number: int) -> Question:
    """The question for the `round_number`-th time (0, 1, …) a channel has this theme.

    Going through a practice's questions in turn means a channel meets each one before
    any repeats.
    """
    choices = questions_for(practice)
    return choices[round_number % len(choices)]
