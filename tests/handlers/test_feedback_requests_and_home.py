"""Feedback chats end to end: merging, replacing and closing requests, and asking from Home."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.db import transaction
from bot.feedback.blocks import ASK_VIEW, CANT, HOME_ASK, LATER, TALK
from bot.models import DeliveryStatus, FeedbackStatus
from bot.people import find_person
from bot.preferences import service as preferences
from bot.web import wsgi_app
from schedules.clock import Clock
from tests.bot.feedback.helpers import action_ids, deliveries, end_pair, pair_up, requests
from tests.conftest import ADMIN, MENTEE, MENTOR
from tests.fakes.block_limits import view_errors
from tests.fakes.slack_api import TEAM_ID
from tests.fakes.slack_requests import SlackUser
from tests.handlers.feedback_support import (
    HOME,
    ask,
    click,
    deliver,
)
from tests.handlers.feedback_support import (
    clock as clock,
)
from tests.handlers.feedback_support import (
    pair_id as pair_id,
)

# --- merging, replacing, closing ----------------------------------------------------------------


def test_a_second_request_the_same_day_updates_the_first_without_a_second_dm(
    slack, deps, fake_slack, clock, session_factory, pair_id
):
    ask(slack, "presentations")
    clock.advance(minutes=1)

    said = ask(slack, "night shifts")

    assert "that request hasn't reached them yet — I've kept it with your new topic" in said
    [request] = requests(session_factory)
    assert request.topic == "night shifts" and request.times_asked == 2 and request.last_asked_at == clock.now
    assert len(deliveries(session_factory, "feedback_request")) == 1
    call, _ = deliver(deps, fake_slack)
    assert len(fake_slack.dms_to(MENTOR)) == 1 and "Topic: “night shifts”" in call.text_of_blocks()


def test_a_second_request_after_delivery_updates_the_dm_in_place(
    slack, deps, fake_slack, clock, session_factory, pair_id
):
    ask(slack, "presentations")
    _call, message = deliver(deps, fake_slack)
    clock.advance(hours=3)

    said = ask(slack, "night shifts")

    assert "it's with them now. I've updated that request with your new topic" in said
    update = fake_slack.last("chat.update")
    assert update.args["ts"] == message["ts"] and "Topic: “night shifts”" in update.text_of_blocks()
    assert "they asked again since" in update.text_of_blocks()
    Clock(deps).tick()
    assert len(fake_slack.dms_to(MENTOR)) == 1


def test_asking_again_the_same_day_after_an_answer_is_refused(
    slack, deps, fake_slack, clock, session_factory, pair_id
):
    ask(slack)
    _call, message = deliver(deps, fake_slack)
    click(slack, CANT, requests(session_factory)[0].id, message)
    clock.advance(hours=2)

    said = ask(slack, "please?")

    assert "they've answered: *Can't right now*" in said and "from Wed 2 Dec at 09:00" in said
    assert len(requests(session_factory)) == 1


def test_a_request_days_later_replaces_an_unanswered_one(
    slack, deps, fake_slack, clock, session_factory, pair_id
):
    ask(slack, "presentations")
    _call, old_message = deliver(deps, fake_slack)
    clock.advance(days=2)

    said = ask(slack, "night shifts")

    assert "It replaces your unanswered request from Tue 1 Dec." in said
    old, new = requests(session_factory)
    assert old.status == FeedbackStatus.SUPERSEDED and new.status == FeedbackStatus.PENDING
    update = fake_slack.last("chat.update")
    assert update.args["ts"] == old_message["ts"] and "sent a newer request" in update.text_of_blocks()
    click(slack, TALK, old.id, old_message)
    assert "please answer the newer one" in fake_slack.last("response_url").args["text"]
    assert requests(session_factory)[0].status == FeedbackStatus.SUPERSEDED


def test_a_dm_cancelled_by_the_mentors_pause_is_not_dropped_silently(
    slack, deps, fake_slack, clock, session_factory, pair_id
):
    clock.set(datetime(2026, 12, 1, 21, 0, tzinfo=UTC))  # the DM waits for the morning
    ask(slack, "presentations")
    with transaction(session_factory) as session:
        preferences.pause_for_text(session, deps.settings, TEAM_ID, MENTOR, "1w", now=clock.now)

    clock.set(datetime(2026, 12, 2, 14, 0, tzinfo=UTC))
    Clock(deps).tick()

    [request] = requests(session_factory)
    assert request.status == FeedbackStatus.UNDELIVERED
    assert fake_slack.dms_to(MENTOR) == []
    [notice] = fake_slack.dms_to(MENTEE)
    assert (
        "couldn't be delivered through Mentor Nudge (they aren't receiving Mentor Nudge messages"
        in notice.args["text"]
    )
    Clock(deps).tick()  # settled once: no second notice
    assert len(fake_slack.dms_to(MENTEE)) == 1


def test_a_week_without_an_answer_closes_the_request_and_tells_the_mentee(
    slack, deps, fake_slack, clock, session_factory, pair_id
):
    ask(slack)
    _call, message = deliver(deps, fake_slack)
    clock.advance(days=7)

    Clock(deps).tick()

    assert requests(session_factory)[0].status == FeedbackStatus.CLOSED
    [notice] = fake_slack.dms_to(MENTEE)
    assert "from Tue 1 Dec hasn't had an answer through the app — busy weeks happen" in notice.args["text"]
    click(slack, TALK, requests(session_factory)[0].id, message)
    assert "closed after a week without an answer" in fake_slack.last("response_url").args["text"]
    assert "closed after a week" in fake_slack.last("chat.update").text_of_blocks()


def test_when_the_pair_ends_a_waiting_request_closes_and_the_mentor_cannot_answer_it(
    slack, deps, fake_slack, clock, session_factory, pair_id
):
    ask(slack)
    _call, message = deliver(deps, fake_slack)
    end_pair(session_factory, pair_id, clock.now)

    click(slack, TALK, requests(session_factory)[0].id, message)
    assert "Your pairing with" in fake_slack.last("response_url").args["text"]
    assert requests(session_factory)[0].status == FeedbackStatus.PENDING

    Clock(deps).tick()

    assert requests(session_factory)[0].status == FeedbackStatus.ENDED
    [notice] = fake_slack.dms_to(MENTEE)
    assert "was closed because your pairing in Mentor Nudge has ended" in notice.args["text"]


# --- from the Home tab ------------------------------------------------------------------------


def open_home(slack, user_id):
    return slack.event({"type": "app_home_opened", "user": user_id, "channel": "D0HOME", "tab": "home"})


def test_a_mentee_asks_from_home_with_a_topic(slack, deps, fake_slack, session_factory, pair_id):
    open_home(slack, MENTEE)
    home = fake_slack.home_views[MENTEE]
    assert HOME_ASK in action_ids(home["blocks"]) and view_errors(home) == []

    slack.click(HOME_ASK, user_id=MENTEE, value="home", view=HOME)
    view = fake_slack.last("views.open").view
    assert view["callback_id"] == ASK_VIEW and view_errors(view) == []
    assert f"Ask <@{MENTOR}> for a short feedback chat." in fake_slack.last("views.open").text_of_blocks()
    assert "This isn't anonymous" in fake_slack.last("views.open").text_of_blocks()
    reply = slack.submit(
        view, {"topic": {"topic": {"type": "plain_text_input", "value": "my first month"}}}, user_id=MENTEE
    )

    assert reply.status == 200
    [request] = requests(session_factory)
    assert request.source == "home" and request.topic == "my first month"
    republished = fake_slack.last("views.publish")
    assert republished.args["user_id"] == MENTEE
    assert f"Sent: <@{MENTOR}> will get your request" in republished.text_of_blocks()
    assert f"Tue 1 Dec · <@{MENTOR}> · waiting for an answer" in republished.text_of_blocks()


def test_home_offers_a_menu_when_there_are_several_mentors_and_refuses_a_forged_choice(
    slack, deps, fake_slack, session_factory, pair_id
):
    fake_slack.add_user("U0MENTOR2", "dr.patel", tz="Europe/London")
    pair_up(session_factory, "U0MENTOR2", MENTEE)
    slack.click(HOME_ASK, user_id=MENTEE, value="home", view=HOME)
    view = fake_slack.last("views.open").view
    [menu] = [b for b in view["blocks"] if b.get("block_id") == "mentor"]
    assert [o["value"] for o in menu["element"]["options"]] == [MENTOR, "U0MENTOR2"]

    forged = {"mentor": {"mentor": {"type": "static_select", "selected_option": {"value": ADMIN}}}}
    body = slack.submit(view, forged, user_id=MENTEE).json()

    assert body["response_action"] == "errors" and "isn't one of your mentors" in body["errors"]["mentor"]
    assert requests(session_factory) == []

    chosen = {"mentor": {"mentor": {"type": "static_select", "selected_option": {"value": "U0MENTOR2"}}}}
    slack.submit(view, chosen, user_id=MENTEE)
    assert [r.topic for r in requests(session_factory)] == [None]


def test_a_refused_topic_stays_in_the_modal_beside_the_field(slack, fake_slack, session_factory, pair_id):
    slack.click(HOME_ASK, user_id=MENTEE, value="home", view=HOME)
    view = fake_slack.last("views.open").view

    body = slack.submit(
        view, {"topic": {"topic": {"type": "plain_text_input", "value": "call 617 555 0199"}}}, user_id=MENTEE
    ).json()

    assert body["response_action"] == "errors" and "phone or fax number" in body["errors"]["topic"]
    assert requests(session_factory) == []


def test_home_shows_no_feedback_section_to_someone_without_a_mentor(slack, fake_slack, pair_id):
    open_home(slack, MENTOR)

    assert HOME_ASK not in action_ids(fake_slack.home_views[MENTOR]["blocks"])


def test_the_home_button_without_a_mentor_says_why_on_home(slack, fake_slack):
    slack.click(HOME_ASK, user_id=ADMIN, value="home", view=HOME)

    assert fake_slack.calls_to("views.open") == []
    assert "Feedback chats are for asking your mentor" in fake_slack.last("views.publish").text_of_blocks()


def test_help_and_privacy_describe_feedback_chats_and_the_meeting_log(slack):
    help_text = str(slack.command("help", user_id=MENTEE).json()["blocks"])
    assert "/mentor ask [@mentor] [topic]" in help_text and "/mentor met [@mentee] 30m" in help_text

    privacy = str(slack.command("privacy", user_id=MENTEE).json()["blocks"])
    assert "Feedback chats" in privacy and "not anonymous" in privacy and "Meetings you log" in privacy


def test_a_failed_dm_update_still_saves_the_answer_and_says_so(
    slack, deps, fake_slack, session_factory, pair_id
):
    ask(slack)
    _call, message = deliver(deps, fake_slack)
    fake_slack.fail("chat.update", "message_not_found")

    click(slack, TALK, requests(session_factory)[0].id, message)

    assert requests(session_factory)[0].status == FeedbackStatus.TALK
    assert "couldn't refresh the message above" in fake_slack.last("response_url").args["text"]
    assert deliveries(session_factory, "feedback_answer")[0].status == DeliveryStatus.PENDING


def test_a_mentor_whose_slack_account_is_gone_is_not_asked(slack, fake_slack, session_factory, pair_id):
    fake_slack.add_user("U0MENTOR2", "dr.patel", tz="Europe/London")
    pair_up(session_factory, "U0MENTOR2", MENTEE)
    with transaction(session_factory) as session:
        gone = find_person(session, TEAM_ID, "U0MENTOR2")
        assert gone is not None
        gone.is_active = False

    # Unnamed, the one mentor Slack still has is asked; named, the other is told apart.
    assert ask(slack).startswith(f"Sent: <@{MENTOR}>")
    assert ask(slack, "<@U0MENTOR2>").startswith("<@U0MENTOR2> isn't receiving Mentor Nudge messages")
    assert len(requests(session_factory)) == 1


def test_a_note_box_that_does_not_open_says_so_and_records_nothing(
    slack, deps, fake_slack, session_factory, pair_id
):
    ask(slack)
    _call, message = deliver(deps, fake_slack)
    fake_slack.fail("views.open", "expired_trigger_id")

    click(slack, LATER, requests(session_factory)[0].id, message)

    assert requests(session_factory)[0].status == FeedbackStatus.PENDING
    said = fake_slack.last("response_url").args["text"]
    assert "The note box didn't open (Slack said `expired_trigger_id`)" in said


def test_a_request_form_that_does_not_open_says_so_on_home(slack, fake_slack, session_factory, pair_id):
    fake_slack.fail("views.open", "expired_trigger_id")

    slack.click(HOME_ASK, user_id=MENTEE, value="home", view=HOME)

    notice = fake_slack.last("views.publish")
    assert notice.args["user_id"] == MENTEE
    assert "The request form didn't open (Slack said `expired_trigger_id`)" in notice.text_of_blocks()
    assert requests(session_factory) == []


def test_a_colleague_mentioned_in_the_topic_stays_a_mention(
    slack, deps, fake_slack, session_factory, pair_id
):
    # Slack sends a picked mention as <@U…|name>; it is a colleague, not a record number.
    said = ask(slack, "working with <@U07ABC1234|dr.kim> on rounds")

    assert said.startswith("Sent:")
    [request] = requests(session_factory)
    assert request.topic == "working with <@U07ABC1234> on rounds"
    call, _message = deliver(deps, fake_slack)
    # The mentor's DM shows it as a mention (Slack renders the name), not as raw "@U…".
    assert "Topic: “working with <@U07ABC1234> on rounds”" in call.text_of_blocks()
    assert "&lt;@U07ABC1234" not in call.text_of_blocks()


def test_a_request_from_home_in_an_enterprise_org_keeps_the_org(
    app, engine, slack, fake_slack, listener_executor, session_factory, pair_id
):
    org_slack = SlackUser(wsgi_app(app, engine), fake_slack, listener_executor, enterprise_id="E0ORG0001")
    org_slack.click(HOME_ASK, user_id=MENTEE, value="home", view=HOME)
    view = fake_slack.last("views.open").view
    org_slack.submit(
        view, {"topic": {"topic": {"type": "plain_text_input", "value": "rota swaps"}}}, user_id=MENTEE
    )

    [request] = requests(session_factory)
    assert request.source == "home" and request.enterprise_id == "E0ORG0001"
