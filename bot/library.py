"""The practice library: six mentoring habits and the nudges that keep them alive.

Built-in nudges live in `bot/content/nudges.yaml` (content is data: editing a sentence
never breaks history, because records point at stable keys). Program admins can add
their own, stored as `CustomNudge` rows with keys `custom:<id>`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.models import CustomNudge

CONTENT = Path(__file__).parent / "content" / "nudges.yaml"
MENTEE_PLACEHOLDER = "{mentee}"
_PLACEHOLDER = re.compile(r"\{[^}]*\}")
CUSTOM_PREFIX = "custom:"


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
        rendered = self.text.replace(MENTEE_PLACEHOLDER, who)
        # "your mentee" opening a sentence reads better capitalised.
        return re.sub(r"(^|[.!?]\s+)your mentee", lambda m: m.group(1) + "Your mentee", rendered)


class LibraryError(ValueError):
    """The library file is malformed; the message names the entry."""


def _followup(raw: Any, key: str) -> Followup | None:
    if raw is None:
        return None
    if not isinstance(raw, dict) or not raw.get("question") or not raw.get("choices"):
        raise LibraryError(f"{key}: a followup needs a question and choices")
    choices = tuple(str(c) for c in raw["choices"])
    if not 2 <= len(choices) <= 5:
        raise LibraryError(f"{key}: a followup needs 2 to 5 choices")
    return Followup(str(raw["question"]), choices)


def parse_library(raw: Any) -> tuple[Nudge, ...]:
    """Validate and build nudges from the YAML structure."""
    if not isinstance(raw, dict) or not isinstance(raw.get("nudges"), list):
        raise LibraryError("the library must be a mapping with a `nudges` list")
    nudges: list[Nudge] = []
    seen: set[str] = set()
    for entry in raw["nudges"]:
        key = str(entry.get("key") or "")
        if not key or key in seen or key.startswith(CUSTOM_PREFIX):
            raise LibraryError(f"nudge key {key!r} is missing, repeated, or reserved")
        seen.add(key)
        practice = entry.get("practice")
        if practice not in PRACTICES:
            raise LibraryError(f"{key}: unknown practice {practice!r}")
        text = " ".join(str(entry.get("text") or "").split())
        if not text:
            raise LibraryError(f"{key}: empty text")
        unknown = [p for p in _PLACEHOLDER.findall(text) if p != MENTEE_PLACEHOLDER]
        if unknown:
            raise LibraryError(f"{key}: unknown placeholder(s) {unknown}")
        nudges.append(
            Nudge(
                key=key,
                practice=practice,
                text=text,
                followup=_followup(entry.get("followup"), key),
                retired=bool(entry.get("retired", False)),
            )
        )
    return tuple(nudges)


@cache
def builtin_nudges() -> tuple[Nudge, ...]:
    """Every built-in nudge, retired ones included (history needs them)."""
    return parse_library(yaml.safe_load(CONTENT.read_text(encoding="utf-8")))


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


def active_nudges(session: Session, team_id: str) -> list[Nudge]:
    """Nudges the planner may choose for this workspace: built-ins plus enabled custom ones."""
    rows = session.scalars(
        select(CustomNudge).where(CustomNudge.team_id == team_id, CustomNudge.enabled.is_(True))
    )
    return [n for n in builtin_nudges() if not n.retired] + [custom_nudge(r) for r in rows]


def find_nudge(session: Session, team_id: str, key: str) -> Nudge | None:
    """Any nudge by key — retired and disabled ones too, so old records still render."""
    if key.startswith(CUSTOM_PREFIX):
        row = session.scalars(
            select(CustomNudge).where(CustomNudge.team_id == team_id, CustomNudge.key == key)
        ).first()
        return custom_nudge(row) if row else None
    return next((n for n in builtin_nudges() if n.key == key), None)
