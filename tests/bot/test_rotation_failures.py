"""A workspace whose rotating token Slack will not renew is one workspace's problem:
every place that talks to Slack for it answers as it does for any Slack failure, so a
tick of the clock, a modal or a Home tab carries on for everyone else."""

from __future__ import annotations

import pytest

from bot.home.service import publish_home
from bot.profiles import person_with_profile
from handlers.modals import open_modal
from schedules.reflection_planner import ReflectionPlanner
from tests.conftest import MENTOR
from tests.fakes.slack_api import TEAM_ID
from tests.oauth_helpers import install


@pytest.fixture
def renewal_refused(browser, fake_slack, oauth_deps):
    """Workspace A's token is about to expire and Slack refuses to renew it."""
    install(browser, team_id=TEAM_ID, rotation=True, lifetime=60)
    fake_slack.fail("oauth.v2.access", "invalid_refresh_token", times=10)
    fake_slack.reset_calls()
    return oauth_deps


def test_the_reflection_planner_reports_no_members_for_that_workspace(renewal_refused):
    members, problem = ReflectionPlanner(renewal_refused).channel_members(TEAM_ID, "C0WARD001")

    assert (members, problem) == (None, "invalid_refresh_token")


def test_a_modal_that_cannot_open_says_why(renewal_refused, fake_slack):
    view = {"type": "modal", "title": {"type": "plain_text", "text": "Hi"}, "blocks": []}

    code = open_modal(renewal_refused, "123.456.abc", view, what="test", team_id=TEAM_ID)

    assert code == "invalid_refresh_token"
    assert fake_slack.calls_to("views.open") == []


def test_home_is_not_published_and_nothing_raises(renewal_refused, fake_slack):
    assert publish_home(renewal_refused, TEAM_ID, MENTOR) is False
    assert fake_slack.calls_to("views.publish") == []


def test_a_person_is_still_found_without_a_fresh_profile(renewal_refused, fake_slack):
    person = person_with_profile(renewal_refused, TEAM_ID, MENTOR)

    assert person.user_id == MENTOR
    assert fake_slack.calls_to("users.info") == []
