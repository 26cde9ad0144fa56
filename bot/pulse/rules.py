"""The pulse's rules, as pure functions: when check-ins are due, the quarter an answer is
filed under, the rolling window, the release rule, the gap, and a mentor's focus.

* **Timing.** A pair's first check-in is due `first_days` after it starts, then every
  `every_days` after the previous one (measured from the last one, so changing the
  timing never gives two check-ins in a row), and never before the previous one has
  closed (a shorter rhythm never leaves two open at once, nor cuts one short). A
  mentor's self-check follows the same timing from the start of their earliest active
  pair. A check-in planned late (the clock was down, or the app was upgraded long after
  a pair began) is due at once with a full period, rather than arriving already closed.
* **Close-out.** When a pair ends, the mentee gets one last check-in, open for
  :data:`CLOSE_OUT_OPEN` — unless the pair lasted less than :data:`MIN_PAIR_FOR_CLOSE_OUT`
  (a pair made by mistake and undone should not ask anyone how it went).
* **Quarters.** Answers are filed under the calendar quarter (UTC) they were given in,
  no finer. Published figures cover the last `months / 3` *closed* quarters; a quarter
  is published :data:`PUBLISH_GRACE` after it ends (`bot.pulse.pools` says what).
* **Release.** A mentor's results (and every cohort figure) appear only as published
  batches, each from at least `ANONYMITY_MIN` different mentees (`bot.pulse.pools`).
* **Gap.** Per item: the mentor's own self-check average minus their mentees' released
  average. Shown only to that mentor, only when released.
* **Focus.** The nudge planner leans toward the practices with the largest released gap
  (or, with no self-check, the lowest released mentee averages); before release, toward
  the practices the mentor's own self-check rated lowest. Unreleased mentee answers are
  never an input.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.pulse.items import PRACTICE_ITEMS
from bot.pulse.types import FOCUS_GAP, FOCUS_SELF, NO_FOCUS, Focus, ItemFigure, PulseTiming
from bot.timing import local_datetime, minute_of_day

CLOSE_OUT_OPEN = timedelta(days=30)
MIN_PAIR_FOR_CLOSE_OUT = timedelta(days=14)
# A check-in planned more than this late is due now, with a whole period to answer.
LATE_PLANNING = timedelta(days=7)
REMINDER_WORKING_DAYS = 3
# A re-queued invitation (cancelled by a pause, then re-armed) is given up after this many.
MAX_ATTEMPTS = 5
# A closed quarter is published this long after it ends (an answer sent in its last
# second has long been committed by then).
PUBLISH_GRACE = timedelta(hours=1)
# Button values, metadata and typed numbers: digits only, short enough for any column.
_NUMBER = re.compile(r"[0-9]{1,9}")

# Focus: signals below MIN_SIGNAL are noise; FULL_SIGNAL (points on the 1–4 scale)
# gives full weight. Before release, a self-rating of SELF_CEILING or more adds nothing.
MIN_SIGNAL = 0.25
FULL_SIGNAL = 1.5
SELF_CEILING = 3.5
# With no self-check, released mentee averages below this point count as room to grow.
MENTEE_MIDPOINT = 3.0


# --- timing ------------------------------------------------------------------------------


def next_regular_due(
    started_at: datetime, last_due: datetime | None, timing: PulseTiming, last_closes: datetime | None = None
) -> datetime:
    """When the next regular check-in is due: `first_days` after the start, then
    `every_days` after the last one (never before `first_days` after the start), and
    never before the last one closes (`last_closes`)."""
    first = started_at + timedelta(days=timing.first_days)
    if last_due is None:
        return first
    return max(first, last_due + timedelta(days=timing.every_days), last_closes or first)


def round_window(scheduled: datetime, now: datetime, timing: PulseTiming) -> tuple[datetime, datetime]:
    """(due_at, closes_at) of a check-in scheduled for `scheduled` and planned at `now`."""
    due = scheduled if now - scheduled <= LATE_PLANNING else now
    return due, due + timedelta(days=timing.every_days)


def close_out_wanted(started_at: datetime, ended_at: datetime, now: datetime) -> bool:
    """Whether an ended pair gets its close-out check-in (planned at `now`)."""
    return ended_at - started_at >= MIN_PAIR_FOR_CLOSE_OUT and now - ended_at < CLOSE_OUT_OPEN


def close_out_window(ended_at: datetime, now: datetime) -> tuple[datetime, datetime]:
    """(due_at, closes_at) of a pair's close-out."""
    return now, ended_at + CLOSE_OUT_OPEN


def add_working_days(moment: datetime, days: int, zone: ZoneInfo) -> datetime:
    """The same local time `days` working days (Monday–Friday in `zone`) after `moment`."""
    day = moment.astimezone(zone).date()
    counted = 0
    while counted < days:
        day += timedelta(days=1)
        if day.weekday() < 5:
            counted += 1
    return local_datetime(day, minute_of_day(moment, zone), zone)


def closed_reason(
    *, status: str, closes_at: datetime, now: datetime, close_out: bool, pair_ended: bool
) -> str | None:
    """Why a check-in takes no answers now (in words for its recipient), or None if it does."""
    if not close_out and pair_ended:
        return (
            "This check-in was about a mentoring pair that has since ended, so it no longer takes "
            "answers. If there's a closing check-in for that pair, it's open."
        )
    if status in ("skipped", "closed") or closes_at <= now:
        return "This check-in has closed, so nothing was recorded. The next one will come along in its time."
    return None


