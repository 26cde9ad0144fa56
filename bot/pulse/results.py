"""Published figures: a mentor's results and gap, cohort figures for admins, and each
mentor's focus for the nudge planner.

One rule everywhere: mentee figures are read only from published batches
(`pulse_batch`, see `bot.pulse.pools`) whose quarters are all within the window — never
from answers as they arrive. Each batch comes from at least `ANONYMITY_MIN` different
mentees; batches never overlap, and a figure is a sum of whole batches, so it changes
only when a whole batch arrives or leaves, and no two views differ by less than one.
Unpublished answers are sealed and not even readable here, so no caller — least of all
the nudge planner, whose choice the mentor sees — can be influenced by them.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.models import (
    ITEM_COLUMNS,
    BatchScope,
    Pair,
    Person,
    PulseBatch,
    PulsePublication,
    PulseRound,
    PulseSelfAnswer,
    RoundStatus,
)
from bot.pulse.rules import focus_from, item_figures, published_window, shown_average, window_quarters
from bot.pulse.service import invitation_for, is_answered, problem_with, timing_for
from bot.pulse.types import (
    CohortFigures,
    Focus,
    ItemFigure,
    MentorResults,
    OpenCheckIn,
    PersonalPulse,
    ProgramOverview,
    PulseTiming,
)

_RANDOM = random.SystemRandom()
# Ids per IN (…) list: far below SQLite's and PostgreSQL's parameter limits.
CHUNK = 500


@dataclass
class _Combined:
    """Whole batches added up: per item (sum, count), answers, comments."""

    items: dict[str, list[float]] = field(default_factory=dict)
    answers: int = 0
    mentees: int = 0
    through: str | None = None
    comments: list[str] = field(default_factory=list)

    def add(self, batch: PulseBatch) -> None:
        for key, (total, count) in (batch.items or {}).items():
            found = self.items.setdefault(key, [0.0, 0])
            found[0] += total
            found[1] += count
        self.answers += batch.answers
        # Batches may share mentees: the largest batch is what is known for sure.
        self.mentees = max(self.mentees, batch.mentees)
        self.through = max(self.through or "", batch.last_quarter)
        self.comments.extend(batch.comments or [])

    def averages(self) -> dict[str, float | None]:
        return {key: shown_average(self.items[key][0], int(self.items[key][1])) for key in self.items}


def _combine(batches: Iterable[PulseBatch]) -> _Combined:
    combined = _Combined()
    for batch in batches:
        combined.add(batch)
    return combined


def _own_averages(
    session: Session, mentor_ids: Sequence[int], quarters: Sequence[str]
) -> dict[int, tuple[dict[str, float | None], int]]:
    """Each mentor's own self-check averages over `quarters`, and how many self-checks."""
    columns = [getattr(PulseSelfAnswer, name) for name in ITEM_COLUMNS]
    query = (
        select(
            PulseSelfAnswer.mentor_id,
            func.count(),
            *[func.sum(c) for c in columns],
            *[func.count(c) for c in columns],
        )
        .where(PulseSelfAnswer.mentor_id.in_(mentor_ids), PulseSelfAnswer.quarter.in_(quarters))
        .group_by(PulseSelfAnswer.mentor_id)
    )
    n = len(columns)
    found = {}
    for row in session.execute(query):
        sums, counts = row[2 : 2 + n], row[2 + n :]
        averages = {
            key: shown_average(float(sums[i]) if sums[i] is not None else None, int(counts[i]))
            for i, key in enumerate(ITEM_COLUMNS)
        }
        found[int(row[0])] = (averages, int(row[1]))
    return found


@dataclass(frozen=True)
class _MentorFigures:
    released: bool
    items: tuple[ItemFigure, ...]
    published: _Combined
    self_checks: int


def _mentor_figures(
    session: Session, settings: Settings, mentor_ids: Sequence[int], now: datetime
) -> dict[int, _MentorFigures]:
    """Released or not, and the item figures, for many mentors in a fixed number of queries."""
    window = published_window(now, settings.anonymity_window_months)
    own_quarters = window_quarters(now, settings.anonymity_window_months)
    found: dict[int, _MentorFigures] = {}
    for start in range(0, len(mentor_ids), CHUNK):
        chunk = list(mentor_ids[start : start + CHUNK])
        batches: dict[int, list[PulseBatch]] = {}
        for batch in session.scalars(
            select(PulseBatch).where(
                PulseBatch.scope == BatchScope.MENTOR,
                PulseBatch.mentor_id.in_(chunk),
                PulseBatch.first_quarter.in_(window),
            )
        ):
            assert batch.mentor_id is not None
            batches.setdefault(batch.mentor_id, []).append(batch)
        own = _own_averages(session, chunk, own_quarters)
        for mentor_id in chunk:
            published = _combine(batches.get(mentor_id, ()))
            released = mentor_id in batches
            own_averages, self_checks = own.get(mentor_id, ({}, 0))
            found[mentor_id] = _MentorFigures(
                released=released,
                items=item_figures(own_averages, published.averages() if released else None, ITEM_COLUMNS),
                published=published,
                self_checks=self_checks,
            )
    return found


def focus_for_mentors(
    session: Session, settings: Settings, mentor_ids: Sequence[int], now: datetime
) -> dict[int, Focus]:
    """Each mentor's focus for the nudge planner, from published figures and self-checks only."""
    figures = _mentor_figures(session, settings, mentor_ids, now)
    return {m: focus_from(f.items, released=f.released) for m, f in figures.items()}


