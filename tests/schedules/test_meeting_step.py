"""The daily planning of the monthly "did you meet?" question: when it falls, whom it
skips, and that planning twice (or in batches, or on two clocks) queues it once."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime

import pytest

from bot.db import transaction
from bot.meetings.delivery import plan_batch
from bot.models import Person
from schedules.meeting_step import plan_meeting_questions
from tests.bot.feedback.helpers import deliveries, pair_up
from tests.conftest import MENTEE, MENTOR
from tests.fakes.slack_api import TEAM_ID

# Sunday 20 December 2026 at 03:15 UTC (the daily housekeeping run).
SUNDAY_20TH = datetime(2026, 12, 20, 3, 15, tzinfo=UTC)


def plan(deps, now):
    return plan_meeting_questions(deps.session_factory, deps.settings, now)


def due_times(session_factory):
    return [row.due_at for row in deliveries(session_factory, "meeting_question")]


def test_nothing_is_planned_before_the_20th(deps, session_factory):
    pair_up(session_factory, MENTOR, MENTEE)

    assert plan(deps, datetime(2026, 12, 19, 12, 0, tzinfo=UTC)) == {}
    assert due_times(session_factory) == []


def test_the_mentors_own_zone_decides_the_day_and_the_time(deps, session_factory):
    pair_up(session_factory, MENTOR, MENTEE, mentor_tz="America/Los_Angeles")

    # 19:15 on the 19th in Los Angeles: not yet.
    assert plan(deps, SUNDAY_20TH) == {}
    assert plan(deps, datetime(2026, 12, 21, 3, 15, tzinfo=UTC)) == {"queued": 1}

    # Tuesday 22 December, 09:30 in Los Angeles (PST, UTC−8); expires at its month's end there.
    [row] = deliveries(session_factory, "meeting_question")
    assert row.due_at == datetime(2026, 12, 22, 17, 30, tzinfo=UTC)
    assert row.expires_at == datetime(2027, 1, 1, 8, 0, tzinfo=UTC)


def test_the_first_of_several_nudge_weekdays_on_or_after_the_22nd(deps, session_factory):
    pair_up(session_factory, MENTOR, MENTEE, nudge_days="3,4", nudge_minute=16 * 60)  # Thu, Fri at 16:00

    plan(deps, SUNDAY_20TH)

    assert due_times(session_factory) == [datetime(2026, 12, 24, 16, 0, tzinfo=UTC)]


def test_a_nudge_time_outside_the_allowed_hours_moves_inside_them(deps, session_factory):
    pair_up(session_factory, MENTOR, MENTEE, nudge_minute=9 * 60, contact_start=10 * 60)

    plan(deps, SUNDAY_20TH)

    assert due_times(session_factory) == [datetime(2026, 12, 22, 10, 0, tzinfo=UTC)]


def test_a_pause_moves_the_question_after_it_and_a_pause_to_the_months_end_skips_it(deps, session_factory):
    pair_up(session_factory, MENTOR, MENTEE, paused_until=datetime(2026, 12, 26, 0, 0, tzinfo=UTC))
    pair_up(session_factory, "U0MENTOR2", "U0MENTEE2", paused_until=datetime(2027, 1, 4, 0, 0, tzinfo=UTC))

    counts = plan(deps, SUNDAY_20TH)

    # Saturday 26th is a quiet weekend day: Monday 28th when the day opens.
    assert counts == {"queued": 1, "paused": 1}
    assert due_times(session_factory) == [datetime(2026, 12, 28, 8, 0, tzinfo=UTC)]


@pytest.mark.parametrize(
    ("who", "field", "value"),
    [
        ("mentor", "opted_out_at", SUNDAY_20TH),
        ("mentor", "is_active", False),
        ("mentee", "is_active", False),
    ],
)
def test_people_who_cannot_be_asked_are_skipped(deps, session_factory, who, field, value):
    pair_up(session_factory, MENTOR, MENTEE)
    with transaction(session_factory) as session:
        person = (
            session.query(Person)
            .filter_by(team_id=TEAM_ID, user_id=MENTOR if who == "mentor" else MENTEE)
            .one()
        )
        setattr(person, field, value)

    assert plan(deps, SUNDAY_20TH) == {"skipped_quiet": 1}
    assert due_times(session_factory) == []


def test_a_pair_started_days_ago_is_not_asked_yet(deps, session_factory):
    pair_up(session_factory, MENTOR, MENTEE, started_at=datetime(2026, 12, 15, 12, 0, tzinfo=UTC))

    assert plan(deps, SUNDAY_20TH) == {"too_new": 1}
    # …and is asked the month after.
    assert plan(deps, datetime(2027, 1, 20, 3, 15, tzinfo=UTC)) == {"queued": 1}
    assert deliveries(session_factory, "meeting_question")[0].payload["month"] == "2027-01"


def test_planned_late_after_downtime_it_goes_at_once(deps, session_factory):
    pair_up(session_factory, MENTOR, MENTEE)
    late = datetime(2026, 12, 22, 12, 0, tzinfo=UTC)  # the 09:30 slot has passed

    plan(deps, late)

    assert due_times(session_factory) == [late]


def test_no_question_when_no_allowed_moment_is_left_in_the_month(deps, session_factory):
    pair_up(session_factory, MENTOR, MENTEE)

    # Thursday 31 December, 20:00 in London: the next allowed moment is in January.
    assert plan(deps, datetime(2026, 12, 31, 20, 0, tzinfo=UTC)) == {"no_time_left": 1}


def test_planning_twice_or_in_batches_queues_each_pair_once(deps, session_factory):
    for n in range(3):
        pair_up(session_factory, f"U0MENTORB{n}", f"U0MENTEEB{n}")

    seen, after = [], 0
    while True:
        with transaction(session_factory) as session:
            counts, last = plan_batch(session, deps.settings, SUNDAY_20TH, after_pair_id=after, limit=1)
        if last is None:
            break
        seen.append(dict(counts))
        after = last
    assert seen == [{"queued": 1}] * 3
    assert plan(deps, SUNDAY_20TH) == {}
    assert len(deliveries(session_factory, "meeting_question")) == 3


def test_a_stopping_clock_plans_nothing_more(deps, session_factory):
    pair_up(session_factory, MENTOR, MENTEE)
    stopping = threading.Event()
    stopping.set()

    assert plan_meeting_questions(deps.session_factory, deps.settings, SUNDAY_20TH, stopping=stopping) == {}
    assert due_times(session_factory) == []


def test_each_month_gets_its_own_question(deps, session_factory):
    pair_up(session_factory, MENTOR, MENTEE)

    plan(deps, SUNDAY_20TH)
    plan(deps, datetime(2027, 1, 20, 3, 15, tzinfo=UTC))

    months = [row.payload["month"] for row in deliveries(session_factory, "meeting_question")]
    assert months == ["2026-12", "2027-01"]
    # January 2027: Tuesday 26th is the first Tuesday on or after the 22nd.
    assert due_times(session_factory)[1].date() == date(2027, 1, 26)
