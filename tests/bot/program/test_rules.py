"""Digest periods and the words for a change, pure."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from bot.program.rules import change_words, digest_day, digest_key, is_plannable, percent, periods_before


def test_digest_days_are_every_second_monday_and_every_day_maps_to_the_latest():
    days = {digest_day(date(2026, 11, 23) + (date(2026, 1, 2) - date(2026, 1, 1)) * n, 14) for n in range(28)}
    assert sorted(days) == [date(2026, 11, 16), date(2026, 11, 30), date(2026, 12, 14)]
    assert all(day.weekday() == 0 for day in days)
    assert digest_day(date(2026, 12, 13), 14) == date(2026, 11, 30)
    assert digest_day(date(2026, 12, 14), 14) == date(2026, 12, 14)
    assert digest_day(date(2026, 12, 9), 7) == date(2026, 12, 7)


def test_a_digest_is_planned_on_its_day_and_two_days_after_only():
    day = date(2026, 12, 14)
    assert [is_plannable(date(2026, 12, d), day) for d in (13, 14, 15, 16, 17)] == [
        False,
        True,
        True,
        True,
        False,
    ]


def test_the_periods_are_the_fortnight_before_the_day_and_the_one_before_in_local_midnights():
    zone = ZoneInfo("America/New_York")
    (start, end), (before_start, before_end) = periods_before(date(2026, 12, 14), 14, zone)
    assert end == datetime(2026, 12, 14, 5, 0, tzinfo=UTC)
    assert start == before_end == datetime(2026, 11, 30, 5, 0, tzinfo=UTC)
    assert before_start == datetime(2026, 11, 16, 5, 0, tzinfo=UTC)


def test_changes_and_rates_in_words():
    assert change_words(12, 9) == "12 (up 3)"
    assert change_words(4, 5) == "4 (down 1)"
    assert change_words(0, 0) == "0 (same)"
    assert percent(None) == "–" and percent(2 / 3) == "67%"
    assert digest_key("T1", "U1", date(2026, 12, 14)) == "digest:T1:U1:2026-12-14"
