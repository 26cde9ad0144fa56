"""The clock's side of rotas: rotation check-ins that came due, and calendar feeds to
refresh. Each function works on one batch inside the caller's transaction and reads an
indexed "next due" column (`rota_shift.next_checkin_at`, `rota_feed.next_refresh_at`).

Exactly once: due rows are locked with `FOR UPDATE SKIP LOCKED` on PostgreSQL (a second
clock takes other rows), and each check-in's dedupe key names the pair (or mentee),
the stage and the rotation, so a second plan — by another clock, or after a re-import
— inserts nothing.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.db import is_sqlite
from bot.models import Pair, Person, RotaFeed, RotaShift
from bot.people import zone_for
from bot.rota.calendar import parse_calendar
from bot.rota.delivery import queue_checkin, tell_feed_failed
from bot.rota.feed_link import UnreadableLink, is_sealed, open_link, seal_link
from bot.rota.rules import checkin_stages, rotation_days, rotation_key, stages_due
from bot.rota.service import replace_shifts, resolve_rows
from bot.rota.types import END, FEED_AHEAD, FEED_PAST, FROM_FEED, ROTATION, FeedOutcome, RotaFileError

BATCH_SIZE = 200
FEED_BATCH = 20
REFRESH_EVERY = timedelta(days=1)


def _locked(session: Session, query: Select, model: type) -> Select:
    if is_sqlite(session.get_bind().engine):
        return query
    return query.with_for_update(skip_locked=True, of=model)


def plan_checkins(session: Session, settings: Settings, now: datetime, counts: Counter[str]) -> int:
    """Queue the rotation check-ins that came due; returns how many rotations were looked at."""
    rows = session.scalars(
        _locked(
            session,
            select(RotaShift)
            .where(RotaShift.kind == ROTATION, RotaShift.next_checkin_at <= now)
            .order_by(RotaShift.next_checkin_at, RotaShift.id)
            .limit(BATCH_SIZE),
            RotaShift,
        )
    ).all()
    for row in rows:
        mentee = session.get(Person, row.person_id)
        assert mentee is not None
        zone = zone_for(session, settings, mentee)
        stages = checkin_stages(row.starts_at, row.ends_at, zone)
        due, upcoming = stages_due(stages, now)
        begins = dict(stages)
        first, last = rotation_days(row.starts_at, row.ends_at, zone)
        key = rotation_key(first, row.label)
        for stage in due:
            counts[stage] += _queue_stage(
                session, settings, stage, mentee, row, key, last, begins[stage], now
            )
        row.next_checkin_at = upcoming
    return len(rows)


def _queue_stage(
    session: Session,
    settings: Settings,
    stage: str,
    mentee: Person,
    row: RotaShift,
    key: str,
    last_day: object,
    begins: datetime,
    now: datetime,
) -> int:
    common = {
        "mentee": mentee,
        "rotation_key": key,
        "label": row.label,
        "last_day": last_day,
        "begins": begins,
    }
    if stage == END:
        if not mentee.is_active or mentee.opted_out_at is not None:
            return 0
        return int(
            queue_checkin(session, settings, stage=stage, recipient=mentee, pair_id=None, now=now, **common)
        )
    queued = 0
    pairs = session.execute(
        select(Pair, Person)
        .join(Person, Person.id == Pair.mentor_id)
        .where(Pair.mentee_id == mentee.id, Pair.ended_at.is_(None), Person.is_active.is_(True))
    ).all()
    for pair, mentor in pairs:
        if mentor.opted_out_at is None:
            queued += queue_checkin(
                session, settings, stage=stage, recipient=mentor, pair_id=pair.id, now=now, **common
            )
    return queued


# --- calendar feeds ------------------------------------------------------------------------------


def claim_due_feeds(
    session: Session, settings: Settings, now: datetime, *, limit: int = FEED_BATCH
) -> list[tuple[int, str | None]]:
    """(feed id, link) of feeds due a refresh, moved a day on so no other clock takes them.

    The link is opened here (None: sealed under a key this app no longer has); a link
    stored before links were sealed is sealed now, in the same transaction.
    """
    feeds = session.scalars(
        _locked(
            session,
            select(RotaFeed)
            .where(RotaFeed.next_refresh_at <= now)
            .order_by(RotaFeed.next_refresh_at)
            .limit(limit),
            RotaFeed,
        )
    ).all()
    claimed: list[tuple[int, str | None]] = []
    for feed in feeds:
        feed.next_refresh_at = now + REFRESH_EVERY
        link = _opened(settings, feed)
        if link is not None and not is_sealed(feed.url):
            feed.url = seal_link(settings, link, team_id=feed.team_id, person_id=feed.person_id)
        claimed.append((feed.id, link))
    return claimed


def _opened(settings: Settings, feed: RotaFeed) -> str | None:
    try:
        return open_link(settings, feed.url, team_id=feed.team_id, person_id=feed.person_id)
    except UnreadableLink:
        return None


def record_feed_result(
    session: Session,
    settings: Settings,
    feed_id: int,
    *,
    data: bytes | None,
    problem: str | None,
    now: datetime,
    tell: bool = True,
) -> FeedOutcome:
    """Store what a refresh found: the person's feed shifts replaced and any failure
    cleared; or the failure noted, and (with `tell`) the owner told once per run of
    failures. A feed removed meanwhile is left alone."""
    feed = session.get(RotaFeed, feed_id)
    if feed is None:
        return FeedOutcome(False, problem="the feed was removed")
    person = session.get(Person, feed.person_id)
    assert person is not None
    if data is not None:
        try:
            parsed = parse_calendar(data, start=now - FEED_PAST, end=now + FEED_AHEAD)
        except RotaFileError:
            problem = "the link didn't return a calendar"
        else:
            # A personal feed is the person's own, whoever its events name as attendees.
            parsed.rows = [replace(row, who=None) for row in parsed.rows]
            plan = resolve_rows(session, settings, feed.team_id, parsed, whose=person)
            shifts = plan.shifts.get(person.user_id, [])
            count = replace_shifts(session, person=person, shifts=shifts, source=FROM_FEED, now=now)
            feed.last_ok_at, feed.failing_since, feed.failure_told_at, feed.last_error = now, None, None, None
            return FeedOutcome(True, shifts=count)
    feed.last_error = (problem or "it didn't answer")[:200]
    if feed.failing_since is None:
        feed.failing_since = now
    if feed.failure_told_at is None:
        if tell:
            tell_feed_failed(session, settings, feed, person, now)
        else:
            feed.failure_told_at = now  # the person was told in their reply just now
    return FeedOutcome(False, problem=feed.last_error)


def feed_of(
    session: Session, settings: Settings, team_id: str, user_id: str
) -> tuple[int, str | None] | None:
    """(feed id, link) of a person's feed, to refresh it now (link None: unreadable)."""
    feed = session.scalars(
        select(RotaFeed)
        .join(Person, Person.id == RotaFeed.person_id)
        .where(Person.team_id == team_id, Person.user_id == user_id)
    ).first()
    return (feed.id, _opened(settings, feed)) if feed else None
