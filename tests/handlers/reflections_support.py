"""Helpers shared by the reflection handler tests: the clock, posting a prompt, sharing, reading threads."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from bot.models import ReflectionChannel
from schedules.clock import Clock
from tests.conftest import MENTEE, MENTOR
from tests.fakes.clock import MovableClock
from tests.reflection_support import configure, prompts

WARD = "C0WARD001"


WARD_MENTION = f"<#{WARD}|ward-4-mentors>"


# Monday 4 January 2027, 10:00 in London: a "first Monday at 10:00" prompt is due.
PROMPT_TIME = datetime(2027, 1, 4, 10, 0, tzinfo=UTC)


@pytest.fixture
def clock():
    return MovableClock(datetime(2027, 1, 4, 9, 0, tzinfo=UTC))


def channel_count(deps):
    with deps.session_factory() as session:
        return session.scalar(select(func.count(ReflectionChannel.id)))


def tick(deps):
    return Clock(deps).tick()


def post_prompt(deps, fake_slack, clock, *, anonymous=True, **channel_flags):
    """Set #ward up, let the clock post January's prompt, return (prompt row, Slack message)."""
    fake_slack.add_channel(WARD, "ward-4-mentors", **channel_flags)
    configure(deps, WARD, rule="first-mon", minute=600, anonymous=anonymous)
    clock.set(PROMPT_TIME)
    tick(deps)
    [prompt] = prompts(deps)
    message = fake_slack.messages[WARD][0] if fake_slack.messages[WARD] else None
    return prompt, message


def state(**blocks):
    """View state values: {block_id: (action type, state fields)} → Slack's nested shape."""
    values = {}
    for block_id, (action_id, kind, fields) in blocks.items():
        values[block_id] = {action_id: {"type": kind, **fields}}
    return values


def share_values(text, *, practices=("listen",), anonymous=False):
    values = state(
        reflection=("reflection", "plain_text_input", {"value": text}),
        practices=(
            "practices",
            "multi_static_select",
            {"selected_options": [{"value": p} for p in practices]},
        ),
    )
    values.update(
        state(
            anonymous=(
                "anonymous",
                "checkboxes",
                {"selected_options": [{"value": "yes"}] if anonymous else []},
            )
        )
    )
    return values


def open_share(slack, fake_slack, prompt, message, user=MENTOR):
    slack.click(
        "anon:reflection_share",
        user_id=user,
        value=str(prompt.id),
        message=message,
        channel_id=WARD,
        block_id="share",
    )
    return fake_slack.last("views.open").view


def thread_posts(fake_slack, prompt):
    return [m for m in fake_slack.messages[WARD] if m["thread_ts"] == prompt.ts]


def reply_event(prompt, text, *, ts="1760009999.000100", user=MENTEE, **extra):
    return {
        "type": "message",
        "channel": WARD,
        "channel_type": "channel",
        "user": user,
        "text": text,
        "ts": ts,
        "thread_ts": prompt.ts,
        **extra,
    }
