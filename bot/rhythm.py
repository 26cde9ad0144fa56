"""A mentor's nudge rhythm: which weekdays, which cadence, and how back-off slows it.

Shared by the planner (which places slots) and by the settings and welcome texts (which
describe them), so what people read is what the clock does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

# Each back-off step halves the frequency: first the cadence, then the weekdays.
_SLOWER = {"weekly": "biweekly", "biweekly": "monthly"}


@dataclass(frozen=True)
class Rhythm:
    """When a mentor's slots fall: weekdays (Monday=0) and a cadence."""

    days: tuple[int, ...]
    cadence: str


def parse_days(text: str | None) -> tuple[int, ...]:
    """ "0,3" → (0, 3); anything that is not a weekday number is ignored."""
    days = {int(part) for part in (text or "").replace(" ", "").split(",") if part.isdigit()}
    return tuple(sorted(d for d in days if 0 <= d <= 6))


def slowed(rhythm: Rhythm, level: int) -> Rhythm:
    """The rhythm after `level` back-off steps: each step halves the frequency."""
    for _ in range(max(0, level)):
        if rhythm.cadence in _SLOWER:
            rhythm = Rhythm(rhythm.days, _SLOWER[rhythm.cadence])
        elif len(rhythm.days) > 1:
            rhythm = Rhythm(rhythm.days[::2], rhythm.cadence)
        else:
            break
    return rhythm


def slowest_level(rhythm: Rhythm) -> int:
    """The highest back-off level that still changes something (monthly, one weekday)."""
    level = 0
    while slowed(rhythm, level + 1) != slowed(rhythm, level):
        level += 1
    return level


def join_words(words: Sequence[str]) -> str:
    """["a"] → "a"; ["a", "b", "c"] → "a, b and c"."""
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def describe_pace(days: Sequence[int], cadence: str) -> str:
    """(0, 3), "weekly" → "every Monday and Thursday"; used in the back-off message."""
    listed = join_words([WEEKDAY_NAMES[d] for d in days])
    if cadence == "monthly":
        return f"on the first {listed} of each month"
    if cadence == "biweekly":
        return f"every other {listed}"
    return f"every {listed}"
