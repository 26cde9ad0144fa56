"""The practice library's vocabulary: the six practices, a nudge, its follow-up question.

Plain dataclasses and limits, importing nothing else of the feature, so every other
module (the catalogue, blocks, services, the planner) can share them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.blocks.common import escape

MENTEE_PLACEHOLDER = "{mentee}"
CUSTOM_PREFIX = "custom:"
# What tables that point at a nudge (e.g. CustomNudge.key) can hold.
KEY_MAX_LENGTH = 64

# Slack's limits for what a nudge becomes: a section (3000 characters, with room left
# for the mention {mentee} turns into), a header-length question and button labels.
TEXT_HARD_LIMIT = 2900
FOLLOWUP_QUESTION_LIMIT = 150
FOLLOWUP_CHOICE_LIMIT = 75
FOLLOWUP_CHOICES_MIN = 2
FOLLOWUP_CHOICES_MAX = 5

# The house style: a nudge reads in under ten seconds. Tests hold the built-in library
# to it, and admins' own nudges are held to it when they are written.
TEXT_STYLE_LIMIT = 300


@dataclass(frozen=True)
class Practice:
    """One of the six habits."""

    key: str
    title: str
    summary: str


PRACTICES: dict[str, Practice] = {
    p.key: p
    for p in (
        Practice(
            "care", "Caring about the learner", "knowing how they are doing, not only what they are doing"
        ),
        Practice("no_ego", "Keeping ego out", "shared credit, no point-scoring at the learner's expense"),
        Practice("mistakes_ok", "Safe mistakes", "errors handled as teaching moments, with patience"),
        Practice("own_errors", "Owning our errors", "naming our own mistakes and what we changed"),
        Practice("listen", "Time to listen", "protected time, and feedback that goes both ways"),
        Practice("autonomy", "Self-direction", "the learner takes on more: leads the case, runs the round"),
    )
}

PRACTICE_KEYS: tuple[str, ...] = tuple(PRACTICES)


@dataclass(frozen=True)
class Followup:
    """A one-tap question asked after a nudge is marked done."""

    question: str
    choices: tuple[str, ...]


@dataclass(frozen=True)
class Nudge:
    """One nudge: a small, specific thing a mentor can do in under five minutes."""

    key: str
    practice: str
    text: str
    followup: Followup | None = None
    custom: bool = False
    retired: bool = False

    @property
    def names_mentee(self) -> bool:
        """True when the text mentions the mentee (so a mentee is chosen to name)."""
        return MENTEE_PLACEHOLDER in self.text

    def render(self, mentee_user_id: str | None = None) -> str:
        """The text as the mentor reads it, with the mentee mentioned by name."""
        who = f"<@{mentee_user_id}>" if mentee_user_id else "your mentee"
        # Admins type custom texts; Slack reads &, < and > as markup unless escaped.
        safe = escape(self.text)
        rendered = safe.replace(MENTEE_PLACEHOLDER, who)
        # "your mentee" opening a sentence reads better capitalised.
        return re.sub(r"(^|[.!?]\s+)your mentee", lambda m: m.group(1) + "Your mentee", rendered)


class LibraryError(ValueError):
    """The library file is malformed; the message names the entry."""


# The fields of a draft, named as the modal's blocks are, so errors land in the right place.
FIELD_PRACTICE = "practice"

FIELD_TEXT = "text"

FIELD_QUESTION = "question"

FIELD_CHOICES = "choices"


@dataclass(frozen=True)
class NudgeDraft:
    """What an admin typed into the "Add a nudge" form, before it is checked."""

    practice: str | None
    text: str
    question: str = ""
    # One choice per line, as typed.
    choices: str = ""

    def clean_text(self) -> str:
        """The text with runs of whitespace folded, as the built-in library does."""
        return " ".join(self.text.split())

    def clean_question(self) -> str:
        """The follow-up question, whitespace folded."""
        return " ".join(self.question.split())

    def clean_choices(self) -> tuple[str, ...]:
        """The follow-up choices: one per non-empty line, whitespace folded."""
        return tuple(" ".join(line.split()) for line in self.choices.splitlines() if line.strip())


class DraftRejected(ValueError):
    """The draft cannot be stored; `errors` maps each field to what to fix."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


class ChangeRefused(ValueError):
    """A switch on/off that cannot be done; the message says why and what to do instead."""


@dataclass(frozen=True)
class Toggle:
    """The outcome of switching a nudge on or off."""

    nudge: Nudge
    enabled: bool
    # False when it was already in that state (nothing was written).
    changed: bool


@dataclass(frozen=True)
class LibraryEntry:
    """A nudge as one program sees it: switched on for its mentors or not."""

    nudge: Nudge
    enabled: bool


@dataclass(frozen=True)
class PracticeShelf:
    """One practice's nudges for a program: built-in counts and its own nudges."""

    practice: Practice
    builtin_on: int
    builtin_off: int
    custom: tuple[LibraryEntry, ...]

    @property
    def custom_on(self) -> int:
        """How many of the program's own nudges for this practice are switched on."""
        return sum(1 for e in self.custom if e.enabled)
