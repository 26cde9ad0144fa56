"""Months, ranges and pseudonyms."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.reports.rules import (
    SLACK_ID,
    Pseudonyms,
    month_bounds,
    months_ending,
    parse_export_range,
    parse_month,
    shift_month,
)
from bot.reports.types import ReportProblem


def test_months_and_their_bounds_follow_the_zone():
    assert parse_month(" 2026-11 ") == "2026-11"
    assert shift_month("2026-01", -1) == "2025-12" and shift_month("2026-12", 1) == "2027-01"
    assert months_ending("2026-02", 3) == ("2025-12", "2026-01", "2026-02")
    start, end = month_bounds("2026-11", ZoneInfo("America/New_York"))
    # Summer time on 1 November at midnight, winter time on 1 December.
    assert (start, end) == (datetime(2026, 11, 1, 4, tzinfo=UTC), datetime(2026, 12, 1, 5, tzinfo=UTC))


@pytest.mark.parametrize("text", ["2026-00", "2026-13", "1999-05", "9999-12", "2026-1", "Nov 2026", ""])
def test_a_bad_month_says_what_to_type(text):
    with pytest.raises(ReportProblem, match="use YYYY-MM"):
        parse_month(text)


def test_export_ranges():
    today = date(2026, 12, 3)
    assert parse_export_range([], today) == (date(2025, 12, 1), today, False)
    assert parse_export_range(["2026-01-01", "2026-06-30", "deidentify"], today) == (
        date(2026, 1, 1),
        date(2026, 6, 30),
        True,
    )
    with pytest.raises(ReportProblem, match="before it starts"):
        parse_export_range(["2026-06-30", "2026-01-01"], today)
    for far in (["9999-12-01", "9999-12-31"], ["1999-12-01", "2000-01-31"]):
        with pytest.raises(ReportProblem, match="years 2000 to 9998"):
            parse_export_range(far, today)


def test_pseudonyms_are_stable_within_an_export_and_unlinkable_across():
    first, second = Pseudonyms(), Pseudonyms()
    assert first("U0ALICE01") == first("U0ALICE01") != first("U0BOBBY01")
    assert first("U0ALICE01") != second("U0ALICE01")
    assert first("C0CHANNEL", "c").startswith("c-") and first("") == ""
    assert not SLACK_ID.search(first("U0ALICE01"))
    # The same salt gives the same names (the salt is the only key).
    assert Pseudonyms(b"k" * 32)("U0ALICE01") == Pseudonyms(b"k" * 32)("U0ALICE01")
