"""Server-side size limits: a modal's max_length and the command text, kept by us."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.models import NudgeAnswer
from bot.nudges.blocks import NOTE_MAX_CHARS
from handlers.input_limits import COMMAND_TEXT_LIMIT, TEXT_LIMIT, over_limit_errors
from tests.conftest import MENTOR
from tests.fakes.clock import MovableClock
from tests.handlers.nudges_support import SLOT, deliver_first_nudge, open_note_modal
from tests.nudge_helpers import make_mentor


@pytest.fixture
def clock():
    return MovableClock(SLOT - timedelta(minutes=30))


@pytest.fixture
def mentor_id(session_factory, clock):
    return make_mentor(session_factory, MENTOR, now=clock.now, tz="Europe/London")


def note(text: str) -> dict:
    return {"note": {"note": {"type": "plain_text_input", "value": text}}}


def stored_notes(session_factory) -> int:
    with session_factory() as session:
        return session.scalar(select(func.count()).where(NudgeAnswer.note.is_not(None)))


def test_a_40000_character_note_is_refused_under_its_field_and_nothing_is_stored(
    deps, clock, fake_slack, slack, session_factory, mentor_id
):
    call, channel, message = deliver_first_nudge(deps, clock, fake_slack)
    view = open_note_modal(slack, fake_slack, call, message, channel)

    reply = slack.submit(view, note("x" * 40_000), user_id=MENTOR)

    assert reply.status == 200
    answer = reply.json()
    assert answer["response_action"] == "errors"
    assert f"keep this to {NOTE_MAX_CHARS:,} characters" in answer["errors"]["note"]
    assert "40,000" in answer["errors"]["note"]
    assert stored_notes(session_factory) == 0


def test_a_note_at_its_limit_is_saved(deps, clock, fake_slack, slack, session_factory, mentor_id):
    call, channel, message = deliver_first_nudge(deps, clock, fake_slack)
    view = open_note_modal(slack, fake_slack, call, message, channel)

    reply = slack.submit(view, note("y" * NOTE_MAX_CHARS), user_id=MENTOR)

    assert reply.status == 200 and reply.body in (b"", b"{}")
    assert stored_notes(session_factory) == 1


def test_a_text_field_without_max_length_is_held_to_the_general_limit():
    view = {
        "blocks": [
            {"type": "input", "block_id": "b", "element": {"type": "plain_text_input", "action_id": "a"}}
        ],
        "state": {"values": {"b": {"a": {"type": "plain_text_input", "value": "z" * (TEXT_LIMIT + 1)}}}},
    }

    assert list(over_limit_errors(view)) == ["b"]
    view["state"]["values"]["b"]["a"]["value"] = "z" * TEXT_LIMIT
    assert over_limit_errors(view) == {}


def test_an_over_long_command_is_refused_plainly(slack):
    reply = slack.command("pause " + "1w " * COMMAND_TEXT_LIMIT, user_id=MENTOR)

    assert reply.status == 200
    assert "longer than any `/mentor` command needs" in reply.json()["text"]
