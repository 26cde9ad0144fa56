"""Feedback chats end to end: asking, the mentor's answers, and who may be asked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.db import transaction
from bot.feedback.blocks import CANT, LATER, LATER_VIEW, TALK
from bot.models import FeedbackStatus
from bot.preferences import service as preferences
from schedules.clock import Clock
from tests.bot.feedback.helpers import action_ids, deliveries, pair_up, requests
from tests.conftest import ADMIN, MENTEE, MENTOR
from tests.fakes.block_limits import message_errors, view_errors
from tests.fakes.slack_api import TEAM_ID
from tests.handlers.feedback_support import (
    MENTOR_DM,
    NOW,
    ask,
    click,
    deliver,
)
from tests.handlers.feedback_support import (
    clock as clock,
)
from tests.handlers.feedback_support import (
    pair_id as pair_id,
)

# --- the happy paths -------------------------------------------------------------------------


def test_ask_sends_the_mentor_one_dm_with_three_answers(slack, deps, fake_slack, session_factory, pair_id):
    said = ask(slack, "how my case presentations are landing")

    assert (
        said == f"Sent: <@{MENTOR}> will get your request in a minute or so. I'll let you know what they say."
    )
    [request] = requests(session_factory)
    assert (request.status, request.topic, request.source) == (
        "pending",
        "how my case presentations are landing",
        "command",
    )
    assert (
        request.pair_id == pair_id
        and request.requested_at == NOW
        and request.closes_at == NOW + timedelta(days=7)
    )
    assert fake_slack.dms_to(MENTOR) == []  # proactive: it goes through the outbox

    call, message = deliver(deps, fake_slack)

    assert message_errors(call.args["text"], call.blocks) == []
    text = call.text_of_blocks()
    assert f"<@{MENTEE}> would like a short feedback chat with you." in text
    assert "Topic: “how my case presentations are landing”" in text
    assert action_ids(call.blocks) == [TALK, LATER, CANT]
    [request] = requests(session_factory)
    assert request.sent_at == NOW and request.channel == MENTOR_DM and request.ts == message["ts"]


def test_lets_talk_is_recorded_the_dm_updates_and_the_mentee_is_told(
    slack, deps, fake_slack, clock, session_factory, pair_id
):
    ask(slack, "rotation feedback")
    _call, message = deliver(deps, fake_slack)
    [request] = requests(session_factory)
    clock.advance(minutes=20)

    click(slack, TALK, request.id, message)

    [request] = requests(session_factory)
    assert request.status == FeedbackStatus.TALK and request.answered_at == clock.now
    update = fake_slack.last("chat.update")
    assert update.args["ts"] == message["ts"] and action_ids(update.blocks) == []
    assert f"You said *Let's talk this week* — <@{MENTEE}> has been told" in update.text_of_blocks()

    mentee_call, _ = deliver(deps, fake_slack, MENTEE)
    assert (
        f"Good news: <@{MENTOR}> would like to have a feedback chat with you this week"
        in mentee_call.text_of_blocks()
    )
    assert "Your topic: “rotation feedback”" in mentee_call.text_of_blocks()


def test_suggest_another_time_takes_an_optional_note_the_mentee_reads(
    slack, deps, fake_slack, session_factory, pair_id
):
    ask(slack)
    _call, message = deliver(deps, fake_slack)
    [request] = requests(session_factory)

    click(slack, LATER, request.id, message)
    view = fake_slack.last("views.open").view
    assert view["callback_id"] == LATER_VIEW and view_errors(view) == []
    reply = slack.submit(
        view,
        {"note": {"note": {"type": "plain_text_input", "value": "  Free after clinic Thursday?  "}}},
        user_id=MENTOR,
    )

    assert reply.status == 200 and reply.body in (b"", b"{}")
    [request] = requests(session_factory)
    assert request.status == FeedbackStatus.LATER and request.mentor_note == "Free after clinic Thursday?"
    assert "Your note: “Free after clinic Thursday?”" in fake_slack.last("chat.update").text_of_blocks()
    mentee_call, _ = deliver(deps, fake_slack, MENTEE)
    assert "they'd rather find another time" in mentee_call.text_of_blocks()
    assert "Their note: “Free after clinic Thursday?”" in mentee_call.text_of_blocks()


def test_cant_right_now_is_told_kindly(slack, deps, fake_slack, session_factory, pair_id):
    ask(slack)
    _call, message = deliver(deps, fake_slack)

    click(slack, CANT, requests(session_factory)[0].id, message)

    assert requests(session_factory)[0].status == FeedbackStatus.CANT
    mentee_call, _ = deliver(deps, fake_slack, MENTEE)
    assert "It's about their week, not about you" in mentee_call.text_of_blocks()


def test_the_answer_waits_for_the_mentees_hours(slack, deps, fake_slack, clock, session_factory, pair_id):
    ask(slack)
    _call, message = deliver(deps, fake_slack)
    # 23:30 UTC: 18:30 in New York, after the mentee's hours (the mentor may click any time).
    clock.set(datetime(2026, 12, 1, 23, 30, tzinfo=UTC))
    click(slack, TALK, requests(session_factory)[0].id, message)

    Clock(deps).tick()
    assert fake_slack.dms_to(MENTEE) == []

    clock.set(datetime(2026, 12, 2, 13, 0, tzinfo=UTC))  # 08:00 in New York
    Clock(deps).tick()
    assert len(fake_slack.dms_to(MENTEE)) == 1


def test_the_request_waits_for_the_mentors_hours_and_says_so(
    slack, deps, fake_slack, clock, session_factory, pair_id
):
    clock.set(datetime(2026, 12, 1, 21, 0, tzinfo=UTC))  # 21:00 London, 16:00 New York

    said = ask(slack)

    assert "will get your request during their working hours" in said
    Clock(deps).tick()
    assert fake_slack.dms_to(MENTOR) == []
    clock.set(datetime(2026, 12, 2, 8, 0, tzinfo=UTC))
    Clock(deps).tick()
    assert len(fake_slack.dms_to(MENTOR)) == 1


# --- one answer, from the mentor only ----------------------------------------------------------


def test_a_second_answer_changes_nothing_and_says_what_was_answered(
    slack, deps, fake_slack, session_factory, pair_id
):
    ask(slack)
    _call, message = deliver(deps, fake_slack)
    request_id = requests(session_factory)[0].id
    click(slack, TALK, request_id, message)
    fake_slack.reset_calls()

    click(slack, CANT, request_id, message)  # a stale copy of the buttons, on another device

    assert requests(session_factory)[0].status == FeedbackStatus.TALK
    said = fake_slack.last("response_url").args
    assert said["response_type"] == "ephemeral"
    assert "You already answered this request (*Let's talk this week*, Tue 1 Dec)" in said["text"]
    assert len(deliveries(session_factory, "feedback_answer")) == 1


def test_a_click_by_someone_else_is_refused_and_changes_nothing(
    slack, deps, fake_slack, session_factory, pair_id
):
    ask(slack)
    _call, message = deliver(deps, fake_slack)

    click(slack, TALK, requests(session_factory)[0].id, message, user_id=ADMIN)

    assert requests(session_factory)[0].status == FeedbackStatus.PENDING
    assert fake_slack.calls_to("chat.update") == []
    assert "sent to someone else" in fake_slack.last("response_url").args["text"]


@pytest.mark.parametrize("value", ["999999", "not-a-number", "", "²", "9" * 30])
def test_a_forged_or_old_button_changes_nothing_and_says_so(
    slack, deps, fake_slack, session_factory, pair_id, value
):
    ask(slack)
    _call, message = deliver(deps, fake_slack)

    slack.click(TALK, user_id=MENTOR, value=value, message=message, channel_id=MENTOR_DM)

    assert requests(session_factory)[0].status == FeedbackStatus.PENDING
    assert "can't find that request" in fake_slack.last("response_url").args["text"]


def test_a_note_with_a_patient_identifier_keeps_the_modal_open_and_stores_nothing(
    slack, deps, fake_slack, session_factory, pair_id
):
    ask(slack)
    _call, message = deliver(deps, fake_slack)
    click(slack, LATER, requests(session_factory)[0].id, message)
    view = fake_slack.last("views.open").view

    reply = slack.submit(
        view, {"note": {"note": {"type": "plain_text_input", "value": "after MRN 4481923"}}}, user_id=MENTOR
    )

    body = reply.json()
    assert body["response_action"] == "errors" and "medical record" in body["errors"]["note"]
    [request] = requests(session_factory)
    assert request.status == FeedbackStatus.PENDING and request.mentor_note is None
    assert deliveries(session_factory, "feedback_answer") == []


# --- who may be asked --------------------------------------------------------------------------


def test_asking_someone_who_is_not_your_mentor_is_refused(slack, session_factory, pair_id):
    said = ask(slack, f"<@{ADMIN}|dr.adams> quick chat?")

    assert said.startswith(f"<@{ADMIN}> isn't one of your mentors in Mentor Nudge, so nothing was sent.")
    assert f"You can ask <@{MENTOR}>." in said
    assert requests(session_factory) == []


def test_an_unknown_user_gets_the_same_answer(slack, session_factory, pair_id):
    said = ask(slack, "<@U0NOBODY99> hello")

    assert "isn't one of your mentors" in said and requests(session_factory) == []


def test_a_name_typed_without_the_at_menu_is_not_guessed(slack, session_factory, pair_id):
    said = ask(slack, "@okafor hello")

    assert "couldn't tell who `@okafor` is" in said and requests(session_factory) == []


def test_a_mentor_asking_themselves_is_told_plainly(slack, session_factory, pair_id):
    pair_up(session_factory, ADMIN, MENTOR)  # the mentor is also someone's mentee

    said = ask(slack, f"<@{MENTOR}>", user_id=MENTOR)

    assert said.startswith("You can't ask yourself") and requests(session_factory) == []


def test_with_several_mentors_the_mentee_is_asked_to_name_one(slack, fake_slack, session_factory, pair_id):
    fake_slack.add_user("U0MENTOR2", "dr.patel", tz="Europe/London")
    pair_up(session_factory, "U0MENTOR2", MENTEE)

    said = ask(slack, "presentations")

    assert f"You have 2 mentors here: <@{MENTOR}> and <@U0MENTOR2>" in said
    assert requests(session_factory) == []
    assert ask(slack, "<@U0MENTOR2> presentations").startswith("Sent: <@U0MENTOR2>")


def test_someone_with_no_mentor_is_told_what_the_command_is_for(slack, session_factory):
    said = ask(slack, user_id=ADMIN)

    assert said.startswith("Feedback chats are for asking your mentor") and requests(session_factory) == []


def test_a_topic_with_patient_information_or_too_long_is_refused(slack, session_factory, pair_id):
    assert "This wasn't saved" in ask(slack, "the patient in bed 4, DOB 03/04/1961")
    assert "keep the topic to 300 characters" in ask(slack, "x" * 301)
    assert requests(session_factory) == []


def test_a_mentor_who_is_not_receiving_messages_is_not_asked(slack, deps, session_factory, pair_id):
    with transaction(session_factory) as session:
        preferences.pause_for_text(session, deps.settings, TEAM_ID, MENTOR, "2w", now=NOW)

    said = ask(slack)

    assert said.startswith(f"<@{MENTOR}> isn't receiving Mentor Nudge messages at the moment")
    assert "pause" not in said.lower()  # leave is the mentor's own business
    assert requests(session_factory) == []
