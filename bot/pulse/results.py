"""Released figures: a mentor's results and gap, cohort figures for admins, and each
mentor's focus for the nudge planner.

One rule everywhere (`bot.pulse.rules`): nothing about a group of mentees is read out
until at least `ANONYMITY_MIN` different mentees in it answered within the window. The
mentee averages of an unreleased mentor are not even queried, so no caller — least of
all the nudge planner, whose choice the mentor sees — can be influenced by them.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.models import (
    ITEM_COLUMNS,
    Pair,
    Person,
    PulseAnswer,
    PulseParticipation,
    PulseRound,
    PulseSelfAnswer,
    RoundKind,
    RoundStatus,
)
from bot.pulse.rules import (
    focus_from,
    is_released,
    item_figures,
    shown_average,
    window_quarters,
    window_start,
)
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


@dataclass(frozen=True)
class _Sums:
    """One group's answers: how many rows, and per item (sum, how many rated it)."""

    rows: int
    items: dict[str, tuple[float | None, int]]

    def averages(self, minimum: int) -> dict[str, float | None]:
        """Item averages, each shown only when at least `minimum` answers rated it."""
        return {key: shown_average(total, count, minimum) for key, (total, count) in self.items.items()}

    def plain_averages(self) -> dict[str, float | None]:
        """Item averages with no minimum (a mentor's own self-checks)."""
        return self.averages(1)


def _sums(
    session: Session, model: Any, group: ColumnElement[Any], where: Sequence[ColumnElement[bool]]
) -> dict[Any, _Sums]:
    """Per value of `group`: the row count and each item's sum and count, in one query."""
    columns = [getattr(model, name) for name in ITEM_COLUMNS]
    query = (
        select(group, func.count(), *[func.sum(c) for c in columns], *[func.count(c) for c in columns])
        .where(*where)
        .group_by(group)
    )
    n = len(columns)
    found = {}
    for row in session.execute(query):
        sums, counts = row[2 : 2 + n], row[2 + n :]
        found[row[0]] = _Sums(
            int(row[1]),
            {
                name: (float(sums[i]) if sums[i] is not None else None, int(counts[i]))
                for i, name in enumerate(ITEM_COLUMNS)
            },
        )
    return found


def _mentees_per_mentor(
    session: Session, mentor_ids: Sequence[int], quarters: Sequence[str]
) -> dict[int, int]:
    """How many different mentees answered about each mentor within the window."""
    rows = session.execute(
        select(Pair.mentor_id, func.count(Pair.mentee_id.distinct()))
        .join(PulseParticipation, PulseParticipation.pair_id == Pair.id)
        .where(Pair.mentor_id.in_(mentor_ids), PulseParticipation.quarter.in_(quarters))
        .group_by(Pair.mentor_id)
    )
    return {mentor_id: int(count) for mentor_id, count in rows}


@dataclass(frozen=True)
class _MentorFigures:
    released: bool
    items: tuple[ItemFigure, ...]
    answers: int
    self_checks: int


def _mentor_figures(
    session: Session, settings: Settings, mentor_ids: Sequence[int], now: datetime
) -> dict[int, _MentorFigures]:
    """Released or not, and the item figures, for many mentors in a fixed number of queries."""
    quarters = window_quarters(now, settings.anonymity_window_months)
    minimum = settings.anonymity_min
    found: dict[int, _MentorFigures] = {}
    for start in range(0, len(mentor_ids), CHUNK):
        chunk = list(mentor_ids[start : start + CHUNK])
        mentees = _mentees_per_mentor(session, chunk, quarters)
        released = [m for m in chunk if is_released(mentees.get(m, 0), minimum)]
        # Only released mentors' answers are read at all.
        theirs = (
            _sums(
                session,
                PulseAnswer,
                PulseAnswer.mentor_id,
                (PulseAnswer.mentor_id.in_(released), PulseAnswer.quarter.in_(quarters)),
            )
            if released
            else {}
        )
        own = _sums(
            session,
            PulseSelfAnswer,
            PulseSelfAnswer.mentor_id,
            (PulseSelfAnswer.mentor_id.in_(chunk), PulseSelfAnswer.quarter.in_(quarters)),
        )
        for mentor_id in chunk:
            mine = own.get(mentor_id)
            own_averages = mine.plain_averages() if mine else {}
            group = theirs.get(mentor_id) if mentor_id in released else None
            mentee_averages = group.averages(minimum) if group else None
            found[mentor_id] = _MentorFigures(
                released=mentor_id in released,
                items=item_figures(own_averages, mentee_averages, ITEM_COLUMNS),
                answers=group.rows if group else 0,
                self_checks=mine.rows if mine else 0,
            )
    return found


