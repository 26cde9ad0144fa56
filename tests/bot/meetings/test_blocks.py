"""Meeting-log messages stay inside Slack's limits in every state."""

from __future__ import annotations

import pytest

from bot.library.types import PRACTICE_KEYS
from bot.meetings.blocks import (
    PRACTICES_ACTION,
    SAVE_ACTION,
    logged_blocks,
    logged_text,
    overview_blocks,
    question_blocks,
    question_text,
)
from bot.meetings.types import MeetingCard, MenteeMeetings, MonthLine
from tests.fakes.block_limits import message_errors


def actions(blocks):
    return [e["action_id"] for b in blocks for e in b.get("elements", []) if "action_id" in e]


@pytest.mark.parametrize("minutes", [None, 0, 15, 30, 60])
def test_the_question_is_valid_before_and_after_every_answer(minutes):
    card = MeetingCard("U0MENTEE1", "2026-12", minutes, PRACTICE_KEYS, question_id=5, log_id=9)
    blocks = question_blocks(card)

    assert message_errors(question_text(card), blocks) == []
    assert actions(blocks)[:4] == [
        "meeting.answer_15",
        "meeting.answer_30",
        "meeting.answer_60",
        "meeting.answer_0",
    ]
    assert (SAVE_ACTION in actions(blocks)) == bool(minutes)


def test_the_met_reply_and_the_overview_are_valid():
    card = MeetingCard("U0MENTEE1", "2026-12", 95, ("care",), log_id=9)
    assert message_errors(logged_text(card), logged_blocks(card)) == []
    assert PRACTICES_ACTION in actions(logged_blocks(card)) and "1 h 35 min" in logged_text(card)

    month = MonthLine("2026-12", meetings=3, minutes=200, practices=PRACTICE_KEYS)
    many = [MenteeMeetings(f"U0MENTEE{n:03d}", n % 2 == 0, (month,) * 3) for n in range(60)]
    blocks = overview_blocks(many)
    assert message_errors("x", blocks) == [] and len(blocks) <= 50
