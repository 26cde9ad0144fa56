"""The nudge step inside the real clock: months of ticks across DST changes, pauses,
late starts, settings changes, and a tick's cost following what is due."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, func, select

from bot.app import build_deps
from bot.db import transaction
from bot.models import DeliveryStatus, Pair, Person
from bot.nudges.planner import EPOCH_MONDAY
from bot.slack import make_client
from bot.timing import in_contact_window
from schedules.clock import Clock
from schedules.nudge_step import plan_due
from tests.fakes.clock import MovableClock
from tests.nudge_helpers import (
    answer_everything,
    deliveries,
    drive,
    make_mentor,
    person,
    replan,
    sends,
    update_person,
)


@pytest.fixture
def clock():
    return MovableClock(datetime(2026, 11, 30, 0, 0, tzinfo=UTC))


@pytest.fixture
def deps(settings, session_factory, clock):
    client = make_client(settings, retries=0)
    return build_deps(settings, client=client, session_factory=session_factory, clock=clock)


# --- a month and more of ticks across the DST changes -------------------------------------


MENTORS = [
    # user, zone, days, local minute, cadence, contact window, quiet weekends
    ("U0NYC0001", "America/New_York", "0,3", 9 * 60 + 30, "weekly", (480, 1080), True),
    ("U0LON0001", "Europe/London", "1", 7 * 60, "weekly", (480, 1080), True),  # before hours → 08:00
    ("U0SYD0001", "Australia/Sydney", "2,4", 17 * 60 + 45, "weekly", (480, 1080), True),
    ("U0STJ0001", "America/St_Johns", "0", 9 * 60, "biweekly", (480, 1080), True),
    ("U0OWL0001", "America/New_York", "6", 2 * 60 + 30, "weekly", (0, 1440), False),  # spring gap
    ("U0OWL0002", "America/New_York", "6", 1 * 60 + 30, "weekly", (0, 1440), False),  # repeated hour
]


def expected_slots(zone_name, days, minute, cadence, window, start, end):
    """Written from the rules, independently of the planner: local wall-clock times."""
    zone = ZoneInfo(zone_name)
    chosen = {int(d) for d in days.split(",")}
    minute = max(minute, window[0])
    found = []
    day = start.astimezone(zone).date() - timedelta(days=1)
    while day <= end.astimezone(zone).date():
        on = cadence == "weekly" or ((day - EPOCH_MONDAY).days // 7) % 2 == 0
        if day.weekday() in chosen and on:
            at = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=zone).astimezone(UTC)
            if start <= at <= end:
                found.append(at)
        day += timedelta(days=1)
    return found


@pytest.mark.parametrize(
    ("start", "end"),
    [
        # US spring forward 8 Mar, EU 29 Mar, AU fall back 5 Apr.
        (datetime(2026, 3, 2, tzinfo=UTC), datetime(2026, 4, 12, 23, 59, tzinfo=UTC)),
        # AU spring forward 4 Oct, EU fall back 25 Oct, US 1 Nov.
        (datetime(2026, 9, 28, tzinfo=UTC), datetime(2026, 11, 8, 23, 59, tzinfo=UTC)),
    ],
    ids=["spring-2026", "autumn-2026"],
)
def test_exactly_one_nudge_per_due_slot_in_local_time_across_dst_changes(
    deps, clock, fake_slack, session_factory, start, end
):
    clock.set(start)
    ids = {}
    for user, zone, days, minute, cadence, (open_, close), quiet in MENTORS:
        fake_slack.add_user(user, tz=zone)
        ids[user] = make_mentor(
            session_factory,
            user,
            now=start,
            tz=zone,
            nudge_days=days,
            nudge_minute=minute,
            cadence=cadence,
            contact_start=open_,
            contact_end=close,
            quiet_weekends=quiet,
        )

    ticks = drive(deps, clock, end)

    total = 0
    for user, zone, days, minute, cadence, window, _quiet in MENTORS:
        expected = expected_slots(zone, days, minute, cadence, window, start, end)
        got = sends(session_factory, ids[user])
        assert [s.planned_for for s in got] == expected, user
        assert [s.sent_at for s in got] == expected  # ticked at each due instant: sent on time
        # …and never twice (the mentor's pulse self-checks are other DMs).
        nudge_dms = [c for c in fake_slack.dms_to(user) if "Mentoring practice" in c.text_of_blocks()]
        assert len(nudge_dms) == len(expected)
        mentor = person(session_factory, ids[user])
        assert all(in_contact_window(mentor, s.sent_at, ZoneInfo(zone)) for s in got)  # never in quiet hours
        total += len(expected)
    assert total >= 45 and ticks > total
    assert {d.status for d in deliveries(session_factory)} == {DeliveryStatus.SENT}
    # Spot checks written out by hand, around the changes.
    owl = [s.planned_for for s in sends(session_factory, ids["U0OWL0001"])]
    london = [s.planned_for.time() for s in sends(session_factory, ids["U0LON0001"])]
    if start.month == 3:
        assert datetime(2026, 3, 8, 7, 30, tzinfo=UTC) in owl  # 02:30 did not exist: 03:30 EDT
        assert london[:4] == [time(8, 0)] * 4 and london[-2:] == [time(7, 0)] * 2  # GMT, then BST
    else:
        owl2 = [s.planned_for for s in sends(session_factory, ids["U0OWL0002"])]
        assert datetime(2026, 11, 1, 5, 30, tzinfo=UTC) in owl2  # 01:30 happened twice: once
        assert datetime(2026, 11, 1, 6, 30, tzinfo=UTC) not in owl2


# --- pause and resume, settings changes, late starts ------------------------------------------


def test_pause_skips_slots_and_resume_brings_the_next_one(deps, clock, fake_slack, session_factory):
    mentor = make_mentor(session_factory, "U0MENTOR1", now=clock.now)  # Tuesdays 09:30 London
    drive(deps, clock, datetime(2026, 12, 2, 12, 0, tzinfo=UTC))
    update_person(session_factory, mentor, paused_until=datetime(2026, 12, 30, tzinfo=UTC))
    replan(session_factory, mentor, clock.now)
    drive(deps, clock, datetime(2026, 12, 10, 12, 0, tzinfo=UTC))
    assert person(session_factory, mentor).next_nudge_at == datetime(2027, 1, 5, 9, 30, tzinfo=UTC)

    update_person(session_factory, mentor, paused_until=None)  # resumed early, on Thursday the 10th
    replan(session_factory, mentor, clock.now)
    drive(deps, clock, datetime(2026, 12, 23, tzinfo=UTC))

    days = [s.planned_for.date() for s in sends(session_factory, mentor)]
    assert days == [date(2026, 12, 1), date(2026, 12, 15), date(2026, 12, 22)]


def test_moving_tuesday_to_thursday_mid_week_gives_no_second_nudge(deps, clock, fake_slack, session_factory):
    mentor = make_mentor(session_factory, "U0MENTOR1", now=clock.now)
    drive(deps, clock, datetime(2026, 12, 2, 9, 0, tzinfo=UTC))
    update_person(session_factory, mentor, nudge_days="3")
    replan(session_factory, mentor, clock.now)

    drive(deps, clock, datetime(2026, 12, 11, tzinfo=UTC))

    days = [s.planned_for.date() for s in sends(session_factory, mentor)]
    assert days == [date(2026, 12, 1), date(2026, 12, 10)]


def test_a_late_start_sends_todays_nudge_and_marks_older_ones_expired(
    deps, clock, fake_slack, session_factory
):
    mentor = make_mentor(session_factory, "U0MENTOR1", now=clock.now, nudge_days="0,3")
    Clock(deps).tick()  # Monday 00:00: the next slot is today 09:30
    clock.set(datetime(2026, 12, 10, 12, 0, tzinfo=UTC))  # the clock was down until Thursday noon

    result = Clock(deps).tick()

    assert result["nudges"] == {"mentors": 1, "nudges": 1, "missed": 3}
    assert result["send"]["expired"] == 3 and result["send"]["sent"] == 1
    rows = deliveries(session_factory)
    assert [(r.due_at.day, r.status) for r in rows] == [
        (30, DeliveryStatus.EXPIRED),
        (3, DeliveryStatus.EXPIRED),
        (7, DeliveryStatus.EXPIRED),
        (10, DeliveryStatus.SENT),
    ]
    assert all(r.error == "expired before it could be sent" for r in rows[:3])
    assert len(fake_slack.dms_to("U0MENTOR1")) == 1
    assert person(session_factory, mentor).next_nudge_at == datetime(2026, 12, 14, 9, 30, tzinfo=UTC)


def test_a_nudge_held_back_past_the_end_of_its_day_expires_instead_of_arriving_at_night(
    deps, clock, fake_slack, session_factory
):
    make_mentor(session_factory, "U0MENTOR1", now=clock.now)
    fake_slack.rate_limit("chat.postMessage", retry_after=10 * 3600)  # Slack: "come back in 10 hours"

    drive(deps, clock, datetime(2026, 12, 2, 0, 0, tzinfo=UTC), answer=False)

    [row] = deliveries(session_factory)
    assert row.status == DeliveryStatus.EXPIRED
    assert len(fake_slack.dms_to("U0MENTOR1")) == 1  # the one refused attempt
    assert sends(session_factory)[0].sent_at is None


def test_mentors_who_lose_their_last_mentee_are_unscheduled(deps, clock, fake_slack, session_factory):
    mentor = make_mentor(session_factory, "U0MENTOR1", now=clock.now)
    Clock(deps).tick()
    with transaction(session_factory) as session:
        session.scalars(select(Pair)).one().ended_at = clock.now
        session.get(Person, mentor).next_nudge_at = clock.now

    assert Clock(deps).tick()["nudges"]["unscheduled"] == 1
    assert person(session_factory, mentor).next_nudge_at is None


def test_housekeeping_picks_up_mentors_nobody_scheduled(deps, clock, fake_slack, session_factory):
    mentor = make_mentor(session_factory, "U0MENTOR1", now=clock.now)
    update_person(session_factory, mentor, next_nudge_at=None)
    make_mentor(session_factory, "U0ALONE01", now=clock.now, mentees=())  # no mentee: left alone

    assert Clock(deps).housekeeping()["nudge_adopt"] == {"adopted": 1}
    Clock(deps).tick()
    assert person(session_factory, mentor).next_nudge_at == datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


def test_an_unanswered_streak_backs_off_then_any_answer_resets_it(deps, clock, fake_slack, session_factory):
    mentor = make_mentor(session_factory, "U0MENTOR1", now=clock.now)

    drive(deps, clock, datetime(2026, 12, 22, 12, 0, tzinfo=UTC), answer=False)

    kinds = [(d.due_at.date(), d.kind) for d in deliveries(session_factory)]
    assert kinds == [
        (date(2026, 12, 1), "nudge"),
        (date(2026, 12, 8), "nudge"),
        (date(2026, 12, 15), "nudge"),
        (date(2026, 12, 22), "nudge_backoff"),  # the fourth slot carries one gentle message
    ]
    backoff = deliveries(session_factory, "nudge_backoff")[0]
    assert backoff.status == DeliveryStatus.SENT
    assert backoff.payload == {"old_pace": "every Tuesday", "new_pace": "every other Tuesday"}
    assert "every other Tuesday" in fake_slack.dms_to("U0MENTOR1")[-1].text_of_blocks()
    after = person(session_factory, mentor)
    assert (after.backoff_level, after.unanswered_streak) == (1, 0)
    # Every other week from now on.
    drive(deps, clock, datetime(2027, 1, 27, tzinfo=UTC), answer=False)
    later = [s.planned_for for s in sends(session_factory, mentor)][3:]
    assert later == [datetime(2027, 1, 12, 9, 30, tzinfo=UTC), datetime(2027, 1, 26, 9, 30, tzinfo=UTC)]
    # The back-off message itself is not a nudge: only the first slower one counts so far.
    assert person(session_factory, mentor).unanswered_streak == 1

    answer_everything(deps)
    assert person(session_factory, mentor).unanswered_streak == 0


# --- cost follows what is due, not the roster ---------------------------------------------


def count_statements(engine, action) -> int:
    seen = []

    def record(*_args):
        seen.append(1)

    event.listen(engine, "before_cursor_execute", record)
    try:
        action()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return len(seen)


def test_a_tick_reads_only_the_due_mentors_whatever_the_roster_size(deps, clock, session_factory, engine):
    def plan_one_due_mentor(roster: int) -> int:
        for i in range(roster):
            make_mentor(session_factory, f"U0M{roster:02d}{i:04d}", now=clock.now + timedelta(days=3))
        due = make_mentor(session_factory, f"U0DUE{roster:04d}", now=clock.now)
        statements = count_statements(
            engine, lambda: plan_due(deps.session_factory, deps.settings, clock.now)
        )
        assert person(session_factory, due).next_nudge_at > clock.now
        return statements

    small, large = plan_one_due_mentor(5), plan_one_due_mentor(60)

    assert small == large
    # Nobody else was touched: the other 65 mentors still wait for their own (later) turn.
    with session_factory() as session:
        waiting = session.scalar(
            select(func.count()).where(Person.next_nudge_at == clock.now + timedelta(days=3))
        )
    assert waiting == 65


def test_a_batch_costs_the_same_statements_for_one_due_mentor_or_twenty(deps, clock, session_factory, engine):
    # Mentors made due on Monday; planned on Tuesday 09:30, their (default) slot, so
    # every one gets an outbox row, a nudge log row and a new next slot.
    tuesday = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)

    def plan_group(size: int) -> int:
        for i in range(size):
            make_mentor(
                session_factory,
                f"U0B{size:02d}{i:04d}",
                now=clock.now,
                tz="UTC",
                mentees=(f"U0E{size:02d}{i:04d}",),
            )
        statements = count_statements(engine, lambda: plan_due(deps.session_factory, deps.settings, tuesday))
        logged = [s for s in sends(session_factory) if s.person_id in group_ids(size)]
        assert len(logged) == size
        return statements

    def group_ids(size: int) -> set[int]:
        with session_factory() as session:
            return set(session.scalars(select(Person.id).where(Person.user_id.like(f"U0B{size:02d}%"))))

    one, twenty = plan_group(1), plan_group(20)

    assert one == twenty
    # The twenty differ in what their rows hold (a named mentee or none), which once cost
    # one INSERT per run of alike rows: the count above covers that case.
    named = {s.mentee_id is None for s in sends(session_factory) if s.person_id in group_ids(20)}
    assert named == {True, False}


def test_an_outage_longer_than_the_catch_up_window_is_logged(
    deps, clock, fake_slack, session_factory, caplog
):
    make_mentor(session_factory, "U0MENTOR1", now=clock.now)
    clock.advance(weeks=12)

    with caplog.at_level(logging.WARNING, logger="schedules.nudge_step"):
        result = Clock(deps).tick()

    assert result["nudges"]["missed"] == 8  # one row per Tuesday of the last eight weeks
    assert any("were missed while the clock was down" in r.getMessage() for r in caplog.records)
