"""Reflections as values: the outbox kinds, a channel's settings and day rule, what a
retry or a share click found. Nothing else of the feature is imported here.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from bot.models import ReflectionChannel, ReflectionPrompt
from bot.privacy import Verdict
from bot.rhythm import WEEKDAY_NAMES

PROMPT_KIND = "reflection_prompt"
SUMMARY_KIND = "reflection_summary"
REMINDER_KIND = "reflection_reminder"


@dataclass(frozen=True)
class ChannelSettings:
    """What an admin chooses for a channel in the set-up modal."""

    day_rule: DayRule
    minute_of_day: int
    timezone: str
    themes: tuple[str, ...]
    allow_anonymous: bool = True
    reminder_enabled: bool = False


@dataclass(frozen=True)
class ChannelOverview:
    """One channel in `/mentor reflections`: its set-up and its latest prompt."""

    channel: ReflectionChannel
    latest: ReflectionPrompt | None
    next_theme: str | None


@dataclass(frozen=True)
class Rearmed:
    """What a retry request found: the prompt (if any) and whether it was re-armed."""

    prompt: ReflectionPrompt | None
    rearmed: bool
    channel: ReflectionChannel | None


@dataclass(frozen=True)
class ShareTarget:
    """Where a reflection on a prompt goes, and what the share modal should offer."""

    prompt_id: int
    channel_id: str
    thread_ts: str
    theme: str
    question: str
    month: str
    allow_anonymous: bool
    closed_reason: str | None


# Why a share was refused when the channel turned anonymous sharing off while the modal was open.
ANONYMOUS_OFF = "anonymous_off"


@dataclass(frozen=True)
class ShareResult:
    """What sharing through the modal did: the prompt it went to and the recorded
    reflection's id, or why nothing was recorded (`refused`: the prompt's
    `closed_reason`, "missing" when there is no such posted prompt, or ANONYMOUS_OFF;
    `screened`: the privacy screen's verdict on text it would not store as it is).
    """

    target: ShareTarget | None
    reflection_id: int | None = None
    refused: str | None = None
    screened: Verdict | None = None


# The words of a day rule's stored code (`first-mon`, `last-fri`, `day-31`).
WEEKS = ("first", "second", "third", "fourth", "last")
WEEKDAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_PREFIX = "day"


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


@dataclass(frozen=True)
class DayRule:
    """Which day of each month: the nth (or last) weekday, or a day number.

    Stored as a short code: `first-mon`, `last-fri`, `day-31`.
    """

    week: str | None = None
    weekday: int | None = None
    day: int | None = None

    def __post_init__(self) -> None:
        by_weekday = self.week is not None and self.weekday is not None and self.day is None
        by_number = self.week is None and self.weekday is None and self.day is not None
        if not (by_weekday or by_number):
            raise ValueError("a day rule is either a week and a weekday, or a day number")
        if self.week is not None and self.week not in WEEKS:
            raise ValueError(f"unknown week {self.week!r}")
        if self.weekday is not None and not 0 <= self.weekday <= 6:
            raise ValueError("weekday must be 0 (Monday) to 6 (Sunday)")
        if self.day is not None and not 1 <= self.day <= 31:
            raise ValueError("a day number must be from 1 to 31")

    @classmethod
    def decode(cls, code: str) -> DayRule:
        """Read `first-mon` / `last-fri` / `day-31`; raises ValueError on anything else."""
        head, _, tail = code.strip().lower().partition("-")
        if head == DAY_PREFIX and tail.isdigit():
            return cls(day=int(tail))
        if head in WEEKS and tail in WEEKDAY_KEYS:
            return cls(week=head, weekday=WEEKDAY_KEYS.index(tail))
        raise ValueError(f"not a day rule: {code!r}")

    def encode(self) -> str:
        """The stored code."""
        if self.day is not None:
            return f"{DAY_PREFIX}-{self.day}"
        assert self.weekday is not None
        return f"{self.week}-{WEEKDAY_KEYS[self.weekday]}"

    def describe(self) -> str:
        """How a person reads the rule: "the first Monday", "the 31st (or the month's last day)"."""
        if self.day is not None:
            base = f"the {_ordinal(self.day)}"
            return base + (" (or the month's last day)" if self.day > 28 else "")
        assert self.weekday is not None
        return f"the {self.week} {WEEKDAY_NAMES[self.weekday]}"

    def date_in(self, year: int, month: int) -> date:
        """The rule's date in that month: a day number past the month's end falls on its
        last day (see `bot.reflections.rules` for the whole rule)."""
        days_in_month = calendar.monthrange(year, month)[1]
        if self.day is not None:
            return date(year, month, min(self.day, days_in_month))
        assert self.weekday is not None and self.week is not None
        if self.week == "last":
            last = date(year, month, days_in_month)
            return last - timedelta(days=(last.weekday() - self.weekday) % 7)
        first = date(year, month, 1)
        first_match = first + timedelta(days=(self.weekday - first.weekday()) % 7)
        return first_match + timedelta(weeks=WEEKS.index(self.week))


DEFAULT_RULE = DayRule(week="first", weekday=1)  # the first Tuesday: after Monday's handovers
DEFAULT_MINUTE = 10 * 60
