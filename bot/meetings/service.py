"""The meeting log: answers to the monthly question, `/mentor met`, what came up, and a
mentor's own overview.

Each public function is one unit of work inside the caller's transaction. Only the
mentor of a pair logs for it; mentees are never asked here. A month is the mentor's
local month.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.meetings.rules import clean_practices, month_key, parse_met, parse_month_key, recent_months
from bot.meetings.types import (
    ANSWER_LABELS,
    MET_USAGE,
    OVERVIEW_MONTHS,
    QUESTION_KIND,
    MeetingCard,
    MeetingNotFound,
    MenteeMeetings,
    MetRefused,
    MonthLine,
    NotYourMeeting,
)
from bot.models import Delivery, MeetingLog, MeetingSource, Pair, Person
from bot.people import find_person, zone_for
from bot.sqlutil import insert_ignoring_conflict

NOT_A_MENTOR = (
    "The meeting log is for mentors, and you don't have a mentee in Mentor Nudge right now. Once your "
    "program director pairs you with someone, you can log your meetings here."
)


def _card(session: Session, row: MeetingLog, delivery: Delivery | None = None) -> MeetingCard:
    mentee = session.get(Person, row.mentee_id)
    assert mentee is not None
    return MeetingCard(
        mentee_user_id=mentee.user_id,
        month=row.month,
        minutes=row.minutes,
        practices=clean_practices(row.practices or []),
        question_id=row.delivery_id,
        log_id=row.id,
        channel=delivery.channel if delivery else None,
        ts=delivery.ts if delivery else None,
    )


# --- the monthly question ---------------------------------------------------------------


def _question(session: Session, team_id: str, user_id: str, question_id: int) -> tuple[Delivery, Pair, str]:
    delivery = session.get(Delivery, question_id)
    if delivery is None or delivery.team_id != team_id or delivery.kind != QUESTION_KIND:
        raise MeetingNotFound(question_id)
    if delivery.recipient != user_id:
        raise NotYourMeeting(question_id)
    payload = delivery.payload or {}
    pair = session.get(Pair, payload.get("pair_id"))
    month = str(payload.get("month") or "")
    if pair is None or pair.team_id != team_id or parse_month_key(month) is None:
        raise MeetingNotFound(question_id)
    return delivery, pair, month


def answer_question(
    session: Session, team_id: str, user_id: str, question_id: int, minutes: int, now: datetime
) -> MeetingCard:
    """Record the answer to a monthly question (~15/~30/60+ minutes, or 0 for "not yet").

    One log row per question: a second click changes it. Two clicks at the same moment
    both try the insert; the database lets one in and the row lock orders the updates,
    so the latest click wins and neither fails. Raises MeetingNotFound or NotYourMeeting.
    """
    if minutes not in ANSWER_LABELS:
        raise ValueError(f"not an answer: {minutes!r}")
    delivery, pair, month = _question(session, team_id, user_id, question_id)
    insert_ignoring_conflict(
        session,
        MeetingLog,
        {
            "team_id": team_id,
            "pair_id": pair.id,
            "mentor_id": pair.mentor_id,
            "mentee_id": pair.mentee_id,
            "month": month,
            "minutes": minutes,
            "practices": [],
            "source": MeetingSource.DM,
            "delivery_id": delivery.id,
            "recorded_at": now,
            "updated_at": now,
        },
        ["delivery_id"],
    )
    row = session.scalars(
        select(MeetingLog)
        .where(MeetingLog.delivery_id == delivery.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    row.minutes, row.updated_at = minutes, now
    if minutes == 0:
        row.practices = []
    session.flush()
    return _card(session, row, delivery)


def save_practices(
    session: Session, team_id: str, user_id: str, log_id: int, practices: list[str], now: datetime
) -> MeetingCard:
    """Store what came up in a logged meeting (unknown keys are dropped; none clears it)."""
    row = session.scalars(
        select(MeetingLog)
        .where(MeetingLog.id == log_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    if row is None or row.team_id != team_id:
        raise MeetingNotFound(log_id)
    mentor = session.get(Person, row.mentor_id)
    if mentor is None or mentor.user_id != user_id:
        raise NotYourMeeting(log_id)
    if row.minutes == 0:
        raise MeetingNotFound(log_id)  # "not yet" has nothing to tick
    row.practices, row.updated_at = list(clean_practices(practices)), now
    session.flush()
    delivery = session.get(Delivery, row.delivery_id) if row.delivery_id else None
    return _card(session, row, delivery)


# --- /mentor met --------------------------------------------------------------------------


def _mentee_pairs(session: Session, mentor: Person) -> list[tuple[Pair, Person]]:
    rows = session.execute(
        select(Pair, Person)
        .join(Person, Person.id == Pair.mentee_id)
        .where(Pair.mentor_id == mentor.id, Pair.ended_at.is_(None))
        .order_by(Pair.started_at, Pair.id)
    ).all()
    return [(pair, mentee) for pair, mentee in rows]


def _listed(mentees: list[Person]) -> str:
    mentions = [f"<@{m.user_id}>" for m in mentees]
    return mentions[0] if len(mentions) == 1 else ", ".join(mentions[:-1]) + " and " + mentions[-1]


def _pair_for(
    pairs: list[tuple[Pair, Person]], mentee_user_id: str | None, user_id: str
) -> tuple[Pair, Person]:
    mentees = [mentee for _pair, mentee in pairs]
    if mentee_user_id is None:
        if len(pairs) == 1:
            return pairs[0]
        raise MetRefused(
            f"You have {len(mentees)} mentees here: {_listed(mentees)}. Name the one you met, e.g. "
            f"`/mentor met @{mentees[0].user_id} 30m` (pick them from the @-menu)."
        )
    if mentee_user_id == user_id:
        raise MetRefused(f"That's you — name the mentee you met. {MET_USAGE}")
    for pair, mentee in pairs:
        if mentee.user_id == mentee_user_id:
            return pair, mentee
    raise MetRefused(
        f"<@{mentee_user_id}> isn't one of your mentees in Mentor Nudge, so nothing was logged. "
        f"Your mentees: {_listed(mentees)}."
    )


def log_meeting(
    session: Session, settings: Settings, team_id: str, user_id: str, text: str, now: datetime
) -> MeetingCard:
    """`/mentor met [@mentee] 30m`: log a meeting now, in the mentor's current month (any
    number a month). Raises MetRefused, changing nothing, for anything it can't read."""
    mentee_user_id, minutes = parse_met(text)
    mentor = find_person(session, team_id, user_id)
    pairs = _mentee_pairs(session, mentor) if mentor is not None else []
    if mentor is None or not pairs:
        raise MetRefused(NOT_A_MENTOR)
    pair, _mentee = _pair_for(pairs, mentee_user_id, user_id)
    row = MeetingLog(
        team_id=team_id,
        enterprise_id=mentor.enterprise_id,
        pair_id=pair.id,
        mentor_id=mentor.id,
        mentee_id=pair.mentee_id,
        month=month_key(now.astimezone(zone_for(session, settings, mentor)).date()),
        minutes=minutes,
        practices=[],
        source=MeetingSource.COMMAND,
        recorded_at=now,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    return _card(session, row)


# --- /mentor meetings -----------------------------------------------------------------------


def _month_line(month: str, rows: list[MeetingLog]) -> MonthLine:
    met = [row for row in rows if row.minutes > 0]
    return MonthLine(
        month=month,
        meetings=len(met),
        minutes=sum(row.minutes for row in met),
        not_yet=bool(rows) and not met,
        practices=clean_practices(key for row in met for key in (row.practices or [])),
    )


def meeting_overview(
    session: Session,
    settings: Settings,
    team_id: str,
    user_id: str,
    now: datetime,
    *,
    months: int = OVERVIEW_MONTHS,
) -> list[MenteeMeetings]:
    """The mentor's own log for each mentee — current ones, and past ones with entries in
    the window — over the last `months` months, newest month first."""
    mentor = find_person(session, team_id, user_id)
    if mentor is None:
        return []
    keys = recent_months(now.astimezone(zone_for(session, settings, mentor)).date(), months)
    rows = session.scalars(
        select(MeetingLog)
        .where(MeetingLog.mentor_id == mentor.id, MeetingLog.month.in_(keys))
        .order_by(MeetingLog.recorded_at)
    ).all()
    by_mentee: dict[int, dict[str, list[MeetingLog]]] = defaultdict(lambda: defaultdict(list))
    for row in rows:
        by_mentee[row.mentee_id][row.month].append(row)
    active = [mentee.id for _pair, mentee in _mentee_pairs(session, mentor)]
    mentee_ids = list(dict.fromkeys([*active, *by_mentee]))
    people = (
        {p.id: p for p in session.scalars(select(Person).where(Person.id.in_(mentee_ids)))}
        if mentee_ids
        else {}
    )
    return [
        MenteeMeetings(
            mentee_user_id=people[mentee_id].user_id,
            active=mentee_id in active,
            months=tuple(_month_line(key, by_mentee[mentee_id][key]) for key in keys),
        )
        for mentee_id in mentee_ids
        if mentee_id in people
    ]
