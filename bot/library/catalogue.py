"""The practice library: six mentoring habits and the nudges that keep them alive.

Built-in nudges live in `bot/content/nudges.yaml` (content is data: editing a sentence
never breaks history, because records point at stable keys). Program admins can add
their own, stored as `CustomNudge` rows with keys `custom:<id>`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.blocks.common import escape
from bot.models import CustomNudge, DisabledNudge

CONTENT = Path(__file__).parents[1] / "content" / "nudges.yaml"
MENTEE_PLACEHOLDER = "{mentee}"
_PLACEHOLDER = re.compile(r"\{[^}]*\}")
CUSTOM_PREFIX = "custom:"

# Built-in keys look like `care.week-really`: the practice, a dot, a lowercase slug.
# 64 characters is what tables that point at a nudge (e.g. CustomNudge.key) can hold.
KEY_PATTERN = re.compile(r"^[a-z_]+\.[a-z0-9]+(?:-[a-z0-9]+)*$")
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

_ENTRY_FIELDS = frozenset({"key", "practice", "text", "followup", "retired"})
_FOLLOWUP_FIELDS = frozenset({"question", "choices"})


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


def unknown_placeholders(text: str) -> list[str]:
    """Placeholders in `text` other than {mentee} (which is the only one filled in)."""
    return [p for p in _PLACEHOLDER.findall(text) if p != MENTEE_PLACEHOLDER]


def followup_problem(question: str, choices: tuple[str, ...]) -> str | None:
    """Why this follow-up cannot become one-tap buttons, or None when it can."""
    if not question:
        return "a followup needs a question"
    if len(question) > FOLLOWUP_QUESTION_LIMIT:
        return f"the followup question is longer than {FOLLOWUP_QUESTION_LIMIT} characters"
    if not FOLLOWUP_CHOICES_MIN <= len(choices) <= FOLLOWUP_CHOICES_MAX:
        return f"a followup needs {FOLLOWUP_CHOICES_MIN} to {FOLLOWUP_CHOICES_MAX} choices"
    if any(not c for c in choices):
        return "a followup choice is empty"
    too_long = [c for c in choices if len(c) > FOLLOWUP_CHOICE_LIMIT]
    if too_long:
        return f"followup choice {too_long[0]!r} is longer than {FOLLOWUP_CHOICE_LIMIT} characters"
    if len({c.casefold() for c in choices}) != len(choices):
        return "followup choices must all be different"
    return None


def _followup(raw: Any, key: str) -> Followup | None:
    if raw is None:
        return None
    if not isinstance(raw, dict) or not raw.get("question") or not raw.get("choices"):
        raise LibraryError(f"{key}: a followup needs a question and choices")
    extra = sorted(set(raw) - _FOLLOWUP_FIELDS)
    if extra:
        raise LibraryError(f"{key}: unknown followup field(s) {extra}; allowed: question, choices")
    if not isinstance(raw["question"], str):
        raise LibraryError(f"{key}: the followup question must be text (put it in quotes)")
    if not isinstance(raw["choices"], list):
        raise LibraryError(f"{key}: followup choices must be a list")
    # YAML reads a bare Yes/No as a boolean and 3 as a number: quoting is the fix.
    odd = [c for c in raw["choices"] if not isinstance(c, str)]
    if odd:
        raise LibraryError(f"{key}: followup choice {odd[0]!r} is not text; put every choice in quotes")
    question = " ".join(raw["question"].split())
    choices = tuple(" ".join(c.split()) for c in raw["choices"])
    problem = followup_problem(question, choices)
    if problem:
        raise LibraryError(f"{key}: {problem}")
    return Followup(question, choices)


def _entry(entry: Any, position: int, seen: set[str]) -> Nudge:
    if not isinstance(entry, dict):
        raise LibraryError(f"entry #{position} must be a mapping with key, practice and text")
    key = str(entry.get("key") or "")
    if not key:
        raise LibraryError(f"entry #{position} has no key")
    if key in seen:
        raise LibraryError(f"{key}: this key is used twice (entry #{position}); every key must be unique")
    if key.startswith(CUSTOM_PREFIX):
        raise LibraryError(f"{key}: keys starting with {CUSTOM_PREFIX!r} are reserved for admins' own nudges")
    if not KEY_PATTERN.match(key) or len(key) > KEY_MAX_LENGTH:
        raise LibraryError(
            f"{key}: a key looks like `care.week-really` — the practice, a dot, then lowercase "
            f"letters, digits and hyphens, at most {KEY_MAX_LENGTH} characters"
        )
    extra = sorted(set(entry) - _ENTRY_FIELDS)
    if extra:
        raise LibraryError(f"{key}: unknown field(s) {extra}; allowed: {sorted(_ENTRY_FIELDS)}")
    practice = entry.get("practice")
    if practice not in PRACTICES:
        raise LibraryError(f"{key}: unknown practice {practice!r}; use one of {', '.join(PRACTICE_KEYS)}")
    if not key.startswith(f"{practice}."):
        raise LibraryError(f"{key}: the key must start with its practice, `{practice}.`")
    raw_text = entry.get("text")
    if raw_text is not None and not isinstance(raw_text, str):
        raise LibraryError(f"{key}: the text must be text (put it in quotes or use `>-`)")
    text = " ".join((raw_text or "").split())
    if not text:
        raise LibraryError(f"{key}: empty text")
    if len(text) > TEXT_HARD_LIMIT:
        raise LibraryError(f"{key}: the text is longer than Slack allows ({TEXT_HARD_LIMIT} characters)")
    unknown = unknown_placeholders(text)
    if unknown:
        raise LibraryError(f"{key}: unknown placeholder(s) {unknown}; only {MENTEE_PLACEHOLDER} is filled in")
    retired = entry.get("retired", False)
    if not isinstance(retired, bool):
        raise LibraryError(f"{key}: `retired` must be true or false")
    return Nudge(
        key=key,
        practice=practice,
        text=text,
        followup=_followup(entry.get("followup"), key),
        retired=retired,
    )


def parse_library(raw: Any) -> tuple[Nudge, ...]:
    """Validate and build nudges from the YAML structure.

    Raises LibraryError naming the entry and what to fix, so a mistyped edit stops
    the library loading with one clear line rather than a nudge going out wrong.
    """
    if not isinstance(raw, dict) or not isinstance(raw.get("nudges"), list):
        raise LibraryError("the library must be a mapping with a `nudges` list")
    nudges: list[Nudge] = []
    seen: set[str] = set()
    for position, entry in enumerate(raw["nudges"], start=1):
        nudge = _entry(entry, position, seen)
        seen.add(nudge.key)
        nudges.append(nudge)
    return tuple(nudges)


def load_library(path: Path) -> tuple[Nudge, ...]:
    """Read and validate a library file; a YAML syntax error becomes a LibraryError too."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise LibraryError(f"{path.name} is not valid YAML: {error}") from error
    return parse_library(raw)


