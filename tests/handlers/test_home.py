"""The App Home tab end to end: publishing on open, and its buttons."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.models import Person
from tests.conftest import MENTEE, MENTOR
from tests.fakes.block_limits import view_errors
from tests.fakes.clock import MovableClock

NOW = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)  # Tuesday
HOME = {"id": "V0HOME001", "type": "home", "callback_id": "home"}


@pytest.fixture
def clock():
    return MovableClock(NOW)


def open_home(slack, user_id=MENTOR, tab="home"):
    return slack.event({"type": "app_home_opened", "user": user_id, "channel": "D0HOME", "tab": tab})


def published(fake_slack, user_id=MENTOR) -> dict:
    return fake_slack.home_views[user_id]


def person(deps, user_id=MENTOR) -> Person:
    with deps.session_factory() as session:
        return session.scalars(select(Person).where(Person.user_id == user_id)).one()


def test_opening_home_for_the_first_time_reads_the_profile_and_publishes_settings(slack, deps, fake_slack):
    reply = open_home(slack, MENTEE)

    assert reply.status == 200
    assert [c.method for c in fake_slack.calls if c.method != "auth.test"] == ["users.info", "views.publish"]
    view = published(fake_slack, MENTEE)
    assert view["type"] == "home" and view_errors(view) == []
    text = fake_slack.last("views.publish").text_of_blocks()
    assert "*Nudges:* Tuesdays at 09:30, weekly" in text
    assert "*Quiet hours:* 18:00–08:00 and weekends" in text
    assert "*Time zone:* America/New_York (from Slack)" in text
    assert "What this app does" in text and "Privacy" in text
    assert person(deps, MENTEE).tz == "America/New_York"


def test_opening_it_again_needs_no_profile_call(slack, fake_slack):
    open_home(slack)
    fake_slack.reset_calls()

    open_home(slack)

    assert [c.method for c in fake_slack.calls] == ["views.publish"]


def test_the_messages_tab_is_left_alone(slack, fake_slack):
    open_home(slack, tab="messages")

    assert fake_slack.calls_to("views.publish") == []


def test_edit_settings_opens_the_settings_modal(slack, fake_slack):
    open_home(slack)

    slack.click("settings.open", user_id=MENTOR, value="home", view=HOME)

    call = fake_slack.last("views.open")
    assert call.view["callback_id"] == "settings"
    assert call.args["trigger_id"].endswith(".trigger")


def test_pause_two_weeks_then_resume_from_home(slack, deps, fake_slack):
    open_home(slack)

    slack.click("home.pause_2w", user_id=MENTOR, value="2w", view=HOME)

    assert person(deps).paused_until == datetime(2026, 12, 15, 0, 0, tzinfo=UTC)  # London
    text = fake_slack.last("views.publish").text_of_blocks()
    assert "Paused until Monday 14 December; messages resume Tuesday 15 December." in text
    assert "Resume now" in text

    slack.click("settings.resume", user_id=MENTOR, value="home", view=HOME)

    assert person(deps).paused_until is None
    assert "Pause 2 weeks" in fake_slack.last("views.publish").text_of_blocks()
    # Home buttons answer by redrawing Home, not with a message.
    assert fake_slack.calls_to("response_url") == []


def test_a_stopped_person_can_start_again_from_home(slack, deps, fake_slack):
    slack.command("stop", user_id=MENTOR)
    assert "Start messages again" in fake_slack.last("views.publish").text_of_blocks()

    slack.click("settings.start", user_id=MENTOR, value="home", view=HOME)

    assert person(deps).opted_out_at is None
    assert "Pause 2 weeks" in fake_slack.last("views.publish").text_of_blocks()


def test_edit_settings_that_cannot_open_says_so_on_home(slack, fake_slack):
    open_home(slack)
    fake_slack.fail("views.open", "expired_trigger_id")

    slack.click("settings.open", user_id=MENTOR, value="home", view=HOME)

    notice = fake_slack.last("views.publish")
    assert notice.args["user_id"] == MENTOR and view_errors(notice.view) == []
    assert "Your settings didn't open (Slack said `expired_trigger_id`)" in notice.text_of_blocks()
    assert "click *Edit settings* again" in notice.text_of_blocks()
    # The next time Home is drawn, the notice is gone.
    open_home(slack)
    assert "didn't open" not in fake_slack.last("views.publish").text_of_blocks()


def test_edit_settings_tries_views_open_once_when_slack_is_busy(slack, fake_slack):
    open_home(slack)
    fake_slack.rate_limit("views.open", retry_after=1)

    slack.click("settings.open", user_id=MENTOR, value="home", view=HOME)

    assert len(fake_slack.calls_to("views.open")) == 1  # a retry would find the trigger expired
    assert "Slack said `ratelimited`" in fake_slack.last("views.publish").text_of_blocks()


@pytest.mark.parametrize("user", [["U0MENTOR1"], {"id": "U0MENTOR1"}, ""])
def test_a_home_opened_event_without_a_user_id_publishes_nothing_and_raises_nothing(
    slack, fake_slack, caplog, user
):
    reply = slack.event({"type": "app_home_opened", "user": user, "channel": "D0HOME", "tab": "home"})

    assert reply.status == 200
    assert fake_slack.calls_to("views.publish") == []
    assert not [r for r in caplog.records if r.exc_info]
