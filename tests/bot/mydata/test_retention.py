"""Retention: the daily housekeeping empties free text older than RETENTION_DAYS and keeps
everything else — answers, counts, the record around each text."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.config import ConfigError
from bot.db import transaction
from bot.models import (
    AgreementVersion,
    ColleagueName,
    FeedbackRequest,
    GoalReview,
    NudgeAnswer,
    Pair,
    PulseBatch,
    PulseInbox,
    Reflection,
    RotationReflection,
)
from bot.mydata.retention import empty_old_text, quarter_end
from bot.pulse.publishing import box_context
from bot.pulse.sealing import open_box
from schedules.clock import Clock
from tests.bot.mydata.world import ANON_COMMENT, PATEL_WORDS, PUBLISHED_ABOUT_PATEL, SAM_TOPIC, build_world
from tests.conftest import settings_for
from tests.fakes.clock import MovableClock

# The world's texts were written around 22 October 2026 (the reflections in early
# November, the comments in 2026-Q4, one feedback request on 30 November).
WRITTEN = datetime(2026, 10, 22, 14, 0, tzinfo=UTC)


@pytest.fixture
def clock():
    return MovableClock(datetime(2027, 4, 21, 3, 15, tzinfo=UTC))  # the first run 180 days after WRITTEN


def _opened(settings, row):
    return open_box(settings, row.sealed, box_context(row.team_id, row.quarter))


def texts(session_factory, settings):
    with session_factory() as session:
        inbox = {row.id: _opened(settings, row) for row in session.scalars(select(PulseInbox))}
        return {
            "notes": [a.note for a in session.scalars(select(NudgeAnswer).order_by(NudgeAnswer.id))],
            "answers": [a.answer for a in session.scalars(select(NudgeAnswer).order_by(NudgeAnswer.id))],
            "choices": [
                a.followup_choice for a in session.scalars(select(NudgeAnswer).order_by(NudgeAnswer.id))
            ],
            "topics": {r.id: r.topic for r in session.scalars(select(FeedbackRequest))},
            "mentor_notes": {r.id: r.mentor_note for r in session.scalars(select(FeedbackRequest))},
            "statuses": {r.id: r.status for r in session.scalars(select(FeedbackRequest))},
            "comments": {row_id: content["comment"] for row_id, content in inbox.items()},
            "scores": {row_id: content["items"] for row_id, content in inbox.items()},
            "published": [b.comments for b in session.scalars(select(PulseBatch).order_by(PulseBatch.id))],
            "goal_words": [
                (v.goals, v.reach, v.feedback, v.note) for v in session.scalars(select(AgreementVersion))
            ],
            "rotation_lines": [r.text for r in session.scalars(select(RotationReflection))],
            "reflections": {
                r.id: (r.text, r.user_id, r.practices) for r in session.scalars(select(Reflection))
            },
            "colleagues": [c.name for c in session.scalars(select(ColleagueName))],
        }


def purge(session_factory, settings, now, days=180):
    with transaction(session_factory) as session:
        return empty_old_text(session, days=days, now=now, settings=settings)


def test_nothing_younger_than_the_retention_period_is_touched(session_factory, settings):
    world = build_world(session_factory, settings)
    before = texts(session_factory, settings)

    report = purge(session_factory, settings, WRITTEN + timedelta(days=179))

    assert report.counts() is None
    assert texts(session_factory, settings) == before
    assert before["topics"][world.sam_asks_patel] == SAM_TOPIC


def test_old_free_text_is_emptied_and_the_record_around_it_stays(session_factory, settings):
    world = build_world(session_factory, settings)
    before = texts(session_factory, settings)

    report = purge(session_factory, settings, datetime(2027, 7, 1, tzinfo=UTC))  # after 2026-Q4's 180 days

    after = texts(session_factory, settings)
    assert after["notes"] == [None, None]
    assert after["answers"] == before["answers"] and after["choices"] == before["choices"]  # one-tap answers
    assert (
        after["topics"][world.sam_asks_patel] is None and after["mentor_notes"][world.sam_asks_patel] is None
    )
    assert after["statuses"] == before["statuses"]
    assert all(text == "" for text, _, _ in after["reflections"].values())
    # Named ones stay named (that they shared, and what about); only the words go.
    assert [(u, p) for _, u, p in after["reflections"].values()] == [
        (u, p) for _, u, p in before["reflections"].values()
    ]
    assert after["comments"] == {world.about_patel: None, world.anonymous_about_okafor: None}
    assert after["scores"] == before["scores"]  # sealed again without the comment, items kept
    assert before["published"][0] == [PUBLISHED_ABOUT_PATEL] and after["published"] == [[], []]
    # Sam's pair with Dr Patel goes on: their agreement keeps its words. Rotation lines go.
    assert after["goal_words"] == before["goal_words"] and after["goal_words"][0][0] == [PATEL_WORDS[4]]
    assert after["rotation_lines"] == [""]
    assert after["colleagues"] == []
    assert report.counts() == {
        "nudge_answer.note": 1,
        "feedback_request.topic": 2,
        "feedback_request.mentor_note": 2,
        "pulse comment": 3,
        "rotation_reflection.text": 1,
        "reflection.text": 3,
        "colleague_name.name": 1,
    }


def test_each_text_goes_on_its_own_day(session_factory, settings):
    world = build_world(session_factory, settings)

    purge(session_factory, settings, datetime(2027, 4, 21, tzinfo=UTC))  # 181 days after WRITTEN

    after = texts(session_factory, settings)
    assert after["notes"] == [None, None]
    # Sam's request was answered a day after it was asked: its words go 180 days after that.
    assert after["topics"][world.sam_asks_patel] == SAM_TOPIC
    assert after["topics"][world.patel_asks_okafor] == PATEL_WORDS[1]  # asked on 30 November: not yet
    assert after["reflections"][world.patel_reflection][0] == PATEL_WORDS[3]  # shared 3 November
    # 2026-Q4 ended on 1 January 2027: its comments wait until 30 June.
    assert after["comments"][world.anonymous_about_okafor] == ANON_COMMENT
    purge(session_factory, settings, datetime(2027, 4, 22, 14, 1, tzinfo=UTC))
    assert texts(session_factory, settings)["topics"][world.sam_asks_patel] is None


def test_check_in_comments_go_once_their_quarter_ended_the_retention_period_ago(session_factory, settings):
    world = build_world(session_factory, settings)

    purge(session_factory, settings, datetime(2027, 6, 29, 23, 59, tzinfo=UTC))
    assert texts(session_factory, settings)["comments"][world.anonymous_about_okafor] == ANON_COMMENT
    purge(session_factory, settings, datetime(2027, 6, 30, 0, 0, tzinfo=UTC))
    assert texts(session_factory, settings)["comments"][world.anonymous_about_okafor] is None


@pytest.mark.parametrize(
    ("key", "end"),
    [
        ("2026-Q1", datetime(2026, 4, 1, tzinfo=UTC)),
        ("2026-Q3", datetime(2026, 10, 1, tzinfo=UTC)),
        ("2026-Q4", datetime(2027, 1, 1, tzinfo=UTC)),
        ("2026-Q5", None),
        ("Q4-2026", None),
    ],
)
def test_quarter_end(key, end):
    assert quarter_end(key) == end


def test_the_daily_housekeeping_runs_it_with_the_configured_days(deps, session_factory, clock):
    settings = deps.settings
    world = build_world(session_factory, settings)

    results = Clock(deps).housekeeping()

    assert results["retention"]["nudge_answer.note"] == 1
    assert texts(session_factory, settings)["topics"][world.patel_asks_okafor] == PATEL_WORDS[1]
    assert Clock(deps).housekeeping()["retention"] is None  # nothing more to do: says nothing


def test_a_shorter_period_is_taken_from_the_environment(fake_slack, engine, session_factory):
    settings = settings_for(fake_slack, "sqlite://", RETENTION_DAYS="30")
    world = build_world(session_factory, settings)

    with transaction(session_factory) as session:
        empty_old_text(
            session, days=settings.retention_days, now=datetime(2026, 12, 30, tzinfo=UTC), settings=settings
        )

    assert settings.retention_days == 30
    after = texts(session_factory, settings)
    assert after["topics"][world.sam_asks_patel] is None  # October
    assert after["topics"][world.patel_asks_okafor] == PATEL_WORDS[1]  # 30 November, after the cut
    assert after["reflections"][world.patel_reflection][0] == ""  # 3 November


@pytest.mark.parametrize("value", ["29", "1826", "six months", "-5"])
def test_retention_days_out_of_bounds_stops_start_up(fake_slack, value):
    with pytest.raises(ConfigError, match="RETENTION_DAYS must be a whole number from 30 to 1825"):
        settings_for(fake_slack, "sqlite://", RETENTION_DAYS=value)


def test_retention_days_defaults_to_180(fake_slack):
    assert settings_for(fake_slack, "sqlite://").retention_days == 180


def test_colleague_names_confirmed_within_the_period_stay(session_factory, settings):
    build_world(session_factory, settings)  # "maria lopez" was confirmed on 20 November 2026

    purge(session_factory, settings, datetime(2027, 5, 19, tzinfo=UTC))
    assert texts(session_factory, settings)["colleagues"] == ["maria lopez"]
    purge(session_factory, settings, datetime(2027, 5, 20, tzinfo=UTC))
    assert texts(session_factory, settings)["colleagues"] == []
    assert date(2026, 11, 20) + timedelta(days=180) == date(2027, 5, 19)


def test_an_agreements_words_go_once_its_pair_ended_the_retention_period_ago(session_factory, settings):
    world = build_world(session_factory, settings)
    with transaction(session_factory) as session:
        session.get(Pair, world.patel_mentors_sam).ended_at = datetime(2027, 1, 10, tzinfo=UTC)

    purge(session_factory, settings, datetime(2027, 7, 8, tzinfo=UTC))  # 179 days after the end
    assert texts(session_factory, settings)["goal_words"][0][0] == [PATEL_WORDS[4]]
    report = purge(session_factory, settings, datetime(2027, 7, 9, 0, 1, tzinfo=UTC))

    assert texts(session_factory, settings)["goal_words"] == [([], None, None, None)]
    assert report.counts()["agreement_version (words)"] == 1
    with session_factory() as session:  # the agreement and its reviews stay: goals met still count
        assert session.scalars(select(GoalReview.state)).all() == ["met"]
