"""Reflection channels end to end: the month-end summary and thread replies."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from bot.db import transaction
from bot.models import Reflection
from bot.reflections.service import record_reflection
from handlers.input_limits import TEXT_LIMIT
from tests.conftest import ADMIN, MENTEE, MENTOR
from tests.handlers.reflections_support import (
    WARD,
    open_share,
    post_prompt,
    reply_event,
    share_values,
    thread_posts,
    tick,
)
from tests.handlers.reflections_support import clock as clock  # a pytest fixture
from tests.reflection_support import deliveries, reflection_rows

# --- month-end summary ---------------------------------------------------------------------------


def test_the_month_end_summary_counts_reflections_and_practices_without_names(slack, fake_slack, deps, clock):
    prompt, message = post_prompt(deps, fake_slack, clock)
    for user, practices, anonymous in (
        (MENTOR, ("listen", "care"), False),
        (MENTEE, ("listen",), True),
        (ADMIN, (), False),
    ):
        view = open_share(slack, fake_slack, prompt, message, user=user)
        slack.submit(
            view, share_values("A short thought.", practices=practices, anonymous=anonymous), user_id=user
        )

    clock.set(datetime(2027, 1, 31, 16, 0, tzinfo=UTC))  # 16:00 in London on the 31st
    tick(deps)

    summary = thread_posts(fake_slack, prompt)[-1]
    assert "3 reflections were shared here this month." in summary["text"]
    assert "Caring about the learner (1) · Time to listen (2)" in summary["text"]
    assert "Thank you" in summary["text"]
    assert not any(user in str(summary) for user in (MENTOR, MENTEE, ADMIN))
    tick(deps)
    assert len(thread_posts(fake_slack, prompt)) == 4  # three reflections and one summary


# --- thread replies (optional: channels:history + message.channels) -------------------------------


def test_a_reply_typed_into_the_thread_is_recorded_once(slack, fake_slack, deps, clock):
    prompt, _message = post_prompt(deps, fake_slack, clock)

    slack.event(reply_event(prompt, "Asking for feedback first changed the tone."))
    slack.event(reply_event(prompt, "Asking for feedback first changed the tone."))  # Slack retried

    [row] = reflection_rows(deps)
    assert (row.user_id, row.source, row.practices) == (MENTEE, "thread", ["care"])


def test_bot_posts_top_level_messages_and_other_threads_are_ignored(slack, fake_slack, deps, clock):
    prompt, _message = post_prompt(deps, fake_slack, clock)

    replies = [
        slack.event(reply_event(prompt, "from a bot", bot_id="B0OTHER01")),
        slack.event({**reply_event(prompt, "top level"), "thread_ts": None}),
        slack.event({**reply_event(prompt, "another thread"), "thread_ts": "1750000000.000100"}),
        slack.event({**reply_event(prompt, "joined"), "subtype": "channel_join"}),
    ]

    assert reflection_rows(deps) == []
    # Answered 200 all the same: Slack retries, then disables, events that get errors.
    assert [r.status for r in replies] == [200, 200, 200, 200]


def test_edited_and_deleted_thread_replies_follow_the_writer(slack, fake_slack, deps, clock):
    prompt, _message = post_prompt(deps, fake_slack, clock)
    slack.event(reply_event(prompt, "First thought."))

    edited = reply_event(prompt, "Mr Jones in bed 12 reminded me why.")
    slack.event({**reply_event(prompt, ""), "subtype": "message_changed", "message": edited})
    assert reflection_rows(deps) == []  # the screened-out edit is not kept
    [notice] = deliveries(deps, recipient=MENTEE)
    assert "didn't record it" in notice.payload["text"]

    slack.event(reply_event(prompt, "Second thought.", ts="1760009999.000200"))
    slack.event(
        {
            "type": "message",
            "subtype": "message_deleted",
            "channel": WARD,
            "channel_type": "channel",
            "ts": "1760010000.000300",
            "deleted_ts": "1760009999.000200",
            "previous_message": {"ts": "1760009999.000200", "thread_ts": prompt.ts, "user": MENTEE},
        }
    )
    assert reflection_rows(deps) == []


def test_a_reflection_cannot_be_recorded_against_another_teams_prompt(deps, fake_slack, clock):
    prompt, _message = post_prompt(deps, fake_slack, clock)

    with pytest.raises(LookupError), transaction(deps.session_factory) as session:
        record_reflection(
            session,
            team_id="T0OTHER01",
            prompt_id=prompt.id,
            text="x",
            practices=[],
            user_id=None,
            now=clock.now,
        )
    with deps.session_factory() as session:
        assert session.scalar(select(func.count(Reflection.id))) == 0


def test_a_thread_reply_longer_than_a_form_allows_is_not_stored_and_the_writer_told(
    slack, fake_slack, deps, clock
):
    prompt, _message = post_prompt(deps, fake_slack, clock)
    slack.event(reply_event(prompt, "A short first thought."))

    # Slack lets a message run to 40,000 characters; a reflection has the forms' limit.
    long_text = "Listening first. " * 2400
    edited = reply_event(prompt, long_text)
    answer = slack.event({**reply_event(prompt, ""), "subtype": "message_changed", "message": edited})

    assert answer.status == 200
    assert reflection_rows(deps) == []  # the earlier short version is gone with it
    [notice] = deliveries(deps, recipient=MENTEE)
    told = notice.payload["text"]
    assert f"{len(long_text.strip()):,} characters" in told and f"{TEXT_LIMIT:,}" in told


@pytest.mark.parametrize(
    "broken",
    [
        {"text": 12345},
        {"text": ["a list"]},
        {"user": {"id": MENTEE}},
        {"ts": 1760009999.0001},
        {"thread_ts": ["x"]},
        {"subtype": "message_changed", "message": "not a dict"},
        {"subtype": "message_deleted", "previous_message": ["x"], "deleted_ts": 5},
        {"subtype": "message_deleted", "previous_message": {"thread_ts": 1}, "deleted_ts": "1.2"},
    ],
)
def test_thread_events_with_values_of_the_wrong_type_are_ignored_not_raised(
    slack, fake_slack, deps, clock, broken, caplog
):
    prompt, _message = post_prompt(deps, fake_slack, clock)

    answer = slack.event({**reply_event(prompt, "Asked for feedback first."), **broken})

    assert answer.status == 200
    assert reflection_rows(deps) == []
    assert not [r for r in caplog.records if r.exc_info]
