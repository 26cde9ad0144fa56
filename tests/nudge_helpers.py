"""Setting up mentors and reading the nudge log, shared by the nudge tests."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select

from bot.db import SessionFactory, transaction
from bot.library import Nudge, builtin_nudges
from bot.models import Delivery, NudgeAnswer, NudgeSend, Pair, Person
from bot.people import ensure_person
from bot.timing import mark_for_replanning
from tests.fakes.slack_api import TEAM_ID


def make_mentor(
    session_factory: SessionFactory,
    user_id: str,
    *,
    now: datetime,
    tz: str = "Europe/London",
    mentees: Sequence[str] = ("U0MENTEE1",),
    **fields: Any,
) -> int:
    """A mentor paired with `mentees`, marked for planning at `now`; returns the person id."""
    with transaction(session_factory) as session:
        mentor = ensure_person(session, TEAM_ID, user_id)
        mentor.tz = tz
        for name, value in fields.items():
            setattr(mentor, name, value)
        mark_for_replanning(mentor, now)
        for mentee_user in mentees:
            mentee = ensure_person(session, TEAM_ID, mentee_user)
            session.add(Pair(team_id=TEAM_ID, mentor_id=mentor.id, mentee_id=mentee.id))
        return mentor.id


def update_person(session_factory: SessionFactory, person_id: int, **fields: Any) -> None:
    """Change a person's settings the way the settings screens do (then re-plan)."""
    with transaction(session_factory) as session:
        person = session.get(Person, person_id)
        assert person is not None
        for name, value in fields.items():
            setattr(person, name, value)


def sends(session_factory: SessionFactory, person_id: int | None = None) -> list[NudgeSend]:
    """The nudge log, oldest first (optionally for one mentor)."""
    with session_factory() as session:
        query = select(NudgeSend).order_by(NudgeSend.planned_for, NudgeSend.id)
        if person_id is not None:
            query = query.where(NudgeSend.person_id == person_id)
        return list(session.scalars(query))


def deliveries(session_factory: SessionFactory, kind: str | None = None) -> list[Delivery]:
    """Outbox rows, oldest first."""
    with session_factory() as session:
        query = select(Delivery).order_by(Delivery.due_at, Delivery.id)
        if kind is not None:
            query = query.where(Delivery.kind == kind)
        return list(session.scalars(query))


def answers(session_factory: SessionFactory) -> list[NudgeAnswer]:
    """Every answer row."""
    with session_factory() as session:
        return list(session.scalars(select(NudgeAnswer).order_by(NudgeAnswer.id)))


def person(session_factory: SessionFactory, person_id: int) -> Person:
    """A fresh copy of a person row."""
    with session_factory() as session:
        found = session.get(Person, person_id)
        assert found is not None
        return found


def nudge_with_followup() -> Nudge:
    """Some built-in nudge that has a follow-up question (whichever the library has)."""
    return next(n for n in builtin_nudges() if n.followup is not None and not n.retired)


def replan(session_factory: SessionFactory, person_id: int, now: datetime) -> None:
    """What settings, pause and resume do after a change."""
    with transaction(session_factory) as session:
        found = session.get(Person, person_id)
        assert found is not None
        mark_for_replanning(found, now)
