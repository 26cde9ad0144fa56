"""Seeding a program's history row by row (pairs, nudges, meetings, check-ins, agreements,
reflections) for the attention, figures, Home and digest tests."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import count
from typing import Any

from sqlalchemy.orm import Session

from bot.models import (
    Agreement,
    AgreementVersion,
    Delivery,
    DeliveryStatus,
    GoalReview,
    MeetingLog,
    NudgeAnswer,
    NudgeSend,
    Pair,
    Person,
    PulseParticipation,
    PulseRound,
    Reflection,
    ReflectionChannel,
    ReflectionPrompt,
)
from bot.people import ensure_person
from tests.fakes.slack_api import TEAM_ID

_serial = count(1)


def person(session: Session, user_id: str, **fields: Any) -> Person:
    """A person (created on first use) with `fields` set."""
    found = ensure_person(session, TEAM_ID, user_id)
    found.tz = fields.pop("tz", found.tz or "America/New_York")
    for name, value in fields.items():
        setattr(found, name, value)
    session.flush()
    return found


def pair(session: Session, mentor: str, mentee: str, *, started_at: datetime, **fields: Any) -> Pair:
    """An active pair between two people (created as needed)."""
    row = Pair(
        team_id=TEAM_ID,
        mentor_id=person(session, mentor).id,
        mentee_id=person(session, mentee).id,
        started_at=started_at,
        **fields,
    )
    session.add(row)
    session.flush()
    return row


def nudge(
    session: Session,
    mentor: Person,
    *,
    sent_at: datetime | None,
    practice: str = "care",
    answer: str | None = None,
    status: str = DeliveryStatus.SENT,
    planned_for: datetime | None = None,
    note: str | None = None,
) -> NudgeSend:
    """A nudge planned (and sent, unless `sent_at` is None) with its outbox row and any
    answer (a button, or with `note` and no `answer` a note alone)."""
    planned = planned_for or sent_at or datetime(2026, 1, 1, tzinfo=UTC)
    n = next(_serial)
    delivery = Delivery(
        team_id=TEAM_ID,
        kind="nudge",
        recipient=mentor.user_id,
        person_id=mentor.id,
        dedupe_key=f"test-nudge:{n}",
        due_at=planned,
        next_attempt_at=planned,
        status=status,
    )
    session.add(delivery)
    session.flush()
    send = NudgeSend(
        team_id=TEAM_ID,
        person_id=mentor.id,
        delivery_id=delivery.id,
        nudge_key=f"{practice}_1",
        practice=practice,
        origin="scheduled",
        planned_for=planned,
        sent_at=sent_at,
    )
    session.add(send)
    session.flush()
    if answer is not None or note is not None:
        assert sent_at is not None
        answered = sent_at + timedelta(hours=1)
        session.add(
            NudgeAnswer(
                team_id=TEAM_ID,
                nudge_send_id=send.id,
                person_id=mentor.id,
                answer=answer,
                first_answered_at=answered if answer else None,
                answered_at=answered if answer else None,
                note=note,
                note_at=answered if note else None,
            )
        )
        session.flush()
    return send


def meeting(
    session: Session,
    of: Pair,
    *,
    recorded_at: datetime,
    minutes: int = 30,
    practices: list[str] | None = None,
) -> MeetingLog:
    """A meeting the mentor logged for the pair."""
    row = MeetingLog(
        team_id=TEAM_ID,
        pair_id=of.id,
        mentor_id=of.mentor_id,
        mentee_id=of.mentee_id,
        month=f"{recorded_at:%Y-%m}",
        minutes=minutes,
        practices=practices or [],
        source="command",
        recorded_at=recorded_at,
    )
    session.add(row)
    session.flush()
    return row


def check_in(
    session: Session, of: Pair, number: int, *, due_at: datetime, answered: bool, days_open: int = 14
) -> PulseRound:
    """A mentee check-in sent for the pair, answered (participation only) or not."""
    row = PulseRound(
        team_id=TEAM_ID,
        key=f"pair:{of.id}:{number}",
        kind="mentee",
        pair_id=of.id,
        person_id=of.mentee_id,
        mentor_id=of.mentor_id,
        number=number,
        due_at=due_at,
        closes_at=due_at + timedelta(days=days_open),
        status="sent",
        sent_at=due_at,
    )
    session.add(row)
    if answered:
        session.add(PulseParticipation(pair_id=of.id, number=number, team_id=TEAM_ID, quarter="2026-Q4"))
    session.flush()
    return row


def agreement(
    session: Session, of: Pair, goals: list[str], *, agreed_at: datetime, met: tuple[int, ...] = ()
) -> Agreement:
    """An agreed agreement with `goals`; goals at the indexes in `met` marked met at `agreed_at`."""
    row = Agreement(
        team_id=TEAM_ID,
        pair_id=of.id,
        mentor_id=of.mentor_id,
        mentee_id=of.mentee_id,
        status="agreed",
        latest_version=1,
        proposed_by="mentee",
        agreed_version=1,
        agreed_at=agreed_at,
        cycle_started_at=agreed_at,
        cycle_months=6,
        next_review_at=agreed_at + timedelta(days=90),
    )
    session.add(row)
    session.flush()
    session.add(
        AgreementVersion(
            agreement_id=row.id, number=1, author_id=of.mentee_id, author_role="mentee", goals=goals
        )
    )
    for index in met:
        session.add(
            GoalReview(
                team_id=TEAM_ID,
                agreement_id=row.id,
                version=1,
                goal_index=index,
                stage="mid",
                state="met",
                marked_by=of.mentor_id,
                marked_at=agreed_at,
            )
        )
    session.flush()
    return row


def reflections(session: Session, days: list[date]) -> None:
    """Reflections shared (anonymously) on `days`, in one channel's prompt."""
    channel = ReflectionChannel(
        team_id=TEAM_ID,
        channel_id=f"C0REFL{next(_serial):03d}",
        day_rule="first_monday",
        minute_of_day=600,
        timezone="America/New_York",
        themes=["care"],
        rotation_anchor=0,
        admin_user_id="U0ADMIN01",
    )
    session.add(channel)
    session.flush()
    prompt = ReflectionPrompt(
        team_id=TEAM_ID,
        reflection_channel_id=channel.id,
        channel_id=channel.channel_id,
        month="2026-11",
        theme="care",
        question_key="care_1",
        planned_at=datetime(2026, 11, 2, 15, 0, tzinfo=UTC),
        closes_at=datetime(2026, 12, 2, 15, 0, tzinfo=UTC),
    )
    session.add(prompt)
    session.flush()
    for day in days:
        session.add(
            Reflection(
                team_id=TEAM_ID,
                prompt_id=prompt.id,
                text="x",
                practices=["care"],
                source="modal",
                shared_on=day,
            )
        )
    session.flush()
