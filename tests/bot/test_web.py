"""GET /healthz: 200 when the database answers, 503 when it does not."""

from __future__ import annotations

from bot.db import make_engine
from bot.web import wsgi_app
from tests.fakes.slack_requests import SlackUser


def test_healthz_reports_a_working_database(slack):
    reply = slack.request("GET", "/healthz")

    assert reply.status == 200
    assert reply.json() == {"ok": True, "database": "ok"}
    assert reply.headers["content-type"] == "application/json"


def test_healthz_reports_an_unreachable_database_with_503(app, fake_slack):
    broken = make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none", connect_args={"connect_timeout": 2})
    client = SlackUser(wsgi_app(app, broken), fake_slack)

    reply = client.request("GET", "/healthz")

    assert reply.status == 503
    assert reply.json() == {"ok": False, "database": "unreachable"}
