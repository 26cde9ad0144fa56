"""The rota's pure rules: what a shift's kind is, which times are duty, when a rotation's
check-ins fall, and how a feed URL is shown.

* **Duty** is a call or a night shift, from its start to its end. Day shifts and
  rotations are not duty: a nudge during a day shift is ordinary working life.
* **Post-call day**: with `POST_CALL_REST` (the default), the rest of the local day on
  which a call or night shift ends is duty too — a night ending at 07:00 Tuesday keeps
  Tuesday quiet until midnight. A shift ending at midnight keeps the day it ends on
  quiet (the whole of it).
* **Rotation check-ins** (rotations of a week or more): the mentor on the first day
  ("agree one goal for it"), the mentor at the middle of rotations of two weeks or more
  (a two-way feedback chat), the mentee on the last day (a one-line reflection). Each
  is good for :data:`STAGE_GRACE` days; one found later than that is skipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from ipaddress import ip_address
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo

from bot.rota.types import (
    CALL,
    DAY,
    DUTY_KINDS,
    END,
    LABEL_MAX_CHARS,
    MAX_ROTATION,
    MAX_SHIFT,
    MIDDLE,
    NIGHT,
    ROTATION,
    START,
    URL_MAX_CHARS,
    FeedRefused,
    Shift,
    ShiftRow,
)
from bot.timing import Busy, local_datetime

_CALL = re.compile(r"\b(on[\s-]?call|oncall|call|24\s*h(ou)?r?s?|pager)\b", re.IGNORECASE)
_NIGHT = re.compile(r"\b(nights?|night[\s-]?(shift|float)|overnight|nocturnal)\b", re.IGNORECASE)
_DAY = re.compile(
    r"^\s*(day|days|day[\s-]?shift|am|pm|clinic|long\s+day|short\s+day|swing)\s*$", re.IGNORECASE
)
_ROTATION_WORDS = re.compile(r"\b(rotation|block|placement|attachment|elective)\b", re.IGNORECASE)
# An all-day calendar event this long is a rotation, whatever it is called.
ROTATION_MIN_DAYS = 5
# Check-ins: rotations shorter than this get none; a middle one from MIDDLE_MIN_DAYS.
CHECKIN_MIN_DAYS = 7
MIDDLE_MIN_DAYS = 14
STAGE_GRACE = timedelta(days=3)
WHY = {CALL: "on call", NIGHT: "night shift"}
POST_CALL = "post-call day"


def kind_of(text: str) -> str | None:
    """call, night or day for words that name one; None for anything else (a rotation name)."""
    if _NIGHT.search(text):
        return NIGHT
    if _CALL.search(text):
        return CALL
    if _DAY.match(text):
        return DAY
    return None


def event_kind(summary: str, *, all_day: bool, days: int) -> str:
    """The kind of a calendar event: duty words win; long all-day events and ones called a
    rotation or block are rotations; anything else is a day's work."""
    named = kind_of(summary)
    if named in DUTY_KINDS:
        return named
    if _ROTATION_WORDS.search(summary) or (all_day and days >= ROTATION_MIN_DAYS):
        return ROTATION
    return DAY


def clean_label(text: str) -> str | None:
    """A rotation name as it may be stored: spaces folded, cut to size; None when empty."""
    label = " ".join(text.split())
    if not label:
        return None
    return label if len(label) <= LABEL_MAX_CHARS else label[: LABEL_MAX_CHARS - 1] + "…"


def to_utc(row: ShiftRow, zone: ZoneInfo) -> Shift:
    """The row's instants in UTC: naive wall-clock times are read in the person's `zone`
    (zoneinfo resolves DST: a time in the spring-forward gap moves on, a repeated one is
    its first occurrence)."""

    def instant(moment: datetime) -> datetime:
        if moment.tzinfo is None:
            return local_datetime(moment.date(), moment.hour * 60 + moment.minute, zone)
        return moment.astimezone(ZoneInfo("UTC"))

    return Shift(row.kind, instant(row.starts), instant(row.ends), row.label, row.all_day)


def shift_problem(shift: Shift) -> str | None:
    """Why a resolved shift cannot be right, or None."""
    if shift.ends_at <= shift.starts_at:
        return "it ends before it starts"
    longest = MAX_ROTATION if shift.kind == ROTATION else MAX_SHIFT
    if shift.ends_at - shift.starts_at > longest:
        return "it lasts over a year" if shift.kind == ROTATION else "a shift can't last more than 36 hours"
    return None


# --- duty ------------------------------------------------------------------------------------


