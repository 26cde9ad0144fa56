"""The pulse as values: outbox kinds, timing, answers, what a check-in shows, released
figures, a mentor's focus for the nudge planner, and the refusals an answer can meet.
Nothing else of the feature is imported here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

# Outbox kinds: the invitation (mentee pulse or mentor self-check, by the round's kind)
# and its one reminder.
PULSE_KIND = "pulse"
REMINDER_KIND = "pulse_reminder"

# Why the nudge planner leaned toward a practice (stored on `nudge_send.reason`).
FOCUS_GAP = "gap"  # the mentor's released gap: their mentees see more room here
FOCUS_SELF = "self"  # before release: the mentor's own self-check rated it lower


@dataclass(frozen=True)
class PulseTiming:
    """When a program's check-ins go out: `first_days` after a pair starts, then every
    `every_days`. `custom` is False while the program uses the environment's defaults."""

    first_days: int
    every_days: int
    custom: bool = False


@dataclass(frozen=True)
class Answers:
    """One submitted check-in: item key → 1..4, or None for "doesn't apply"."""

    values: tuple[tuple[str, int | None], ...]
    comment: str | None = None

    def as_dict(self) -> dict[str, int | None]:
        """The values by item key."""
        return dict(self.values)


@dataclass(frozen=True)
class Invitation:
    """What a check-in message (or its modal) shows.

    `kind` is the round's: "mentee" (about `mentor_user`) or "mentor" (a self-check).
    `closes_on` is the last day it takes answers, in the recipient's words.
    """

    round_id: int
    kind: str
    mentor_user: str
    close_out: bool
    closes_on: str
    anonymity_min: int
    reminder: bool = False


@dataclass(frozen=True)
class ItemFigure:
    """One item in a mentor's results: their mentees' released average (None while
    unreleased, or when too few answered it), their own self-check average, the gap."""

    key: str
    mentees: float | None
    own: float | None
    gap: float | None


@dataclass(frozen=True)
class MentorResults:
    """A mentor's pulse results as they may see them now.

    Mentee figures come from published batches only (whole closed quarters, each from at
    least `anonymity_min` different mentees), so they change only when a new batch is
    published — never because one more mentee answered.
    """

    released: bool
    anonymity_min: int
    window_months: int
    items: tuple[ItemFigure, ...]
    # Released only: how many answers the published batches hold, and their comments, shuffled.
    answers: int = 0
    comments: tuple[str, ...] = ()
    self_checks: int = 0
    # Released only: the newest quarter the published figures cover ("2027-Q1").
    through: str | None = None


@dataclass(frozen=True)
class CohortFigures:
    """Cohort-level figures for admins; every number is None unless released.

    From published cohort batches only (each from at least `anonymity_min` different
    mentees about at least three mentors). `mentees` is a lower bound on how many
    different mentees stand behind the figures (the largest batch's count); `answered`
    how many answers the batches hold. `asked` is no longer computed (always None): a
    count of check-ins sent could not be matched to the cohort each answer was filed under.
    """

    cohort: str | None
    released: bool
    mentees: int | None = None
    asked: int | None = None
    answered: int | None = None
    averages: tuple[tuple[str, float | None], ...] = ()


@dataclass(frozen=True)
class SealedAnswer:
    """One mentee answer as the publishing step opens it from its sealed box.

    `mentee` exists only inside that step, to count different mentees; it is never
    stored next to the answer in the clear.
    """

    mentor_id: int
    cohort: str | None
    mentee: int
    quarter: str
    values: tuple[tuple[str, int | None], ...]
    comment: str | None = None


@dataclass(frozen=True)
class Batch:
    """What one group's pool of answers publishes: the quarters it covers, its counts,
    `{item: (sum, count)}` for the items enough mentees rated, and its comments."""

    first_quarter: str
    last_quarter: str
    answers: int
    mentees: int
    mentors: int
    items: tuple[tuple[str, tuple[int, int]], ...]
    comments: tuple[str, ...] = ()


@dataclass(frozen=True)
class ProgramOverview:
    """`/mentor pulse program`: the timing and the released cohort figures."""

    timing: PulseTiming
    anonymity_min: int
    window_months: int
    program: CohortFigures
    cohorts: tuple[CohortFigures, ...]


@dataclass(frozen=True)
class OpenCheckIn:
    """A check-in waiting for the person's answer (listed by `/mentor pulse`)."""

    round_id: int
    kind: str
    mentor_user: str
    close_out: bool
    closes_on: str


@dataclass(frozen=True)
class PersonalPulse:
    """`/mentor pulse` for one person: their results as a mentor (if they mentor), and
    the check-ins waiting for them."""

    results: MentorResults | None
    waiting: tuple[OpenCheckIn, ...]
    timing: PulseTiming
    is_mentee: bool


@dataclass(frozen=True)
class Focus:
    """Where a mentor's nudges lean: practice → weight in 0..1, and why.

    Built only from what the mentor may see (released mentee figures, their own
    self-check), so the choice of a nudge can never reveal an unreleased answer.
    """

    why: str | None = None
    weights: tuple[tuple[str, float], ...] = field(default_factory=tuple)

    def weight(self, practice: str | None) -> float:
        """How strongly to lean toward `practice` (0 when not at all)."""
        return dict(self.weights).get(practice or "", 0.0)


NO_FOCUS = Focus()


@dataclass
class PlanReport:
    """What one pass of the pulse step did, for the clock's log line and tests."""

    counts: dict[str, int] = field(default_factory=dict)

    def add(self, what: str, n: int = 1) -> None:
        """Count `n` more of `what`."""
        if n:
            self.counts[what] = self.counts.get(what, 0) + n


class PulseNotFound(LookupError):
    """No check-in with that id in this workspace (an old or forged button)."""


class NotYourPulse(PermissionError):
    """Someone other than the check-in's recipient clicked it."""


class PulseClosed(Exception):
    """The check-in takes no more answers; `str()` says why, for the person."""


class AlreadyAnswered(Exception):
    """This check-in was answered already; each takes one answer."""


class PulseInputError(ValueError):
    """A submitted check-in with problems: block id → message (nothing is stored)."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


@dataclass(frozen=True)
class TimingChange:
    """What `/mentor pulse every … first …` changed."""

    before: PulseTiming
    after: PulseTiming
    replanned_pairs: int
    when: datetime | None = None
