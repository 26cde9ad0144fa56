"""The program's figures for a seeded week, against counts worked out by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.db import transaction
from bot.models import DeliveryStatus, PulseBatch
from bot.program.figures import glance, people_now, program_figures, pulse_count
from tests.fakes.slack_api import TEAM_ID
from tests.program_world import agreement, meeting, nudge, pair, person, reflections

START = datetime(2026, 12, 1, 5, 0, tzinfo=UTC)
END = datetime(2026, 12, 8, 5, 0, tzinfo=UTC)
NOW = END + timedelta(hours=10)


def seed(session_factory) -> None:
    with transaction(session_factory) as session:
        first = pair(session, "U0M1", "U0E1", started_at=START - timedelta(days=90))
        pair(session, "U0M1", "U0E2", started_at=START + timedelta(days=2))
        pair(session, "U0M2", "U0E3", started_at=START - timedelta(days=90), ended_at=END + timedelta(days=1))
        pair(
            session, "U0M2", "U0E4", started_at=START - timedelta(days=90), ended_at=START - timedelta(days=1)
        )
        pair(session, "U0M2", "U0E5", started_at=END + timedelta(hours=1))
        m1, m2 = person(session, "U0M1"), person(session, "U0M2")
        nudge(session, m1, sent_at=START + timedelta(days=1), practice="care", answer="done")
        nudge(session, m1, sent_at=START + timedelta(days=3), practice="care")
        nudge(session, m1, sent_at=START + timedelta(days=3), practice="care", note="Walked the ward")
        nudge(session, m2, sent_at=START + timedelta(days=4), practice="listen", answer="skip")
        nudge(session, m2, sent_at=START - timedelta(days=3), practice="listen", answer="done")
        nudge(session, m2, sent_at=None, status=DeliveryStatus.EXPIRED, planned_for=START + timedelta(days=5))
        nudge(
            session, m2, sent_at=None, status=DeliveryStatus.EXPIRED, planned_for=START - timedelta(hours=1)
        )
        meeting(session, first, recorded_at=START + timedelta(days=1), practices=["care"])
        meeting(session, first, recorded_at=START + timedelta(days=6))
        meeting(session, first, recorded_at=START + timedelta(days=2), minutes=0)
        meeting(session, first, recorded_at=START - timedelta(days=1))
        reflections(session, [date(2026, 12, 2), date(2026, 12, 5), date(2026, 11, 30)])
        agreement(
            session,
            first,
            ["Lead a ward round", "Ask for feedback weekly"],
            agreed_at=START + timedelta(days=1),
            met=(1,),
        )


def test_figures_for_a_seeded_week_match_hand_counts(session_factory):
    seed(session_factory)

    with session_factory() as session:
        figures = program_figures(session, TEAM_ID, START, END, UTC)

    assert figures.active_pairs == 3  # two started before the end and still on, one ended after it
    # A note without a button is an answer too (the mentor did respond).
    assert (figures.nudges_sent, figures.nudges_answered, figures.nudges_expired) == (4, 3, 1)
    assert [(p.practice, p.sent, p.answered) for p in figures.practices] == [("care", 3, 2), ("listen", 1, 1)]
    assert figures.response_rate == 3 / 4
    assert (figures.meetings, figures.reflections) == (2, 2)
    assert (figures.agreements.made, figures.agreements.goals, figures.agreements.goals_met) == (1, 1, 1)


def test_people_now_counts_only_people_in_active_pairs(session_factory):
    with transaction(session_factory) as session:
        pair(session, "U0M1", "U0E1", started_at=START)
        pair(session, "U0M2", "U0E2", started_at=START)
        person(session, "U0M1", paused_until=NOW + timedelta(days=3))
        person(session, "U0E2", opted_out_at=NOW - timedelta(days=3), paused_until=NOW + timedelta(days=3))
        person(session, "U0LONER", paused_until=NOW + timedelta(days=3))

    with session_factory() as session:
        people = people_now(session, TEAM_ID, NOW)

    assert (people.paused, people.stopped) == (1, 1)


def test_check_in_participation_is_a_published_count_or_nothing(session_factory, settings):
    with session_factory() as session:
        assert pulse_count(session, settings, TEAM_ID, NOW).released is False
    with transaction(session_factory) as session:
        person(session, "U0M1")
        session.add(
            PulseBatch(
                team_id=TEAM_ID,
                scope="cohort",
                cohort=None,
                first_quarter="2026-Q3",
                last_quarter="2026-Q3",
                answers=14,
                mentees=6,
                mentors=3,
                items={"care": [40, 12]},
            )
        )

    with session_factory() as session:
        published = pulse_count(session, settings, TEAM_ID, NOW)

    assert (published.released, published.answers, published.mentees) == (True, 14, 6)


def test_reflections_this_month_so_far_count_by_the_admins_local_dates(session_factory, settings):
    """Just after midnight in Berlin on 4 December (still the 3rd in UTC): today's
    reflection counts, and the one shared on the last day of November does not."""
    berlin = ZoneInfo("Europe/Berlin")
    now = datetime(2026, 12, 3, 23, 30, tzinfo=UTC)
    with transaction(session_factory) as session:
        person(session, "U0M1")  # the workspace
        reflections(session, [date(2026, 11, 30), date(2026, 12, 1), date(2026, 12, 4), date(2026, 12, 5)])

    with session_factory() as session:
        view = glance(session, settings, TEAM_ID, now, berlin)
        before_midnight = glance(session, settings, TEAM_ID, now - timedelta(hours=1), berlin)

    assert view.month.reflections == 2  # 1 and 4 December
    assert before_midnight.month.reflections == 1  # 22:30 on the 3rd in Berlin: only the 1st so far


def test_a_period_between_tokyo_midnights_counts_reflections_of_its_local_days(session_factory):
    tokyo = ZoneInfo("Asia/Tokyo")
    start = datetime(2026, 11, 29, 15, 0, tzinfo=UTC)  # Monday 30 November, 00:00 in Tokyo
    end = datetime(2026, 12, 13, 15, 0, tzinfo=UTC)  # Monday 14 December, 00:00 in Tokyo
    with transaction(session_factory) as session:
        person(session, "U0M1")  # the workspace
        reflections(
            session,
            [date(2026, 11, 29), date(2026, 11, 30)] + [date(2026, 12, 13)] * 2 + [date(2026, 12, 14)],
        )

    with session_factory() as session:
        figures = program_figures(session, TEAM_ID, start, end, tokyo)

    assert figures.reflections == 3  # 30 November and twice 13 December


def test_interrupted_nudges_of_the_period_are_counted_apart(session_factory):
    seed(session_factory)
    with transaction(session_factory) as session:
        m1 = person(session, "U0M1")
        nudge(
            session,
            m1,
            sent_at=None,
            status=DeliveryStatus.INTERRUPTED,
            planned_for=START + timedelta(days=2),
        )
        nudge(
            session, m1, sent_at=None, status=DeliveryStatus.INTERRUPTED, planned_for=END + timedelta(hours=2)
        )

    with session_factory() as session:
        figures = program_figures(session, TEAM_ID, START, END, UTC)

    assert (figures.nudges_sent, figures.nudges_expired, figures.nudges_interrupted) == (4, 1, 1)
