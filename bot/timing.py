"""When the app may speak to a person: local wall-clock time, contact window, pauses.

Everything takes and returns aware UTC datetimes; the person's IANA zone turns them into
wall-clock time with zoneinfo, so daylight-saving changes are handled by the zone data,
not by us. Local times that do not exist (the spring-forward gap) resolve forward, and
repeated ones (fall-back) resolve to their first occurrence — Python's `fold=0`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.models import Person

MINUTES_PER_DAY = 24 * 60
SATURDAY = 5


def local_datetime(day: date, minute_of_day: int, zone: ZoneInfo) -> datetime:
    """The UTC instant of `minute_of_day` (minutes after midnight) on `day` in `zone`.

    In a spring-forward gap the wall-clock time does not exist; we return the instant
    the clock shows that time plus the gap (02:30 → 03:30), so nothing is skipped.
    """
    # zoneinfo resolves a gap with fold=0 using the offset from before the change,
    # which lands the instant after the gap; a repeated hour gets its first occurrence.
    return datetime.combine(day, time(minute_of_day // 60, minute_of_day % 60), tzinfo=zone).astimezone(UTC)


def minute_of_day(moment: datetime, zone: ZoneInfo) -> int:
    """Minutes after local midnight that `moment` shows on a clock in `zone`."""
    local = moment.astimezone(zone)
    return local.hour * 60 + local.minute


def is_contact_day(person: Person, day: date) -> bool:
    """False on Saturdays and Sundays for people with quiet weekends."""
    return not (person.quiet_weekends and day.weekday() >= SATURDAY)


def in_contact_window(person: Person, moment: datetime, zone: ZoneInfo) -> bool:
    """True when `moment` falls inside the person's allowed hours and days."""
    local = moment.astimezone(zone)
    minute = local.hour * 60 + local.minute
    return is_contact_day(person, local.date()) and person.contact_start <= minute < person.contact_end


def is_paused(person: Person, moment: datetime) -> bool:
    """True while a pause is in force."""
    return person.paused_until is not None and person.paused_until > moment


def may_message(person: Person, moment: datetime, zone: ZoneInfo) -> bool:
    """Everything that must hold before the app DMs someone at `moment`."""
    return (
        person.is_active
        and person.opted_out_at is None
        and not is_paused(person, moment)
        and in_contact_window(person, moment, zone)
    )


@dataclass(frozen=True)
class Busy:
    """A stretch of time when a person must not be messaged although it is inside their
    hours — a night shift, a call, the rest of a post-call day (`bot.rota` makes them).

    `why` says it in a few words for previews and logs ("on call", "post-call day").
    """

    start: datetime  # aware UTC, inclusive
    end: datetime  # aware UTC, exclusive
    why: str


def busy_at(moment: datetime, busy: Sequence[Busy]) -> Busy | None:
    """The busy stretch covering `moment` (the one ending last, if several overlap)."""
    covering = [b for b in busy if b.start <= moment < b.end]
    return max(covering, key=lambda b: b.end) if covering else None


def after_busy(moment: datetime, busy: Sequence[Busy]) -> datetime:
    """The first instant at or after `moment` that no busy stretch covers.

    Overlapping and back-to-back stretches are walked through one after another, so a
    night shift followed by its post-call rest ends where the rest ends.
    """
    while (covering := busy_at(moment, busy)) is not None:
        moment = covering.end
    return moment


def _day_window(person: Person, zone: ZoneInfo, day: date) -> tuple[datetime, datetime]:
    opens = local_datetime(day, person.contact_start, zone)
    closes = (
        local_datetime(day, person.contact_end, zone)
        if person.contact_end < MINUTES_PER_DAY
        else local_datetime(day + timedelta(days=1), 0, zone)
    )
    return opens, closes


def next_contact_time(
    person: Person,
    zone: ZoneInfo,
    after: datetime,
    *,
    horizon_days: int = 14,
    busy: Sequence[Busy] = (),
) -> datetime:
    """The earliest instant at or after `after` when the person may be messaged.

    Respects the contact window, quiet weekends, any pause and any `busy` stretch (duty
    from their rota); returns `after` itself when it is already allowed. Looks at most
    `horizon_days` ahead of the latest of `after`, the pause end and the last busy
    stretch (a window of 08:00–18:00 on weekdays always has a slot).
    """
    start = after
    if is_paused(person, start):
        assert person.paused_until is not None
        start = person.paused_until
    local_day = start.astimezone(zone).date()
    last_busy = max((b.end for b in busy if b.end > start), default=start)
    days = horizon_days + max(0, (last_busy.astimezone(zone).date() - local_day).days)
    for offset in range(days + 1):
        day = local_day + timedelta(days=offset)
        if not is_contact_day(person, day):
            continue
        opens, closes = _day_window(person, zone, day)
        if start >= closes:
            continue
        candidate = after_busy(max(start, opens), busy)
        if candidate < closes:
            return candidate
    raise ValueError("no allowed contact time within the horizon; check the contact window")


def end_of_contact_day(person: Person, zone: ZoneInfo, moment: datetime) -> datetime:
    """When the contact window closes on the local day of `moment` (a nudge's expiry)."""
    day = moment.astimezone(zone).date()
    if person.contact_end >= MINUTES_PER_DAY:
        return local_datetime(day + timedelta(days=1), 0, zone)
    return local_datetime(day, person.contact_end, zone)


def format_minute(minute: int) -> str:
    """575 → "09:35"."""
    return f"{minute // 60:02d}:{minute % 60:02d}"


def parse_minute(text: str) -> int | None:
    """ "09:35" or "9:35" → 575; None if it is not a clock time."""
    parts = text.strip().split(":")
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        return None
    hours, minutes = int(parts[0]), int(parts[1])
    if not (0 <= hours < 24 and 0 <= minutes < 60):
        return None
    return hours * 60 + minutes


def mark_for_replanning(person: Person, now: datetime) -> None:
    """Ask the nudge planner to look at this mentor on its next tick.

    Contract with `schedules/` planners: `next_nudge_at <= now` means "compute this
    mentor's next slot"; the planner then stores the real next slot (or None). Settings,
    pause and resume changes call this instead of computing slots themselves.
    """
    # Only ever earlier: a slot already due (but not yet planned) must still be planned
    # from where it was, or it would be skipped without a trace.
    if person.next_nudge_at is None or person.next_nudge_at > now:
        person.next_nudge_at = now


def pause_end_instant(last_day: date, zone: ZoneInfo) -> datetime:
    """The instant a pause whose last day is `last_day` ends: the next local midnight.

    If that midnight does not exist (zones that change clocks at 00:00), it is the
    first instant of that day.
    """
    return local_datetime(last_day + timedelta(days=1), 0, zone)


def rezone_pause(person: Person, old: ZoneInfo, new: ZoneInfo) -> None:
    """Keep a pause ending at local midnight when the person's zone changes.

    "Paused until Sunday 10 January" is a date on their calendar; moving from London to
    Sydney should not end it at 11:00 on the 11th. Pauses that end at some other
    instant (none made here, but other features may) are left as they are.
    """
    if person.paused_until is None or old.key == new.key:
        return
    resume_day = person.paused_until.astimezone(old).date()
    if pause_end_instant(resume_day - timedelta(days=1), old) == person.paused_until:
        person.paused_until = pause_end_instant(resume_day - timedelta(days=1), new)
