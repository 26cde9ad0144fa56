"""Reading how long someone wants to pause: "2w", "10 days", "until 2027-01-10".

Everything here works in *local calendar days*. A pause is described by its last
paused day (inclusive); messages come back at the start of the next local day. So
"pause 2w" typed on Monday 1 March pauses through Sunday 14 March and resumes Monday
15 March, and "pause until 2027-01-10" pauses through 10 January and resumes on the
11th. Turning that day into an instant needs the person's zone: see
`bot.preferences.pause_end_instant`.

Every problem raises :class:`DurationError` whose message can be shown to the person
as it is.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, timedelta

# The longest pause, in days counting today: a year, even one with a 29 February in it.
# Anything longer is really a stop, and `/mentor stop` says so more honestly.
MAX_PAUSE_DAYS = 366

EXAMPLES = "`/mentor pause 2w`, `/mentor pause 10 days` or `/mentor pause until 2027-01-10`"

_NUMBER_WORDS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
}
# Unit → (kind, size): days are counted, months follow the calendar.
_UNITS = {
    "d": ("days", 1),
    "day": ("days", 1),
    "days": ("days", 1),
    "w": ("days", 7),
    "wk": ("days", 7),
    "wks": ("days", 7),
    "week": ("days", 7),
    "weeks": ("days", 7),
    "fortnight": ("days", 14),
    "fortnights": ("days", 14),
    "mo": ("months", 1),
    "mos": ("months", 1),
    "month": ("months", 1),
    "months": ("months", 1),
    "y": ("months", 12),
    "yr": ("months", 12),
    "year": ("months", 12),
    "years": ("months", 12),
}
_TOO_FINE = {"h", "hr", "hrs", "hour", "hours", "min", "mins", "minute", "minutes"}

_COMPACT_AMOUNT = re.compile(r"^([-+]?\d+(?:[.,]\d+)?)([a-z]+)$")
_ISO = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")
_NUMERIC = re.compile(r"^(\d{1,2})[-/.](\d{1,2})(?:[-/.](\d{2}|\d{4}))?$")
_DAY_MONTH = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?\s+([a-z]+)\.?,?(?:\s+(\d{4}))?$")
_MONTH_DAY = re.compile(r"^([a-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?(?:\s+(\d{4}))?$")

_MONTHS = {name.lower(): number for number, name in enumerate(calendar.month_name) if name} | {
    name.lower(): number for number, name in enumerate(calendar.month_abbr) if name
}
_MONTHS["sept"] = 9
_WEEKDAYS = {name.lower(): number for number, name in enumerate(calendar.day_name)} | {
    name.lower(): number for number, name in enumerate(calendar.day_abbr)
}


class DurationError(ValueError):
    """The text is not a pause we can apply; the message says why and what to type."""

    @property
    def message(self) -> str:
        """The sentence to show the person."""
        return str(self.args[0])


def parse_pause(text: str, today: date) -> date:
    """The last paused day for `text`, counted from `today` (the person's local date).

    Accepts an amount ("2w", "3d", "10 days", "1 week", "a fortnight", "2 months") or a
    date, optionally after "until"/"till"/"to" ("until 2027-01-10", "until 10 Jan",
    "until Friday"). Raises :class:`DurationError` for anything else, for a date in the
    past, and for pauses longer than a year.
    """
    cleaned = " ".join(text.strip().lower().split())
    if not cleaned:
        raise DurationError(f"How long would you like to pause for? Try {EXAMPLES}.")
    words = cleaned.split(" ", 1)
    if words[0] in ("until", "till", "til", "to", "through", "thru"):
        if len(words) == 1:
            raise DurationError(f"Until when? Give a date, like {EXAMPLES.split(' or ')[-1]}.")
        last_day = parse_day(words[1], today)
    elif words[0] == "for" and len(words) == 2:
        last_day = _amount_to_last_day(words[1], today, original=text.strip())
    else:
        try:
            last_day = _amount_to_last_day(cleaned, today, original=text.strip())
        except DurationError:
            # "pause 2027-01-10" clearly means until that day; anything else keeps the
            # amount's (more specific) message.
            if not _looks_like_date(cleaned):
                raise
            last_day = parse_day(cleaned, today)
    check_last_day(last_day, today)
    return last_day


def check_last_day(last_day: date, today: date) -> None:
    """Refuse a last paused day in the past or more than a year ahead."""
    if last_day < today:
        raise DurationError(
            f"{describe_day(last_day, today)} has already passed. Choose today or a later day, "
            f"e.g. `/mentor pause until {(today + timedelta(days=7)).isoformat()}`."
        )
    if (last_day - today).days >= MAX_PAUSE_DAYS:
        latest = describe_day(today + timedelta(days=MAX_PAUSE_DAYS - 1), today)
        raise DurationError(
            f"A pause can last up to a year (until {latest} at the latest). To turn messages off "
            "for longer, use `/mentor stop` — you can start again any time."
        )


def parse_day(text: str, today: date) -> date:
    """A calendar day from text: ISO ("2027-01-10"), "10 Jan [2027]", "January 10[, 2027]",
    "today", "tomorrow", a weekday name (its next occurrence, today included), or a
    numeric date only when it cannot be misread ("25/12/2026", not "01/10/2027").
    A date without a year means its next occurrence from today.
    """
    cleaned = " ".join(text.strip().lower().rstrip(".").split())
    if cleaned == "today":
        return today
    if cleaned == "tomorrow":
        return today + timedelta(days=1)
    if cleaned in _WEEKDAYS:
        return today + timedelta(days=(_WEEKDAYS[cleaned] - today.weekday()) % 7)
    if match := _ISO.match(cleaned):
        return _make_date(int(match[1]), int(match[2]), int(match[3]), text)
    if match := _NUMERIC.match(cleaned):
        return _numeric_date(match, today, text)
    if match := _DAY_MONTH.match(cleaned):
        return _named_month_date(match[2], int(match[1]), match[3], today, text)
    if match := _MONTH_DAY.match(cleaned):
        return _named_month_date(match[1], int(match[2]), match[3], today, text)
    raise DurationError(
        f"I couldn't read `{text.strip()}` as a date. Write it like `2027-01-10` (year-month-day) "
        "or `10 January 2027`."
    )


def add_months(day: date, months: int) -> date:
    """The same day-of-month `months` later, clamped to the month's end (31 Jan + 1 → 28/29 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def describe_day(day: date, today: date | None = None) -> str:
    """ "Sunday 10 January", with the year added when it is not `today`'s year."""
    text = f"{calendar.day_name[day.weekday()]} {day.day} {calendar.month_name[day.month]}"
    return text if today is not None and day.year == today.year else f"{text} {day.year}"


# --- helpers ----------------------------------------------------------------------------


def _split_amount(text: str) -> tuple[str, str] | None:
    parts = text.split()
    if len(parts) == 2:
        return parts[0], parts[1]
    if len(parts) == 1 and (match := _COMPACT_AMOUNT.match(text)):
        return match[1], match[2]
    return None


def _amount_to_last_day(text: str, today: date, *, original: str) -> date:
    split = _split_amount(text)
    if split is None:
        if re.fullmatch(r"[-+]?\d+", text):
            raise DurationError(f"{text} what? Add a unit: `{text}d` for days or `{text}w` for weeks.")
        raise DurationError(f"I didn't understand `{original}` as a length of time. Try {EXAMPLES}.")
    number_text, unit = split
    negative = number_text.startswith("-")
    number_text = number_text.lstrip("+-")
    if number_text.isdecimal():  # not isdigit(): "²" is a digit int() refuses
        amount = int(number_text)
    elif number_text in _NUMBER_WORDS:
        amount = _NUMBER_WORDS[number_text]
    elif re.fullmatch(r"\d+[.,]\d+", number_text):
        raise DurationError(
            f"Please use a whole number in `{original}` — for example `10 days` rather than `1.5 weeks`."
        )
    else:
        raise DurationError(f"I didn't understand `{original}` as a length of time. Try {EXAMPLES}.")
    if unit in _TOO_FINE:
        raise DurationError("Pauses are counted in whole days: try `/mentor pause 1d` for the rest of today.")
    if unit == "m":
        raise DurationError(
            f"Did you mean weeks or months? Write `{number_text}w` or `{number_text} months`."
        )
    if unit not in _UNITS:
        raise DurationError(
            f"I don't know the unit `{unit}` in `{original}`. Use days, weeks or months — {EXAMPLES}."
        )
    if negative or amount == 0:
        raise DurationError(f"A pause needs to last at least one day. Try {EXAMPLES}.")
    kind, size = _UNITS[unit]
    too_long = amount * size > (12 if kind == "months" else MAX_PAUSE_DAYS)
    if too_long:
        # Refused before any date arithmetic, so "99999999w" is an answer, not an overflow.
        check_last_day(today + timedelta(days=MAX_PAUSE_DAYS), today)
    resume = add_months(today, amount * size) if kind == "months" else today + timedelta(days=amount * size)
    # The pause covers today and runs until the day before the resume day.
    return resume - timedelta(days=1)


def _looks_like_date(text: str) -> bool:
    if _ISO.match(text) or _NUMERIC.match(text) or text in _WEEKDAYS or text in ("today", "tomorrow"):
        return True
    # "3 bananas" has the shape of "3 January"; only a real month name makes it a date.
    day_month, month_day = _DAY_MONTH.match(text), _MONTH_DAY.match(text)
    return bool(day_month and day_month[2] in _MONTHS) or bool(month_day and month_day[1] in _MONTHS)


def _make_date(year: int, month: int, day: int, original: str) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise DurationError(
            f"`{original.strip()}` isn't a real date. Check the day and month, e.g. `2027-01-10`."
        ) from None


def _next_occurrence(month: int, day: int, today: date, original: str) -> date:
    for year in (today.year, today.year + 1, today.year + 2, today.year + 3, today.year + 4):
        try:
            candidate = date(year, month, day)
        except ValueError:
            continue  # 29 February outside a leap year
        if candidate >= today:
            return candidate
    raise DurationError(f"`{original.strip()}` isn't a real date. Check the day and month.")


def _named_month_date(month_name: str, day: int, year: str | None, today: date, original: str) -> date:
    month = _MONTHS.get(month_name)
    if month is None:
        raise DurationError(
            f"I couldn't read `{original.strip()}` as a date: `{month_name}` isn't a month I know. "
            "Write it like `2027-01-10` or `10 January 2027`."
        )
    if year is not None:
        return _make_date(int(year), month, day, original)
    return _next_occurrence(month, day, today, original)


def _numeric_date(match: re.Match[str], today: date, original: str) -> date:
    first, second = int(match[1]), int(match[2])
    year_text = match[3]
    if first > 12 and second <= 12:
        day, month = first, second
    elif second > 12 and first <= 12:
        day, month = second, first
    elif first == second:
        day = month = first
    else:
        raise DurationError(
            f"`{original.strip()}` could be read two ways (day/month or month/day). "
            "Please write it as year-month-day, like `2027-01-10`."
        )
    if year_text is None:
        return _next_occurrence(month, day, today, original)
    year = int(year_text) + (2000 if len(year_text) == 2 else 0)
    return _make_date(year, month, day, original)
