"""OAuth mode for tests: settings, an app with Bolt's OAuth flow, and installing through it.

Installs go through the real flow — the app's `/slack/install` page, the fake Slack's
authorize page (`FakeOAuth.approve`), the app's `/slack/oauth_redirect` with the state
cookie, and `oauth.v2.access` at the fake — so every token a test uses was obtained the
way production obtains it.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from slack_bolt import App
from sqlalchemy import Engine

from bot.app import build_deps, create_app
from bot.config import Settings
from bot.db import SessionFactory
from bot.deps import Deps
from bot.slack import make_client
from bot.web import wsgi_app
from tests.conftest import ADMIN, settings_for
from tests.fakes.clock import MovableClock
from tests.fakes.slack_api import TEAM_ID, FakeSlack
from tests.fakes.slack_oauth import CLIENT_ID, CLIENT_SECRET
from tests.fakes.slack_requests import Reply, SlackUser, TrackingExecutor

# Two workspaces of one deployment (neither on Enterprise Grid), and a Grid org. A is the
# fake's classic workspace, with ADMIN, MENTOR and MENTEE (tests/conftest.py).
TEAM_A, TEAM_B = TEAM_ID, "T0BBBBBB1"
B_ADMIN, B_MENTOR, B_MENTEE = "U0BADMIN1", "U0BMENTR1", "U0BMENTE1"
ORG = "E0ORG0001"
ORG_TEAM_1, ORG_TEAM_2 = "T0ORGSCH1", "T0ORGSCH2"

_LINK = re.compile(r'href="(?P<url>[^"]*oauth/v2/authorize[^"]*)"')


def oauth_settings(fake: FakeSlack, engine: Engine, **overrides: str) -> Settings:
    """OAuth mode: client id and secret, signing secret, no bot token."""
    return settings_for(
        fake,
        engine.url.render_as_string(hide_password=False),
        SLACK_BOT_TOKEN="",
        SLACK_CLIENT_ID=CLIENT_ID,
        SLACK_CLIENT_SECRET=CLIENT_SECRET,
        **overrides,
    )


@pytest.fixture
def oauth_deps(
    fake_slack: FakeSlack, engine: Engine, session_factory: SessionFactory, clock: MovableClock
) -> Deps:
    """Deps in OAuth mode: a token-less template client and the installation store."""
    settings = oauth_settings(fake_slack, engine, ADMIN_USER_IDS=f"{ADMIN},{B_ADMIN}")
    template = make_client(settings, backoff_factor=0.01)
    return build_deps(settings, client=template, session_factory=session_factory, clock=clock)


@pytest.fixture
def oauth_app(oauth_deps: Deps, listener_executor: TrackingExecutor) -> App:
    """The Bolt app as production builds it in OAuth mode."""
    return create_app(oauth_deps.settings, deps=oauth_deps, listener_executor=listener_executor)


@pytest.fixture
def wsgi(oauth_app: App, engine: Engine) -> Any:
    """The app's WSGI callable: Slack's requests, the install page and the redirect."""
    return wsgi_app(oauth_app, engine)


@pytest.fixture
def browser(wsgi: Any, fake_slack: FakeSlack, listener_executor: TrackingExecutor) -> SlackUser:
    """Someone's web browser (and Slack's side of requests for the classic workspace)."""
    return SlackUser(wsgi, fake_slack, listener_executor)


def workspace_user(
    wsgi: Any,
    fake: FakeSlack,
    executor: TrackingExecutor,
    team_id: str,
    *,
    enterprise_id: str | None = None,
    org_wide: bool = False,
) -> SlackUser:
    """Slack's side of the conversation for one workspace of the deployment."""
    return SlackUser(wsgi, fake, executor, team_id=team_id, enterprise_id=enterprise_id, org_wide=org_wide)


def start_install(browser: SlackUser) -> tuple[str, str]:
    """Open /slack/install: returns (authorize URL, the state cookie to send back)."""
    page = browser.get("/slack/install")
    assert page.status == 200, page.text
    found = _LINK.search(page.text)
    assert found, page.text
    cookie = page.headers["set-cookie"].split(";", 1)[0]
    return html.unescape(found["url"]), cookie


def finish_install(browser: SlackUser, code: str, state: str, cookie: str | None) -> Reply:
    """Slack sends the installer back to the redirect URL with the code and state."""
    return browser.get("/slack/oauth_redirect", urlencode({"code": code, "state": state}), cookie=cookie)


def install(browser: SlackUser, **approval: Any) -> Reply:
    """The whole install: page, authorize (see `FakeOAuth.approve` for the options), redirect."""
    url, cookie = start_install(browser)
    approved = browser.fake.oauth.approve(url, **approval)
    reply = finish_install(browser, approved.code, approved.state, cookie)
    assert reply.status == 200, reply.text
    return reply


def token_of(fake: FakeSlack, owner: str) -> str:
    """The newest bot token issued for a workspace or org (by its id)."""
    tokens = [t for t, grant in fake.grants.items() if owner in (grant.team_id, grant.enterprise_id)]
    assert tokens, f"no token issued for {owner}"
    return tokens[-1]


@pytest.fixture
def two_workspaces(
    browser: SlackUser, fake_slack: FakeSlack, wsgi: Any, listener_executor: TrackingExecutor
) -> Iterator[tuple[SlackUser, SlackUser]]:
    """Workspaces A and B, each installed through the OAuth flow, in one database."""
    fake_slack.add_user(B_ADMIN, "dr.bell", tz="America/Chicago", team_id=TEAM_B)
    fake_slack.add_user(B_MENTOR, "dr.banerjee", tz="America/Chicago", team_id=TEAM_B)
    fake_slack.add_user(B_MENTEE, "kim.boyd", tz="America/Chicago", team_id=TEAM_B)
    install(browser, team_id=TEAM_A, team_name="Riverside Teaching Hospital")
    install(browser, team_id=TEAM_B, team_name="Northside Children's")
    yield (
        workspace_user(wsgi, fake_slack, listener_executor, TEAM_A),
        workspace_user(wsgi, fake_slack, listener_executor, TEAM_B),
    )
