"""A database outage, through a proxy we cut: commands say so, /healthz 503, then recovery."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bot.app import build_deps, create_app
from bot.db import make_engine, make_session_factory
from bot.models import Base
from bot.slack import make_client
from bot.web import wsgi_app
from tests.conftest import MENTOR, require_postgres, settings_for
from tests.fakes.slack_requests import SlackUser
from tests.fakes.tcp_proxy import CuttableProxy

DOWN = "cannot reach its database"


@pytest.fixture
def proxied_engine():
    """A private schema on TEST_DATABASE_URL, reached only through a cuttable proxy."""
    url = make_url(require_postgres().replace("postgresql://", "postgresql+psycopg://", 1))
    proxy = CuttableProxy(url.host or "127.0.0.1", url.port or 5432)
    schema = f"mn_outage_{uuid.uuid4().hex[:8]}"
    admin = make_engine(url.render_as_string(hide_password=False))
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    through = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    engine = make_engine(through, connect_args={"options": f"-csearch_path={schema}", "connect_timeout": 3})
    Base.metadata.create_all(engine)
    try:
        yield engine, proxy
    finally:
        proxy.close()
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def said(reply, fake_slack) -> str:
    """What the person saw: the command's answer, or what went to its response_url."""
    text = reply.body.decode()
    for call in fake_slack.calls_to("response_url"):
        text += str(call.args)
    fake_slack.reset_calls()
    return text


@pytest.mark.postgres
def test_commands_and_healthz_say_the_database_is_down_and_recover_when_it_is_back(
    proxied_engine, fake_slack, listener_executor
):
    engine, proxy = proxied_engine
    settings = settings_for(fake_slack, engine.url.render_as_string(hide_password=False))
    deps = build_deps(
        settings,
        client=make_client(settings, backoff_factor=0.01),
        session_factory=make_session_factory(engine),
    )
    app = create_app(settings, deps=deps, listener_executor=listener_executor)
    slack = SlackUser(wsgi_app(app, engine), fake_slack, listener_executor)
    assert slack.request("GET", "/healthz").status == 200
    assert slack.command("history", user_id=MENTOR).status == 200

    proxy.cut()
    health = slack.request("GET", "/healthz")
    reply = slack.command("history", user_id=MENTOR)

    assert health.status == 503 and health.json()["database"] == "unreachable"
    assert reply.status == 200
    assert DOWN in said(reply, fake_slack)

    proxy.restore()
    assert slack.request("GET", "/healthz").status == 200
    again = slack.command("history", user_id=MENTOR)
    assert again.status == 200 and DOWN not in said(again, fake_slack)
