"""When a channel's monthly reflection happens: month boundaries and the timeline.

A channel chooses *which day* of the month (an nth weekday such as "first Monday" or
"last Friday", or a day number 1–31: a `DayRule`, in `bot.reflections.types`) and a
local time in the channel's time zone.

The fallback rule for day numbers: a day past the end of a month falls on that month's
last day, so "the 31st" is 30 April, 28 February (29th in leap years) and 31 May;
"the 30th" is 28/29 February. Every month has at least four of each weekday, so
"first" to "fourth" always exist, and "last" is the fourth or fifth.

All instants are aware UTC datetimes; wall-clock times go through `bot.timing`'s
zoneinfo helpers, so daylight-saving changes are the zone database's business: a local
time in a spring-forward gap moves forward past the gap (02:30 → 03:30) and a repeated
local time (fall-back) means its first occurrence.

Also here, as small pure helpers: the outbox dedupe keys, a channel's time zone, the
theme rotation with its question, and cleaning a list of practice keys.
"""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from bot.library.types import PRACTICE_KEYS
from bot.models import ReflectionChannel
from bot.reflections.questions import Question, pick_question
from bot.reflections.types import DayRule
from bot.timing import local_datetime

# The month-end summary is posted at this local time on the month's last day.
SUMMARY_MINUTE = 16 * 60
# A summary never comes sooner than this after its prompt (a prompt on the last day at
# 15:30 gets its summary at 17:30, not half an hour later).
SUMMARY_MIN_GAP = timedelta(hours=2)
# The mid-month reminder comes halfway between prompt and summary, but never sooner than
# this after the prompt, and not at all if the summary is less than a day away by then.
REMINDER_MIN_DELAY = timedelta(days=2)
REMINDER_MIN_LEAD = timedelta(days=1)
# Automatic retries of a prompt that could not be posted: hourly, in the channel's daytime.
RETRY_EVERY = timedelta(hours=1)
DAYTIME_START_HOUR = 8
DAYTIME_END_HOUR = 20


# --- months ---------------------------------------------------------------------------


def month_index(year: int, month: int) -> int:
    """Months counted from year 0, so consecutive months differ by one."""
    return year * 12 + month - 1


def from_month_index(index: int) -> tuple[int, int]:
    """(year, month) for a `month_index`."""
    return index // 12, index % 12 + 1


def month_key(year: int, month: int) -> str:
    """ "2026-12": the month part of dedupe keys and the prompt's `month`."""
    return f"{year:04d}-{month:02d}"


def parse_month_key(key: str) -> tuple[int, int]:
    """(year, month) from "2026-12"."""
    year, month = key.split("-")
    return int(year), int(month)


def month_label(year: int, month: int) -> str:
    """ "December 2026"."""
    return f"{calendar.month_name[month]} {year}"


def local_month(moment: datetime, zone: ZoneInfo) -> tuple[int, int]:
    """The (year, month) a clock in `zone` shows at `moment`."""
    local = moment.astimezone(zone)
    return local.year, local.month


def month_end(year: int, month: int, zone: ZoneInfo) -> datetime:
    """The first instant of the following month in `zone` (the month's exclusive end)."""
    year, month = from_month_index(month_index(year, month) + 1)
    return datetime.combine(date(year, month, 1), time(0), tzinfo=zone).astimezone(UTC)


# --- the monthly timeline ---------------------------------------------------------------


def occurrence(rule: DayRule, minute: int, zone: ZoneInfo, year: int, month: int) -> datetime:
    """When the prompt for (year, month) is due: the rule's date at `minute` local time."""
    return local_datetime(rule.date_in(year, month), minute, zone)


def first_occurrence_from(
    rule: DayRule,
    minute: int,
    zone: ZoneInfo,
    after: datetime,
    *,
    taken: frozenset[str] = frozenset(),
) -> datetime:
    """The earliest prompt time at or after `after` in a month not in `taken` (month keys).

    `taken` holds months that already have a prompt, so re-configuring a channel after
    this month's prompt went out plans next month's, not a second one.
    """
    index = month_index(*local_month(after, zone))
    for offset in range(len(taken) + 2):
        year, month = from_month_index(index + offset)
        when = occurrence(rule, minute, zone, year, month)
        if when >= after and month_key(year, month) not in taken:
            return when
    raise AssertionError("unreachable: one of len(taken) + 2 consecutive months is free")


