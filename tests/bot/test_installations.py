"""OAuth mode's token store: slack_sdk's own tables, finding a workspace's (or its org's)
installation, and refreshing rotating tokens before they expire — for the clock and for
requests."""

from __future__ import annotations

import pytest
from slack_sdk.oauth.installation_store import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import MetaData, select

from bot.db import transaction
from bot.installations import NotInstalled
from bot.models import Base, Delivery, DeliveryStatus, Workspace
from bot.outbox import enqueue_message
from bot.people import ensure_workspace
from schedules.clock import Clock
from tests.conftest import MENTEE, MENTOR
from tests.fakes.slack_api import TEAM_ID
from tests.oauth_helpers import ORG, ORG_TEAM_2, TEAM_B, install, token_of


def test_our_tables_are_the_ones_slack_sdks_stores_define():
    theirs = MetaData()
    SQLAlchemyInstallationStore.build_installations_table(theirs, "slack_installations")
    SQLAlchemyInstallationStore.build_bots_table(theirs, "slack_bots")
    SQLAlchemyOAuthStateStore.build_oauth_states_table(theirs, "slack_oauth_states")

    for name, table in theirs.tables.items():
        ours = Base.metadata.tables[name]
        assert [(c.name, str(c.type), c.nullable) for c in ours.columns] == [
            (c.name, str(c.type), c.nullable) for c in table.columns
        ]
        assert {i.name for i in ours.indexes} == {i.name for i in table.indexes}


def save(deps, *, team_id, token, enterprise_id=None, org_wide=False):
    deps.installations.store.save(
        Installation(
            app_id="A0MENTOR1",
            enterprise_id=enterprise_id,
            team_id=team_id,
            bot_token=token,
            bot_id="B0BOT0009",
            bot_user_id="U0BOT0009",
            bot_scopes="commands,chat:write",
            user_id="U0INSTALL1",
            is_enterprise_install=org_wide,
        )
    )


def test_a_workspace_gets_its_own_installation_else_its_orgs(oauth_deps):
    save(oauth_deps, team_id=TEAM_B, token="xoxb-b-own")
    save(oauth_deps, team_id=None, token="xoxb-org-wide", enterprise_id=ORG, org_wide=True)
    with transaction(oauth_deps.session_factory) as session:
        ensure_workspace(session, ORG_TEAM_2, enterprise_id=ORG)

    own = oauth_deps.client_for(TEAM_B)
    org = oauth_deps.client_for(ORG_TEAM_2)

    assert (own.token, own.default_params.get("team_id")) == ("xoxb-b-own", None)
    # The org's token, told which workspace it speaks for.
    assert (org.token, org.default_params.get("team_id")) == ("xoxb-org-wide", ORG_TEAM_2)
    assert own.base_url == oauth_deps.settings.slack_api_url
    with pytest.raises(NotInstalled, match="not installed in workspace T0NOWHERE"):
        oauth_deps.client_for("T0NOWHERE")


def test_single_workspace_mode_hands_every_workspace_the_one_client(deps):
    assert deps.installations is None
    assert deps.client_for(TEAM_ID) is deps.client and deps.client_for(TEAM_B) is deps.client


def queue_message(deps, team_id, recipient, key):
    with transaction(deps.session_factory) as session:
        ensure_workspace(session, team_id)
        enqueue_message(
            session, team_id=team_id, recipient=recipient, dedupe_key=key, due_at=deps.now(), text="Hello"
        )


def rows(deps):
    with deps.session_factory() as session:
        return list(session.scalars(select(Delivery).order_by(Delivery.id)))


@pytest.mark.parametrize("dead_at_slack", [False, True], ids=["expiring-soon", "already-expired"])
def test_the_clock_refreshes_a_rotating_token_before_sending(browser, fake_slack, oauth_deps, dead_at_slack):
    install(browser, team_id=TEAM_ID, rotation=True, lifetime=30 * 60)
    old = token_of(fake_slack, TEAM_ID)
    if dead_at_slack:  # a clock that slept through the expiry (a nightly run, a long outage)
        fake_slack.expire(old)
    queue_message(oauth_deps, TEAM_ID, MENTEE, "rotation-test")
    fake_slack.reset_calls()

    Clock(oauth_deps).tick()

    [refresh] = fake_slack.calls_to("oauth.v2.access")
    assert refresh.args["grant_type"] == "refresh_token"
    new = token_of(fake_slack, TEAM_ID)
    assert new != old and [c.token for c in fake_slack.dms_to(MENTEE)] == [new]
    assert [r.status for r in rows(oauth_deps)] == [DeliveryStatus.SENT]
    # The new token (and its refresh token) are stored for everyone else.
    stored = oauth_deps.installations.find(TEAM_ID)
    assert stored.bot_token == new and stored.bot_refresh_token == fake_slack.grants[new].refresh_token
    # A token good for hours more is not refreshed again.
    queue_message(oauth_deps, TEAM_ID, MENTOR, "rotation-test-2")
    Clock(oauth_deps).tick()
    assert len(fake_slack.calls_to("oauth.v2.access")) == 1
    assert fake_slack.dms_to(MENTOR)[-1].token == new


