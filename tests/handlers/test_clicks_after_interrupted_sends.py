"""A click on a message we posted is never refused for lack of our own record of it.

The at-most-once window (a crash between Slack accepting a message and our recording
it, or Slack's answer lost to a timeout) leaves a message in Slack that our database
does not know the place of. Its buttons carry the channel and message ts: that is
enough to finish the job.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.models import Delivery, DeliveryStatus, PromptStatus
from bot.nudges.blocks import DONE, NOTE
from bot.reflections.types import PROMPT_KIND
from bot.slack import quick_client
from schedules.clock import Clock
from schedules.kinds import all_kinds
from schedules.sender import Sender
from tests.conftest import MENTOR
from tests.fakes.clock import MovableClock
from tests.handlers.nudges_support import SLOT, button
from tests.handlers.reflections_support import PROMPT_TIME, WARD, open_share, share_values, thread_posts
from tests.nudge_helpers import answers, make_mentor, sends
from tests.reflection_support import configure, deliveries, prompts

# Slack does the work but answers after the sender's client has given up.
LATE = 1.0
IMPATIENT = 0.3


def impatient_clock(deps) -> Clock:
    """The real clock, whose Slack client times out before the fake Slack answers."""
    sender = Sender(deps, all_kinds(), clients=lambda _team: quick_client(deps.client, IMPATIENT))
    return Clock(deps, sender=sender)


@pytest.fixture
def clock():
    return MovableClock(datetime(2027, 1, 4, 9, 0, tzinfo=UTC))


def test_the_share_button_of_a_prompt_whose_posting_was_never_recorded_still_works(
    slack, fake_slack, deps, clock
):
    fake_slack.add_channel(WARD, "ward-4-mentors")
    configure(deps, WARD, rule="first-mon", minute=600, anonymous=True)
    clock.set(PROMPT_TIME)
    fake_slack.answer_late("chat.postMessage", LATE)
    impatient_clock(deps).tick()
    [message] = fake_slack.messages[WARD]  # in the channel…
    [prompt] = prompts(deps)
    assert prompt.ts is None  # …but we never learned where
    [delivery] = deliveries(deps, PROMPT_KIND)
    assert delivery.status == DeliveryStatus.INTERRUPTED
    clock.advance(hours=2)

    view = open_share(slack, fake_slack, prompt, message)

    assert view["callback_id"] == "anon:reflection_submit", view  # the share box, not "can't find"
    [prompt] = prompts(deps)
    assert (prompt.status, prompt.ts) == (PromptStatus.POSTED, message["ts"])
    [delivery] = deliveries(deps, PROMPT_KIND)
    assert (delivery.status, delivery.channel, delivery.ts) == (DeliveryStatus.SENT, WARD, message["ts"])
    reply = slack.submit(view, share_values("I let my resident lead the family meeting."), user_id=MENTOR)
    assert reply.status == 200
    [post] = thread_posts(fake_slack, prompt)
    assert post["thread_ts"] == message["ts"]


def test_a_click_in_another_channel_does_not_adopt_the_prompt(slack, fake_slack, deps, clock):
    fake_slack.add_channel(WARD, "ward-4-mentors")
    configure(deps, WARD, rule="first-mon", minute=600, anonymous=True)
    clock.set(PROMPT_TIME)
    fake_slack.answer_late("chat.postMessage", LATE)
    impatient_clock(deps).tick()
    [message] = fake_slack.messages[WARD]
    [prompt] = prompts(deps)
    elsewhere = {**message, "ts": "1760000999.000100"}

    slack.click(
        "anon:reflection_share",
        user_id=MENTOR,
        value=str(prompt.id),
        message=elsewhere,
        channel_id="C0OTHER01",
    )

    assert prompts(deps)[0].ts is None
    assert "any more" in str(fake_slack.last("views.open").view)


def test_answering_a_nudge_whose_sending_was_never_recorded_updates_that_message(
    deps, fake_slack, slack, session_factory, clock
):
    clock.set(SLOT - timedelta(minutes=30))
    make_mentor(session_factory, MENTOR, now=clock.now, tz="Europe/London")
    runner = impatient_clock(deps)
    runner.tick()
    clock.set(SLOT)
    fake_slack.answer_late("chat.postMessage", LATE)
    runner.tick()
    channel = "D" + MENTOR[1:]
    [message] = fake_slack.messages[channel]
    [send] = sends(session_factory)
    assert send.ts is None
    with deps.session_factory() as session:
        assert session.get(Delivery, send.delivery_id).status == DeliveryStatus.INTERRUPTED
    clock.advance(minutes=5)

    reply = slack.click(
        DONE,
        user_id=MENTOR,
        value=button(message["blocks"], DONE)["value"],
        message=message,
        channel_id=channel,
    )

    assert reply.status == 200
    [answer] = answers(session_factory)
    assert answer.answer == "done"
    update = fake_slack.last("chat.update")
    assert (update.args["channel"], update.args["ts"]) == (channel, message["ts"])
    assert "Marked done" in update.text_of_blocks()
    with deps.session_factory() as session:
        assert session.scalars(select(Delivery).where(Delivery.status == DeliveryStatus.SENDING)).all() == []


def test_a_note_on_a_nudge_whose_sending_was_never_recorded_updates_that_message(
    deps, fake_slack, slack, session_factory, clock
):
    clock.set(SLOT - timedelta(minutes=30))
    make_mentor(session_factory, MENTOR, now=clock.now, tz="Europe/London")
    runner = impatient_clock(deps)
    runner.tick()
    clock.set(SLOT)
    fake_slack.answer_late("chat.postMessage", LATE)
    runner.tick()
    channel = "D" + MENTOR[1:]
    [message] = fake_slack.messages[channel]
    assert sends(session_factory)[0].ts is None
    clock.advance(minutes=5)
    slack.click(
        NOTE,
        user_id=MENTOR,
        value=button(message["blocks"], NOTE)["value"],
        message=message,
        channel_id=channel,
    )
    view = fake_slack.last("views.open").view

    reply = slack.submit(
        view,
        {"note": {"note": {"type": "plain_text_input", "value": "Good chat over coffee."}}},
        user_id=MENTOR,
    )

    assert reply.status == 200
    [answer] = answers(session_factory)
    assert answer.note == "Good chat over coffee."
    update = fake_slack.last("chat.update")
    assert (update.args["channel"], update.args["ts"]) == (channel, message["ts"])
    assert "Your note is saved" in update.text_of_blocks()
