"""Helpers shared by the feedback chat tests: the clock, the pair, asking, delivering and clicking."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from schedules.clock import Clock
from tests.bot.feedback.helpers import pair_up
from tests.conftest import MENTEE, MENTOR
from tests.fakes.clock import MovableClock

# Tuesday 1 December 2026, 14:00 UTC: 14:00 in London (the mentor), 09:00 in New York
# (the mentee) — inside both people's default hours.
NOW = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)


MENTOR_DM = "D" + MENTOR[1:]


MENTEE_DM = "D" + MENTEE[1:]


HOME = {"id": "V0HOME001", "type": "home", "callback_id": "home"}


@pytest.fixture
def clock():
    return MovableClock(NOW)


@pytest.fixture
def pair_id(session_factory):
    return pair_up(session_factory, MENTOR, MENTEE)


def ask(slack, text: str = "", user_id: str = MENTEE) -> str:
    reply = slack.command(f"ask {text}".strip(), user_id=user_id)
    assert reply.status == 200
    body = reply.json()
    assert body["response_type"] == "ephemeral"
    return body["text"]


def deliver(deps, fake_slack, user_id: str = MENTOR):
    """Run one clock tick and return the newest DM to `user_id` and the message it made."""
    Clock(deps).tick()
    call = fake_slack.dms_to(user_id)[-1]
    message = fake_slack.messages["D" + user_id[1:]][-1]
    return call, message


def click(slack, action_id: str, request_id: int, message, user_id: str = MENTOR):
    return slack.click(
        action_id, user_id=user_id, value=str(request_id), message=message, channel_id=MENTOR_DM
    )
