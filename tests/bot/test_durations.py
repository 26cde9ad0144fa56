"""Reading pause lengths and dates: "2w", "10 days", "until 2027-01-10", and bad input."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from bot.durations import MAX_PAUSE_DAYS, DurationError, add_months, describe_day, parse_day, parse_pause

TUESDAY = date(2026, 12, 1)


@pytest.mark.parametrize(
    ("text", "last_day"),
    [
        ("2w", date(2026, 12, 14)),  # back on Tuesday 15th, two weeks after
        ("3d", date(2026, 12, 3)),
        ("1d", TUESDAY),  # the rest of today
        ("10 days", date(2026, 12, 10)),
        ("1 week", date(2026, 12, 7)),
        ("2 weeks", date(2026, 12, 14)),
        ("2 Weeks", date(2026, 12, 14)),
        ("for 2 weeks", date(2026, 12, 14)),
        ("a week", date(2026, 12, 7)),
        ("two weeks", date(2026, 12, 14)),
        ("a fortnight", date(2026, 12, 14)),
        ("1 month", date(2026, 12, 31)),
        ("  3   days ", date(2026, 12, 3)),
        ("until 2027-01-10", date(2027, 1, 10)),
        ("till 2027-01-10", date(2027, 1, 10)),
        ("2027-01-10", date(2027, 1, 10)),
        ("until 2027/01/10", date(2027, 1, 10)),
        ("until 10 January 2027", date(2027, 1, 10)),
        ("until 10th Jan", date(2027, 1, 10)),
        ("until January 10, 2027", date(2027, 1, 10)),
        ("until Sept 3", date(2027, 9, 3)),
        ("until 25/12/2026", date(2026, 12, 25)),  # only one reading: day/month
        ("until 12/25/2026", date(2026, 12, 25)),  # only one reading: month/day
        ("until today", TUESDAY),
        ("until tomorrow", date(2026, 12, 2)),
        ("until friday", date(2026, 12, 4)),
        ("until Tuesday", TUESDAY),
        ("10 jan", date(2027, 1, 10)),
    ],
)
def test_lengths_and_dates_people_type(text, last_day):
    assert parse_pause(text, TUESDAY) == last_day


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("3 bananas", "I don't know the unit `bananas`"),
        ("0d", "at least one day"),
        ("-3d", "at least one day"),
        ("until 2020-01-01", "Wednesday 1 January 2020 has already passed"),
        ("until 2026-11-30", "Monday 30 November has already passed"),
        ("367d", "up to a year"),
        ("53 weeks", "up to a year"),
        ("13 months", "up to a year"),
        ("until 2027-12-02", "up to a year"),
        ("99999999999999w", "up to a year"),
        ("2", "2 what? Add a unit"),
        ("1.5 weeks", "whole number"),
        ("2m", "weeks or months"),
        ("3 hours", "whole days"),
        ("", "How long would you like to pause"),
        ("until", "Until when?"),
        ("until 2027-02-30", "isn't a real date"),
        ("until 01/10/2027", "could be read two ways"),
        ("until next blue moon", "couldn't read `next blue moon` as a date"),
        ("soon please", "didn't understand `soon please`"),
    ],
)
def test_bad_input_gets_a_specific_message(text, says):
    with pytest.raises(DurationError) as error:
        parse_pause(text, TUESDAY)
    assert says in error.value.message


def test_every_message_suggests_what_to_type_or_why():
    for text in ("3 bananas", "0d", "soon please", ""):
        with pytest.raises(DurationError) as error:
            parse_pause(text, TUESDAY)
        assert "/mentor pause" in error.value.message


def test_a_year_is_allowed_even_across_a_leap_day():
    # 1 March 2027 → 1 March 2028 spans 29 February 2028 (366 days).
    assert parse_pause("1 year", date(2027, 3, 1)) == date(2028, 2, 29)
    assert parse_pause("12 months", date(2027, 3, 1)) == date(2028, 2, 29)


def test_months_follow_the_calendar_and_clamp_to_month_end():
    assert add_months(date(2027, 1, 31), 1) == date(2027, 2, 28)
    assert add_months(date(2028, 1, 31), 1) == date(2028, 2, 29)
    assert add_months(date(2026, 12, 15), 1) == date(2027, 1, 15)
    assert parse_pause("1 month", date(2027, 1, 31)) == date(2027, 2, 27)


def test_a_date_without_a_year_is_its_next_occurrence():
    assert parse_day("1 December", TUESDAY) == TUESDAY
    assert parse_day("30 November", TUESDAY) == date(2027, 11, 30)
    assert parse_day("29 Feb", TUESDAY) == date(2028, 2, 29)


def test_describe_day_adds_the_year_only_when_it_differs():
    assert describe_day(date(2027, 1, 10), TUESDAY) == "Sunday 10 January 2027"
    assert describe_day(date(2026, 12, 13), TUESDAY) == "Sunday 13 December"


days_ahead = st.integers(min_value=0, max_value=MAX_PAUSE_DAYS - 1)
some_day = st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31))


@given(today=some_day, ahead=days_ahead)
def test_until_any_allowed_date_round_trips_in_every_written_form(today, ahead):
    last = today + timedelta(days=ahead)
    for form in (
        last.isoformat(),
        f"{last.day} {last:%B} {last.year}",
        f"{last:%b} {last.day}, {last.year}",
        f"{last.year}/{last.month}/{last.day}",
    ):
        assert parse_pause(f"until {form}", today) == last


@given(today=some_day, days=st.integers(min_value=1, max_value=MAX_PAUSE_DAYS))
def test_n_days_pauses_n_days_counting_today(today, days):
    assert parse_pause(f"{days}d", today) == today + timedelta(days=days - 1)
    assert parse_pause(f"{days} days", today) == today + timedelta(days=days - 1)


@given(today=some_day, weeks=st.integers(min_value=1, max_value=52))
def test_weeks_come_back_on_the_same_weekday(today, weeks):
    last = parse_pause(f"{weeks}w", today)
    resume = last + timedelta(days=1)
    assert resume.weekday() == today.weekday()
    assert (resume - today).days == 7 * weeks


@given(today=some_day, ahead=st.integers(min_value=MAX_PAUSE_DAYS, max_value=5000))
def test_nothing_past_a_year_is_accepted(today, ahead):
    with pytest.raises(DurationError):
        parse_pause(f"until {(today + timedelta(days=ahead)).isoformat()}", today)
    with pytest.raises(DurationError):
        parse_pause(f"{ahead + 1}d", today)


@given(today=some_day, text=st.text(max_size=40))
@example(today=date(2000, 1, 1), text="² 0")  # a digit to isdigit() that int() refuses
def test_any_text_either_parses_to_an_allowed_day_or_raises_a_duration_error(today, text):
    try:
        last = parse_pause(text, today)
    except DurationError as error:
        assert error.message
    else:
        assert today <= last < today + timedelta(days=MAX_PAUSE_DAYS)
