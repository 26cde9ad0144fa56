"""Pure rules of the meeting log: reading `/mentor met`, months as keys and words, and
which day of the month the "did you meet?" question falls on."""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable
from datetime import date, timedelta

from bot.library.types import PRACTICE_KEYS
from bot.meetings.types import MAX_MINUTES, MET_USAGE, MIN_MINUTES, QUESTION_DAY, MetRefused
from bot.textparse import parse_user

SATURDAY = 5

# "30m", "45 min", "1h", "1.5h", "1h30", "1 h 30 min", "90": hours and/or minutes.
_DURATION = re.compile(
    r"^(?:(?P<hours>\d{1,2}(?:[.,]\d{1,2})?)\s*(?:h|hr|hrs|hour|hours))?"
    r"\s*(?:(?P<minutes>\d{1,3})\s*(?:m|min|mins|minute|minutes)?)?$",
    re.IGNORECASE,
)


def parse_minutes(text: str) -> int | None:
    """Minutes in "30m", "45 min", "1h", "1.5h", "1h30" or a bare "90"; None if unreadable."""
    match = _DURATION.match(text.strip())
    if not match or not (match.group("hours") or match.group("minutes")):
        return None
    hours = float((match.group("hours") or "0").replace(",", "."))
    return round(hours * 60) + int(match.group("minutes") or 0)


def parse_met(rest: str) -> tuple[str | None, int]:
    """`/mentor met [@mentee] 30m` → (the mentee's user id or None, minutes).

    The mention may come before or after the length. MetRefused (with the usage) for
    anything else: no length, an unreadable one, two people, or a length out of range.
    """
    words = rest.split()
    mentions = [user for word in words if (user := parse_user(word)) is not None]
    others = [word for word in words if parse_user(word) is None]
    if len(mentions) > 1:
        raise MetRefused(f"Please name one mentee at a time. {MET_USAGE}")
    if any(word.startswith("@") for word in others):
        raise MetRefused(
            "I couldn't tell who that is — pick your mentee from the @-menu as you type, so Slack turns the "
            f"name into a mention. {MET_USAGE}"
        )
    if not others:
        raise MetRefused(f"How long did you meet? {MET_USAGE}")
    minutes = parse_minutes(" ".join(others))
    if minutes is None:
        raise MetRefused(f"I couldn't read `{' '.join(others)[:40]}` as a length of time. {MET_USAGE}")
    if not MIN_MINUTES <= minutes <= MAX_MINUTES:
        raise MetRefused(
            f"A meeting is logged as {MIN_MINUTES} minutes to {MAX_MINUTES // 60} hours (that was {minutes} "
            "minutes). Nothing was logged."
        )
    return (mentions[0] if mentions else None), minutes


def month_key(day: date) -> str:
    """date(2026, 12, 3) → "2026-12"."""
    return f"{day.year:04d}-{day.month:02d}"


def parse_month_key(key: str) -> tuple[int, int] | None:
    """ "2026-12" → (2026, 12); None for anything else."""
    match = re.fullmatch(r"(\d{4})-(\d{2})", key or "")
    if not match or not 1 <= int(match.group(2)) <= 12:
        return None
    return int(match.group(1)), int(match.group(2))


def month_name(key: str) -> str:
    """ "2026-12" → "December" (the key itself if it is not a month)."""
    parsed = parse_month_key(key)
    return calendar.month_name[parsed[1]] if parsed else key


def recent_months(today: date, count: int) -> list[str]:
    """The month keys of `today`'s month and the `count - 1` before it, newest first."""
    keys, year, month = [], today.year, today.month
    for _ in range(count):
        keys.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return keys


def first_of_next_month(day: date) -> date:
    """The first day of the month after `day`'s."""
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def question_day(today: date, nudge_days: Iterable[int], quiet_weekends: bool) -> date | None:
    """The day this month's question falls on: the first of the mentor's nudge weekdays
    on or after the QUESTION_DAY (or today, if that is later), else the first day left
    they may be messaged; None when the month has no such day left."""
    start = max(today, today.replace(day=QUESTION_DAY))
    last = first_of_next_month(today) - timedelta(days=1)
    days = [start + timedelta(days=n) for n in range((last - start).days + 1)]
    allowed = [d for d in days if not (quiet_weekends and d.weekday() >= SATURDAY)]
    wanted = set(nudge_days)
    preferred = [d for d in allowed if d.weekday() in wanted]
    return (preferred or allowed or [None])[0]


def minutes_in_words(minutes: int) -> str:
    """45 → "45 minutes", 60 → "1 hour", 90 → "1 h 30 min"."""
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest} minutes"
    if not rest:
        return "1 hour" if hours == 1 else f"{hours} hours"
    return f"{hours} h {rest} min"


def clean_practices(values: Iterable[str]) -> tuple[str, ...]:
    """Known practice keys among `values`, each once, in the library's order."""
    chosen = set(values)
    return tuple(key for key in PRACTICE_KEYS if key in chosen)
