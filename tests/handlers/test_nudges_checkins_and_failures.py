"""Nudges end to end: the back-off check-in, a message that could not be refreshed, and a pair that ends."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from bot.db import transaction
from bot.models import Delivery, DeliveryStatus, NudgeOrigin, Pair, Person
from bot.nudges.blocks import (
    DONE,
    NOTE,
    SKIP,
)
from bot.nudges.delivery import record_nudge
from schedules.clock import Clock
from tests.conftest import ADMIN, MENTEE, MENTOR
from tests.handlers.nudges_support import LONDON, SLOT, button, deliver_first_nudge, open_note_modal
from tests.handlers.nudges_support import clock as clock  # a pytest fixture
from tests.handlers.nudges_support import mentor_id as mentor_id  # a pytest fixture
from tests.nudge_helpers import answers, make_mentor, nudge_with_followup, person, sends

# --- the back-off check-in --------------------------------------------------------------


def ignore_three_nudges(deps, clock, fake_slack):
    """Four Tuesdays of ticks with no answers: three nudges, then the check-in."""
    runner = Clock(deps)
    for week in range(4):
        clock.set(SLOT + timedelta(weeks=week))
        runner.tick()
    check_in = fake_slack.dms_to(MENTOR)[-1]
    assert "every other Tuesday" in check_in.text_of_blocks()
    channel = "D" + MENTOR[1:]
    return check_in, channel, fake_slack.messages[channel][-1]


@pytest.mark.parametrize(
    ("action_id", "level", "says"),
    [
        ("nudge_pace_fewer", 1, "nudges will come every other Tuesday"),
        ("nudge_pace_keep", 0, "Back to every Tuesday"),
    ],
)
def test_the_check_in_buttons_set_the_pace_and_update_the_message(
    deps, clock, fake_slack, slack, session_factory, mentor_id, action_id, level, says
):
    check_in, channel, message = ignore_three_nudges(deps, clock, fake_slack)
    labels = [e["text"]["text"] for e in check_in.blocks[1]["elements"]]
    assert labels == ["Fewer nudges", "Pause for a month", "Keep as is"]

    slack.click(
        action_id,
        user_id=MENTOR,
        value=button(check_in.blocks, action_id)["value"],
        message=message,
        channel_id=channel,
    )

    mentor = person(session_factory, mentor_id)
    assert (mentor.backoff_level, mentor.unanswered_streak) == (level, 0)
    update = fake_slack.last("chat.update")
    assert update.args["ts"] == message["ts"] and says in update.text_of_blocks()
    assert "actions" not in str(update.blocks)  # the choice is made; the buttons are gone
    # Next Tuesday: weekly again after "Keep as is"; nothing after "Fewer nudges" (every
    # other week, counted from the check-in).
    clock.set(SLOT + timedelta(weeks=4))
    Clock(deps).tick()
    assert len(fake_slack.dms_to(MENTOR)) == (5 if level == 0 else 4)


def test_pause_for_a_month_from_the_check_in(deps, clock, fake_slack, slack, session_factory, mentor_id):
    check_in, channel, message = ignore_three_nudges(deps, clock, fake_slack)

    slack.click(
        "nudge_pace_pause",
        user_id=MENTOR,
        value=button(check_in.blocks, "nudge_pace_pause")["value"],
        message=message,
        channel_id=channel,
    )

    mentor = person(session_factory, mentor_id)
    # Four whole weeks in the mentor's zone: back at local midnight on Tuesday 19 January.
    assert mentor.paused_until.astimezone(LONDON) == datetime(2027, 1, 19, tzinfo=LONDON)
    assert mentor.pause_reason == "break"
    assert "nudges pick up again on Tuesday 19 January" in fake_slack.last("chat.update").text_of_blocks()
    runner = Clock(deps)
    for week in range(4, 10):
        clock.set(SLOT + timedelta(weeks=week))
        runner.tick()
    sent = [s.planned_for for s in sends(session_factory)]
    # Nothing until the pause ends (Tuesday 19 January), then every other week.
    assert sent[3:] == [SLOT + timedelta(weeks=8)]
    clock.set(SLOT + timedelta(weeks=10))
    runner.tick()
    assert [s.planned_for for s in sends(session_factory)][4:] == [SLOT + timedelta(weeks=10)]


def test_someone_else_cannot_answer_the_check_in(deps, clock, fake_slack, slack, session_factory, mentor_id):
    check_in, channel, message = ignore_three_nudges(deps, clock, fake_slack)

    slack.click(
        "nudge_pace_keep",
        user_id=MENTEE,
        value=button(check_in.blocks, "nudge_pace_keep")["value"],
        message=message,
        channel_id=channel,
    )

    assert person(session_factory, mentor_id).backoff_level == 1
    assert "sent to someone else" in fake_slack.last("response_url").args["text"]


def test_a_note_can_be_added_to_an_answered_nudge_and_keeps_the_answer(
    deps, clock, fake_slack, slack, session_factory, mentor_id
):
    call, channel, message = deliver_first_nudge(deps, clock, fake_slack)
    slack.click(
        SKIP, user_id=MENTOR, value=button(call.blocks, SKIP)["value"], message=message, channel_id=channel
    )
    answered = fake_slack.last("chat.update").blocks
    slack.click(
        NOTE, user_id=MENTOR, value=button(answered, NOTE)["value"], message=message, channel_id=channel
    )

    slack.submit(
        fake_slack.last("views.open").view,
        {"note": {"note": {"type": "plain_text_input", "value": "Ward was on fire today; next week."}}},
        user_id=MENTOR,
    )

    [answer] = answers(session_factory)
    assert (answer.answer, answer.note) == ("skip", "Ward was on fire today; next week.")
    shown = fake_slack.last("chat.update").text_of_blocks()
    assert "Skipped — no problem" in shown and "Your note is saved" in shown


def test_an_expired_trigger_tells_the_mentor_to_click_again(
    deps, clock, fake_slack, slack, session_factory, mentor_id
):
    call, channel, message = deliver_first_nudge(deps, clock, fake_slack)
    fake_slack.fail("views.open", "expired_trigger_id")

    slack.click(
        NOTE, user_id=MENTOR, value=button(call.blocks, NOTE)["value"], message=message, channel_id=channel
    )

    assert "click *Add a note* again" in fake_slack.last("response_url").args["text"]


def test_a_busy_slack_gets_one_try_at_the_note_box_and_the_mentor_is_asked_to_click_again(
    deps, clock, fake_slack, slack, session_factory, mentor_id
):
    call, channel, message = deliver_first_nudge(deps, clock, fake_slack)
    fake_slack.rate_limit("views.open", retry_after=1)

    slack.click(
        NOTE, user_id=MENTOR, value=button(call.blocks, NOTE)["value"], message=message, channel_id=channel
    )

    assert len(fake_slack.calls_to("views.open")) == 1
    assert "click *Add a note* again" in fake_slack.last("response_url").args["text"]


# --- saved, but the message could not be refreshed ---------------------------------------


def test_an_answer_slack_wont_show_in_the_message_is_confirmed_ephemerally(
    deps, clock, fake_slack, slack, session_factory, mentor_id
):
    call, channel, message = deliver_first_nudge(deps, clock, fake_slack)
    fake_slack.fail("chat.update", "cant_update_message")

    slack.click(
        DONE, user_id=MENTOR, value=button(call.blocks, DONE)["value"], message=message, channel_id=channel
    )

    [answer] = answers(session_factory)
    assert answer.answer == "done"
    told = fake_slack.last("response_url").args
    assert told["text"] == "Saved: Done — I couldn't refresh the message above."
    assert told["response_type"] == "ephemeral" and told["replace_original"] is False


def test_a_note_slack_wont_show_in_the_message_is_confirmed_by_dm(
    deps, clock, fake_slack, slack, session_factory, mentor_id
):
    call, channel, message = deliver_first_nudge(deps, clock, fake_slack)
    view = open_note_modal(slack, fake_slack, call, message, channel)
    fake_slack.fail("chat.update", "message_not_found")

    slack.submit(
        view, {"note": {"note": {"type": "plain_text_input", "value": "Quick debrief."}}}, user_id=MENTOR
    )

    [answer] = answers(session_factory)
    assert answer.note == "Quick debrief."
    assert (
        fake_slack.dms_to(MENTOR)[-1].args["text"]
        == "Saved: your note — I couldn't refresh the message above."
    )


def test_a_pace_choice_slack_wont_show_in_the_message_is_confirmed_ephemerally(
    deps, clock, fake_slack, slack, session_factory, mentor_id
):
    check_in, channel, message = ignore_three_nudges(deps, clock, fake_slack)
    fake_slack.fail("chat.update", "cant_update_message")

    slack.click(
        "nudge_pace_keep",
        user_id=MENTOR,
        value=button(check_in.blocks, "nudge_pace_keep")["value"],
        message=message,
        channel_id=channel,
    )

    assert person(session_factory, mentor_id).backoff_level == 0
    told = fake_slack.last("response_url").args["text"]
    assert told.startswith("Saved: Keep as is — I couldn't refresh the message above. Back to")


def test_mentor_nudge_names_the_command_that_turns_messages_back_on(
    deps, clock, fake_slack, slack, session_factory, mentor_id
):
    slack.command("stop", user_id=MENTOR)
    stopped = slack.command("nudge", user_id=MENTOR).json()["text"]
    slack.command("start", user_id=MENTOR)
    slack.command("pause 1w", user_id=MENTOR)
    paused = slack.command("nudge", user_id=MENTOR).json()["text"]

    assert "Type `/mentor start` to turn them back on, then ask again." in stopped
    assert "Type `/mentor resume` to end the pause, then ask again." in paused
    assert "/mentor help" not in stopped + paused
    assert sends(session_factory) == []


# --- a pair that ends while a nudge naming the mentee is queued ----------------------------


def queue_nudge(session_factory, mentor_id, mentee_user, due_at, key):
    """A nudge in the outbox for `due_at`, naming `mentee_user` (or no one)."""
    nudge = nudge_with_followup()
    with transaction(session_factory) as session:
        mentee = (
            session.scalars(select(Person).where(Person.user_id == mentee_user)).one()
            if mentee_user
            else None
        )
        send = record_nudge(
            session,
            person=session.get(Person, mentor_id),
            dedupe_key=key,
            nudge_key=nudge.key,
            practice=nudge.practice,
            mentee_id=mentee.id if mentee else None,
            origin=NudgeOrigin.REMINDER,
            due_at=due_at,
            expires_at=None,
        )
        session.flush()
        return send.delivery_id


def status_of(session_factory, delivery_id):
    with session_factory() as session:
        row = session.get(Delivery, delivery_id)
        return row.status, row.error


def test_unpairing_cancels_queued_nudges_that_name_the_mentee_and_keeps_the_others(
    deps, clock, fake_slack, slack, session_factory
):
    mentor_id = make_mentor(session_factory, MENTOR, now=clock.now, mentees=(MENTEE, "U0MENTEE2"))
    tomorrow = SLOT + timedelta(days=1)
    about_sam = queue_nudge(session_factory, mentor_id, MENTEE, tomorrow, "nudge-remind:test:1")
    about_other = queue_nudge(session_factory, mentor_id, "U0MENTEE2", tomorrow, "nudge-remind:test:2")

    said = slack.command(f"unpair <@{MENTOR}> <@{MENTEE}>", user_id=ADMIN).json()["text"]

    assert said.startswith("Done:")
    assert status_of(session_factory, about_sam) == (
        DeliveryStatus.CANCELLED,
        "not sent: the pair it names has ended",
    )
    assert status_of(session_factory, about_other)[0] == DeliveryStatus.PENDING
    clock.set(tomorrow)
    fake_slack.reset_calls()
    Clock(deps).tick()
    [dm] = fake_slack.dms_to(MENTOR)
    assert MENTEE not in str(dm.args)


def test_a_queued_nudge_about_an_ended_pair_is_cancelled_when_it_comes_to_be_sent(
    deps, clock, fake_slack, slack, session_factory, mentor_id
):
    queued = queue_nudge(session_factory, mentor_id, MENTEE, clock.now, "nudge-remind:test:3")
    with transaction(session_factory) as session:  # ended some other way, e.g. mid-claim
        for pair in session.scalars(select(Pair)):
            pair.ended_at = clock.now

    Clock(deps).tick()

    assert fake_slack.dms_to(MENTOR) == []
    assert status_of(session_factory, queued) == (
        DeliveryStatus.CANCELLED,
        "the pair this nudge names has ended",
    )


def test_a_queued_nudge_for_a_mentor_with_no_mentee_left_is_cancelled(
    deps, clock, fake_slack, slack, session_factory, mentor_id
):
    queued = queue_nudge(session_factory, mentor_id, None, clock.now, "nudge-remind:test:4")
    with transaction(session_factory) as session:
        for pair in session.scalars(select(Pair)):
            pair.ended_at = clock.now

    Clock(deps).tick()

    assert fake_slack.dms_to(MENTOR) == []
    assert status_of(session_factory, queued) == (
        DeliveryStatus.CANCELLED,
        "the mentor has no active mentee any more",
    )
