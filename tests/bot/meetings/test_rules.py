"""Reading `/mentor met`, month keys, and the day the monthly question falls on."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.meetings.rules import (
    clean_practices,
    minutes_in_words,
    month_key,
    month_name,
    parse_met,
    parse_minutes,
    question_day,
    recent_months,
)
from bot.meetings.types import MetRefused


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("15m", 15),
        ("30m", 30),
        ("45 min", 45),
        ("45 minutes", 45),
        ("1h", 60),
        ("1 hour", 60),
        ("2 hours", 120),
        ("90m", 90),
        ("1.5h", 90),
        ("1,5h", 90),
        ("1h30", 90),
        ("1h 30m", 90),
        ("1 h 30 min", 90),
        ("30", 30),
        ("30M", 30),
    ],
)
def test_lengths_people_type(text, minutes):
    assert parse_minutes(text) == minutes


@pytest.mark.parametrize("text", ["", "soon", "h", "m", "30 secs", "an hour", "-30m", "1:30"])
def test_what_is_not_a_length(text):
    assert parse_minutes(text) is None


@given(st.integers(min_value=0, max_value=999))
def test_any_whole_number_of_minutes_reads_back(minutes):
    assert parse_minutes(f"{minutes}m") == minutes


def test_met_reads_a_mention_before_or_after_the_length():
    assert parse_met("<@U0MENTEE1|sam> 30m") == ("U0MENTEE1", 30)
    assert parse_met("45 min <@U0MENTEE1>") == ("U0MENTEE1", 45)
    assert parse_met("1h") == (None, 60)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "How long did you meet?"),
        ("<@U0MENTEE1>", "How long did you meet?"),
        ("<@U0A1234567> <@U0B1234567> 30m", "one mentee at a time"),
        ("@sam 30m", "@-menu"),
        ("lunch", "couldn't read `lunch`"),
        ("4m", "5 minutes to 8 hours"),
        ("481m", "5 minutes to 8 hours"),
    ],
)
def test_met_refuses_what_it_cannot_read(text, says):
    with pytest.raises(MetRefused) as refused:
        parse_met(text)
    assert says in refused.value.message


def test_month_keys_and_names():
    assert month_key(date(2026, 3, 9)) == "2026-03"
    assert month_name("2026-03") == "March" and month_name("nonsense") == "nonsense"
    assert recent_months(date(2027, 2, 14), 3) == ["2027-02", "2027-01", "2026-12"]


@pytest.mark.parametrize(
    ("today", "days", "quiet_weekends", "expected"),
    [
        (date(2026, 12, 20), (1,), True, date(2026, 12, 22)),  # Tuesday the 22nd
        (date(2026, 12, 20), (3,), True, date(2026, 12, 24)),  # Thursday
        (date(2026, 12, 23), (1,), True, date(2026, 12, 29)),  # the 22nd has passed: next Tuesday
        (date(2027, 2, 20), (0,), True, date(2027, 2, 22)),  # Monday 22 February
        (date(2027, 2, 27), (0,), True, None),  # Saturday 27 Feb; the month ends on a quiet Sunday
        (date(2027, 2, 27), (0,), False, date(2027, 2, 27)),  # no Monday left: first day allowed
        (date(2026, 12, 20), (), True, date(2026, 12, 22)),  # no nudge days: first weekday
        (date(2026, 12, 20), (5,), True, date(2026, 12, 22)),  # a weekend day while weekends are quiet
    ],
)
def test_the_question_day(today, days, quiet_weekends, expected):
    assert question_day(today, days, quiet_weekends) == expected


@given(
    st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31)), st.sets(st.integers(0, 4), min_size=1)
)
def test_a_nudge_weekday_always_falls_between_the_22nd_and_28th(day, weekdays):
    # Seven days hold every weekday once, so from the 21st or earlier there is always one.
    today = day.replace(day=min(day.day, 21))
    found = question_day(today, weekdays, True)
    assert found is not None and 22 <= found.day <= 28 and found.weekday() in weekdays


def test_words_for_lengths_and_practices():
    assert [minutes_in_words(m) for m in (45, 60, 90, 120)] == [
        "45 minutes",
        "1 hour",
        "1 h 30 min",
        "2 hours",
    ]
    assert clean_practices(["autonomy", "care", "bogus", "care"]) == ("care", "autonomy")
