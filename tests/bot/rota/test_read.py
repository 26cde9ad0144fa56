"""Reading rota files: CSV with found columns and line-numbered errors, and iCalendar
with repeating events, all-day rotations and broken events."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.rota.calendar import parse_calendar
from bot.rota.read import read_rota
from bot.rota.types import RotaFileError


def test_csv_columns_are_found_by_name_and_bad_lines_are_numbered():
    parsed = read_rota(
        "Site;Staff email;Shift type;From;To\n"
        "North;ana@riverside.example;Night;2027-03-02 19:00;2027-03-03 07:00\n"
        "North;ana@riverside.example;On call;2027-03-04 19:00;07:00\n"
        "North;sam@riverside.example;Cardiology;2027-03-01;2027-03-28\n"
        "North;not an address;Night;2027-03-02 19:00;2027-03-03 07:00\n"
        "North;ana@riverside.example;Night;03/04/2027 19:00;07:00\n"
        "North;ana@riverside.example;;2027-03-02 19:00;2027-03-03 07:00\n"
        "North;ana@riverside.example;Night;2027-03-05 19:00;2027-03-04 07:00\n"
    )

    assert [(r.line, r.kind, r.label, r.all_day) for r in parsed.rows] == [
        (2, "night", None, False),
        (3, "call", None, False),
        (4, "rotation", "Cardiology", True),
    ]
    assert parsed.rows[1].ends == datetime(2027, 3, 5, 7, 0)  # 19:00 → 07:00 crosses midnight
    assert parsed.rows[2].ends == datetime(2027, 3, 29, 0, 0)  # the end date is included
    reasons = {e.line: e.reason for e in parsed.errors}
    assert set(reasons) == {5, 6, 7, 8}
    assert "person" in reasons[5] and "not an address" not in reasons[5]  # the cell is never repeated
    assert "two ways" in reasons[6]
    assert "kind is empty" in reasons[7]
    assert "ends before it starts" in reasons[8]


def test_csv_with_a_date_column_and_times():
    parsed = read_rota("email,date,start,end,kind\nana@x.org,2027-03-02,7pm,7:30 am,night\n")

    [row] = parsed.rows
    assert (row.starts, row.ends) == (datetime(2027, 3, 2, 19, 0), datetime(2027, 3, 3, 7, 30))


def test_a_rotation_name_that_looks_like_patient_information_is_not_kept():
    parsed = read_rota(
        "email,start,end,kind\nana@x.org,2027-03-01,2027-03-28,Bed 4 John Smith DOB 01/02/1950\n"
    )

    [row] = parsed.rows
    assert row.kind == "rotation" and row.label is None


def test_unusable_files_say_why():
    with pytest.raises(RotaFileError, match="couldn't find any shifts"):
        read_rota("email,start,end,kind\n")
    with pytest.raises(RotaFileError, match="binary"):
        read_rota(b"\x00\x01\x02, x")


ICS = b"""BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Riverside Scheduling//EN
BEGIN:VEVENT
UID:n1
DTSTART;TZID=Europe/London:20270302T190000
DTEND;TZID=Europe/London:20270303T070000
RRULE:FREQ=WEEKLY;COUNT=3
EXDATE;TZID=Europe/London:20270309T190000
SUMMARY:Night float
END:VEVENT
BEGIN:VEVENT
UID:r1
DTSTART;VALUE=DATE:20270301
DTEND;VALUE=DATE:20270329
SUMMARY:Cardiology
END:VEVENT
BEGIN:VEVENT
UID:c1
DTSTART:20270305T080000Z
DTEND:20270305T200000Z
SUMMARY:Cancelled call
STATUS:CANCELLED
END:VEVENT
BEGIN:VEVENT
UID:bad
SUMMARY:No start at all
END:VEVENT
END:VCALENDAR
"""


def test_ics_expands_repeats_skips_exceptions_and_cancellations():
    parsed = parse_calendar(ICS, start=datetime(2027, 2, 1, tzinfo=UTC), end=datetime(2027, 5, 1, tzinfo=UTC))

    kinds = [(r.kind, r.starts.date().isoformat()) for r in parsed.rows]
    assert kinds == [("rotation", "2027-03-01"), ("night", "2027-03-02"), ("night", "2027-03-16")]
    assert parsed.rows[0].label == "Cardiology" and parsed.rows[0].all_day
    assert [e.reason for e in parsed.errors] == ["event 4 in the file has no start"]


def test_something_that_is_not_a_calendar_is_refused():
    with pytest.raises(RotaFileError, match="isn't a calendar"):
        parse_calendar(
            b"hello, world", start=datetime(2027, 1, 1, tzinfo=UTC), end=datetime(2027, 2, 1, tzinfo=UTC)
        )
