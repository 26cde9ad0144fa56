"""Contact windows, pauses and wall-clock time across zones and DST changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.models import Person
from bot.timing import (
    end_of_contact_day,
    format_minute,
    in_contact_window,
    local_datetime,
    may_message,
    next_contact_time,
    parse_minute,
)

NEW_YORK = ZoneInfo("America/New_York")
SYDNEY = ZoneInfo("Australia/Sydney")
ST_JOHNS = ZoneInfo("America/St_Johns")


def person(**overrides) -> Person:
    values = {"contact_start": 8 * 60, "contact_end": 18 * 60, "quiet_weekends": True, "is_active": True}
    values.update(overrides)
    return Person(**values)


def test_local_datetime_follows_dst_in_new_york():
    before = local_datetime(date(2026, 3, 6), 9 * 60, NEW_YORK)  # Friday, EST
    after = local_datetime(date(2026, 3, 9), 9 * 60, NEW_YORK)  # Monday, EDT

    assert before == datetime(2026, 3, 6, 14, 0, tzinfo=UTC)
    assert after == datetime(2026, 3, 9, 13, 0, tzinfo=UTC)


def test_a_time_in_the_spring_forward_gap_moves_forward():
    instant = local_datetime(date(2026, 3, 8), 2 * 60 + 30, NEW_YORK)

    assert instant.astimezone(NEW_YORK).hour == 3


def test_half_hour_zone():
    assert local_datetime(date(2026, 12, 1), 9 * 60, ST_JOHNS) == datetime(2026, 12, 1, 12, 30, tzinfo=UTC)


def test_next_contact_time_skips_night_and_weekend():
    friday_evening = datetime(2026, 12, 4, 23, 30, tzinfo=UTC)  # 18:30 Friday in New York

    nxt = next_contact_time(person(), NEW_YORK, friday_evening)

    assert nxt == datetime(2026, 12, 7, 13, 0, tzinfo=UTC)  # Monday 08:00 EST


def test_next_contact_time_is_now_when_allowed():
    tuesday_ten = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)

    assert next_contact_time(person(), NEW_YORK, tuesday_ten) == tuesday_ten


def test_next_contact_time_waits_for_a_pause_to_end():
    now = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
    paused = person(paused_until=datetime(2026, 12, 15, 5, 0, tzinfo=UTC))

    assert next_contact_time(paused, NEW_YORK, now) == datetime(2026, 12, 15, 13, 0, tzinfo=UTC)


def test_weekend_people_can_be_reached_on_saturday_in_sydney():
    saturday_morning_sydney = datetime(2026, 12, 4, 23, 0, tzinfo=UTC)  # Sat 10:00 AEDT

    assert not in_contact_window(person(), saturday_morning_sydney, SYDNEY)
    assert in_contact_window(person(quiet_weekends=False), saturday_morning_sydney, SYDNEY)


@pytest.mark.parametrize(
    ("field", "value"),
    [("is_active", False), ("opted_out_at", datetime(2026, 1, 1, tzinfo=UTC))],
)
def test_may_message_refuses_stopped_and_inactive_people(field, value):
    tuesday_ten = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
    assert may_message(person(), tuesday_ten, NEW_YORK)
    assert not may_message(person(**{field: value}), tuesday_ten, NEW_YORK)


def test_end_of_contact_day():
    morning = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)

    assert end_of_contact_day(person(), NEW_YORK, morning) == datetime(2026, 12, 1, 23, 0, tzinfo=UTC)
    assert end_of_contact_day(person(contact_end=24 * 60), NEW_YORK, morning) == (
        datetime(2026, 12, 2, 5, 0, tzinfo=UTC)
    )


def test_every_hour_of_a_year_finds_a_contact_time_within_a_week():
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for hours in range(0, 365 * 24, 7):
        moment = start + timedelta(hours=hours)
        found = next_contact_time(person(), ST_JOHNS, moment)
        assert found >= moment
        assert found - moment < timedelta(days=4)
        assert in_contact_window(person(), found, ST_JOHNS)


def test_clock_time_text():
    assert format_minute(575) == "09:35"
    assert parse_minute("9:35") == 575
    assert parse_minute("24:00") is None
    assert parse_minute("nine") is None
