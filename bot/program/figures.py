"""The program's figures over a period, read with a fixed number of aggregate queries.

Counts only: no names, no free text, and pulse figures from published batches alone
(`bot.pulse.results.program_overview`), so nothing here can reveal an answer.
"""

from __future__ import annotations

import calendar
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select, union
from sqlalchemy.orm import Session

from bot.agreements.service import agreement_counts
from bot.config import Settings
from bot.library.types import PRACTICE_KEYS
from bot.models import (
    Delivery,
    DeliveryStatus,
    MeetingLog,
    NudgeAnswer,
    NudgeSend,
    Pair,
    Person,
    Reflection,
)
from bot.program.rules import local_days, month_start
from bot.program.types import Glance, PeopleNow, PracticeRate, ProgramFigures, PulseCount
from bot.pulse.results import program_overview


def _active_pairs(session: Session, team_id: str, at: datetime) -> int:
    return (
        session.scalar(
            select(func.count(Pair.id)).where(
                Pair.team_id == team_id,
                Pair.started_at < at,
                or_(Pair.ended_at.is_(None), Pair.ended_at >= at),
            )
        )
        or 0
    )


def _practice_rates(
    session: Session, team_id: str, start: datetime, end: datetime
) -> tuple[PracticeRate, ...]:
    # An answer row is a response, a button or a note alone: the attention flags and the
    # reports count a mentor who wrote back as having answered.
    rows = session.execute(
        select(NudgeSend.practice, func.count(NudgeSend.id), func.count(NudgeAnswer.id))
        .outerjoin(NudgeAnswer, NudgeAnswer.nudge_send_id == NudgeSend.id)
        .where(NudgeSend.team_id == team_id, NudgeSend.sent_at >= start, NudgeSend.sent_at < end)
        .group_by(NudgeSend.practice)
    )
    found = {practice: PracticeRate(practice, int(sent), int(answered)) for practice, sent, answered in rows}
    # The six practices in their usual order, then any other key an old nudge carried.
    order = [key for key in PRACTICE_KEYS if key in found] + sorted(set(found) - set(PRACTICE_KEYS))
    return tuple(found[key] for key in order)


def _unsent_nudges(
    session: Session, team_id: str, start: datetime, end: datetime, status: str = DeliveryStatus.EXPIRED
) -> int:
    """Nudges planned in [start, end) whose outbox row ended in `status` without a sent
    time: expired unsent, or interrupted mid-send.

    Read from the outbox's side (its status index: such rows are few) rather than by
    walking the nudge log. A row's next attempt is its slot, or a retry later that same
    day (it expires at the end of the day), hence the extra day at the end.
    """
    return (
        session.scalar(
            select(func.count(NudgeSend.id))
            .select_from(Delivery)
            .join(NudgeSend, NudgeSend.delivery_id == Delivery.id)
            .where(
                Delivery.status == status,
                Delivery.next_attempt_at >= start,
                Delivery.next_attempt_at < end + timedelta(days=1),
                Delivery.team_id == team_id,
                NudgeSend.planned_for >= start,
                NudgeSend.planned_for < end,
            )
        )
        or 0
    )


def program_figures(
    session: Session, team_id: str, start: datetime, end: datetime, zone: ZoneInfo
) -> ProgramFigures:
    """The workspace's figures for [start, end); dated records (reflections) by local date in `zone`."""
    practices = _practice_rates(session, team_id, start, end)
    meetings = session.scalar(
        select(func.count(MeetingLog.id)).where(
            MeetingLog.team_id == team_id,
            MeetingLog.minutes > 0,
            MeetingLog.recorded_at >= start,
            MeetingLog.recorded_at < end,
        )
    )
    # shared_on is the program's local date, so the period is compared in local dates too.
    first_day, after_last = local_days(start, end, zone)
    reflections = session.scalar(
        select(func.count(Reflection.id)).where(
            Reflection.team_id == team_id,
            Reflection.shared_on >= first_day,
            Reflection.shared_on < after_last,
        )
    )
    return ProgramFigures(
        start=start,
        end=end,
        active_pairs=_active_pairs(session, team_id, end),
        nudges_sent=sum(p.sent for p in practices),
        nudges_answered=sum(p.answered for p in practices),
        nudges_expired=_unsent_nudges(session, team_id, start, end),
        nudges_interrupted=_unsent_nudges(session, team_id, start, end, DeliveryStatus.INTERRUPTED),
        practices=practices,
        meetings=meetings or 0,
        reflections=reflections or 0,
        agreements=agreement_counts(session, team_id, start, end),
    )


def people_now(session: Session, team_id: str, now: datetime) -> PeopleNow:
    """People in an active pair (either side) who are paused, or have stopped messages."""
    in_pairs = union(
        select(Pair.mentor_id).where(Pair.team_id == team_id, Pair.ended_at.is_(None)),
        select(Pair.mentee_id).where(Pair.team_id == team_id, Pair.ended_at.is_(None)),
    ).subquery()
    ids = select(in_pairs.c[0])
    paused = session.scalar(
        select(func.count(Person.id)).where(
            Person.id.in_(ids), Person.opted_out_at.is_(None), Person.paused_until > now
        )
    )
    stopped = session.scalar(
        select(func.count(Person.id)).where(Person.id.in_(ids), Person.opted_out_at.is_not(None))
    )
    return PeopleNow(paused=paused or 0, stopped=stopped or 0)


def pulse_count(session: Session, settings: Settings, team_id: str, now: datetime) -> PulseCount:
    """Check-in answers in the program's published batches (nothing while none is released)."""
    program = program_overview(session, settings, team_id, now).program
    if not program.released:
        return PulseCount(released=False)
    return PulseCount(
        released=True,
        answers=program.answered or 0,
        mentees=program.mentees or 0,
    )


def glance(session: Session, settings: Settings, team_id: str, now: datetime, zone: ZoneInfo) -> Glance:
    """The admin Home's figures: this month so far (in the admin's zone), people now, the pulse."""
    start = month_start(now, zone)
    return Glance(
        month=program_figures(session, team_id, start, now, zone),
        people=people_now(session, team_id, now),
        pulse=pulse_count(session, settings, team_id, now),
        month_name=calendar.month_name[now.astimezone(zone).month],
    )
