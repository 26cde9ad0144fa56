"""The colleague question on reflections: an anonymous share stays anonymous through
"Yes, save"; identifiers are refused; thread replies, which no form can ask about, are
refused with the advice to @mention colleagues."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

import pytest
from sqlalchemy import inspect

from bot.blocks.privacy import COLLEAGUE_PROBLEM
from tests.conftest import MENTOR
from tests.fakes.clock import MovableClock
from tests.handlers.reflections_support import (
    open_share,
    post_prompt,
    reply_event,
    share_values,
    thread_posts,
)
from tests.handlers.test_privacy_ask import answer_yes
from tests.reflection_support import deliveries, reflection_rows


@pytest.fixture
def clock():
    return MovableClock(datetime(2027, 1, 4, 9, 0, tzinfo=UTC))


def test_an_anonymous_reflection_naming_someone_is_asked_about_and_saved_without_a_trace(
    slack, fake_slack, deps, clock, caplog
):
    prompt, message = post_prompt(deps, fake_slack, clock)
    clock.advance(hours=3)
    view = open_share(slack, fake_slack, prompt, message)
    caplog.set_level(logging.INFO)
    text = "Watching Priya ask for feedback first made me try it."

    pushed = slack.submit(view, share_values(text, anonymous=True), user_id=MENTOR).json()
    assert pushed["response_action"] == "push" and "Is Priya a colleague?" in json.dumps(pushed)
    assert reflection_rows(deps) == []

    reply = answer_yes(slack, pushed["view"], form_id=view.get("id") or "V00000000")

    assert reply.json() == {"response_action": "clear"}
    [row] = reflection_rows(deps)
    assert (row.user_id, row.text) == (None, text)
    [post] = thread_posts(fake_slack, prompt)
    assert post["text"].startswith("A colleague shared:") and MENTOR not in str(post)
    # The remembered name says nothing about who answered.
    columns = {c["name"] for c in inspect(deps.session_factory().get_bind()).get_columns("colleague_name")}
    assert columns == {"id", "team_id", "enterprise_id", "name", "confirmed_on"}
    assert not [r for r in caplog.records if MENTOR in r.getMessage()]


def test_a_reflection_with_an_identifier_is_refused_beside_the_text(slack, fake_slack, deps, clock):
    prompt, message = post_prompt(deps, fake_slack, clock)
    clock.advance(hours=3)
    view = open_share(slack, fake_slack, prompt, message)

    body = slack.submit(
        view, share_values("The 94 year old on the ward taught us patience."), user_id=MENTOR
    ).json()

    assert body["response_action"] == "errors"
    assert "age over 89" in body["errors"]["reflection"]
    assert reflection_rows(deps) == []


def test_a_thread_reply_naming_someone_unknown_is_not_recorded_and_the_writer_told_to_mention(
    slack, fake_slack, deps, clock
):
    prompt, _message = post_prompt(deps, fake_slack, clock)

    slack.event(reply_event(prompt, "Gerald showed me how to slow the ward round down."))

    assert reflection_rows(deps) == []
    [dm] = deliveries(deps, recipient="U0MENTEE1")
    assert "@mention" in dm.payload["text"] and "Gerald" not in dm.payload["text"]


def test_a_yes_whose_form_can_no_longer_save_says_why_and_keeps_the_form(
    slack, fake_slack, deps, clock, session_factory
):
    prompt, message = post_prompt(deps, fake_slack, clock)
    clock.advance(hours=3)
    view = open_share(slack, fake_slack, prompt, message)
    pushed = slack.submit(view, share_values("Priya asked the best question."), user_id=MENTOR).json()["view"]
    clock.set(datetime(2027, 2, 1, 12, 0, tzinfo=UTC))  # the month closed meanwhile

    body = answer_yes(slack, pushed).json()

    assert body["response_action"] == "update" and body["view"]["callback_id"] == COLLEAGUE_PROBLEM
    assert body["view"]["close"]["text"] == "Back"
    assert reflection_rows(deps) == []
