"""Periods, pure: the digest's fortnights (or whatever DIGEST_EVERY_DAYS says) and months."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.timing import local_datetime

# Digest days count from this Monday, so with a multiple of 7 days they are all Mondays
# and every admin in every zone shares the same calendar of digest days.
DIGEST_ANCHOR = date(2024, 1, 1)
# A digest is planned up to this many days after its day (a clock that was down, an
# admin added on Tuesday); later than that it would be stale and is not sent.
PLAN_GRACE_DAYS = 2
# ...and it expires if it could not go out within this many days of its day.
EXPIRE_AFTER_DAYS = 4


def digest_day(today: date, every_days: int) -> date:
    """The latest digest day on or before `today`."""
    periods = (today - DIGEST_ANCHOR).days // every_days
    return DIGEST_ANCHOR + timedelta(days=periods * every_days)


def is_plannable(today: date, day: date) -> bool:
    """Whether the digest of `day` may still be planned on `today`."""
    return 0 <= (today - day).days <= PLAN_GRACE_DAYS


def periods_before(day: date, every_days: int, zone: ZoneInfo) -> tuple[tuple[datetime, datetime], ...]:
    """The period a digest on `day` reports (the `every_days` before it) and the one before
    that, as [start, end) instants from local midnights."""
    length = timedelta(days=every_days)
    edges = [local_datetime(day - length * n, 0, zone) for n in (0, 1, 2)]
    return ((edges[1], edges[0]), (edges[2], edges[1]))


def month_start(now: datetime, zone: ZoneInfo) -> datetime:
    """Local midnight on the first of `now`'s month in `zone`."""
    return local_datetime(now.astimezone(zone).date().replace(day=1), 0, zone)


def local_days(start: datetime, end: datetime, zone: ZoneInfo) -> tuple[date, date]:
    """[start, end) as local dates [first, after last): an end at local midnight is that
    day (excluded); an end inside a day ("so far") takes that whole day in."""
    last = end.astimezone(zone)
    after = last.date() if last.time() == time(0) else last.date() + timedelta(days=1)
    return start.astimezone(zone).date(), after


def digest_key(team_id: str, user_id: str, day: date) -> str:
    """The outbox key of one admin's digest for one period: exactly once per admin and period."""
    return f"digest:{team_id}:{user_id}:{day.isoformat()}"


def change_words(now: int, before: int) -> str:
    """ "12 (up 3)", "12 (down 1)", "12 (same)": a figure against the previous period's."""
    if now == before:
        return f"{now} (same)"
    return f"{now} ({'up' if now > before else 'down'} {abs(now - before)})"


def percent(value: float | None) -> str:
    """0.456 → "46%"; None → "–"."""
    return "–" if value is None else f"{round(value * 100)}%"
