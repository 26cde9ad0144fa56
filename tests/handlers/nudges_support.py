"""Helpers shared by the nudge handler tests: the clock, the mentor, the first nudge, the note modal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.nudges.blocks import (
    NOTE,
    NOTE_VIEW,
)
from schedules.clock import Clock
from tests.conftest import MENTOR
from tests.fakes.clock import MovableClock
from tests.nudge_helpers import make_mentor

# Tuesday 1 December 2026, 09:30 in London (GMT): the default nudge slot.
SLOT = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


LONDON = ZoneInfo("Europe/London")


@pytest.fixture
def clock():
    return MovableClock(SLOT - timedelta(minutes=30))


@pytest.fixture
def mentor_id(session_factory, clock):
    return make_mentor(session_factory, MENTOR, now=clock.now, tz="Europe/London")


def deliver_first_nudge(deps, clock, fake_slack):
    clock_runner = Clock(deps)
    clock_runner.tick()
    assert fake_slack.dms_to(MENTOR) == []  # 09:00: nothing yet
    clock.set(SLOT)
    clock_runner.tick()
    [call] = fake_slack.dms_to(MENTOR)
    channel = "D" + MENTOR[1:]
    [message] = fake_slack.messages[channel]
    return call, channel, message


def button(blocks, action_id):
    for block in blocks:
        for element in block.get("elements", []):
            if element.get("action_id") == action_id:
                return element
    raise AssertionError(f"no {action_id} in {blocks}")


def open_note_modal(slack, fake_slack, call, message, channel):
    slack.click(
        NOTE, user_id=MENTOR, value=button(call.blocks, NOTE)["value"], message=message, channel_id=channel
    )
    opened = fake_slack.last("views.open")
    assert opened.view["callback_id"] == NOTE_VIEW
    return opened.view
