"""The program's figures as values, and the digest's outbox kind."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from bot.agreements.types import AgreementCounts

# The outbox kind of the director digest (one DM per admin and period).
DIGEST_KIND = "director_digest"


@dataclass(frozen=True)
class PracticeRate:
    """Nudges about one practice sent in a period, and how many of them were answered."""

    practice: str
    sent: int
    answered: int

    @property
    def rate(self) -> float | None:
        """Answered / sent, or None when none was sent."""
        return self.answered / self.sent if self.sent else None


@dataclass(frozen=True)
class PulseCount:
    """Check-in participation as published: answers in released batches only."""

    released: bool
    answers: int = 0
    mentees: int = 0


@dataclass(frozen=True)
class PeopleNow:
    """People in active pairs who are paused or have stopped messages, as of now."""

    paused: int = 0
    stopped: int = 0


@dataclass(frozen=True)
class ProgramFigures:
    """What happened in [start, end): counts only, never a name or a piece of free text."""

    start: datetime
    end: datetime
    active_pairs: int = 0
    nudges_sent: int = 0
    nudges_answered: int = 0
    nudges_expired: int = 0
    # Cut off mid-send (the crash window, a lost answer): may have reached the person.
    nudges_interrupted: int = 0
    practices: tuple[PracticeRate, ...] = field(default_factory=tuple)
    meetings: int = 0
    reflections: int = 0
    agreements: AgreementCounts = field(default_factory=AgreementCounts)

    @property
    def response_rate(self) -> float | None:
        """Answered / sent over every practice, or None when nothing was sent."""
        return self.nudges_answered / self.nudges_sent if self.nudges_sent else None


@dataclass(frozen=True)
class Glance:
    """The admin Home's "program at a glance": this month so far, people now, the pulse."""

    month: ProgramFigures
    people: PeopleNow
    pulse: PulseCount
    month_name: str
