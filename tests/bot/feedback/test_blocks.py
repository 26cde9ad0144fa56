"""Feedback-chat messages and modals stay inside Slack's limits in every state, and escape
what people typed."""

from __future__ import annotations

import pytest

from bot.feedback.blocks import (
    answer_blocks,
    answer_text,
    ask_modal,
    home_section,
    later_modal,
    request_blocks,
    request_text,
)
from bot.feedback.types import NOTE_MAX_CHARS, TOPIC_MAX_CHARS, MentorChoice, RequestCard
from bot.models import FeedbackStatus
from tests.fakes.block_limits import message_errors, view_errors


def card(status: str = FeedbackStatus.PENDING, **changes) -> RequestCard:
    values = dict(
        request_id=7,
        mentor_user_id="U0MENTOR1",
        mentee_user_id="U0MENTEE1",
        topic="<!channel> & " + "t" * (TOPIC_MAX_CHARS - 13),
        status=status,
        asked_on="Tue 1 Dec",
        note="n" * NOTE_MAX_CHARS,
    )
    values.update(changes)
    return RequestCard(**values)


@pytest.mark.parametrize("status", FeedbackStatus.ALL)
def test_the_mentors_dm_is_valid_in_every_state(status):
    blocks = request_blocks(card(status))

    assert message_errors(request_text(card(status)), blocks) == []
    text = str(blocks)
    assert "&lt;!channel&gt; &amp; " in text and "<!channel>" not in text  # typed text can't ping anyone
    has_buttons = any(b["type"] == "actions" for b in blocks)
    assert has_buttons == (status == FeedbackStatus.PENDING)


@pytest.mark.parametrize("status", FeedbackStatus.ANSWERS)
def test_the_mentees_answer_is_valid_and_kind(status):
    blocks = answer_blocks(card(status))

    assert message_errors(answer_text(card(status)), blocks) == []
    assert "<@U0MENTOR1>" in answer_text(card(status))
    assert ("Their note" in answer_text(card(status))) == (status == FeedbackStatus.LATER)


def test_the_modals_are_valid_and_say_the_request_is_not_anonymous():
    one = ask_modal([MentorChoice("U0MENTOR1", "Dr Okafor")])
    many = ask_modal([MentorChoice(f"U0MENTOR{n}", "Dr " + "x" * 90) for n in range(3)])
    note = later_modal(7, "U0MENTEE1")

    assert view_errors(one) == [] and view_errors(many) == [] and view_errors(note) == []
    assert "isn't anonymous" in str(one) and not any(b.get("block_id") == "mentor" for b in one["blocks"])
    assert [b["block_id"] for b in many["blocks"] if b["type"] == "input"] == ["mentor", "topic"]
    assert note["private_metadata"] == "7"


def test_home_lists_the_last_three_requests():
    recent = [card(s, asked_on=f"day {n}") for n, s in enumerate(FeedbackStatus.ALL)]

    text = str([b.to_dict() for b in home_section(recent)])

    assert "day 0 · <@U0MENTOR1> · waiting for an answer" in text
    assert "day 1 · <@U0MENTOR1> · *Let's talk this week*" in text
    assert "day 3" not in text
