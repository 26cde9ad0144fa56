"""A Slack call whose answer never came "may have been sent": never resent blindly.

Only a failure before the request left (a refused connection) is retried; a read
timeout or a connection dropped while waiting is the crash window seen from outside
and ends `interrupted`, like a sender killed mid-call.
"""

from __future__ import annotations

import socket
from datetime import timedelta

import pytest
from slack_sdk import WebClient
from sqlalchemy import select

from bot.app import build_deps
from bot.db import transaction
from bot.models import Delivery, DeliveryStatus
from bot.outbox import enqueue_message
from bot.people import ensure_person
from bot.slack import make_client
from schedules.kinds import all_kinds
from schedules.row_rules import server_error_may_have_posted
from schedules.sender import Sender
from tests.conftest import MENTEE
from tests.fakes.clock import MovableClock
from tests.fakes.slack_api import TEAM_ID

SHORT_TIMEOUT = 0.5


@pytest.fixture
def clock():
    return MovableClock()


def deps_with(settings, session_factory, clock, *, base_url=None, timeout=SHORT_TIMEOUT):
    """Deps whose client keeps slack_sdk's retries (two of each) but times out quickly."""
    usual = make_client(settings, backoff_factor=0.01)
    client = WebClient(
        token=usual.token,
        base_url=base_url or usual.base_url,
        timeout=timeout,
        retry_handlers=usual.retry_handlers,
    )
    return build_deps(settings, client=client, session_factory=session_factory, clock=clock)


def queue(deps, key="k1"):
    with transaction(deps.session_factory) as session:
        person = ensure_person(session, TEAM_ID, MENTEE)
        enqueue_message(
            session,
            team_id=TEAM_ID,
            recipient=MENTEE,
            dedupe_key=key,
            due_at=deps.now(),
            text="Your nudge for this week",
            person_id=person.id,
        )


def row(deps, key="k1") -> Delivery:
    with deps.session_factory() as session:
        return session.scalars(select(Delivery).where(Delivery.dedupe_key == key)).one()


def posted(fake_slack) -> list[dict]:
    """Messages the fake Slack really posted (not calls it refused or dropped)."""
    return [message for found in fake_slack.messages.values() for message in found]


def test_a_post_that_slack_answers_too_late_is_interrupted_and_never_resent(
    settings, session_factory, clock, fake_slack
):
    deps = deps_with(settings, session_factory, clock)
    queue(deps)
    fake_slack.answer_late("chat.postMessage", seconds=SHORT_TIMEOUT * 3)

    report = Sender(deps, all_kinds()).run_once()
    clock.advance(hours=2)
    later = Sender(deps, all_kinds()).run_once()

    assert report.interrupted == 1 and report.retried == 0 and later.sent == 0
    assert len(fake_slack.calls_to("chat.postMessage")) == 1
    assert [m["text"] for m in posted(fake_slack)] == ["Your nudge for this week"]
    interrupted = row(deps)
    assert interrupted.status == DeliveryStatus.INTERRUPTED
    assert "may have been sent" in interrupted.error


def test_a_connection_dropped_while_waiting_is_not_retried_by_the_sdk_either(
    settings, session_factory, clock, fake_slack
):
    deps = deps_with(settings, session_factory, clock, timeout=5)
    queue(deps)
    fake_slack.drop("chat.postMessage", times=3)

    report = Sender(deps, all_kinds()).run_once()

    # slack_sdk would retry a closed connection twice by itself: the request had left.
    assert len(fake_slack.calls_to("chat.postMessage")) == 1
    assert report.interrupted == 1
    assert row(deps).status == DeliveryStatus.INTERRUPTED


def test_a_refused_connection_never_reached_slack_so_it_is_retried(
    settings, session_factory, clock, fake_slack, unused_tcp_port_url
):
    down = deps_with(settings, session_factory, clock, base_url=unused_tcp_port_url)
    queue(down)

    report = Sender(down, all_kinds()).run_once()

    assert report.retried == 1 and report.interrupted == 0
    waiting = row(down)
    assert waiting.status == DeliveryStatus.PENDING and "network error" in waiting.error
    clock.set(waiting.next_attempt_at + timedelta(seconds=1))
    back = deps_with(settings, session_factory, clock)
    assert Sender(back, all_kinds()).run_once().sent == 1
    assert len(posted(fake_slack)) == 1


@pytest.fixture
def unused_tcp_port_url():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/api/"


@pytest.mark.parametrize(
    ("status", "error"), [(500, "internal_error"), (502, "internal_error"), (200, "fatal_error")]
)
def test_a_server_error_that_may_have_posted_is_interrupted_and_never_resent(
    settings, session_factory, clock, fake_slack, status, error
):
    deps = deps_with(settings, session_factory, clock)  # keeps slack_sdk's 500/503 retries
    queue(deps)
    if status == 200:
        fake_slack.fail("chat.postMessage", error, times=3)
    else:
        fake_slack.http_error("chat.postMessage", status, times=3)

    report = Sender(deps, all_kinds()).run_once()
    clock.advance(hours=2)
    later = Sender(deps, all_kinds()).run_once()

    # Neither slack_sdk nor the sender posts again: Slack may have done the work.
    assert len(fake_slack.calls_to("chat.postMessage")) == 1
    assert report.interrupted == 1 and report.retried == 0 and later.claimed == 0
    interrupted = row(deps)
    assert interrupted.status == DeliveryStatus.INTERRUPTED
    assert "may have been sent" in interrupted.error and error in interrupted.error


def test_an_outage_that_says_nothing_was_done_is_retried(settings, session_factory, clock, fake_slack):
    deps = deps_with(settings, session_factory, clock)
    queue(deps)
    fake_slack.http_error("chat.postMessage", 503)  # service_unavailable

    report = Sender(deps, all_kinds()).run_once()

    assert len(fake_slack.calls_to("chat.postMessage")) == 1  # the sender retries, not the SDK
    assert report.retried == 1
    waiting = row(deps)
    assert waiting.status == DeliveryStatus.PENDING
    clock.set(waiting.next_attempt_at)
    assert Sender(deps, all_kinds()).run_once().sent == 1
    assert len(posted(fake_slack)) == 1


@pytest.mark.parametrize(
    ("status", "code", "headers", "may_have_posted"),
    [
        (500, "internal_error", {}, True),
        (504, "http_504", {}, True),
        (200, "fatal_error", {}, True),
        (200, "internal_error", {}, True),
        (503, "service_unavailable", {}, False),
        (503, "internal_error", {"retry-after": "30"}, False),
        (503, "internal_error", {}, True),
        (200, "request_timeout", {}, False),
        (429, "ratelimited", {"Retry-After": "1"}, False),
        (200, "channel_not_found", {}, False),
    ],
)
def test_which_server_answers_may_have_posted(status, code, headers, may_have_posted):
    assert server_error_may_have_posted(status, code, headers) is may_have_posted