def mentor_results(session: Session, settings: Settings, mentor: Person, now: datetime) -> MentorResults:
    """A mentor's results as they may see them: published figures and the gap, or only
    their own self-check while none of their mentees' answers are published."""
    figures = _mentor_figures(session, settings, [mentor.id], now)[mentor.id]
    comments = list(figures.published.comments)
    _RANDOM.shuffle(comments)
    return MentorResults(
        released=figures.released,
        anonymity_min=settings.anonymity_min,
        window_months=settings.anonymity_window_months,
        items=figures.items,
        answers=figures.published.answers,
        comments=tuple(c for c in comments if c),
        self_checks=figures.self_checks,
        through=figures.published.through,
    )


# --- admins: cohort figures ----------------------------------------------------------------


def program_overview(session: Session, settings: Settings, team_id: str, now: datetime) -> ProgramOverview:
    """Cohort-level figures from published cohort batches; the whole program's line is
    the sum of those same batches (so it can never be used to uncover an unpublished
    cohort). Never a figure per mentor."""
    window = published_window(now, settings.anonymity_window_months)
    by_cohort: dict[str | None, list[PulseBatch]] = {}
    for batch in session.scalars(
        select(PulseBatch).where(
            PulseBatch.team_id == team_id,
            PulseBatch.scope == BatchScope.COHORT,
            PulseBatch.first_quarter.in_(window),
        )
    ):
        by_cohort.setdefault(batch.cohort, []).append(batch)
    known = set(
        session.scalars(
            select(Pair.cohort).where(Pair.team_id == team_id, Pair.ended_at.is_(None)).distinct()
        )
    )
    cohorts = tuple(
        _cohort(cohort, by_cohort.get(cohort, []))
        for cohort in sorted(known | set(by_cohort), key=lambda c: (c is None, c or ""))
    )
    program = _cohort(None, [b for batches in by_cohort.values() for b in batches])
    return ProgramOverview(
        timing=timing_for(session, settings, team_id),
        anonymity_min=settings.anonymity_min,
        window_months=settings.anonymity_window_months,
        program=program,
        cohorts=cohorts,
    )


def _cohort(cohort: str | None, batches: list[PulseBatch]) -> CohortFigures:
    if not batches:
        return CohortFigures(cohort, released=False)
    combined = _combine(batches)
    averages = combined.averages()
    return CohortFigures(
        cohort,
        released=True,
        mentees=combined.mentees,
        asked=None,
        answered=combined.answers,
        averages=tuple((key, averages.get(key)) for key in ITEM_COLUMNS),
    )


# --- `/mentor pulse` for one person --------------------------------------------------------


def personal_pulse(
    session: Session, settings: Settings, person: Person | None, now: datetime
) -> PersonalPulse:
    """What `/mentor pulse` shows one person: results if they mentor, check-ins waiting."""
    if person is None:
        return PersonalPulse(
            None, (), PulseTiming(settings.pulse_first_days, settings.pulse_every_days), False
        )
    timing = timing_for(session, settings, person.team_id)
    mentors = session.scalar(select(func.count()).select_from(Pair).where(Pair.mentor_id == person.id))
    is_mentee = session.scalar(
        select(func.count()).select_from(Pair).where(Pair.mentee_id == person.id, Pair.ended_at.is_(None))
    )
    results = mentor_results(session, settings, person, now) if mentors else None
    return PersonalPulse(results, _waiting(session, settings, person, now), timing, bool(is_mentee))


def _waiting(session: Session, settings: Settings, person: Person, now: datetime) -> tuple[OpenCheckIn, ...]:
    rounds = session.scalars(
        select(PulseRound)
        .where(
            PulseRound.person_id == person.id,
            PulseRound.status == RoundStatus.SENT,
            PulseRound.closes_at > now,
        )
        .order_by(PulseRound.due_at)
    )
    waiting = []
    for found in rounds:
        if problem_with(session, found, now) is None and not is_answered(session, found):
            invitation = invitation_for(session, settings, found)
            waiting.append(
                OpenCheckIn(
                    found.id, found.kind, invitation.mentor_user, invitation.close_out, invitation.closes_on
                )
            )
    return tuple(waiting)


def program_self_averages(
    session: Session, settings: Settings, team_id: str, now: datetime
) -> tuple[dict[str, float | None], int]:
    """Mentors' own self-check averages per item across a program, over the same closed
    quarters as the published mentee figures (so the two compare like with like), and
    how many different mentors stand behind them.

    Only quarters the workspace has already published count (`pulse_publication`), so the
    figures change by whole quarters, never while a quarter is still open. A self-check is
    one mentor's own data: an item's average is shown only when at least `ANONYMITY_MIN`
    different mentors rated that item (None otherwise)."""
    through = session.scalar(
        select(PulsePublication.through_quarter).where(PulsePublication.team_id == team_id)
    )
    window = published_window(now, settings.anonymity_window_months)
    quarters = [q for q in window if through and q <= through]
    columns = [getattr(PulseSelfAnswer, name) for name in ITEM_COLUMNS]
    rated_by = [func.count(func.distinct(case((c.is_not(None), PulseSelfAnswer.mentor_id)))) for c in columns]
    row = session.execute(
        select(
            func.count(func.distinct(PulseSelfAnswer.mentor_id)),
            *[func.sum(c) for c in columns],
            *[func.count(c) for c in columns],
            *rated_by,
        ).where(PulseSelfAnswer.team_id == team_id, PulseSelfAnswer.quarter.in_(quarters))
    ).one()
    n = len(columns)
    sums, counts, mentors = row[1 : 1 + n], row[1 + n : 1 + 2 * n], row[1 + 2 * n :]
    averages = {
        key: shown_average(float(sums[i]) if sums[i] is not None else None, int(counts[i]))
        if int(mentors[i] or 0) >= settings.anonymity_min
        else None
        for i, key in enumerate(ITEM_COLUMNS)
    }
    return averages, int(row[0] or 0)
