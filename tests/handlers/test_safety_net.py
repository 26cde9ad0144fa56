"""The safety net under every button and modal: a failure is logged with a reference and
the person hears about it — through the modal, the response_url, or a DM."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.models import Person
from bot.profiles import person_with_profile
from schedules.clock import Clock
from tests.conftest import MENTOR
from tests.fakes.clock import MovableClock
from tests.fakes.db_faults import failing_statements
from tests.fakes.slack_api import TEAM_ID
from tests.fakes.view_state import state_from_view
from tests.nudge_helpers import answers, make_mentor

NOW = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)  # Tuesday 09:30 in London: the default slot
HOME = {"id": "V0HOME001", "type": "home", "callback_id": "home"}
DM = "D" + MENTOR[1:]
MODAL = {
    "id": "V0MODAL01",
    "type": "modal",
    "callback_id": "test.form",
    "title": {"type": "plain_text", "text": "Test"},
    "blocks": [
        {"type": "section", "block_id": "intro", "text": {"type": "mrkdwn", "text": "Hello"}},
        {
            "type": "input",
            "block_id": "first",
            "label": {"type": "plain_text", "text": "First"},
            "element": {"type": "plain_text_input", "action_id": "first"},
        },
        {
            "type": "input",
            "block_id": "second",
            "label": {"type": "plain_text", "text": "Second"},
            "element": {"type": "plain_text_input", "action_id": "second"},
        },
    ],
}
TYPED = {"first": {"first": {"type": "plain_text_input", "value": "what they typed"}}}


@pytest.fixture
def clock():
    return MovableClock(NOW - timedelta(minutes=30))


@pytest.fixture
def broken(app):
    """Listeners that fail before or after acknowledging, beside the app's real ones."""

    @app.action("test.fail_after_ack")
    def fail_after_ack(ack):
        ack()
        raise RuntimeError("boom after ack")

    @app.action("test.fail_before_ack")
    def fail_before_ack(ack):
        raise RuntimeError("boom before ack")

    @app.view("test.form")
    def form_fails_before_ack(ack):
        raise RuntimeError("boom in a submission")

    @app.view("test.form_after_ack")
    def form_fails_after_ack(ack):
        ack()
        raise RuntimeError("boom after closing the modal")

    @app.view("anon:test.form")
    def anonymous_form_fails(ack):
        ack()
        raise RuntimeError("boom in an anonymous form")

    @app.event("reaction_added")
    def event_fails(event):
        raise RuntimeError("boom in an event")

    return app


def reference_in(text: str) -> str:
    match = re.search(r"That didn't save — please try again \(ref `([0-9a-f]{8})`\)", text)
    assert match, text
    return match.group(1)


def logged_with_traceback(caplog, reference: str) -> logging.LogRecord:
    [record] = [r for r in caplog.records if f"ref {reference}" in r.getMessage()]
    assert record.levelno == logging.ERROR and record.exc_info is not None
    return record


def a_message():
    return {"ts": "1760000001.000100", "text": "a message with a button", "blocks": []}


# --- every kind of listener, through a listener that fails on purpose ------------------


def test_a_message_button_that_fails_after_ack_answers_through_the_response_url(
    slack, fake_slack, broken, caplog
):
    reply = slack.click("test.fail_after_ack", user_id=MENTOR, message=a_message(), channel_id=DM)

    assert reply.status == 200
    told = fake_slack.last("response_url").args
    assert told["response_type"] == "ephemeral" and told["replace_original"] is False
    record = logged_with_traceback(caplog, reference_in(told["text"]))
    assert f"user={MENTOR}" in record.getMessage() and "action test.fail_after_ack" in record.getMessage()
    assert fake_slack.dms_to(MENTOR) == []


def test_a_home_button_that_fails_is_answered_by_dm(slack, fake_slack, broken, caplog):
    slack.click("test.fail_after_ack", user_id=MENTOR, view=HOME)

    [dm] = fake_slack.dms_to(MENTOR)
    logged_with_traceback(caplog, reference_in(dm.args["text"]))
    assert fake_slack.calls_to("response_url") == []


@pytest.mark.parametrize("telling_takes", [0.0, 0.5])
def test_a_button_that_fails_before_ack_is_still_acknowledged(
    slack, fake_slack, broken, caplog, telling_takes
):
    if telling_takes:
        # Slack is answered before the person is told: a slow response_url cannot turn
        # the acknowledgement into Bolt's 500 (nor keep Slack waiting).
        fake_slack.slow("response_url", telling_takes)
    reply = slack.click("test.fail_before_ack", user_id=MENTOR, message=a_message(), channel_id=DM)

    assert reply.status == 200  # not Bolt's 500, which Slack shows as a warning on the button
    logged_with_traceback(caplog, reference_in(fake_slack.last("response_url").args["text"]))


