"""Which listeners run in the request's own thread (`handlers.after_ack.in_place`,
`bot.app.InPlaceRunner`) and which stay on Bolt's listener pool."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from bot.app import InPlaceRunner, create_app
from bot.nudges.blocks import DONE
from bot.web import wsgi_app
from tests.conftest import MENTEE, MENTOR
from tests.fakes.clock import MovableClock
from tests.fakes.slack_requests import SlackUser, TrackingExecutor
from tests.handlers.nudges_support import SLOT, button, deliver_first_nudge
from tests.nudge_helpers import answers, make_mentor


class CountingPool(TrackingExecutor):
    """Bolt's listener pool, counting what it was handed."""

    def __init__(self) -> None:
        super().__init__()
        self.handed = 0

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Any:
        self.handed += 1
        return super().submit(fn, *args, **kwargs)


@pytest.fixture
def clock():
    return MovableClock(SLOT - timedelta(minutes=30))


@pytest.fixture
def pool():
    pool = CountingPool()
    yield pool
    pool.shutdown(wait=True)


def test_help_is_answered_in_place_and_other_subcommands_on_bolts_pool(deps, engine, fake_slack, pool):
    app = create_app(deps.settings, deps=deps, listener_executor=pool)
    assert isinstance(app._listener_runner, InPlaceRunner)
    slack = SlackUser(wsgi_app(app, engine), fake_slack, pool)

    for text in ("help", "", "no-such-thing", "x" * 2500):
        assert slack.command(text, user_id=MENTEE).status == 200
    assert pool.handed == 0

    slack.command("history", user_id=MENTEE)
    pool.wait_idle()
    assert pool.handed == 1


def test_a_done_click_acks_in_place_and_is_recorded_on_the_after_ack_pool(
    deps, clock, fake_slack, session_factory, engine, settings, pool
):
    make_mentor(session_factory, MENTOR, now=clock.now, tz="Europe/London")
    call, channel, message = deliver_first_nudge(deps, clock, fake_slack)
    app = create_app(settings, deps=deps)  # as gunicorn builds it: with the after-ack pool
    app._listener_runner.listener_executor = pool  # count what reaches Bolt's pool
    slack = SlackUser(wsgi_app(app, engine), fake_slack)

    reply = slack.click(
        DONE, user_id=MENTOR, value=button(call.blocks, DONE)["value"], message=message, channel_id=channel
    )

    assert reply.status == 200
    fake_slack.wait_for("chat.update", timeout=10)
    assert pool.handed == 0
    [answer] = answers(session_factory)
    assert answer.answer == "done"
    deps.after_ack.shutdown(wait=True)
