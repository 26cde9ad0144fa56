"""OAuth mode end to end: /slack/install → Slack's authorize page → /slack/oauth_redirect →
oauth.v2.access at the fake Slack → the installation in our database, with the state check."""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select

from bot.app import NOT_INSTALLED_MESSAGE
from bot.config import DEFAULT_BOT_SCOPES
from bot.models import Workspace, slack_bots, slack_installations
from tests.fakes.slack_oauth import CLIENT_ID, CLIENT_SECRET
from tests.oauth_helpers import (
    ORG,
    ORG_TEAM_1,
    TEAM_A,
    TEAM_B,
    finish_install,
    install,
    start_install,
    token_of,
    workspace_user,
)


def installations(engine):
    with engine.connect() as connection:
        return [dict(row) for row in connection.execute(select(slack_installations)).mappings()]


def bots(engine):
    with engine.connect() as connection:
        return [dict(row) for row in connection.execute(select(slack_bots)).mappings()]


def test_the_install_page_asks_slack_for_our_scopes_and_sets_a_state_cookie(browser, engine):
    url, cookie = start_install(browser)

    query = {k: v[-1] for k, v in parse_qs(urlsplit(url).query, keep_blank_values=True).items()}
    assert query["client_id"] == CLIENT_ID
    assert query["scope"].split(",") == list(DEFAULT_BOT_SCOPES)
    assert query.get("user_scope", "") == ""  # the app never asks for people's own tokens
    assert cookie == f"slack-app-oauth-state={query['state']}"
    # The state lives in our database until it is used (or expires), not in a file.
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT state FROM slack_oauth_states").scalars().all() == [
            query["state"]
        ]


def test_a_workspace_install_exchanges_the_code_and_stores_the_installation(
    browser, fake_slack, engine, session_factory
):
    reply = install(browser, team_id=TEAM_A, team_name="Riverside Teaching Hospital", installer="U0ADMIN01")

    assert "text/html" in reply.headers["content-type"]
    [exchange] = fake_slack.calls_to("oauth.v2.access")
    assert exchange.args["client_id"] == CLIENT_ID and exchange.args["client_secret"] == CLIENT_SECRET
    assert exchange.token is None  # the app authenticates with its credentials, not a token
    [row] = installations(engine)
    token = token_of(fake_slack, TEAM_A)
    assert (row["team_id"], row["enterprise_id"], row["is_enterprise_install"]) == (TEAM_A, None, False)
    assert row["bot_token"] == token and row["user_id"] == "U0ADMIN01" and row["user_token"] is None
    assert row["bot_refresh_token"] is None and row["bot_token_expires_at"] is None
    assert [b["bot_token"] for b in bots(engine)] == [token]
    with session_factory() as session:
        workspace = session.get(Workspace, TEAM_A)
    assert workspace is not None and workspace.name == "Riverside Teaching Hospital"
    # Used once: the state is gone.
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM slack_oauth_states").scalar() == 0


def test_an_org_wide_install_is_keyed_by_the_enterprise_and_serves_its_workspaces(
    browser, fake_slack, engine, session_factory, wsgi, listener_executor
):
    install(browser, team_id=None, enterprise_id=ORG, org_wide=True)

    [row] = installations(engine)
    assert (row["team_id"], row["enterprise_id"], row["is_enterprise_install"]) == (None, ORG, True)
    # A Grid member (a W id) in one of the org's workspaces uses the app at once.
    fake_slack.add_user("W0ORGMNT1", "dr.iyer", team_id=ORG_TEAM_1, enterprise_id=ORG)
    school = workspace_user(wsgi, fake_slack, listener_executor, ORG_TEAM_1, enterprise_id=ORG, org_wide=True)

    school.command("timezone", user_id="W0ORGMNT1")

    # The profile was read first (after the acknowledgement), so the answer came by response_url.
    assert "time zone" in fake_slack.last("response_url").args["text"].lower()
    with session_factory() as session:
        workspace = session.get(Workspace, ORG_TEAM_1)
    assert workspace is not None and workspace.enterprise_id == ORG
    # users.info for the profile went out with the org's token, told which workspace.
    [lookup] = fake_slack.calls_to("users.info")
    assert lookup.token == token_of(fake_slack, ORG) and lookup.args.get("team_id") == ORG_TEAM_1


def test_an_install_with_token_rotation_stores_the_refresh_token_and_expiry(browser, fake_slack, engine):
    before = datetime.utcnow()
    install(browser, team_id=TEAM_A, rotation=True)

    [row] = installations(engine)
    assert row["bot_token"].startswith("xoxe.xoxb-") and row["bot_refresh_token"].startswith("xoxe-1-")
    lifetime = row["bot_token_expires_at"] - before
    assert timedelta(hours=11, minutes=59) < lifetime <= timedelta(hours=12, seconds=5)


def test_a_forged_state_is_refused_and_nothing_is_installed(browser, fake_slack, engine):
    url, _cookie = start_install(browser)
    approved = fake_slack.oauth.approve(url, team_id=TEAM_A)
    forged = "00000000-forged-state"

    # Even with a cookie that matches it, a state we never issued is refused.
    reply = finish_install(browser, approved.code, forged, f"slack-app-oauth-state={forged}")

    assert reply.status == 401
    assert fake_slack.calls_to("oauth.v2.access") == []
    assert installations(engine) == []


def test_a_replayed_state_is_refused(browser, fake_slack, engine):
    url, cookie = start_install(browser)
    approved = fake_slack.oauth.approve(url, team_id=TEAM_A)
    assert finish_install(browser, approved.code, approved.state, cookie).status == 200

    replay = finish_install(browser, approved.code, approved.state, cookie)

    assert replay.status == 401
    assert len(fake_slack.calls_to("oauth.v2.access")) == 1
    assert len(installations(engine)) == 1


def test_a_redirect_without_the_browsers_state_cookie_is_refused(browser, fake_slack, engine):
    url, _cookie = start_install(browser)
    approved = fake_slack.oauth.approve(url, team_id=TEAM_A)

    reply = finish_install(browser, approved.code, approved.state, None)

    assert reply.status == 400
    assert fake_slack.calls_to("oauth.v2.access") == [] and installations(engine) == []


def test_cancelling_on_slacks_page_installs_nothing(browser, fake_slack, engine):
    start_install(browser)

    reply = browser.get("/slack/oauth_redirect", "error=access_denied&state=x")

    assert reply.status == 200 and installations(engine) == []
    assert fake_slack.calls_to("oauth.v2.access") == []


def test_a_workspace_without_an_installation_is_told_to_install_the_app(
    browser, fake_slack, wsgi, listener_executor
):
    install(browser, team_id=TEAM_A)
    outsider = workspace_user(wsgi, fake_slack, listener_executor, TEAM_B)

    outsider.command("help", user_id="U0BADMIN1")

    [said] = fake_slack.calls_to("response_url")
    assert said.args["text"] == NOT_INSTALLED_MESSAGE
    assert fake_slack.calls_to("users.info") == []


def test_single_workspace_mode_serves_no_install_page(slack):
    assert slack.get("/slack/install").status == 404
    assert slack.get("/slack/oauth_redirect", "code=x&state=y").status == 404
