"""The monthly "did you meet?" question in the outbox: planning one DM per active pair
per month (`plan_questions`, run by the clock's daily step) and rendering it at send
time, when a meeting logged since, a pair that ended or a mentee no longer active
cancels it.

Dedupe key: `meeting-ask:<team>:<pair>:<YYYY-MM>` — one question per pair and month,
however often planning runs and on however many clocks.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from bot.config import Settings
from bot.deps import Deps
from bot.meetings.blocks import question_blocks, question_text
from bot.meetings.rules import first_of_next_month, month_key, parse_month_key, question_day
from bot.meetings.types import MIN_PAIR_AGE, PLAN_FROM_DAY, QUESTION_KIND, MeetingCard
from bot.models import Delivery, MeetingLog, Pair, Person, Workspace
from bot.outbox import Cancel, DeliveryKind, Message, enqueue
from bot.people import person_timezone
from bot.rhythm import parse_days
from bot.timing import is_paused, local_datetime, next_contact_time

PLAN_BATCH = 500


def question_key(team_id: str, pair_id: int, month: str) -> str:
    """The outbox key of one pair's question for one month."""
    return f"meeting-ask:{team_id}:{pair_id}:{month}"


def question_time(person: Person, zone: ZoneInfo, now: datetime) -> datetime | None:
    """When this month's question goes to the mentor: their first nudge weekday on or
    after the 22nd, at their nudge time (moved into their allowed hours, and past any
    pause); None when no allowed moment is left in their month."""
    today = now.astimezone(zone).date()
    day = question_day(today, parse_days(person.nudge_days) or (1,), person.quiet_weekends)
    if day is None:
        return None
    minute = person.nudge_minute
    if not person.contact_start <= minute < person.contact_end:
        minute = person.contact_start
    try:
        at = next_contact_time(person, zone, max(local_datetime(day, minute, zone), now))
    except ValueError:
        return None
    return at if at < local_datetime(first_of_next_month(today), 0, zone) else None


def logged_months(session: Session, pair_ids: list[int], months: set[str]) -> set[tuple[int, str]]:
    """(pair, month) for which a meeting (not a "not yet") is logged."""
    if not pair_ids:
        return set()
    rows = session.execute(
        select(MeetingLog.pair_id, MeetingLog.month).where(
            MeetingLog.pair_id.in_(pair_ids), MeetingLog.month.in_(sorted(months)), MeetingLog.minutes > 0
        )
    )
    return {(pair_id, month) for pair_id, month in rows}


def plan_batch(
    session: Session, settings: Settings, now: datetime, *, after_pair_id: int = 0, limit: int = PLAN_BATCH
) -> tuple[Counter[str], int | None]:
    """Queue this month's question for up to `limit` active pairs after `after_pair_id`.

    Returns the counts and the last pair id looked at (None when there were none left),
    so a caller walks the roster in batches of one transaction each. A pair gets its
    question once its mentor's local date reaches PLAN_FROM_DAY; not when either person
    is inactive, the mentor has stopped messages or is paused to the month's end, a
    meeting is already logged for the month, or the pair is too new.
    """
    counts: Counter[str] = Counter()
    mentor, mentee = aliased(Person), aliased(Person)
    rows = session.execute(
        select(Pair, mentor, mentee)
        .join(mentor, mentor.id == Pair.mentor_id)
        .join(mentee, mentee.id == Pair.mentee_id)
        .where(Pair.ended_at.is_(None), Pair.id > after_pair_id)
        .order_by(Pair.id)
        .limit(limit)
    ).all()
    if not rows:
        return counts, None
    workspaces: dict[str, Workspace | None] = {}
    wanted: list[tuple[Pair, Person, ZoneInfo, str]] = []
    for pair, mentor_row, mentee_row in rows:
        if not (mentor_row.is_active and mentee_row.is_active) or mentor_row.opted_out_at is not None:
            counts["skipped_quiet"] += 1
            continue
        if pair.team_id not in workspaces:
            workspaces[pair.team_id] = session.get(Workspace, pair.team_id)
        zone = person_timezone(mentor_row, workspaces[pair.team_id], settings)
        today = now.astimezone(zone).date()
        if today.day >= PLAN_FROM_DAY:
            wanted.append((pair, mentor_row, zone, month_key(today)))
    keys = {question_key(p.team_id, p.id, month): (p, m, z, month) for p, m, z, month in wanted}
    existing = set(session.scalars(select(Delivery.dedupe_key).where(Delivery.dedupe_key.in_(list(keys)))))
    logged = logged_months(session, [p.id for p, *_ in wanted], {month for *_, month in wanted})
    for key, (pair, mentor_row, zone, month) in keys.items():
        if key in existing:
            continue
        counts[_plan_one(session, pair, mentor_row, zone, month, key, logged, now)] += 1
    return counts, rows[-1][0].id


def _plan_one(
    session: Session,
    pair: Pair,
    mentor: Person,
    zone: ZoneInfo,
    month: str,
    key: str,
    logged: set[tuple[int, str]],
    now: datetime,
) -> str:
    """Queue one pair's question; returns what happened, for the step's counts."""
    if (pair.id, month) in logged:
        return "already_logged"
    at = question_time(mentor, zone, now)
    if at is None:
        return "paused" if is_paused(mentor, now) else "no_time_left"
    if pair.started_at > at - MIN_PAIR_AGE:
        return "too_new"
    parsed = parse_month_key(month)
    assert parsed is not None
    month_end = local_datetime(first_of_next_month(date(parsed[0], parsed[1], 1)), 0, zone)
    enqueue(
        session,
        team_id=pair.team_id,
        kind=QUESTION_KIND,
        recipient=mentor.user_id,
        dedupe_key=key,
        due_at=at,
        payload={"pair_id": pair.id, "month": month},
        person_id=mentor.id,
        expires_at=month_end,
    )
    return "queued"


# --- rendering at send time -----------------------------------------------------------------


def _render_question(session: Session, delivery: Delivery, _deps: Deps) -> Message:
    payload = delivery.payload or {}
    pair = session.get(Pair, payload.get("pair_id"))
    month = str(payload.get("month") or "")
    if pair is None or pair.team_id != delivery.team_id or parse_month_key(month) is None:
        raise Cancel("its pair no longer exists")
    if pair.ended_at is not None:
        raise Cancel("the pair has ended")
    if logged_months(session, [pair.id], {month}):
        raise Cancel("a meeting was logged for this month since it was planned")
    mentee = session.get(Person, pair.mentee_id)
    if mentee is None or not mentee.is_active:
        raise Cancel("the mentee is no longer active")
    card = MeetingCard(mentee_user_id=mentee.user_id, month=month, question_id=delivery.id)
    return Message(text=question_text(card), blocks=question_blocks(card))


def meeting_kinds() -> list[DeliveryKind]:
    """The outbox kinds this feature adds (registered in schedules/kinds.py)."""
    return [DeliveryKind(name=QUESTION_KIND, render=_render_question)]
