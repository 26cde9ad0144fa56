"""Setting up mentors and reading the nudge log, shared by the nudge tests."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from bot.db import SessionFactory, transaction
from bot.deps import Deps
from bot.library.catalogue import builtin_nudges
from bot.library.types import Nudge
from bot.models import Delivery, DeliveryStatus, NudgeAnswer, NudgeSend, Pair, Person
from bot.nudges.service import answer_nudge
from bot.people import ensure_person
from bot.timing import mark_for_replanning
from schedules.clock import Clock
from tests.fakes.clock import MovableClock
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
            session.add(Pair(team_id=TEAM_ID, mentor_id=mentor.id, mentee_id=mentee.id, started_at=now))
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


def answer_everything(deps: Deps) -> None:
    """Every mentor taps Done on whatever reached them (keeps back-off out of the way)."""
    with deps.session_factory() as session:
        open_ids = session.execute(
            select(NudgeSend.id, Person.user_id)
            .join(Person, Person.id == NudgeSend.person_id)
            .where(NudgeSend.sent_at.is_not(None))
        ).all()
    with deps.session_factory() as session:
        done = set(session.scalars(select(NudgeAnswer.nudge_send_id)))
    for send_id, user_id in open_ids:
        if send_id not in done:
            with transaction(deps.session_factory) as session:
                answer_nudge(session, deps.settings, TEAM_ID, user_id, send_id, "done", deps.now())


def drive(
    deps: Deps,
    clock: MovableClock,
    until: datetime,
    *,
    sample: timedelta = timedelta(hours=5, minutes=17),
    answer: bool = True,
    repeat_every: int = 7,
) -> int:
    """Run the clock as production would, cheaply: a tick at every instant something is
    due (a mentor's next slot, a delivery's next attempt) plus ticks at sampled moments
    in between, some of them twice. Returns the number of ticks."""
    runner = Clock(deps)
    next_sample = clock.now
    ticks = 0
    while True:
        with deps.session_factory() as session:
            due = session.scalar(
                select(func.min(Person.next_nudge_at)).where(Person.next_nudge_at > clock.now)
            )
            retry = session.scalar(
                select(func.min(Delivery.next_attempt_at)).where(
                    Delivery.status == DeliveryStatus.PENDING, Delivery.next_attempt_at > clock.now
                )
            )
        while next_sample <= clock.now:
            next_sample += sample
        moment = min(t for t in (due, retry, next_sample) if t is not None)
        if moment > until:
            return ticks
        clock.set(moment)
        runner.tick()
        ticks += 1
        if ticks % repeat_every == 0:
            runner.tick()  # a second tick at the same instant changes nothing
        if answer:
            answer_everything(deps)