# --- quarters and the window -------------------------------------------------------------


def quarter_of(moment: datetime) -> str:
    """The calendar quarter (UTC) of `moment`, e.g. "2026-Q4"."""
    utc = moment.astimezone(UTC)
    return f"{utc.year}-Q{(utc.month - 1) // 3 + 1}"


def _quarter_number(key: str) -> int:
    year, quarter = key.split("-Q")
    return int(year) * 4 + int(quarter) - 1


def _quarter_key(number: int) -> str:
    return f"{number // 4}-Q{number % 4 + 1}"


def last_closed_quarter(now: datetime, grace: timedelta = timedelta(0)) -> str:
    """The newest quarter that had ended `grace` before `now`."""
    return _quarter_key(_quarter_number(quarter_of(now - grace)) - 1)


def quarters_through(last: str, months: int) -> tuple[str, ...]:
    """`months / 3` quarters ending with `last`, oldest first."""
    end = _quarter_number(last)
    return tuple(_quarter_key(n) for n in range(end - max(1, months // 3) + 1, end + 1))


def published_window(now: datetime, months: int) -> tuple[str, ...]:
    """The closed quarters published figures may cover now (the last `months / 3`)."""
    return quarters_through(last_closed_quarter(now), months)


def parse_number(text: object) -> int | None:
    """A button value or typed number: 1 to 9 ASCII digits, else None (so "²", "-1" or a
    thirty-digit string never reach `int()` or the database)."""
    return int(text) if isinstance(text, str) and _NUMBER.fullmatch(text) else None


def window_quarters(now: datetime, months: int) -> tuple[str, ...]:
    """The quarters in the rolling window: the current one and those before it."""
    current = _quarter_number(quarter_of(now))
    count = max(1, months // 3)
    return tuple(f"{n // 4}-Q{n % 4 + 1}" for n in range(current - count + 1, current + 1))


# --- release, averages and the gap -------------------------------------------------------


def shown_average(total: float | None, count: int, minimum: int = 1) -> float | None:
    """An item's average to show: None when fewer than `minimum` answers rated it."""
    if total is None or count < minimum or count == 0:
        return None
    return round(total / count, 1)


def gap(own: float | None, mentees: float | None) -> float | None:
    """The mentor's self-rating minus their mentees' released average."""
    if own is None or mentees is None:
        return None
    return round(own - mentees, 1)


def item_figures(
    own: dict[str, float | None], mentees: dict[str, float | None] | None, keys: Sequence[str]
) -> tuple[ItemFigure, ...]:
    """One figure per item; `mentees` is None while unreleased (then no gap either)."""
    figures = []
    for key in keys:
        theirs = mentees.get(key) if mentees is not None else None
        figures.append(ItemFigure(key, theirs, own.get(key), gap(own.get(key), theirs)))
    return tuple(figures)


# --- focus for the nudge planner ---------------------------------------------------------


def _weight(signal: float | None) -> float:
    if signal is None or signal < MIN_SIGNAL:
        return 0.0
    return round(min(1.0, signal / FULL_SIGNAL), 3)


def focus_from(figures: Iterable[ItemFigure], *, released: bool) -> Focus:
    """Where a mentor's nudges should lean, from what they may see themselves.

    Released: toward the largest gaps (own − mentees), or with no self-check the lowest
    mentee averages. Not released: toward the lowest self-ratings — and the mentee
    figures, which are None then anyway, are not read.
    """
    by_key = {figure.key: figure for figure in figures}
    weights = []
    for item in PRACTICE_ITEMS:
        figure = by_key.get(item.key)
        if figure is None:
            continue
        if released and figure.mentees is not None:
            signal = figure.gap if figure.gap is not None else MENTEE_MIDPOINT - figure.mentees
        elif not released and figure.own is not None:
            signal = SELF_CEILING - figure.own
            signal = signal * FULL_SIGNAL / (SELF_CEILING - 1)
        else:
            signal = None
        weight = _weight(signal)
        if weight > 0:
            assert item.practice is not None
            weights.append((item.practice, weight))
    if not weights:
        return NO_FOCUS
    return Focus(FOCUS_GAP if released else FOCUS_SELF, tuple(weights))


# --- admin input -------------------------------------------------------------------------


def parse_timing(
    words: Sequence[str], first_range: tuple[int, int], every_range: tuple[int, int]
) -> tuple[int | None, int | None]:
    """`every 60 first 30` (either part, any order) → (first, every); ValueError with a
    sentence for the admin when it is not that."""
    usage = "Try `/mentor pulse every 60 first 30` (days; either part on its own works too)."
    if not words or len(words) % 2:
        raise ValueError(usage)
    found: dict[str, int] = {}
    for name, value in zip(words[::2], words[1::2], strict=True):
        name = name.lower()
        if name not in ("every", "first") or name in found or parse_number(value) is None:
            raise ValueError(usage)
        low, high = first_range if name == "first" else every_range
        if not low <= int(value) <= high:
            raise ValueError(f"`{name}` must be from {low} to {high} days (you gave {value}). {usage}")
        found[name] = int(value)
    return found.get("first"), found.get("every")
