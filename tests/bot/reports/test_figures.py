"""The month's figures against values computed by hand from the seeded November (world.py)."""

from __future__ import annotations

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from bot.db import transaction
from bot.models import DeliveryStatus, PulsePublication, PulseRound, PulseSelfAnswer
from bot.people import ensure_person
from bot.reports.service import report_figures
from bot.reports.summary import slack_text, to_markdown
from tests.bot.reports.world import MENTORS, MONTH, NOTE, REFLECTION_TEXT, _nudge, build_world, utc
from tests.fakes.slack_api import TEAM_ID


@pytest.fixture
def figures(session_factory, settings):
    build_world(session_factory)
    with transaction(session_factory) as session:
        return report_figures(session, settings, TEAM_ID, MONTH)


def by_practice(figures):
    return {p.practice: p for p in figures.practices}


def test_nudges_per_practice_follow_the_programs_month(figures):
    practices = by_practice(figures)
    care, listen, autonomy = practices["care"], practices["listen"], practices["autonomy"]
    # 22:00 on 30 November in New York is 03:00 UTC on 1 December: still November.
    assert (care.sent, care.answered, care.done, care.expired) == (4, 3, 1, 0)
    assert care.rate == 0.75
    assert (listen.sent, listen.answered, listen.done, listen.expired) == (1, 1, 1, 1)
    # A note alone is an answer too.
    assert (autonomy.sent, autonomy.answered) == (1, 1)
    assert practices["no_ego"].sent == 0 and practices["no_ego"].rate is None
    assert (figures.sent, figures.answered, figures.expired) == (6, 5, 1)
    assert [p.practice for p in figures.practices][:6] == [
        "care",
        "no_ego",
        "mistakes_ok",
        "own_errors",
        "listen",
        "autonomy",
    ]


def test_response_rates_cover_six_months(figures):
    assert [r.month for r in figures.trend] == [
        "2026-06",
        "2026-07",
        "2026-08",
        "2026-09",
        "2026-10",
        "2026-11",
    ]
    october, november = dict(figures.trend[-2].rates), dict(figures.trend[-1].rates)
    assert october["care"] == 0.5 and october["listen"] is None
    assert november["care"] == 0.75 and november["listen"] == 1.0 and november["autonomy"] == 1.0
    assert all(rate is None for rate in dict(figures.trend[0].rates).values())


def test_meetings_per_pair(figures):
    november, october = figures.meetings[-1], figures.meetings[-2]
    assert (november.active_pairs, november.meetings, november.pairs_met) == (6, 3, 2)
    assert november.per_pair == 0.5
    assert (october.active_pairs, october.meetings, october.pairs_met) == (6, 1, 1)
    assert figures.meetings[0].active_pairs == 0 and figures.meetings[0].per_pair is None
    # Pairs start at 00:00 UTC, 20:00 the evening before in New York: P1..P5 (1 Sep) count
    # in August with P7, and P7 (1 Aug) alone in July.
    assert [m.active_pairs for m in figures.meetings[1:3]] == [1, 6]


def test_reflections_and_agreements(figures):
    assert (figures.reflections, figures.reflections_named) == (3, 2)
    assert (figures.agreements.made, figures.agreements.goals_marked, figures.agreements.goals_met) == (
        1,
        2,
        1,
    )


def test_pulse_figures_are_the_released_ones(figures, settings):
    assert settings.anonymity_min <= 5  # the world's five self-checking mentors are enough
    pulse = figures.pulse
    assert pulse.released and pulse.self_released
    assert (pulse.answers, pulse.mentees) == (12, 6)
    items = {i.key: i for i in pulse.items}
    assert (items["care"].mentees, items["care"].mentors) == (3.0, 4.0)
    assert (items["listen"].mentees, items["listen"].mentors) == (2.5, 2.6)
    # An item no published batch rated has no mentee figure.
    assert items["no_ego"].mentees is None and items["no_ego"].mentors is None


def test_self_ratings_wait_for_enough_mentors(session_factory, settings):
    build_world(session_factory)
    strict = settings.__class__(**{**vars(settings), "anonymity_min": 6})
    with transaction(session_factory) as session:
        pulse = report_figures(session, strict, TEAM_ID, MONTH).pulse
    assert pulse.released and not pulse.self_released
    assert all(item.mentors is None for item in pulse.items)


def test_before_any_batch_is_published_nothing_is_released(session_factory, settings):
    build_world(session_factory)
    with transaction(session_factory) as session:
        # As of the end of June 2026, 2026-Q3 had not closed: no batch in the window.
        pulse = report_figures(session, settings, TEAM_ID, "2026-06").pulse
    assert not pulse.released and all(item.mentees is None for item in pulse.items)


