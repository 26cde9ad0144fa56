"""The practice library: six mentoring habits and the nudges that keep them alive.

Built-in nudges live in `bot/content/nudges.yaml` (content is data: editing a sentence
never breaks history, because records point at stable keys). Program admins can add
their own, stored as `CustomNudge` rows with keys `custom:<id>`.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from bot.library.types import (
    CUSTOM_PREFIX,
    FOLLOWUP_CHOICE_LIMIT,
    FOLLOWUP_CHOICES_MAX,
    FOLLOWUP_CHOICES_MIN,
    FOLLOWUP_QUESTION_LIMIT,
    KEY_MAX_LENGTH,
    MENTEE_PLACEHOLDER,
    PRACTICE_KEYS,
    PRACTICES,
    TEXT_HARD_LIMIT,
    Followup,
    LibraryError,
    Nudge,
)

CONTENT = Path(__file__).parents[1] / "content" / "nudges.yaml"
_PLACEHOLDER = re.compile(r"\{[^}]*\}")

# Built-in keys look like `care.week-really`: the practice, a dot, a lowercase slug.
# Its length limit is KEY_MAX_LENGTH (bot.library.types).
KEY_PATTERN = re.compile(r"^[a-z_]+\.[a-z0-9]+(?:-[a-z0-9]+)*$")
_ENTRY_FIELDS = frozenset({"key", "practice", "text", "followup", "retired"})
_FOLLOWUP_FIELDS = frozenset({"question", "choices"})


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
    """One library entry, checked field by field; the first problem stops the load."""
    if not isinstance(entry, dict):
        raise LibraryError(f"entry #{position} must be a mapping with key, practice and text")
    key = _entry_key(entry, position, seen)
    # Every later message starts with the key, so the editor can find the entry.
    extra = sorted(set(entry) - _ENTRY_FIELDS)
    if extra:
        raise LibraryError(f"{key}: unknown field(s) {extra}; allowed: {sorted(_ENTRY_FIELDS)}")
    practice = _entry_practice(entry.get("practice"), key)
    text = _entry_text(entry.get("text"), key)
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


def _entry_key(entry: dict[str, Any], position: int, seen: set[str]) -> str:
    """The entry's key: present, unused so far, not an admin's, and shaped like `care.week-really`."""
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
    return key


def _entry_practice(practice: Any, key: str) -> str:
    """The entry's practice: a known one, and the one its key starts with."""
    if practice not in PRACTICES:
        raise LibraryError(f"{key}: unknown practice {practice!r}; use one of {', '.join(PRACTICE_KEYS)}")
    if not key.startswith(f"{practice}."):
        raise LibraryError(f"{key}: the key must start with its practice, `{practice}.`")
    return str(practice)


def _entry_text(raw_text: Any, key: str) -> str:
    """The nudge's words on one line: not empty, within Slack's limit, only {mentee} filled in."""
    # YAML reads some bare words as numbers or booleans; quoting (or `>-`) is the fix.
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
    return text


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
