"""Reading iCalendar (`.ics`) files and feeds into rota rows, with `icalendar` and
`recurring-ical-events` (which expands repeating events — "nights every other Tuesday"
— and their exceptions, and repairs Google's `X-WR-TIMEZONE` calendars).

Only events in a window are read (a little in the past, some weeks ahead), so a feed
with years of history costs what the window holds. Each event's kind comes from its
title (`bot.rota.rules.event_kind`); a rotation keeps its title as its name, screened
for patient information like any text we store. Cancelled events are left out.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import recurring_ical_events
from icalendar import Calendar

from bot import privacy
from bot.rota.rules import clean_label, event_kind
from bot.rota.types import ROTATION, ParsedRota, RotaFileError, RowError, ShiftRow

# More events than this in one window is not a personal schedule.
MAX_EVENTS = 5000


def parse_calendar(data: bytes | str, *, start: datetime, end: datetime) -> ParsedRota:
    """The events of a calendar between `start` and `end` as rota rows (numbered in order).

    RotaFileError when the data is not a calendar at all.
    """
    parsed = ParsedRota()
    try:
        calendar = Calendar.from_ical(data)
        _drop_events_without_start(calendar, parsed)
        events = recurring_ical_events.of(calendar, skip_bad_series=True).between(start, end)
    except Exception as error:  # the libraries raise ValueError, KeyError… on broken input
        raise RotaFileError(
            f"That isn't a calendar file I can read ({error.__class__.__name__}). Export it again as "
            "iCalendar (.ics), or use a CSV."
        ) from None
    for number, event in enumerate(sorted(events, key=_start_key), start=1):
        if number > MAX_EVENTS:
            raise RotaFileError(f"That calendar has more than {MAX_EVENTS:,} events in the coming weeks.")
        if str(event.get("STATUS", "")).upper() == "CANCELLED":
            continue
        row = _row(event, number)
        if isinstance(row, str):
            parsed.errors.append(RowError(number, row))
        else:
            parsed.rows.append(row)
    return parsed


def _drop_events_without_start(calendar: Any, parsed: ParsedRota) -> None:
    """Events with no start cannot be placed (and stop the expansion): noted, then left out.
    They are numbered by their place among the file's events."""
    kept = []
    number = 0
    for component in calendar.subcomponents:
        if component.name == "VEVENT":
            number += 1
            if component.get("DTSTART") is None:
                parsed.errors.append(RowError(number, f"event {number} in the file has no start"))
                continue
        kept.append(component)
    calendar.subcomponents[:] = kept


def _start_key(event: Any) -> str:
    return str(event.get("DTSTART").to_ical()) if event.get("DTSTART") is not None else ""


def _as_datetime(value: date | datetime) -> tuple[datetime, bool]:
    if isinstance(value, datetime):
        return value, False
    return datetime.combine(value, time(0)), True


def _row(event: Any, number: int) -> ShiftRow | str:
    try:
        starts, all_day = _as_datetime(event.start)
        ends, _ = _as_datetime(event.end)
    except Exception:  # no DTSTART, or an end we cannot work out
        return "the event has no start or end I can read"
    if ends <= starts:
        ends = starts + timedelta(days=1) if all_day else ends
        if ends <= starts:
            return "the event ends before it starts"
    summary = " ".join(str(event.get("SUMMARY", "")).split())
    kind = event_kind(summary, all_day=all_day, days=(ends - starts).days)
    label = None
    if kind == ROTATION:
        label = clean_label(summary)
        if label is not None and privacy.screen(label):
            label = None
    return ShiftRow(number, _attendee(event), starts, ends, kind, label, all_day)


def _attendee(event: Any) -> str | None:
    """The one attendee's address (a team calendar names whose shift it is), else None."""
    attendees = event.get("ATTENDEE")
    if attendees is None:
        return None
    if not isinstance(attendees, list):
        attendees = [attendees]
    if len(attendees) != 1:
        return None
    address = str(attendees[0]).strip()
    address = address[len("mailto:") :] if address.lower().startswith("mailto:") else address
    return address.lower() or None
