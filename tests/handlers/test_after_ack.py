"""Work after the ack on its own pool (production's set-up: no listener pool handed in):
a nudge answer is still recorded and its message refreshed."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.app import create_app
from bot.nudges.blocks import DONE
from bot.web import wsgi_app
from tests.conftest import MENTOR
from tests.fakes.clock import MovableClock
from tests.fakes.slack_requests import SlackUser
from tests.handlers.test_nudges import SLOT, button, deliver_first_nudge
from tests.nudge_helpers import answers, make_mentor


@pytest.fixture
def clock():
    return MovableClock(SLOT - timedelta(minutes=30))


def test_a_done_click_is_recorded_after_the_ack_on_the_after_ack_pool(
    deps, clock, fake_slack, session_factory, engine, settings
):
    make_mentor(session_factory, MENTOR, now=clock.now, tz="Europe/London")
    call, channel, message = deliver_first_nudge(deps, clock, fake_slack)
    app = create_app(settings, deps=deps)  # as gunicorn builds it: Bolt's own pool
    assert deps.after_ack is not None
    slack = SlackUser(wsgi_app(app, engine), fake_slack)

    reply = slack.click(
        DONE, user_id=MENTOR, value=button(call.blocks, DONE)["value"], message=message, channel_id=channel
    )

    assert reply.status == 200
    [update] = fake_slack.wait_for("chat.update", timeout=10)
    assert update.args["ts"] == message["ts"]
    [answer] = answers(session_factory)
    assert answer.answer == "done"
    deps.after_ack.shutdown(wait=True)
