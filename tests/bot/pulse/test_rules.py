"""The pulse's pure rules: due dates, quarters and the window, working days, the release
rule, the gap, a mentor's focus, and reading an admin's timing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.pulse.items import ITEM_KEYS, ITEMS, PRACTICE_ITEMS
from bot.pulse.rules import (
    CLOSE_OUT_OPEN,
    add_working_days,
    close_out_wanted,
    closed_reason,
    focus_from,
    gap,
    item_figures,
    last_closed_quarter,
    next_regular_due,
    parse_number,
    parse_timing,
    published_window,
    quarter_of,
    round_window,
    shown_average,
    window_quarters,
)
from bot.pulse.types import FOCUS_GAP, FOCUS_SELF, NO_FOCUS, ItemFigure, PulseTiming

TIMING = PulseTiming(first_days=30, every_days=60)
START = datetime(2027, 1, 4, 14, 0, tzinfo=UTC)
NEW_YORK = ZoneInfo("America/New_York")


def test_first_check_in_after_first_days_then_every_period_from_the_last_one():
    first = next_regular_due(START, None, TIMING)
    assert first == START + timedelta(days=30)
    second = next_regular_due(START, first, TIMING)
    assert second == first + timedelta(days=60)
    # A shorter rhythm chosen later never pulls a check-in before the first one was due.
    assert next_regular_due(START, None, PulseTiming(14, 30)) == START + timedelta(days=14)
    assert next_regular_due(START, START, PulseTiming(30, 30)) == START + timedelta(days=30)


def test_a_check_in_planned_late_is_due_now_with_a_whole_period():
    scheduled = START + timedelta(days=30)
    on_time = round_window(scheduled, scheduled + timedelta(minutes=1), TIMING)
    assert on_time == (scheduled, scheduled + timedelta(days=60))
    a_year_late = scheduled + timedelta(days=365)
    assert round_window(scheduled, a_year_late, TIMING) == (a_year_late, a_year_late + timedelta(days=60))


def test_close_out_only_for_pairs_that_lasted_and_only_while_it_could_still_be_answered():
    ended = START + timedelta(days=40)
    assert close_out_wanted(START, ended, ended)
    assert not close_out_wanted(START, START + timedelta(days=3), START + timedelta(days=3))
    assert not close_out_wanted(START, ended, ended + CLOSE_OUT_OPEN)


@pytest.mark.parametrize(
    ("sent", "expected"),
    [
        # Wednesday 09:00 New York → Monday 09:00 (Thu, Fri, Mon).
        (datetime(2027, 2, 3, 14, 0, tzinfo=UTC), datetime(2027, 2, 8, 14, 0, tzinfo=UTC)),
        # Friday → Wednesday.
        (datetime(2027, 2, 5, 14, 0, tzinfo=UTC), datetime(2027, 2, 10, 14, 0, tzinfo=UTC)),
        # Across the US spring-forward (Sunday 14 March 2027): the same local 09:00.
        (datetime(2027, 3, 11, 14, 0, tzinfo=UTC), datetime(2027, 3, 16, 13, 0, tzinfo=UTC)),
    ],
)
def test_reminder_three_working_days_later_in_the_recipients_zone(sent, expected):
    assert add_working_days(sent, 3, NEW_YORK) == expected


def test_quarters_and_the_rolling_window():
    assert quarter_of(datetime(2026, 12, 31, 23, 59, tzinfo=UTC)) == "2026-Q4"
    assert quarter_of(datetime(2027, 1, 1, tzinfo=UTC)) == "2027-Q1"
    now = datetime(2027, 2, 10, tzinfo=UTC)
    assert window_quarters(now, 12) == ("2026-Q2", "2026-Q3", "2026-Q4", "2027-Q1")
    assert window_quarters(now, 3) == ("2027-Q1",)
    # Published figures cover closed quarters only: the current one never.
    assert published_window(now, 12) == ("2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4")
    assert published_window(now, 3) == ("2026-Q4",)
    first_hour = datetime(2027, 4, 1, 0, 30, tzinfo=UTC)
    assert last_closed_quarter(first_hour) == "2027-Q1"
    # Within the grace after a quarter ends, publishing still waits for late commits.
    assert last_closed_quarter(first_hour, timedelta(hours=1)) == "2026-Q4"


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("12", 12),
        ("007", 7),
        ("999999999", 999999999),
        ("1234567890", None),
        ("²", None),
        ("٣", None),
        ("-1", None),
        ("", None),
        (" 1", None),
        (None, None),
        (12, None),
    ],
)
def test_numbers_from_buttons_and_commands_are_plain_short_digits(text, number):
    assert parse_number(text) == number


def test_a_shorter_rhythm_never_opens_a_check_in_before_the_last_one_closes():
    last_due = START + timedelta(days=30)
    closes = last_due + timedelta(days=60)
    shorter = PulseTiming(30, 30)
    assert next_regular_due(START, last_due, shorter) == last_due + timedelta(days=30)
    assert next_regular_due(START, last_due, shorter, closes) == closes


def test_an_item_average_needs_the_minimum_number_of_answers_that_rated_it():
    assert shown_average(17.0, 5, 5) == 3.4
    assert shown_average(12.0, 4, 5) is None  # one said "doesn't apply"
    assert shown_average(None, 0, 5) is None


def test_gap_is_own_rating_minus_the_mentees_released_average():
    assert gap(3.5, 2.8) == 0.7
    assert gap(2.0, 3.0) == -1.0
    assert gap(None, 3.0) is None and gap(3.0, None) is None
    figures = item_figures({"care": 4.0}, None, ITEM_KEYS)
    assert all(f.mentees is None and f.gap is None for f in figures)
    assert figures[0] == ItemFigure("care", None, 4.0, None)


def _figures(own: dict[str, float], mentees: dict[str, float] | None) -> tuple[ItemFigure, ...]:
    return item_figures(own, mentees, ITEM_KEYS)


def test_focus_leans_toward_the_largest_released_gaps():
    own = {item.key: 3.5 for item in PRACTICE_ITEMS}
    mentees = {**own, "listen": 2.0, "own_errors": 3.0, "care": 3.9}
    focus = focus_from(_figures(own, mentees), released=True)
    assert focus.why == FOCUS_GAP
    assert focus.weight("listen") == 1.0
    assert 0 < focus.weight("own_errors") < focus.weight("listen")
    assert focus.weight("care") == 0.0  # mentees rate it higher than the mentor does
    assert focus.weight("no_ego") == 0.0


def test_before_release_focus_leans_toward_the_lowest_self_ratings():
    own = {"care": 4.0, "no_ego": 3.0, "mistakes_ok": 1.0, "own_errors": 2.0, "listen": 4.0, "autonomy": 3.5}
    focus = focus_from(_figures(own, None), released=False)
    assert focus.why == FOCUS_SELF
    assert focus.weight("mistakes_ok") == 1.0
    assert focus.weight("mistakes_ok") > focus.weight("own_errors") > focus.weight("no_ego") > 0
    assert focus.weight("care") == focus.weight("autonomy") == 0.0


def test_no_focus_without_anything_the_mentor_may_see():
    assert focus_from(_figures({}, None), released=False) == NO_FOCUS
    # Released with no self-check: low mentee averages still say where there is room.
    focus = focus_from(_figures({}, {"listen": 2.0, "care": 3.8}), released=True)
    assert focus.why == FOCUS_GAP and focus.weight("listen") > 0 and focus.weight("care") == 0


def test_closed_reasons():
    now = START
    later = now + timedelta(days=1)
    assert closed_reason(status="sent", closes_at=later, now=now, close_out=False, pair_ended=False) is None
    assert "has closed" in closed_reason(
        status="sent", closes_at=now, now=now, close_out=False, pair_ended=False
    )
    assert "ended" in closed_reason(status="sent", closes_at=later, now=now, close_out=False, pair_ended=True)
    # The close-out is about an ended pair, and open.
    assert closed_reason(status="sent", closes_at=later, now=now, close_out=True, pair_ended=True) is None


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        (["every", "45"], (None, 45)),
        (["first", "21", "every", "90"], (21, 90)),
        (["FIRST", "14"], (14, None)),
    ],
)
def test_parse_timing(words, expected):
    assert parse_timing(words, (7, 180), (30, 180)) == expected


@pytest.mark.parametrize(
    ("words", "says"),
    [
        ([], "Try `/mentor pulse every 60 first 30`"),
        (["every"], "Try"),
        (["every", "soon"], "Try"),
        (["every", "5"], "`every` must be from 30 to 180 days"),
        (["first", "400"], "`first` must be from 7 to 180 days"),
        (["every", "60", "every", "30"], "Try"),
        (["often", "3"], "Try"),
    ],
)
def test_parse_timing_refuses_with_a_usable_sentence(words, says):
    with pytest.raises(ValueError, match=None) as refused:
        parse_timing(words, (7, 180), (30, 180))
    assert says in str(refused.value)


def test_items_cover_the_six_practices_and_who_led():
    assert [i.practice for i in PRACTICE_ITEMS] == [
        "care",
        "no_ego",
        "mistakes_ok",
        "own_errors",
        "listen",
        "autonomy",
    ]
    assert len(ITEMS) == 7 and ITEMS[-1].key == "zwisch"
    for item in ITEMS:
        for labels in (item.scale.mentee, item.scale.mentor):
            assert len(labels) == 4 and all(len(label) <= 75 for label in labels)