def focus_for_mentors(
    session: Session, settings: Settings, mentor_ids: Sequence[int], now: datetime
) -> dict[int, Focus]:
    """Each mentor's focus for the nudge planner, from released figures and self-checks only."""
    figures = _mentor_figures(session, settings, mentor_ids, now)
    return {m: focus_from(f.items, released=f.released) for m, f in figures.items()}


def mentor_results(session: Session, settings: Settings, mentor: Person, now: datetime) -> MentorResults:
    """A mentor's results as they may see them: released figures and the gap, or only
    their own self-check while their mentees' answers are not released."""
    figures = _mentor_figures(session, settings, [mentor.id], now)[mentor.id]
    comments: tuple[str, ...] = ()
    if figures.released:
        quarters = window_quarters(now, settings.anonymity_window_months)
        found = list(
            session.scalars(
                select(PulseAnswer.comment).where(
                    PulseAnswer.mentor_id == mentor.id,
                    PulseAnswer.quarter.in_(quarters),
                    PulseAnswer.comment.is_not(None),
                )
            )
        )
        _RANDOM.shuffle(found)
        comments = tuple(c for c in found if c)
    return MentorResults(
        released=figures.released,
        anonymity_min=settings.anonymity_min,
        window_months=settings.anonymity_window_months,
        items=figures.items,
        answers=figures.answers,
        comments=comments,
        self_checks=figures.self_checks,
    )


# --- admins: cohort figures ----------------------------------------------------------------


def program_overview(session: Session, settings: Settings, team_id: str, now: datetime) -> ProgramOverview:
    """Cohort-level figures, each under the release rule; never a figure per mentor."""
    quarters = window_quarters(now, settings.anonymity_window_months)
    minimum = settings.anonymity_min
    answered_by = (
        select(Pair.cohort, func.count(Pair.mentee_id.distinct()), func.count())
        .join(PulseParticipation, PulseParticipation.pair_id == Pair.id)
        .where(PulseParticipation.team_id == team_id, PulseParticipation.quarter.in_(quarters))
    )
    mentees = {
        cohort: (int(n), int(rows)) for cohort, n, rows in session.execute(answered_by.group_by(Pair.cohort))
    }
    sent = (
        select(Pair.cohort, func.count())
        .select_from(PulseRound)
        .join(Pair, Pair.id == PulseRound.pair_id)
        .where(
            PulseRound.team_id == team_id,
            PulseRound.kind == RoundKind.MENTEE,
            PulseRound.status == RoundStatus.SENT,
            PulseRound.sent_at >= window_start(now, settings.anonymity_window_months),
        )
    )
    asked = {cohort: int(n) for cohort, n in session.execute(sent.group_by(Pair.cohort))}
    scope = (PulseAnswer.team_id == team_id, PulseAnswer.quarter.in_(quarters))
    released = [c for c, (n, _rows) in mentees.items() if is_released(n, minimum)]
    sums = _sums(
        session, PulseAnswer, PulseAnswer.cohort, (*scope, PulseAnswer.cohort.in_([c for c in released if c]))
    )
    if None in released:
        sums.update(_sums(session, PulseAnswer, PulseAnswer.cohort, (*scope, PulseAnswer.cohort.is_(None))))
    cohorts = tuple(
        _cohort(cohort, mentees.get(cohort, (0, 0)), asked.get(cohort, 0), sums.get(cohort), minimum)
        for cohort in sorted(set(mentees) | set(asked), key=lambda c: (c is None, c or ""))
    )
    whole = session.execute(
        answered_by.with_only_columns(func.count(Pair.mentee_id.distinct()), func.count())
    ).one()
    program_sums = _sums(session, PulseAnswer, PulseAnswer.team_id, scope).get(team_id)
    program = _cohort(None, (int(whole[0]), int(whole[1])), sum(asked.values()), program_sums, minimum)
    return ProgramOverview(
        timing=timing_for(session, settings, team_id),
        anonymity_min=minimum,
        window_months=settings.anonymity_window_months,
        program=program,
        cohorts=cohorts,
    )


def _cohort(
    cohort: str | None, answered: tuple[int, int], asked: int, sums: _Sums | None, minimum: int
) -> CohortFigures:
    mentees, rows = answered
    if not is_released(mentees, minimum):
        return CohortFigures(cohort, released=False)
    averages = sums.averages(minimum) if sums else {}
    return CohortFigures(
        cohort,
        released=True,
        mentees=mentees,
        asked=max(asked, rows),
        answered=rows,
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
