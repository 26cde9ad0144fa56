"""`python -m bot export-agreements [--include-text]`: the program's agreements as CSV.

Without `--include-text` only counts leave the database (one row per agreement: the
pair, when it was agreed, how many goals and how they stand). Goal text and the ways
of working are private to the pair and are written only when an admin asks for them
explicitly with `--include-text`; nothing anonymous (check-in answers, anonymous
reflections) is ever part of this export.
"""

from __future__ import annotations

import csv
import sys
from typing import TextIO

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from bot.agreements.delivery import goal_states
from bot.agreements.types import CHANGED, MEETING_CHOICES, MET, WORKING
from bot.db import SessionFactory
from bot.models import Agreement, AgreementVersion, Person, Workspace

HEADER = ("mentor", "mentee", "status", "agreed_on", "goals", "met", "still_working", "changed")
TEXT_HEADER = ("goal_1", "goal_2", "goal_3", "meet", "reach", "feedback")


def _guard(value: str) -> str:
    # A spreadsheet would run a cell starting with these as a formula.
    return "'" + value if value.startswith(("=", "+", "-", "@")) else value


def export_agreements(
    session_factory: SessionFactory, *, team_id: str | None, include_text: bool, out: TextIO
) -> int:
    """Write one CSV row per agreement (counts; text only with `include_text`)."""
    with session_factory() as session:
        if team_id is None:
            teams = session.scalars(select(Workspace.team_id)).all()
            if len(teams) != 1:
                print("mentor-nudge: name the workspace with --team T…", file=sys.stderr)
                return 1
            team_id = teams[0]
        mentor, mentee = aliased(Person), aliased(Person)
        rows = session.execute(
            select(Agreement, mentor, mentee)
            .join(mentor, mentor.id == Agreement.mentor_id)
            .join(mentee, mentee.id == Agreement.mentee_id)
            .where(Agreement.team_id == team_id)
            .order_by(Agreement.id)
        ).all()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(HEADER + (TEXT_HEADER if include_text else ()))
        for agreement, mentor_row, mentee_row in rows:
            line = _line(session, agreement, mentor_row, mentee_row, include_text=include_text)
            writer.writerow([_guard(str(cell)) for cell in line])
    return 0


def _line(
    session: Session, agreement: Agreement, mentor: Person, mentee: Person, *, include_text: bool
) -> list[object]:
    """One agreement's CSV cells: counts, and the text only when asked for."""
    number = agreement.agreed_version or agreement.latest_version
    version = session.scalars(
        select(AgreementVersion).where(
            AgreementVersion.agreement_id == agreement.id, AgreementVersion.number == number
        )
    ).one()
    states = list(goal_states(session, agreement))
    line: list[object] = [
        mentor.email or mentor.user_id,
        mentee.email or mentee.user_id,
        agreement.status,
        agreement.cycle_started_at.date().isoformat() if agreement.cycle_started_at else "",
        len(version.goals or []),
        states.count(MET),
        states.count(WORKING),
        states.count(CHANGED),
    ]
    if include_text:
        goals = [*(version.goals or []), "", "", ""]
        line += [
            *goals[:3],
            MEETING_CHOICES.get(version.meet_every or "", ""),
            version.reach or "",
            version.feedback or "",
        ]
    return line
