"""Enterprise Grid, one org-wide install: an org admin takes the app out of one of the
org's workspaces, or lets it (back) in. Sending there is held, never cancelled, and
resumes when access returns — told by `team_access_granted`, or seen in a request."""

from __future__ import annotations

from sqlalchemy import select

from bot.db import transaction
from bot.models import Delivery, DeliveryStatus, Workspace
from bot.outbox import enqueue_message
from bot.people import ensure_workspace
from schedules.clock import Clock
from tests.oauth_helpers import ORG, ORG_TEAM_1, ORG_TEAM_2, install, workspace_user

MENTOR_1, MENTOR_2 = "W0MNTR100", "W0MNTR200"


def org_with_two_schools(browser, fake_slack, wsgi, listener_executor, deps):
    install(browser, team_id=None, enterprise_id=ORG, org_wide=True)
    schools = []
    for team, user in ((ORG_TEAM_1, MENTOR_1), (ORG_TEAM_2, MENTOR_2)):
        fake_slack.add_user(user, user.lower(), team_id=team, enterprise_id=ORG)
        with transaction(deps.session_factory) as session:
            ensure_workspace(session, team, enterprise_id=ORG)
        schools.append(
            workspace_user(wsgi, fake_slack, listener_executor, team, enterprise_id=ORG, org_wide=True)
        )
    return schools


def queue(deps, team_id, recipient, key):
    with transaction(deps.session_factory) as session:
        enqueue_message(
            session, team_id=team_id, recipient=recipient, dedupe_key=key, due_at=deps.now(), text="Hello"
        )


def statuses(deps, team_id):
    with deps.session_factory() as session:
        return [d.status for d in session.scalars(select(Delivery).where(Delivery.team_id == team_id))]


def held(deps, team_id):
    with deps.session_factory() as session:
        return session.get(Workspace, team_id).sending_paused_reason


def test_a_workspace_slack_will_not_let_the_org_token_reach_is_held_until_access_is_granted(
    browser, fake_slack, wsgi, listener_executor, oauth_deps
):
    school_1, _ = org_with_two_schools(browser, fake_slack, wsgi, listener_executor, oauth_deps)
    queue(oauth_deps, ORG_TEAM_1, MENTOR_1, "one")
    queue(oauth_deps, ORG_TEAM_2, MENTOR_2, "two")
    fake_slack.fail("chat.postMessage", "team_access_not_granted")

    Clock(oauth_deps).tick()

    assert statuses(oauth_deps, ORG_TEAM_1) == [DeliveryStatus.PENDING]
    assert statuses(oauth_deps, ORG_TEAM_2) == [DeliveryStatus.SENT]
    assert "team_access_not_granted" in held(oauth_deps, ORG_TEAM_1)
    Clock(oauth_deps).tick()
    assert statuses(oauth_deps, ORG_TEAM_1) == [DeliveryStatus.PENDING]  # held, not retried

    school_1.event({"type": "team_access_granted", "team_ids": [ORG_TEAM_1]})

    assert held(oauth_deps, ORG_TEAM_1) is None
    Clock(oauth_deps).tick()
    assert statuses(oauth_deps, ORG_TEAM_1) == [DeliveryStatus.SENT]
    assert fake_slack.dms_to(MENTOR_1)[-1].args["team_id"] == ORG_TEAM_1


def test_taking_the_app_out_of_one_workspace_holds_only_that_workspaces_messages(
    browser, fake_slack, wsgi, listener_executor, oauth_deps
):
    school_1, school_2 = org_with_two_schools(browser, fake_slack, wsgi, listener_executor, oauth_deps)
    queue(oauth_deps, ORG_TEAM_1, MENTOR_1, "one")
    queue(oauth_deps, ORG_TEAM_2, MENTOR_2, "two")

    reply = school_2.event({"type": "team_access_revoked", "team_ids": [ORG_TEAM_2]})
    Clock(oauth_deps).tick()

    assert reply.status == 200
    assert statuses(oauth_deps, ORG_TEAM_1) == [DeliveryStatus.SENT]
    assert statuses(oauth_deps, ORG_TEAM_2) == [DeliveryStatus.PENDING]  # kept, not cancelled
    assert "team_access_revoked" in held(oauth_deps, ORG_TEAM_2)
    assert oauth_deps.installations.find(ORG_TEAM_1) is not None  # the org's install stays

    school_1.event({"type": "team_access_granted", "team_ids": [ORG_TEAM_2]})
    Clock(oauth_deps).tick()

    assert statuses(oauth_deps, ORG_TEAM_2) == [DeliveryStatus.SENT]


def test_a_request_from_a_held_workspace_shows_access_is_back(
    browser, fake_slack, wsgi, listener_executor, oauth_deps
):
    school_1, _ = org_with_two_schools(browser, fake_slack, wsgi, listener_executor, oauth_deps)
    queue(oauth_deps, ORG_TEAM_1, MENTOR_1, "one")
    fake_slack.fail("chat.postMessage", "team_access_not_granted")
    Clock(oauth_deps).tick()
    assert held(oauth_deps, ORG_TEAM_1)

    # The grant event was missed; someone in the school uses the app.
    school_1.command("help", user_id=MENTOR_1)

    assert held(oauth_deps, ORG_TEAM_1) is None
    Clock(oauth_deps).tick()
    assert statuses(oauth_deps, ORG_TEAM_1) == [DeliveryStatus.SENT]


def test_a_request_does_not_lift_a_hold_for_a_token_slack_refused(two_workspaces, fake_slack, oauth_deps):
    a, _ = two_workspaces
    team_a = a.team_id
    with transaction(oauth_deps.session_factory) as session:
        workspace = ensure_workspace(session, team_a)
        workspace.sending_paused_reason = "Slack refused our token (invalid_auth)"

    a.command("help", user_id="U0MENTOR1")

    assert held(oauth_deps, team_a) == "Slack refused our token (invalid_auth)"
