"""Work after the ack on its own pool (production's set-up: no listener pool handed in):
a nudge answer is still recorded and its message refreshed."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import replace
from datetime import timedelta

import pytest

from bot.app import create_app
from bot.nudges.blocks import DONE
from bot.web import wsgi_app
from handlers.after_ack import AckGate, AfterAckPool, after_ack, finish_all
from tests.conftest import MENTOR
from tests.fakes.clock import MovableClock
from tests.fakes.slack_requests import SlackUser
from tests.handlers.nudges_support import SLOT, button, deliver_first_nudge
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


# --- the bounded queue ---------------------------------------------------------------------


class Told:
    """Stands in for Bolt's `respond`: keeps what the person would be told."""

    def __init__(self) -> None:
        self.texts: list[str] = []

    def __call__(self, text: str = "", **_options: object) -> None:
        self.texts.append(text)


@pytest.fixture
def busy_pool():
    """A one-thread pool with room for one waiting job, its thread held busy."""
    pool = AfterAckPool(1, limit=1)
    release, started = threading.Event(), threading.Event()

    def hold() -> None:
        started.set()
        release.wait(10)

    pool.submit(hold)
    assert started.wait(10)
    yield pool, release
    release.set()
    pool.shutdown(wait=True)


def test_a_full_queue_runs_the_work_in_the_listeners_thread_not_dropped(deps, busy_pool):
    pool, _release = busy_pool
    pool.submit(lambda: None)  # the one waiting place is taken
    ran_in: list[threading.Thread] = []

    after_ack(
        replace(deps, after_ack=pool), Told(), "answer", lambda: ran_in.append(threading.current_thread())
    )

    assert ran_in == [threading.current_thread()]
    assert pool.waiting() == 1


def test_work_that_fails_after_the_ack_tells_the_person_to_tap_again(deps, busy_pool):
    pool, release = busy_pool
    told = Told()

    def fails() -> None:
        raise RuntimeError("the database went away")

    after_ack(replace(deps, after_ack=pool), told, "answer", fails)
    release.set()
    pool.shutdown(wait=True)

    [text] = told.texts
    assert "didn't save" in text and "please try again" in text


def test_shutdown_says_how_many_jobs_were_still_queued(busy_pool, caplog):
    pool, release = busy_pool
    pool.submit(lambda: None)

    with caplog.at_level(logging.WARNING, logger="handlers.after_ack"):
        pool.shutdown(wait=False, cancel_futures=True)
    release.set()

    assert [r.getMessage() for r in caplog.records] == ["after-ack: 1 job(s) still queued at shutdown"]


# --- finishing as the process stops (bot/gunicorn_hooks.py's worker_exit) ----------------------


def test_finish_all_runs_the_queued_jobs_and_refuses_new_ones(deps, busy_pool):
    pool, release = busy_pool
    ran: list[str] = []
    pool.submit(lambda: ran.append("queued"))
    threading.Timer(0.2, release.set).start()  # the running job ends soon after

    assert finish_all(10) == 0

    assert ran == ["queued"]
    # A click acked after that is recorded in its listener's thread, not lost.
    after_ack(replace(deps, after_ack=pool), Told(), "answer", lambda: ran.append("late"))
    assert ran == ["queued", "late"]


def test_finish_waits_no_longer_than_its_bound_and_counts_what_is_left(busy_pool, caplog):
    pool, _release = busy_pool  # held until the fixture ends
    pool.submit(lambda: None)

    with caplog.at_level(logging.WARNING, logger="handlers.after_ack"):
        left = pool.finish(0.05)

    assert left == 2  # the running job and the one behind it
    assert "after-ack: 2 job(s) unfinished after waiting 0 s" in [r.getMessage() for r in caplog.records]


# --- acks first (AckGate) ---------------------------------------------------------------------


def test_a_job_waits_for_the_requests_in_flight_then_runs():
    gate = AckGate()
    ran = threading.Event()

    def job() -> None:
        gate.wait_for_quiet(time.monotonic() + 10)
        ran.set()

    with gate.answering():
        threading.Thread(target=job).start()
        assert not ran.wait(0.1)  # held back while a request is being answered
    assert ran.wait(5)


def test_a_job_is_held_back_no_longer_than_its_deadline():
    gate = AckGate()
    with gate.answering():
        started = time.monotonic()
        gate.wait_for_quiet(started + 0.05)
        assert time.monotonic() - started < 5
        gate.stop_holding()
        gate.wait_for_quiet(time.monotonic() + 10)  # returns at once: stopping
