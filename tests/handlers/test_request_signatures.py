"""Requests that are not provably from Slack get 401 and change nothing."""

from __future__ import annotations

import time
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select

from bot.models import Person
from tests.conftest import MENTEE


def _form(text: str = "help") -> str:
    return urlencode(
        {
            "team_id": "T0TEST001",
            "user_id": MENTEE,
            "command": "/mentor",
            "text": text,
            "trigger_id": "1.2.3",
            "response_url": "http://127.0.0.1:1/r",
        }
    )


def test_a_correctly_signed_request_is_accepted(slack):
    assert slack.post_signed(_form()).status == 200


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param({"secret": "0" * 32}, id="wrong-secret"),
        pytest.param({"signature": "v0=" + "ab" * 32}, id="forged-signature"),
        pytest.param({"signature": ""}, id="empty-signature"),
        pytest.param({"timestamp": -6 * 60}, id="stale-6-minutes"),
        pytest.param({"timestamp": +6 * 60}, id="from-the-future"),
    ],
)
def test_bad_or_stale_signatures_get_401(slack, fake_slack, session_factory, tamper):
    fake_slack.reset_calls()
    if "timestamp" in tamper:  # an offset from now, taken when the test runs
        tamper = {"timestamp": int(time.time()) + tamper["timestamp"]}

    reply = slack.post_signed(_form(), **tamper)

    assert reply.status == 401
    assert fake_slack.calls == []
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Person)) == 0


def test_missing_signature_headers_get_401(slack):
    reply = slack.request("POST", "/slack/events", _form())

    assert reply.status == 401


def test_a_body_changed_after_signing_gets_401(slack):
    from tests.fakes.slack_requests import sign

    headers = sign(_form("help"))
    reply = slack.request("POST", "/slack/events", _form("admin add <@U0EVIL001>"), headers=headers)

    assert reply.status == 401


def test_unknown_paths_are_404(slack):
    assert slack.request("GET", "/slack/events").status == 404
    assert slack.request("POST", "/elsewhere").status == 404
