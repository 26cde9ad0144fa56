"""The month's program figures, read in one transaction: nudges per practice, response
rates over six months, meetings per pair, reflections, agreements and released pulse
figures. Counts only — never names or free text.

Months are the program's (the workspace's zone, else PROGRAM_TIMEZONE). Pulse figures
come only through `bot.pulse.results` (published batches), as of the month's end — or
now, for the month still running.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from bot.agreements.service import agreement_counts
from bot.config import Settings
from bot.library.types import PRACTICE_KEYS, PRACTICES
from bot.models import (
    Delivery,
    DeliveryStatus,
    MeetingLog,
    NudgeAnswer,
    NudgeAnswerKind,
    NudgeSend,
    Pair,
    Reflection,
    ReflectionPrompt,
    Workspace,
    utcnow,
)
from bot.people import zone_chain
from bot.pulse.items import BY_KEY, ITEM_KEYS
from bot.pulse.results import program_overview, program_self_averages
from bot.reports.rules import month_bounds, months_ending
from bot.reports.types import (
    TREND_MONTHS,
    Agreements,
    ItemComparison,
    MeetingMonth,
    MonthRates,
    PracticeNudges,
    PulseFigures,
    ReportFigures,
)


def program_zone(session: Session, settings: Settings, team_id: str) -> ZoneInfo:
    """The zone a program's months follow: the workspace's, else PROGRAM_TIMEZONE, else UTC."""
    return ZoneInfo(zone_chain(None, None, session.get(Workspace, team_id), settings).name)


def report_figures(
    session: Session, settings: Settings, team_id: str, month: str, now: datetime | None = None
) -> ReportFigures:
    """The report of `month` ("2026-11") for one workspace, as it stands at `now` (default:
    the clock's now)."""
    zone = program_zone(session, settings, team_id)
    start, end = month_bounds(month, zone)
    months = months_ending(month, TREND_MONTHS)
    nudges = {each: _nudges(session, team_id, *month_bounds(each, zone)) for each in months}
    trend = [MonthRates(each, tuple((p.practice, p.rate) for p in nudges[each])) for each in months]
    counts = agreement_counts(session, team_id, start, end)
    named, total = _reflections(session, team_id, month)
    return ReportFigures(
        team_id=team_id,
        month=month,
        zone=str(zone),
        practices=nudges[month],
        trend=tuple(trend),
        meetings=tuple(_meetings(session, team_id, each, *month_bounds(each, zone)) for each in months),
        reflections=total,
        reflections_named=named,
        pulse=_pulse(session, settings, team_id, start, end, now or utcnow()),
        agreements=Agreements(made=counts.made, goals_marked=counts.goals, goals_met=counts.goals_met),
    )


def _nudges(session: Session, team_id: str, start: datetime, end: datetime) -> tuple[PracticeNudges, ...]:
    """Per practice: sent (reached Slack in [start, end)), answered and done of those,
    expired (planned in [start, end), never sent because its day ran out) and interrupted
    (planned in [start, end), cut off mid-send: may have reached the person)."""
    # A button or a note alone: either is the mentor answering (as for the attention flags).
    answered = func.count(NudgeAnswer.id)
    done = func.sum(case((NudgeAnswer.answer == NudgeAnswerKind.DONE, 1), else_=0))
    sent_rows = session.execute(
        select(NudgeSend.practice, func.count(NudgeSend.id), answered, done)
        .outerjoin(NudgeAnswer, NudgeAnswer.nudge_send_id == NudgeSend.id)
        .where(NudgeSend.team_id == team_id, NudgeSend.sent_at >= start, NudgeSend.sent_at < end)
        .group_by(NudgeSend.practice)
    ).all()
    sent = {practice: (int(n), int(a), int(d or 0)) for practice, n, a, d in sent_rows}
    expired = _unsent_by_practice(session, team_id, start, end, DeliveryStatus.EXPIRED)
    interrupted = _unsent_by_practice(session, team_id, start, end, DeliveryStatus.INTERRUPTED)
    # The six practices always, in the library's order; a program's own practice keys
    # (if any were stored) after them.
    keys = list(PRACTICE_KEYS) + sorted((set(sent) | set(expired) | set(interrupted)) - set(PRACTICE_KEYS))
    return tuple(
        PracticeNudges(
            key,
            PRACTICES[key].title if key in PRACTICES else key,
            *sent.get(key, (0, 0, 0)),
            expired=expired.get(key, 0),
            interrupted=interrupted.get(key, 0),
        )
        for key in keys
    )


def _unsent_by_practice(
    session: Session, team_id: str, start: datetime, end: datetime, status: str
) -> dict[str, int]:
    """Per practice, nudges planned in [start, end) whose outbox row ended in `status`
    (expired or interrupted: neither has a sent time to count it by)."""
    rows = session.execute(
        select(NudgeSend.practice, func.count(NudgeSend.id))
        .join(Delivery, Delivery.id == NudgeSend.delivery_id)
        .where(
            NudgeSend.team_id == team_id,
            NudgeSend.planned_for >= start,
            NudgeSend.planned_for < end,
            Delivery.status == status,
        )
        .group_by(NudgeSend.practice)
    ).all()
    return {practice: int(n) for practice, n in rows}


def _meetings(session: Session, team_id: str, month: str, start: datetime, end: datetime) -> MeetingMonth:
    """Pairs active at some time in the month, meetings logged for it (a "not yet" is no
    meeting), and how many pairs logged one. A meeting's month is the mentor's own."""
    active = session.scalar(
        select(func.count(Pair.id)).where(
            Pair.team_id == team_id,
            Pair.started_at < end,
            (Pair.ended_at.is_(None)) | (Pair.ended_at >= start),
        )
    )
    meetings, pairs_met = session.execute(
        select(func.count(MeetingLog.id), func.count(func.distinct(MeetingLog.pair_id))).where(
            MeetingLog.team_id == team_id, MeetingLog.month == month, MeetingLog.minutes > 0
        )
    ).one()
    return MeetingMonth(month, int(active or 0), int(meetings or 0), int(pairs_met or 0))


def _reflections(session: Session, team_id: str, month: str) -> tuple[int, int]:
    """(named, all) reflections shared on the month's prompts."""
    named, total = session.execute(
        select(func.count(Reflection.user_id), func.count(Reflection.id))
        .join(ReflectionPrompt, ReflectionPrompt.id == Reflection.prompt_id)
        .where(Reflection.team_id == team_id, ReflectionPrompt.month == month)
    ).one()
    return int(named or 0), int(total or 0)


def _pulse(
    session: Session, settings: Settings, team_id: str, start: datetime, end: datetime, now: datetime
) -> PulseFigures:
    """Released figures as they stood at the month's end, or now for a month still running
    (never a future moment: its quarter may still be open): the program line of published
    cohort batches, and mentors' own averages of published quarters, each item only when
    enough mentors rated it. A month not yet begun has none."""
    if now <= start:
        return PulseFigures(released=False, anonymity_min=settings.anonymity_min)
    as_of = min(end, now)
    overview = program_overview(session, settings, team_id, as_of)
    program = overview.program
    own, mentors = program_self_averages(session, settings, team_id, as_of)
    self_released = mentors >= settings.anonymity_min
    mentees = dict(program.averages) if program.released else {}
    items = tuple(
        ItemComparison(
            key,
            BY_KEY[key].title,
            mentors=own.get(key) if self_released else None,
            mentees=mentees.get(key),
        )
        for key in ITEM_KEYS
    )
    return PulseFigures(
        released=program.released,
        anonymity_min=settings.anonymity_min,
        answers=program.answered or 0,
        mentees=program.mentees or 0,
        self_released=self_released,
        items=items,
    )