def test_the_words_carry_the_figures_and_no_text(figures):
    text = slack_text(figures)
    assert "6 nudges sent, 5 answered (83%), 1 expired" in text
    assert "3 meetings logged by 2 of 6 pairs" in text
    assert "Caring about the learner: 4 · 3 · 0 · 0 · 75%" in text
    assert "1 made; 2 goals reviewed, 1 met" in text
    markdown = to_markdown(figures, ["a.png"])
    assert "| Caring about the learner | 4 | 3 | 1 | 0 | 0 | 75% |" in markdown
    assert "![a.png](a.png)" in markdown
    for words in (text, markdown):
        assert NOTE not in words and REFLECTION_TEXT not in words


def test_an_empty_month_is_no_error(session_factory, settings):
    with transaction(session_factory) as session:
        empty = report_figures(session, settings, TEAM_ID, "2030-01")
    assert empty.empty and empty.sent == 0 and empty.this_month.per_pair is None
    assert "No data yet" in slack_text(empty)


@freeze_time("2026-12-15 12:00:00")
def test_the_running_month_shows_no_self_rating_of_the_open_quarter(session_factory, settings):
    build_world(session_factory)
    with transaction(session_factory) as session:
        pulse = report_figures(session, settings, TEAM_ID, "2026-12").pulse
    # 2026-Q4 is still open: its self-check (care 1) must not move the figure.
    assert {i.key: i.mentors for i in pulse.items}["care"] == 4.0


@freeze_time("2027-01-03 12:00:00")
def test_self_ratings_count_only_published_quarters(session_factory, settings):
    build_world(session_factory)
    with transaction(session_factory) as session:
        # December has ended and 2026-Q4 has closed, but publishing is still through 2026-Q3.
        pulse = report_figures(session, settings, TEAM_ID, "2026-12").pulse
        assert {i.key: i.mentors for i in pulse.items}["care"] == 4.0
        session.get(PulsePublication, TEAM_ID).through_quarter = "2026-Q4"
    with transaction(session_factory) as session:
        pulse = report_figures(session, settings, TEAM_ID, "2026-12").pulse
    # (4 × 5 + 1) / 6 once 2026-Q4 is published.
    assert {i.key: i.mentors for i in pulse.items}["care"] == 3.5


def test_an_item_rated_by_one_mentor_shows_no_self_average(session_factory, settings):
    build_world(session_factory)
    with transaction(session_factory) as session:
        mentor = session.scalars(select(PulseSelfAnswer.mentor_id)).first()
        round_ = PulseRound(
            team_id=TEAM_ID,
            key="self:extra",
            kind="mentor",
            person_id=mentor,
            mentor_id=mentor,
            number=99,
            due_at=utc(2026, 8, 2),
            closes_at=utc(2026, 9, 1),
            status="sent",
        )
        session.add(round_)
        session.flush()
        session.add(
            PulseSelfAnswer(
                team_id=TEAM_ID, round_id=round_.id, mentor_id=mentor, quarter="2026-Q3", no_ego=4
            )
        )
    with transaction(session_factory) as session:
        pulse = report_figures(session, settings, TEAM_ID, MONTH).pulse
    items = {i.key: i.mentors for i in pulse.items}
    assert pulse.self_released and items["care"] == 4.0
    # Five mentors self-check, but only one rated this item: their own rating is not shown.
    assert items["no_ego"] is None


@freeze_time("2027-01-20 12:00:00")
def test_a_month_with_only_check_in_figures_is_not_empty(session_factory, settings):
    build_world(session_factory)
    with transaction(session_factory) as session:
        january = report_figures(session, settings, TEAM_ID, "2027-01")
        later = report_figures(session, settings, TEAM_ID, "2027-03")
    assert january.sent == 0 and january.this_month.meetings == 0 and january.reflections == 0
    assert january.pulse.released and not january.empty
    assert "No data yet" not in slack_text(january)
    # A month not yet begun has no figures of its own, released or not.
    assert later.empty and not later.pulse.released


def test_an_interrupted_nudge_is_counted_as_interrupted_not_sent_nor_expired(session_factory, settings):
    build_world(session_factory)
    with transaction(session_factory) as session:
        mentor = ensure_person(session, TEAM_ID, MENTORS[0])
        # November: one interrupted (the crash window); 1 December New York: December's.
        _nudge(session, mentor, "listen", planned=utc(2026, 11, 19, 14), status=DeliveryStatus.INTERRUPTED)
        _nudge(session, mentor, "care", planned=utc(2026, 12, 1, 14), status=DeliveryStatus.INTERRUPTED)
    with transaction(session_factory) as session:
        figures = report_figures(session, settings, TEAM_ID, MONTH)

    listen = by_practice(figures)["listen"]
    assert (listen.sent, listen.expired, listen.interrupted) == (1, 1, 1)
    assert (figures.sent, figures.expired, figures.interrupted) == (6, 1, 1)
    assert "1 expired, 1 interrupted" in slack_text(figures)
    assert "(sent · answered · expired · interrupted · rate)" in slack_text(figures)
    assert "| 1 | 1 | 1 | 1 | 1 | 100% |" in to_markdown(figures, [])