@cache
def builtin_nudges() -> tuple[Nudge, ...]:
    """Every built-in nudge, retired ones included (history needs them)."""
    return load_library(CONTENT)


def custom_nudge(row: CustomNudge) -> Nudge:
    """A database row as a Nudge."""
    followup = None
    if row.followup_question and row.followup_choices:
        followup = Followup(row.followup_question, tuple(row.followup_choices))
    return Nudge(
        key=row.key,
        practice=row.practice,
        text=row.text,
        followup=followup,
        custom=True,
        retired=not row.enabled,
    )


def disabled_builtin_keys(session: Session, team_id: str) -> set[str]:
    """Built-in keys this workspace's admins have switched off for their program."""
    return set(session.scalars(select(DisabledNudge.key).where(DisabledNudge.team_id == team_id)))


def active_nudges(session: Session, team_id: str) -> list[Nudge]:
    """Nudges the planner may choose for this workspace: built-ins the program has not
    switched off, plus its enabled custom ones (oldest first)."""
    off = disabled_builtin_keys(session, team_id)
    rows = session.scalars(
        select(CustomNudge)
        .where(CustomNudge.team_id == team_id, CustomNudge.enabled.is_(True))
        .order_by(CustomNudge.id)
    )
    return [n for n in builtin_nudges() if not n.retired and n.key not in off] + [
        custom_nudge(r) for r in rows
    ]


def find_nudge(session: Session, team_id: str, key: str) -> Nudge | None:
    """Any nudge by key — retired and disabled ones too, so old records still render.

    `retired` on the result means "not offered to this workspace now": retired from
    the library, or switched off by the program.
    """
    if key.startswith(CUSTOM_PREFIX):
        row = session.scalars(
            select(CustomNudge).where(CustomNudge.team_id == team_id, CustomNudge.key == key)
        ).first()
        return custom_nudge(row) if row else None
    nudge = next((n for n in builtin_nudges() if n.key == key), None)
    if nudge is None or nudge.retired:
        return nudge
    switched_off = session.get(DisabledNudge, (team_id, key)) is not None
    return replace(nudge, retired=True) if switched_off else nudge
