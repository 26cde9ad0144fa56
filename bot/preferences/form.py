"""Checking the settings form: every problem, by field, in words that say how to fix it.

Pure (no database), so the same rules serve the modal and its tests.
"""

from __future__ import annotations

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
    errors: dict[str, str] = {}
    start, end = form.contact_start, form.contact_end
    if start is None:
        errors[CONTACT_START] = "Choose the time messages may start."
    if end is None:
        errors[CONTACT_END] = "Choose the time messages must stop."
    if start is not None and end is not None and end <= start:
        errors[CONTACT_END] = (
            f"This must be later than the start ({_clock(start)}). Hours can't run past midnight; "
            "choose 00:00 to mean midnight."
        )
    if shows_nudges:
        if not form.nudge_days:
            errors[NUDGE_DAYS] = "Choose at least one day for your nudges."
        elif form.quiet_weekends and any(day >= SATURDAY for day in form.nudge_days):
            weekend = [WEEKDAY_NAMES[d] for d in form.nudge_days if d >= SATURDAY]
            errors[NUDGE_DAYS] = (
                f"{' and '.join(weekend)} {'are' if len(weekend) > 1 else 'is'} in your quiet weekend. "
                "Pick weekdays, or untick “No messages at weekends” below."
            )
        if form.nudge_minute is None:
            errors[NUDGE_TIME] = "Choose the time your nudges arrive."
        elif (
            CONTACT_END not in errors
            and start is not None
            and end is not None
            and not start <= form.nudge_minute < end
        ):
            errors[NUDGE_TIME] = (
                f"{_clock(form.nudge_minute)} is outside the hours you allow messages "
                f"({_clock(start)}–{_clock(end)}). Pick a time inside them, or widen your hours below."
            )
        if form.cadence not in CADENCES:
            errors[CADENCE] = "Choose how often nudges come."
    if not form.timezone or (form.timezone != AUTO_ZONE and not is_valid_zone(form.timezone)):
        errors[TIMEZONE] = "Choose a time zone, or “Follow my Slack profile”."
    if form.pause_kind not in (NOT_PAUSED, *PAUSE_REASONS):
        errors[PAUSE_KIND] = "Choose whether to pause."
    elif form.pause_kind != NOT_PAUSED:
        if form.pause_last_day is None:
            errors[PAUSE_UNTIL] = "Choose the last day of your pause (messages start again the day after)."
        elif form.pause_last_day < today:
            errors[PAUSE_UNTIL] = "That day has already passed. Choose today or a later day."
        elif (form.pause_last_day - today).days >= MAX_PAUSE_DAYS:
            latest = describe_day(today + timedelta(days=MAX_PAUSE_DAYS - 1), today)
            errors[PAUSE_UNTIL] = (
                f"A pause can last up to a year (until {latest} at the latest). "
                "To turn messages off for longer, use `/mentor stop`."
            )
    return errors


def _clock(minute: int) -> str:
    return "00:00" if minute >= MINUTES_PER_DAY else f"{minute // 60:02d}:{minute % 60:02d}"
