"""SLACK_ALLOWED_TEAMS: a deployment that serves only the workspaces (or Grid orgs) its
administrators list. Anyone else who finds /slack/install is refused, the token Slack
issued is given back, and nothing is stored."""

from __future__ import annotations

import pytest
from slack_sdk.oauth.installation_store import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from sqlalchemy import select

from bot.app import NOT_INSTALLED_MESSAGE, build_deps
from bot.installations import NotInstalled
from bot.models import Base
from bot.models.installations import BOTS_TABLE, INSTALLATIONS_TABLE
from bot.slack import make_client
from tests.conftest import ADMIN, MENTOR
from tests.oauth_helpers import (
    ORG,
    TEAM_A,
    TEAM_B,
    finish_install,
    install,
    oauth_settings,
    start_install,
    token_of,
    workspace_user,
)


@pytest.fixture
def oauth_deps(fake_slack, engine, session_factory, clock):
    """OAuth mode serving workspace A and the Grid org only."""
    settings = oauth_settings(fake_slack, engine, ADMIN_USER_IDS=ADMIN, SLACK_ALLOWED_TEAMS=f"{TEAM_A},{ORG}")
    return build_deps(
        settings,
        client=make_client(settings, backoff_factor=0.01),
        session_factory=session_factory,
        clock=clock,
    )


def stored(engine, name):
    table = Base.metadata.tables[name]
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(select(table.c.team_id, table.c.enterprise_id))]


def test_a_listed_workspace_and_a_listed_org_install_as_usual(browser, engine):
    install(browser, team_id=TEAM_A)
    install(browser, team_id=None, enterprise_id=ORG, org_wide=True)

    assert sorted(stored(engine, INSTALLATIONS_TABLE), key=str) == sorted(
        [(TEAM_A, None), (None, ORG)], key=str
    )


def test_an_unlisted_workspace_is_refused_and_its_token_given_back(browser, fake_slack, engine):
    url, cookie = start_install(browser)
    approved = fake_slack.oauth.approve(url, team_id=TEAM_B)

    reply = finish_install(browser, approved.code, approved.state, cookie)

    assert reply.status == 403 and "can't be installed here" in reply.text
    assert stored(engine, INSTALLATIONS_TABLE) == [] and stored(engine, BOTS_TABLE) == []
    [revoke] = fake_slack.calls_to("auth.revoke")
    assert revoke.token == token_of(fake_slack, TEAM_B)
    assert fake_slack.grants[token_of(fake_slack, TEAM_B)].revoked


def test_a_workspace_installed_before_it_was_left_out_is_served_no_more(
    wsgi, fake_slack, listener_executor, oauth_deps
):
    # Stored while the list was empty (the allow-list's own save would refuse it now).
    SQLAlchemyInstallationStore.save(
        oauth_deps.installations.store,
        Installation(
            app_id="A0MENTOR1",
            team_id=TEAM_B,
            bot_token="xoxb-b-from-before",
            bot_id="B0BOT0009",
            bot_user_id="U0BOT0009",
            user_id="U0INSTALL1",
        ),
    )
    b = workspace_user(wsgi, fake_slack, listener_executor, TEAM_B)

    b.command("help", user_id=MENTOR)

    assert fake_slack.last("response_url").args["text"] == NOT_INSTALLED_MESSAGE
    with pytest.raises(NotInstalled):
        oauth_deps.client_for(TEAM_B)