def summary_time(year: int, month: int, zone: ZoneInfo, posted_at: datetime) -> datetime:
    """When the month-end summary is posted: 16:00 local on the month's last day.

    Never sooner than two hours after the prompt, never after the month ends.
    """
    last_day = date(year, month, calendar.monthrange(year, month)[1])
    planned = max(local_datetime(last_day, SUMMARY_MINUTE, zone), posted_at + SUMMARY_MIN_GAP)
    return min(planned, month_end(year, month, zone) - timedelta(minutes=1))


def reminder_time(posted_at: datetime, summary_at: datetime) -> datetime | None:
    """When the gentle reminder is due: halfway through the sharing window, or None.

    For a prompt early in the month that is mid-month. A prompt late in the month gets
    no reminder when the summary is too close for one to help.
    """
    halfway = max(posted_at + (summary_at - posted_at) / 2, posted_at + REMINDER_MIN_DELAY)
    return halfway if halfway <= summary_at - REMINDER_MIN_LEAD else None


def next_retry_time(now: datetime, zone: ZoneInfo, closes_at: datetime) -> datetime:
    """The next automatic retry of a held prompt: in an hour, moved into 08:00–20:00 local.

    Capped at the month's end, when the prompt is marked missed instead.
    """
    candidate = (now + RETRY_EVERY).astimezone(zone)
    if candidate.hour < DAYTIME_START_HOUR:
        candidate = candidate.replace(hour=DAYTIME_START_HOUR, minute=0, second=0, microsecond=0)
    elif candidate.hour >= DAYTIME_END_HOUR:
        next_day = candidate.date() + timedelta(days=1)
        candidate = datetime.combine(next_day, time(DAYTIME_START_HOUR), tzinfo=zone)
    return min(candidate.astimezone(UTC), closes_at)


def prompt_key(team_id: str, channel_id: str, month: str) -> str:
    """The outbox dedupe key of a channel's prompt for a month."""
    return f"reflection:{team_id}:{channel_id}:{month}"


def summary_key(team_id: str, channel_id: str, month: str) -> str:
    """The outbox dedupe key of a channel's month-end summary."""
    return f"reflection-summary:{team_id}:{channel_id}:{month}"


def reminder_key(team_id: str, channel_id: str, month: str, user_id: str) -> str:
    """The outbox dedupe key of one person's reminder about one prompt."""
    return f"reflection-reminder:{team_id}:{channel_id}:{month}:{user_id}"


def zone_named(name: str) -> ZoneInfo | None:
    """The zone called `name` (case-insensitive for convenience), or None."""
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError):
        pass
    lowered = name.strip().lower()
    match = next((z for z in available_timezones() if z.lower() == lowered), None)
    return ZoneInfo(match) if match else None


def channel_zone(channel: ReflectionChannel) -> ZoneInfo:
    """The channel's zone (validated when it was saved)."""
    return ZoneInfo(channel.timezone)


def theme_for(channel: ReflectionChannel, year: int, month: int) -> tuple[str, Question]:
    """The month's theme in this channel's rotation, and the question to ask about it."""
    themes = list(channel.themes)
    offset = month_index(year, month) - channel.rotation_anchor
    position = offset % len(themes)
    theme = themes[position]
    # How many times this theme came up before in the rotation (themes may repeat).
    round_number = (offset // len(themes)) * themes.count(theme) + themes[:position].count(theme)
    return theme, pick_question(theme, round_number)


def clean_practices(practices: list[str] | tuple[str, ...]) -> list[str]:
    """Known practice keys, once each, in the library's order."""
    chosen = set(practices)
    return [key for key in PRACTICE_KEYS if key in chosen]