def test_a_token_that_cannot_be_refreshed_holds_only_that_workspace(browser, fake_slack, oauth_deps):
    fake_slack.add_user("U0BMENTR1", "dr.banerjee", team_id=TEAM_B)
    install(browser, team_id=TEAM_ID, rotation=True, lifetime=60)
    install(browser, team_id=TEAM_B)
    queue_message(oauth_deps, TEAM_ID, MENTEE, "stuck")
    queue_message(oauth_deps, TEAM_B, "U0BMENTR1", "fine")
    fake_slack.fail("oauth.v2.access", "invalid_refresh_token")

    Clock(oauth_deps).tick()

    stuck, fine = rows(oauth_deps)
    assert (stuck.status, fine.status) == (DeliveryStatus.PENDING, DeliveryStatus.SENT)
    assert "invalid_refresh_token" in stuck.error
    with oauth_deps.session_factory() as session:
        assert session.get(Workspace, TEAM_ID).sending_paused_reason
        assert session.get(Workspace, TEAM_B).sending_paused_reason is None


def test_requests_are_served_with_a_refreshed_token(browser, fake_slack, oauth_deps):
    install(browser, team_id=TEAM_ID, rotation=True, lifetime=60)
    old = token_of(fake_slack, TEAM_ID)
    fake_slack.expire(old)
    fake_slack.reset_calls()

    browser.command("timezone", user_id=MENTOR)

    [refresh] = fake_slack.calls_to("oauth.v2.access")
    assert refresh.args["grant_type"] == "refresh_token"
    new = token_of(fake_slack, TEAM_ID)
    assert new != old
    assert {c.token for c in fake_slack.calls_to("users.info")} == {new}
    assert "time zone" in fake_slack.last("response_url").args["text"].lower()


def test_uninstalling_an_org_wide_install_stops_every_workspace_it_covered(
    browser, fake_slack, oauth_deps, wsgi, listener_executor
):
    from tests.oauth_helpers import ORG_TEAM_1, workspace_user

    install(browser, team_id=None, enterprise_id=ORG, org_wide=True)
    install(browser, team_id=TEAM_B)
    for team in (ORG_TEAM_1, ORG_TEAM_2):
        with transaction(oauth_deps.session_factory) as session:
            ensure_workspace(session, team, enterprise_id=ORG)
        queue_message(oauth_deps, team, "W0SOMEONE", f"org-{team}")
    queue_message(oauth_deps, TEAM_B, "U0BMENTR1", "b")
    school = workspace_user(wsgi, fake_slack, listener_executor, ORG_TEAM_1, enterprise_id=ORG, org_wide=True)

    school.event({"type": "app_uninstalled"})

    by_team = {r.team_id: r.status for r in rows(oauth_deps)}
    assert by_team == {
        ORG_TEAM_1: DeliveryStatus.CANCELLED,
        ORG_TEAM_2: DeliveryStatus.CANCELLED,
        TEAM_B: DeliveryStatus.PENDING,
    }
    assert oauth_deps.installations.find(ORG_TEAM_1) is None
    assert oauth_deps.installations.find(TEAM_B) is not None


def test_the_roster_import_for_a_workspace_without_an_installation_says_so(oauth_deps, tmp_path, capsys):
    import io

    from bot.roster.cli import EXIT_FAILED, import_roster

    roster = tmp_path / "roster.csv"
    roster.write_text("mentor,mentee\nokafor@riverside.example,sam.lee@riverside.example\n")

    status = import_roster(
        oauth_deps,
        team_id=TEAM_B,
        path=roster,
        apply=False,
        end_missing=False,
        out=io.StringIO(),
        confirm=None,
        actor="it-admin",
    )

    assert status == EXIT_FAILED
    assert f"not installed in workspace {TEAM_B}; check --team" in capsys.readouterr().err
