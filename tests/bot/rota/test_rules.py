"""Duty windows, the post-call rule, the allowed moment and the nudge planner's moves:
shifts across midnight, DST nights, overlapping shifts."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from bot.nudges.planner import MOVE_DAYS, place, slot_on, slots_between
from bot.rhythm import Rhythm
from bot.rota.rules import (
    POST_CALL,
    checkin_stages,
    duty_windows,
    event_kind,
    kind_of,
    mask_url,
    normalize_feed_url,
    stages_due,
)
from bot.rota.types import FeedRefused, Shift
from bot.timing import after_busy, busy_at, local_datetime, next_contact_time

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")


def person(**fields):
    base = {
        "contact_start": 8 * 60,
        "contact_end": 18 * 60,
        "quiet_weekends": True,
        "paused_until": None,
        "nudge_minute": 9 * 60 + 30,
        "nudge_days": "1",
        "cadence": "weekly",
    }
    return SimpleNamespace(**{**base, **fields})


def at(zone, y, m, d, hh, mm=0):
    return local_datetime(date(y, m, d), hh * 60 + mm, zone)


def night(zone, day: date, start=19, end=7, kind="night"):
    return Shift(
        kind,
        at(zone, day.year, day.month, day.day, start),
        at(zone, *(day + timedelta(days=1)).timetuple()[:3], end),
    )


def test_a_night_across_midnight_blocks_the_rest_of_the_day_it_ends():
    busy = duty_windows([night(LONDON, date(2027, 3, 1))], LONDON, post_call_rest=True)

    assert [b.why for b in busy] == ["night shift", POST_CALL]
    assert busy[0].start == at(LONDON, 2027, 3, 1, 19) and busy[0].end == at(LONDON, 2027, 3, 2, 7)
    assert busy[1].end == at(LONDON, 2027, 3, 3, 0)  # Tuesday stays quiet until midnight
    # Tuesday 09:30 is post-call: the next allowed moment is Wednesday at 08:00.
    assert next_contact_time(person(), LONDON, at(LONDON, 2027, 3, 2, 9, 30), busy=busy) == at(
        LONDON, 2027, 3, 3, 8
    )


def test_without_post_call_rest_the_day_after_opens_when_the_shift_ends():
    busy = duty_windows([night(LONDON, date(2027, 3, 1), end=8)], LONDON, post_call_rest=False)

    assert [b.why for b in busy] == ["night shift"]
    assert next_contact_time(person(), LONDON, at(LONDON, 2027, 3, 2, 7), busy=busy) == at(
        LONDON, 2027, 3, 2, 8
    )


def test_day_shifts_and_rotations_are_not_duty():
    shifts = [
        Shift("day", at(LONDON, 2027, 3, 2, 8), at(LONDON, 2027, 3, 2, 17)),
        Shift("rotation", at(LONDON, 2027, 3, 1, 0), at(LONDON, 2027, 3, 29, 0), "Cardiology", True),
    ]
    assert duty_windows(shifts, LONDON, post_call_rest=True) == []


def test_a_dst_night_lasts_eleven_hours_and_its_post_call_day_ends_at_local_midnight():
    # Clocks go forward in London at 01:00 UTC on Sunday 28 March 2027.
    busy = duty_windows([night(LONDON, date(2027, 3, 27))], LONDON, post_call_rest=True)

    assert busy[0].end - busy[0].start == timedelta(hours=11)
    assert busy[1].end == datetime(2027, 3, 28, 23, 0, tzinfo=UTC)  # midnight BST
    # The autumn night (clocks back on 31 October) lasts thirteen hours.
    autumn = duty_windows([night(LONDON, date(2027, 10, 30))], LONDON, post_call_rest=True)
    assert autumn[0].end - autumn[0].start == timedelta(hours=13)


def test_overlapping_and_back_to_back_shifts_are_walked_through():
    call = Shift("call", at(NEW_YORK, 2027, 3, 2, 8), at(NEW_YORK, 2027, 3, 3, 8))
    overlapping_night = night(NEW_YORK, date(2027, 3, 2), start=20, end=9)
    busy = duty_windows([call, overlapping_night], NEW_YORK, post_call_rest=False)

    assert after_busy(at(NEW_YORK, 2027, 3, 2, 10), busy) == at(NEW_YORK, 2027, 3, 3, 9)
    assert busy_at(at(NEW_YORK, 2027, 3, 3, 8, 30), busy).why == "night shift"
    assert next_contact_time(person(), NEW_YORK, at(NEW_YORK, 2027, 3, 2, 10), busy=busy) == at(
        NEW_YORK, 2027, 3, 3, 9
    )


def test_a_long_run_of_nights_is_searched_past_the_usual_horizon():
    nights = [night(LONDON, date(2027, 3, 1) + timedelta(days=n)) for n in range(20)]
    busy = duty_windows(nights, LONDON, post_call_rest=True)

    found = next_contact_time(person(), LONDON, at(LONDON, 2027, 3, 2, 9), busy=busy, horizon_days=3)
    assert found == at(LONDON, 2027, 3, 22, 8)  # the Monday after the last post-call Sunday


# --- the nudge planner's moves ------------------------------------------------------------------


def test_a_slot_on_call_moves_to_the_first_allowed_moment_that_day():
    mentor = person()
    call = Shift("call", at(LONDON, 2027, 3, 2, 7), at(LONDON, 2027, 3, 2, 11))
    busy = tuple(duty_windows([call], LONDON, post_call_rest=False))
    slot = slot_on(mentor, LONDON, Rhythm((1,), "weekly"), date(2027, 3, 2))

    moved = place(mentor, LONDON, slot, busy)

    assert (
        moved.at == at(LONDON, 2027, 3, 2, 11)
        and moved.moved_from == slot.at
        and moved.moved_why == "on call"
    )
    assert moved.period == slot.period and moved.index == slot.index


def test_a_post_call_slot_moves_to_the_usual_time_on_the_next_allowed_day():
    mentor = person()
    busy = tuple(duty_windows([night(LONDON, date(2027, 3, 1))], LONDON, post_call_rest=True))
    slot = slot_on(mentor, LONDON, Rhythm((1,), "weekly"), date(2027, 3, 2))

    moved = place(mentor, LONDON, slot, busy)

    assert moved.at == at(LONDON, 2027, 3, 3, 9, 30) and moved.moved_why == POST_CALL
    # The planner sees the moved slot between its old time and now, once.
    found = slots_between(mentor, LONDON, Rhythm((1,), "weekly"), slot.at, at(LONDON, 2027, 3, 3, 10), busy)
    assert [s.at for s in found] == [moved.at]


def test_duty_all_week_empties_the_slot():
    mentor = person()
    nights = [night(LONDON, date(2027, 3, 1) + timedelta(days=n)) for n in range(MOVE_DAYS + 3)]
    busy = tuple(duty_windows(nights, LONDON, post_call_rest=True))
    slot = slot_on(mentor, LONDON, Rhythm((1,), "weekly"), date(2027, 3, 2))

    assert place(mentor, LONDON, slot, busy) is None


# --- kinds, check-in stages, feed links ------------------------------------------------------------


def test_kinds_are_read_from_the_words_schedulers_use():
    assert [kind_of(t) for t in ("Night float", "on-call", "24h", "Day shift", "Cardiology")] == [
        "night",
        "call",
        "call",
        "day",
        None,
    ]
    assert event_kind("Cardiology", all_day=True, days=28) == "rotation"
    assert event_kind("Clinic", all_day=False, days=0) == "day"
    assert event_kind("Home call", all_day=False, days=1) == "call"


def test_rotation_stages_fall_on_day_one_the_middle_and_the_last_day():
    stages = checkin_stages(at(LONDON, 2027, 3, 1, 0), at(LONDON, 2027, 3, 29, 0), LONDON)

    assert stages == [
        ("start", at(LONDON, 2027, 3, 1, 0)),
        ("mid", at(LONDON, 2027, 3, 15, 0)),
        ("end", at(LONDON, 2027, 3, 28, 0)),
    ]
    due, upcoming = stages_due(stages, at(LONDON, 2027, 3, 1, 9))
    assert due == ["start"] and upcoming == at(LONDON, 2027, 3, 15, 0)
    # Found five days late, day 1 is skipped rather than sent as if it were day 1.
    assert stages_due(stages, at(LONDON, 2027, 3, 6, 9))[0] == []
    assert checkin_stages(at(LONDON, 2027, 3, 1, 0), at(LONDON, 2027, 3, 4, 0), LONDON) == []


def test_feed_links_are_https_only_and_shown_masked():
    assert normalize_feed_url("<webcal://cal.example.org/feed/abc123.ics>", allow_local_http=False) == (
        "https://cal.example.org/feed/abc123.ics"
    )
    assert mask_url("https://cal.example.org/feed/secret-token-9f3a") == "https://cal.example.org/…9f3a"
    for bad in ("http://cal.example.org/x.ics", "ftp://x/y", "https://me:pw@cal.example.org/x", "calendar"):
        try:
            normalize_feed_url(bad, allow_local_http=False)
        except FeedRefused:
            continue
        raise AssertionError(f"{bad} was accepted")
    assert normalize_feed_url("http://127.0.0.1:8000/x.ics", allow_local_http=True).startswith(
        "http://127.0.0.1"
    )
