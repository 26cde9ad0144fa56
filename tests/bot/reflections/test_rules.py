"""Day rules and the monthly timeline: fallbacks, DST gaps and folds, summary and reminder times."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.reflections.rules import (
    first_occurrence_from,
    month_end,
    next_retry_time,
    occurrence,
    reminder_time,
    summary_time,
)
from bot.reflections.types import WEEKDAY_KEYS, WEEKS, DayRule

LA = ZoneInfo("America/Los_Angeles")
LONDON = ZoneInfo("Europe/London")
SYDNEY = ZoneInfo("Australia/Sydney")

ALL_CODES = [f"{w}-{d}" for w in WEEKS for d in WEEKDAY_KEYS] + [f"day-{n}" for n in range(1, 32)]


@pytest.mark.parametrize("code", ALL_CODES)
def test_every_rule_reads_back_as_itself(code):
    assert DayRule.decode(code).encode() == code


@pytest.mark.parametrize("code", ["", "day-0", "day-32", "fifth-mon", "first-monday", "last", "31", "day-x"])
def test_nonsense_is_not_a_rule(code):
    with pytest.raises(ValueError):
        DayRule.decode(code)


@pytest.mark.parametrize(
    ("code", "year", "month", "expected"),
    [
        ("day-31", 2027, 4, date(2027, 4, 30)),  # April has 30 days
        ("day-31", 2027, 2, date(2027, 2, 28)),
        ("day-31", 2028, 2, date(2028, 2, 29)),  # leap year
        ("day-30", 2027, 2, date(2027, 2, 28)),
        ("day-31", 2027, 5, date(2027, 5, 31)),
        ("day-1", 2027, 5, date(2027, 5, 1)),
        ("first-mon", 2027, 1, date(2027, 1, 4)),  # 1 January 2027 is a Friday
        ("first-fri", 2027, 1, date(2027, 1, 1)),
        ("last-fri", 2026, 12, date(2026, 12, 25)),
        ("fourth-thu", 2026, 11, date(2026, 11, 26)),  # US Thanksgiving
        ("last-sun", 2027, 3, date(2027, 3, 28)),  # UK clocks go forward
    ],
)
def test_dates_in_a_month(code, year, month, expected):
    assert DayRule.decode(code).date_in(year, month) == expected


@given(
    code=st.sampled_from(ALL_CODES),
    year=st.integers(min_value=2000, max_value=2100),
    month=st.integers(min_value=1, max_value=12),
)
def test_rule_dates_match_the_calendar(code, year, month):
    rule = DayRule.decode(code)
    found = rule.date_in(year, month)
    days_in_month = calendar.monthrange(year, month)[1]
    assert (found.year, found.month) == (year, month)
    if rule.day is not None:
        assert found.day == min(rule.day, days_in_month)
        return
    assert found.weekday() == rule.weekday
    same_weekday = [d for d in range(1, days_in_month + 1) if date(year, month, d).weekday() == rule.weekday]
    wanted = same_weekday[-1] if rule.week == "last" else same_weekday[WEEKS.index(rule.week)]
    assert found.day == wanted


def test_descriptions_say_the_fallback():
    assert DayRule.decode("day-31").describe() == "the 31st (or the month's last day)"
    assert DayRule.decode("day-2").describe() == "the 2nd"
    assert DayRule.decode("day-13").describe() == "the 13th"
    assert DayRule.decode("last-fri").describe() == "the last Friday"


# --- DST: gaps move forward, repeated times mean their first occurrence ----------------


def test_a_time_in_the_spring_forward_gap_moves_past_it():
    # Los Angeles: 14 March 2027, 02:00 → 03:00. "Second Sunday at 02:30" does not exist.
    when = occurrence(DayRule.decode("second-sun"), 150, LA, 2027, 3)
    assert when == datetime(2027, 3, 14, 10, 30, tzinfo=UTC)  # 03:30 PDT
    assert when.astimezone(LA).strftime("%H:%M %Z") == "03:30 PDT"


def test_a_repeated_time_at_fall_back_is_its_first_occurrence():
    # London: 31 October 2027, 02:00 BST → 01:00 GMT. 01:30 happens twice; we take BST.
    when = occurrence(DayRule.decode("last-sun"), 90, LONDON, 2027, 10)
    assert when == datetime(2027, 10, 31, 0, 30, tzinfo=UTC)


def test_sydney_gap_and_fold():
    rule = DayRule.decode("first-sun")
    # 3 October 2027: 02:00 AEST → 03:00 AEDT, so 02:30 becomes 03:30 AEDT.
    assert occurrence(rule, 150, SYDNEY, 2027, 10) == datetime(2027, 10, 2, 16, 30, tzinfo=UTC)
    # 4 April 2027: 03:00 AEDT → 02:00 AEST; 02:30 first happens in AEDT (UTC+11).
    assert occurrence(rule, 150, SYDNEY, 2027, 4) == datetime(2027, 4, 3, 15, 30, tzinfo=UTC)


def test_month_end_is_local_midnight():
    # London is on summer time by 1 April; Sydney on daylight time (UTC+11) in January.
    assert month_end(2027, 3, LONDON) == datetime(2027, 3, 31, 23, 0, tzinfo=UTC)
    assert month_end(2027, 12, SYDNEY) == datetime(2027, 12, 31, 13, 0, tzinfo=UTC)


# --- planning the next prompt ---------------------------------------------------------


def test_next_prompt_is_this_month_when_still_ahead_else_next_month():
    rule = DayRule.decode("first-tue")
    before = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # Tuesday 1 Dec, 09:00 London
    assert first_occurrence_from(rule, 600, LONDON, before) == datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    after = datetime(2026, 12, 1, 10, 1, tzinfo=UTC)
    assert first_occurrence_from(rule, 600, LONDON, after) == datetime(2027, 1, 5, 10, 0, tzinfo=UTC)


def test_months_that_already_have_a_prompt_are_skipped():
    rule = DayRule.decode("last-fri")
    now = datetime(2026, 12, 10, 12, 0, tzinfo=UTC)
    taken = frozenset({"2026-12", "2027-01"})
    assert first_occurrence_from(rule, 600, LONDON, now, taken=taken) == datetime(
        2027, 2, 26, 10, 0, tzinfo=UTC
    )


# --- summary, reminder and retry times ----------------------------------------------------


def test_summary_is_at_four_on_the_last_local_day():
    posted = datetime(2027, 2, 2, 9, 0, tzinfo=UTC)
    assert summary_time(2027, 2, SYDNEY, posted) == datetime(2027, 2, 28, 5, 0, tzinfo=UTC)  # 16:00 AEDT


def test_summary_comes_two_hours_after_a_late_prompt_but_inside_the_month():
    afternoon = datetime(2027, 1, 31, 15, 30, tzinfo=UTC)  # London, GMT
    assert summary_time(2027, 1, LONDON, afternoon) == datetime(2027, 1, 31, 17, 30, tzinfo=UTC)
    late = datetime(2027, 1, 31, 23, 0, tzinfo=UTC)
    assert summary_time(2027, 1, LONDON, late) == datetime(2027, 1, 31, 23, 59, tzinfo=UTC)


def test_reminder_is_halfway_to_the_summary_or_skipped_when_too_late():
    posted = datetime(2027, 3, 1, 10, 0, tzinfo=UTC)
    summary = datetime(2027, 3, 31, 15, 0, tzinfo=UTC)
    assert reminder_time(posted, summary) == posted + (summary - posted) / 2
    assert reminder_time(datetime(2027, 3, 29, 10, 0, tzinfo=UTC), summary) is None


def test_automatic_retries_are_hourly_in_the_channels_daytime_and_stop_at_month_end():
    closes = datetime(2027, 2, 1, 0, 0, tzinfo=UTC)
    noon = datetime(2027, 1, 12, 12, 0, tzinfo=UTC)
    assert next_retry_time(noon, LONDON, closes) == noon + timedelta(hours=1)
    evening = datetime(2027, 1, 12, 19, 30, tzinfo=UTC)
    assert next_retry_time(evening, LONDON, closes) == datetime(2027, 1, 13, 8, 0, tzinfo=UTC)
    night = datetime(2027, 1, 13, 3, 0, tzinfo=UTC)
    assert next_retry_time(night, LONDON, closes) == datetime(2027, 1, 13, 8, 0, tzinfo=UTC)
    last_evening = datetime(2027, 1, 31, 21, 0, tzinfo=UTC)
    assert next_retry_time(last_evening, LONDON, closes) == closes
