"""Checking the settings form: every problem, by field, in words that say how to fix it.

Pure (no database), so the same rules serve the modal and its tests.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from bot.durations import MAX_PAUSE_DAYS, describe_day
from bot.models import CADENCES
from bot.preferences.types import (
    AUTO_ZONE,
    CADENCE,
    CONTACT_END,
    CONTACT_START,
    NOT_PAUSED,
    NUDGE_DAYS,
    NUDGE_TIME,
    PAUSE_KIND,
    PAUSE_REASONS,
    PAUSE_UNTIL,
    TIMEZONE,
    SettingsForm,
)
from bot.rhythm import WEEKDAY_NAMES
from bot.timing import MINUTES_PER_DAY, SATURDAY
from bot.zones import is_valid_zone


def validate_form(form: SettingsForm, today: date, *, shows_nudges: bool) -> dict[str, str]:
    """Problems with the form, by field, each saying how to fix it. Empty means valid.

    `today` is the person's local date in the zone the form chose.
    """
    # One checker per group of fields, in the order the modal shows them.
    errors = _hours_errors(form.contact_start, form.contact_end)
    if shows_nudges:
        errors.update(_nudge_errors(form, _allowed_hours(form)))
    if not form.timezone or (form.timezone != AUTO_ZONE and not is_valid_zone(form.timezone)):
        errors[TIMEZONE] = "Choose a time zone, or “Follow my Slack profile”."
    errors.update(_pause_errors(form, today))
    return errors


def _allowed_hours(form: SettingsForm) -> tuple[int, int] | None:
    """The (start, end) minutes messages may come between, or None while they are not valid."""
    start, end = form.contact_start, form.contact_end
    return (start, end) if start is not None and end is not None and start < end else None


def _hours_errors(start: int | None, end: int | None) -> dict[str, str]:
    """The hours the app may send messages in: both chosen, and the end after the start."""
    errors: dict[str, str] = {}
    if start is None:
        errors[CONTACT_START] = "Choose the time messages may start."
    if end is None:
        errors[CONTACT_END] = "Choose the time messages must stop."
    if start is not None and end is not None and end <= start:
        errors[CONTACT_END] = (
            f"This must be later than the start ({_clock(start)}). Hours can't run past midnight; "
            "choose 00:00 to mean midnight."
        )
    return errors


def _nudge_errors(form: SettingsForm, hours: tuple[int, int] | None) -> dict[str, str]:
    """The nudge fields (days, time, cadence), which only the forms of mentors, and of
    people not paired yet, show."""
    problems = {
        NUDGE_DAYS: _days_problem(form.nudge_days, form.quiet_weekends),
        NUDGE_TIME: _time_problem(form.nudge_minute, hours),
        CADENCE: None if form.cadence in CADENCES else "Choose how often nudges come.",
    }
    return {field: problem for field, problem in problems.items() if problem}


def _days_problem(days: Sequence[int] | None, quiet_weekends: bool) -> str | None:
    if not days:
        return "Choose at least one day for your nudges."
    if not quiet_weekends:
        return None
    weekend = [WEEKDAY_NAMES[day] for day in days if day >= SATURDAY]
    if weekend:
        return (
            f"{' and '.join(weekend)} {'are' if len(weekend) > 1 else 'is'} in your quiet weekend. "
            "Pick weekdays, or untick “No messages at weekends” below."
        )
    return None


def _time_problem(minute: int | None, hours: tuple[int, int] | None) -> str | None:
    if minute is None:
        return "Choose the time your nudges arrive."
    # With hours that are themselves wrong, their own error is the one to fix first.
    if hours is None or hours[0] <= minute < hours[1]:
        return None
    start, end = hours
    return (
        f"{_clock(minute)} is outside the hours you allow messages "
        f"({_clock(start)}–{_clock(end)}). Pick a time inside them, or widen your hours below."
    )


def _pause_errors(form: SettingsForm, today: date) -> dict[str, str]:
    """Whether to pause, and the pause's last day when there is one."""
    if form.pause_kind not in (NOT_PAUSED, *PAUSE_REASONS):
        return {PAUSE_KIND: "Choose whether to pause."}
    if form.pause_kind == NOT_PAUSED:
        return {}
    problem = _last_day_problem(form.pause_last_day, today)
    return {PAUSE_UNTIL: problem} if problem else {}


def _last_day_problem(last_day: date | None, today: date) -> str | None:
    if last_day is None:
        return "Choose the last day of your pause (messages start again the day after)."
    if last_day < today:
        return "That day has already passed. Choose today or a later day."
    if (last_day - today).days >= MAX_PAUSE_DAYS:
        latest = describe_day(today + timedelta(days=MAX_PAUSE_DAYS - 1), today)
        return (
            f"A pause can last up to a year (until {latest} at the latest). "
            "To turn messages off for longer, use `/mentor stop`."
        )
    return None


def _clock(minute: int) -> str:
    return "00:00" if minute >= MINUTES_PER_DAY else f"{minute // 60:02d}:{minute % 60:02d}"
