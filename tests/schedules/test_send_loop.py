"""The scheduler's two jobs: the planners every minute, and sending in its own loop."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from schedules.clock import Clock, build_scheduler
from tests.conftest import MENTOR
from tests.fakes.clock import MovableClock
from tests.nudge_helpers import make_mentor

NOW = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)  # Tuesday 09:30 in London: the default slot


@pytest.fixture
def clock():
    return MovableClock(NOW - timedelta(minutes=30))


def test_the_planners_tick_queues_and_the_send_loop_sends_then_stops(
    deps, clock, fake_slack, session_factory
):
    make_mentor(session_factory, MENTOR, now=clock.now)
    clock.set(NOW)
    runner = Clock(deps)

    planned = runner.plan_tick()

    assert planned["nudges"] and "send" not in planned and "zones" not in planned
    assert fake_slack.dms_to(MENTOR) == []  # planned, not sent: sending is the loop's
    loop = threading.Thread(target=runner.send_loop, kwargs={"idle_seconds": 0.05})
    loop.start()
    try:
        [dm] = fake_slack.wait_for("chat.postMessage", timeout=10)
        assert dm.args["channel"] == MENTOR
    finally:
        runner.stop()
        loop.join(timeout=10)
    assert not loop.is_alive()  # stop() ends the loop
    assert len(fake_slack.dms_to(MENTOR)) == 1


def test_the_scheduler_runs_the_ticks_and_one_send_loop(deps):
    runner = Clock(deps)
    scheduler = build_scheduler(runner, background=True)

    jobs = {job.id: job for job in scheduler.get_jobs()}

    assert set(jobs) == {"tick", "send", "housekeeping"}
    assert jobs["tick"].func == runner.plan_tick and jobs["send"].func == runner.send_loop
