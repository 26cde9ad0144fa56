"""The admin's Home end to end: paging the flagged pairs, and the tools it opens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.db import transaction
from tests.conftest import ADMIN, MENTOR
from tests.fakes.clock import MovableClock
from tests.program_world import nudge, pair, person

NOW = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)
HOME = {"id": "V0HOME001", "type": "home", "callback_id": "home"}


@pytest.fixture
def clock():
    return MovableClock(NOW)


def open_home(slack, user_id=ADMIN):
    return slack.event({"type": "app_home_opened", "user": user_id, "channel": "D0HOME", "tab": "home"})


def home_text(fake_slack) -> str:
    return fake_slack.last("views.publish").text_of_blocks()


def test_next_and_previous_page_through_the_flagged_pairs(slack, session_factory, fake_slack):
    with transaction(session_factory) as session:
        for i in range(25):
            pair(session, f"U0PM{i:04d}", f"U0PE{i:04d}", started_at=NOW - timedelta(days=60))
    open_home(slack)
    assert "page 1 of 3" in home_text(fake_slack) and "<@U0PE0000>" in home_text(fake_slack)

    slack.click("home.flagged_next", user_id=ADMIN, value="2", view=HOME, block_id="flagged_pages")
    assert "page 3 of 3" in home_text(fake_slack)
    assert "<@U0PE0024>" in home_text(fake_slack) and "<@U0PE0000>" not in home_text(fake_slack)

    slack.click("home.flagged_previous", user_id=ADMIN, value="not-a-page", view=HOME)
    assert "page 1 of 3" in home_text(fake_slack)


def test_import_a_roster_opens_the_import_form_for_admins_only(slack, fake_slack):
    open_home(slack)

    slack.click("home.roster_import", user_id=ADMIN, value="home", view=HOME)
    assert fake_slack.last("views.open").view["callback_id"] == "roster_import"

    fake_slack.reset_calls()
    slack.click("home.roster_import", user_id=MENTOR, value="home", view=HOME)
    assert fake_slack.calls_to("views.open") == []
    assert "Only program admins can do that" in home_text(fake_slack)


def test_picking_a_channel_opens_the_reflection_set_up(slack, fake_slack):
    fake_slack.add_channel("C0REFLECT", "residents")

    slack.click(
        "home.reflection_channel",
        user_id=ADMIN,
        view=HOME,
        action_type="conversations_select",
        selected_conversation="C0REFLECT",
    )

    modal = fake_slack.last("views.open").view
    assert modal["callback_id"] == "reflection_setup" and "C0REFLECT" in str(modal)
    assert fake_slack.calls_to("views.publish") == []  # a channel it can post in: nothing to warn of


def test_a_channel_the_app_cannot_post_in_gets_the_same_heads_up_as_the_command(slack, fake_slack):
    fake_slack.add_channel("C0NOTIN", "residents-private-talk", is_member=False)

    slack.click(
        "home.reflection_channel",
        user_id=ADMIN,
        view=HOME,
        action_type="conversations_select",
        selected_conversation="C0NOTIN",
    )

    assert fake_slack.last("views.open").view["callback_id"] == "reflection_setup"
    assert "Heads-up before the first prompt:" in home_text(fake_slack)
    assert "type `/invite @Mentor Nudge` in" in home_text(fake_slack)


def test_a_form_that_does_not_open_says_so_on_home(slack, fake_slack):
    fake_slack.fail("views.open", "expired_trigger_id")

    slack.click("home.roster_import", user_id=ADMIN, value="home", view=HOME)

    assert "The import form didn't open (Slack said `expired_trigger_id`)" in home_text(fake_slack)


def test_answering_a_nudge_or_logging_a_meeting_redraws_the_mentors_home(slack, session_factory, fake_slack):
    with transaction(session_factory) as session:
        pair(session, MENTOR, "U0HOMEE01", started_at=NOW - timedelta(days=30))
        send = nudge(session, person(session, MENTOR), sent_at=NOW - timedelta(days=1), practice="listen")
        send_id = send.id

    slack.click("nudge_done", user_id=MENTOR, value=str(send_id))
    assert fake_slack.last("views.publish").args["user_id"] == MENTOR
    assert "Time to listen · ✅ done" in home_text(fake_slack)

    slack.command("met <@U0HOMEE01> 30m", user_id=MENTOR)
    assert "<@U0HOMEE01> — 1 meeting logged, last in December 2026" in home_text(fake_slack)


def test_an_admin_who_answers_a_nudge_stays_on_their_page_of_flagged_pairs(
    slack, session_factory, fake_slack
):
    with transaction(session_factory) as session:
        for i in range(25):
            pair(session, f"U0PM{i:04d}", f"U0PE{i:04d}", started_at=NOW - timedelta(days=60))
        pair(session, ADMIN, "U0HOMEE02", started_at=NOW - timedelta(days=30))
        send_id = nudge(
            session, person(session, ADMIN), sent_at=NOW - timedelta(days=1), practice="listen"
        ).id
    open_home(slack)
    slack.click("home.flagged_next", user_id=ADMIN, value="2", view=HOME, block_id="flagged_pages")
    assert "page 3 of 3" in home_text(fake_slack)

    slack.click("nudge_done", user_id=ADMIN, value=str(send_id))  # in the DM: no Home view in the click
    assert "Time to listen · ✅ done" in home_text(fake_slack) and "page 3 of 3" in home_text(fake_slack)

    slack.command("met <@U0HOMEE02> 30m", user_id=ADMIN)
    assert "page 3 of 3" in home_text(fake_slack)
    open_home(slack)
    assert "page 3 of 3" in home_text(fake_slack)