def test_a_submission_that_fails_keeps_the_modal_open_with_the_reason_under_its_first_field(
    slack, fake_slack, broken, caplog
):
    reply = slack.submit(MODAL, TYPED, user_id=MENTOR)

    assert reply.status == 200
    body = reply.json()
    assert body["response_action"] == "errors" and list(body["errors"]) == ["first"]
    logged_with_traceback(caplog, reference_in(body["errors"]["first"]))
    assert fake_slack.dms_to(MENTOR) == []


def test_a_submission_that_fails_after_closing_the_modal_is_answered_by_dm(slack, fake_slack, broken, caplog):
    reply = slack.submit({**MODAL, "callback_id": "test.form_after_ack"}, TYPED, user_id=MENTOR)

    assert reply.status == 200 and reply.body == b""
    [dm] = fake_slack.dms_to(MENTOR)
    logged_with_traceback(caplog, reference_in(dm.args["text"]))


def test_an_anonymous_form_that_fails_is_logged_without_the_person(slack, fake_slack, broken, caplog):
    caplog.set_level(logging.INFO)

    slack.submit({**MODAL, "callback_id": "anon:test.form"}, TYPED, user_id=MENTOR)

    [dm] = fake_slack.dms_to(MENTOR)  # only they see it, in their own DM
    logged_with_traceback(caplog, reference_in(dm.args["text"]))
    assert not [r for r in caplog.records if MENTOR in r.getMessage()]


def test_a_failing_event_is_logged_and_nobody_is_messaged(slack, fake_slack, broken, caplog):
    reply = slack.event({"type": "reaction_added", "user": MENTOR, "reaction": "tada", "item": {}})

    assert reply.status == 200
    assert [r for r in caplog.records if "event reaction_added: failed (ref" in r.getMessage()]
    assert fake_slack.calls_to("chat.postMessage") == [] and fake_slack.calls_to("response_url") == []


# --- the app's own listeners when the database goes away -------------------------------


def test_a_nudge_answer_the_database_refuses_is_reported_to_the_mentor(
    engine, deps, clock, fake_slack, slack, session_factory, caplog
):
    make_mentor(session_factory, MENTOR, now=clock.now)
    clock.set(NOW)
    Clock(deps).tick()
    [call] = fake_slack.dms_to(MENTOR)
    [message] = fake_slack.messages[DM]
    done = next(e for b in call.blocks for e in b.get("elements", []) if e.get("action_id") == "nudge_done")

    with failing_statements(engine, r"^INSERT INTO nudge_answer") as failed:
        slack.click("nudge_done", user_id=MENTOR, value=done["value"], message=message, channel_id=DM)

    assert failed
    told = fake_slack.last("response_url").args
    logged_with_traceback(caplog, reference_in(told["text"]))
    assert answers(session_factory) == []
    assert fake_slack.calls_to("chat.update") == []


def test_pause_from_home_the_database_refuses_is_reported_by_dm(engine, deps, fake_slack, slack, caplog):
    person_with_profile(deps, TEAM_ID, MENTOR)

    with failing_statements(engine, r"^UPDATE person") as failed:
        slack.click("home.pause_2w", user_id=MENTOR, value="2w", view=HOME)

    assert failed
    [dm] = fake_slack.dms_to(MENTOR)
    logged_with_traceback(caplog, reference_in(dm.args["text"]))
    with deps.session_factory() as session:
        assert session.scalars(select(Person.paused_until).where(Person.user_id == MENTOR)).one() is None


def test_settings_the_database_refuses_stay_in_the_modal_with_a_reference(
    engine, deps, fake_slack, slack, caplog
):
    person_with_profile(deps, TEAM_ID, MENTOR)
    slack.command("settings", user_id=MENTOR)
    view = fake_slack.last("views.open").view
    first_input = next(b["block_id"] for b in view["blocks"] if b["type"] == "input")

    with failing_statements(engine, r"^UPDATE person") as failed:
        reply = slack.submit(
            view, state_from_view(view, {"contact_start": {"selected_time": "07:30"}}), user_id=MENTOR
        )

    assert failed
    body = reply.json()
    assert body["response_action"] == "errors" and list(body["errors"]) == [first_input]
    logged_with_traceback(caplog, reference_in(body["errors"][first_input]))
    with deps.session_factory() as session:
        assert session.scalars(select(Person.contact_start).where(Person.user_id == MENTOR)).one() == 8 * 60