def _next_midnight(moment: datetime, zone: ZoneInfo) -> datetime:
    local = moment.astimezone(zone)
    return local_datetime(local.date() + timedelta(days=1), 0, zone)


def duty_windows(shifts: Iterable[Shift], zone: ZoneInfo, *, post_call_rest: bool) -> list[Busy]:
    """The stretches a person must not be messaged: each call or night shift, and (with
    `post_call_rest`) the rest of the local day it ends on. Oldest first."""
    found: list[Busy] = []
    for shift in shifts:
        if shift.kind not in DUTY_KINDS:
            continue
        found.append(Busy(shift.starts_at, shift.ends_at, WHY[shift.kind]))
        if post_call_rest:
            found.append(Busy(shift.ends_at, _next_midnight(shift.ends_at, zone), POST_CALL))
    return sorted(found, key=lambda b: (b.start, b.end))


def describe_move(original: datetime, moved: datetime, why: str, zone: ZoneInfo) -> str:
    """ "moved from Tue 09:30 (on call)" — for the preview and logs."""
    local = original.astimezone(zone)
    return f"moved from {local:%a} {local:%H:%M} ({why})"


# --- rotation check-ins ------------------------------------------------------------------------


def _slug(label: str | None) -> str:
    words = re.findall(r"[a-z0-9]+", (label or "").lower())
    return "-".join(words)[:40] or "rotation"


def rotation_key(first_day: date, label: str | None) -> str:
    """The rotation's stable name across re-imports: its first day and name."""
    return f"{first_day.isoformat()}:{_slug(label)}"


def rotation_days(starts_at: datetime, ends_at: datetime, zone: ZoneInfo) -> tuple[date, date]:
    """(first day, last day) in `zone`; the end is exclusive, so an end at midnight is the
    day before."""
    first = starts_at.astimezone(zone).date()
    last = (ends_at - timedelta(microseconds=1)).astimezone(zone).date()
    return first, max(first, last)


def checkin_stages(starts_at: datetime, ends_at: datetime, zone: ZoneInfo) -> list[tuple[str, datetime]]:
    """(stage, the local midnight it begins) for a rotation, in order; none for short ones."""
    first, last = rotation_days(starts_at, ends_at, zone)
    length = (last - first).days + 1
    if length < CHECKIN_MIN_DAYS:
        return []
    stages = [(START, local_datetime(first, 0, zone))]
    if length >= MIDDLE_MIN_DAYS:
        stages.append((MIDDLE, local_datetime(first + timedelta(days=length // 2), 0, zone)))
    stages.append((END, local_datetime(last, 0, zone)))
    return stages


def stages_due(stages: Sequence[tuple[str, datetime]], now: datetime) -> tuple[list[str], datetime | None]:
    """(stages to send now, when to look next): stages whose day has begun and whose grace
    has not run out; then the next stage's start (None when none is left)."""
    due = [stage for stage, begins in stages if begins <= now < begins + STAGE_GRACE]
    upcoming = [begins for _stage, begins in stages if begins > now]
    return due, (min(upcoming) if upcoming else None)


# --- feed URLs -----------------------------------------------------------------------------------


def mask_url(url: str) -> str:
    """A feed URL as it may be shown: scheme and host, then only the last four characters."""
    parts = urlsplit(url)
    tail = url[-4:] if len(url) > 12 else ""
    return f"{parts.scheme}://{parts.hostname or '?'}/…{tail}"


def is_local_host(host: str) -> bool:
    """localhost or a loopback address."""
    if host == "localhost":
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False


def normalize_feed_url(text: str, *, allow_local_http: bool) -> str:
    """The URL to fetch, from what a person pasted (Slack wraps links in <…>); FeedRefused
    for anything but an https URL (or http to this machine when allowed)."""
    url = text.strip().strip("<>").split("|", 1)[0].strip()
    if len(url) > URL_MAX_CHARS:
        raise FeedRefused("That link is too long to be a calendar feed.")
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme in ("webcal", "webcals"):  # calendar apps' name for the same https link
        parts, scheme = parts._replace(scheme="https"), "https"
    host = (parts.hostname or "").lower()
    if not host:
        raise FeedRefused(
            "That doesn't look like a link. Paste the calendar feed address your scheduling system gives "
            "(it usually starts with https:// or webcal://)."
        )
    local_http = scheme == "http" and allow_local_http and is_local_host(host)
    if scheme != "https" and not local_http:
        raise FeedRefused(
            "Only secure (https://) calendar links can be used, so your schedule isn't sent in the clear."
        )
    if parts.username or parts.password:
        raise FeedRefused("Please use a link without a user name or password in it.")
    return urlunsplit(parts)
