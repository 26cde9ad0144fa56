"""The meeting log end to end: the monthly question through the clock and the fake Slack,
signed clicks (minutes, "what came up"), `/mentor met` and `/mentor meetings`."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from urllib.parse import urlencode

import pytest

from bot.db import transaction
from bot.meetings.blocks import PRACTICES_ACTION, PRACTICES_BLOCK, SAVE_ACTION
from bot.models import DeliveryStatus
from bot.people import find_person
from schedules.clock import Clock
from schedules.meeting_step import plan_meeting_questions
from tests.bot.feedback.helpers import action_ids, button, deliveries, end_pair, meetings, pair_up
from tests.conftest import ADMIN, MENTEE, MENTOR
from tests.fakes.block_limits import message_errors
from tests.fakes.clock import MovableClock
from tests.fakes.slack_api import TEAM_ID
from tests.fakes.view_state import option

# Sunday 20 December 2026, 03:15 UTC: the daily housekeeping run that plans the month's
# questions. Tuesday 22 December at 09:30 London (GMT) is the mentor's first nudge
# weekday on or after the 22nd.
PLANNING = datetime(2026, 12, 20, 3, 15, tzinfo=UTC)
QUESTION_AT = datetime(2026, 12, 22, 9, 30, tzinfo=UTC)
MENTOR_DM = "D" + MENTOR[1:]


@pytest.fixture
def clock():
    return MovableClock(PLANNING)


@pytest.fixture
def pair_id(session_factory):
    return pair_up(session_factory, MENTOR, MENTEE)


def ask_question(deps, fake_slack, clock):
    """Plan, move to the question's time, tick: the DM and its Slack message."""
    plan_meeting_questions(deps.session_factory, deps.settings, clock.now)
    clock.set(QUESTION_AT)
    Clock(deps).tick()
    [call] = fake_slack.dms_to(MENTOR)
    return call, fake_slack.messages[MENTOR_DM][-1]


def answer(slack, call, message, minutes, user_id=MENTOR):
    action = f"meeting.answer_{minutes}"
    value = button(call.blocks, action)["value"]
    return slack.click(action, user_id=user_id, value=value, message=message, channel_id=MENTOR_DM)


def save(slack, log_id, ticked, *, user_id=MENTOR, message=None, state=True):
    """Click Save under "what came up", with the ticks as Slack sends them in `state`."""
    payload = {
        "type": "block_actions",
        "team": {"id": TEAM_ID, "domain": "riverside"},
        "user": {"id": user_id, "username": user_id.lower(), "team_id": TEAM_ID},
        "api_app_id": "A0MENTOR1",
        "trigger_id": slack.trigger_id(),
        "actions": [
            {
                "action_id": SAVE_ACTION,
                "block_id": PRACTICES_BLOCK,
                "type": "button",
                "value": str(log_id),
                "action_ts": "1.0",
            }
        ],
        "response_url": slack.fake.response_url("action"),
        "container": {
            "type": "message",
            "message_ts": (message or {}).get("ts", "1.0"),
            "is_ephemeral": message is None,
        },
    }
    if message is not None:
        payload.update({"message": message, "channel": {"id": MENTOR_DM}})
        payload["container"]["channel_id"] = MENTOR_DM
    if state:
        checked = {"type": "checkboxes", "selected_options": [option(key) for key in ticked]}
        payload["state"] = {"values": {PRACTICES_BLOCK: {PRACTICES_ACTION: checked}}}
    return slack.post_signed(urlencode({"payload": json.dumps(payload)}))


# --- the monthly question --------------------------------------------------------------------


def test_the_question_comes_once_late_in_the_month_at_the_mentors_nudge_time(
    deps, fake_slack, clock, session_factory, pair_id
):
    counts = plan_meeting_questions(deps.session_factory, deps.settings, clock.now)

    assert counts == {"queued": 1}
    [row] = deliveries(session_factory, "meeting_question")
    assert row.due_at == QUESTION_AT and row.recipient == MENTOR
    assert row.expires_at == datetime(2027, 1, 1, 0, 0, tzinfo=UTC)  # midnight in London
    assert row.payload == {"pair_id": pair_id, "month": "2026-12"}
    assert plan_meeting_questions(deps.session_factory, deps.settings, clock.now) == {}  # once a month

    clock.set(QUESTION_AT.replace(minute=29))
    Clock(deps).tick()
    assert fake_slack.dms_to(MENTOR) == []
    clock.set(QUESTION_AT)
    Clock(deps).tick()

    [call] = fake_slack.dms_to(MENTOR)
    assert message_errors(call.args["text"], call.blocks) == []
    assert f"Did you and <@{MENTEE}> meet this month?" in call.text_of_blocks()
    labels = [e["text"]["text"] for e in call.blocks[1]["elements"]]
    assert labels == ["Yes, ~15 min", "~30 min", "An hour or more", "Not yet"]
    assert fake_slack.dms_to(MENTEE) == []  # mentees are never asked here


def test_housekeeping_plans_the_question(deps, session_factory, pair_id):
    results = Clock(deps).housekeeping()

    assert results["meeting_questions"] == {"queued": 1}
    assert len(deliveries(session_factory, "meeting_question")) == 1


def test_an_answer_is_logged_and_the_dm_asks_what_came_up(
    slack, deps, fake_slack, clock, session_factory, pair_id
):
    call, message = ask_question(deps, fake_slack, clock)

    answer(slack, call, message, 30)

    [row] = meetings(session_factory)
    assert (row.minutes, row.month, row.source, row.practices) == (30, "2026-12", "dm", [])
    assert row.pair_id == pair_id and row.recorded_at == QUESTION_AT
    assert row.delivery_id == deliveries(session_factory, "meeting_question")[0].id
    update = fake_slack.last("chat.update")
    assert update.args["ts"] == message["ts"]
    assert f"Logged: *~30 min* with <@{MENTEE}> in December" in update.text_of_blocks()
    assert "✓ ~30 min" in update.text_of_blocks()
    assert PRACTICES_ACTION in action_ids(update.blocks) and SAVE_ACTION in action_ids(update.blocks)

    save(slack, row.id, ["autonomy", "listen", "not-a-practice"], message=message)

    assert meetings(session_factory)[0].practices == ["listen", "autonomy"]
    saved = fake_slack.last("chat.update")
    assert "Saved: Time to listen · Self-direction" in saved.text_of_blocks()
    ticked = button(saved.blocks, PRACTICES_ACTION)["initial_options"]
    assert [o["value"] for o in ticked] == ["listen", "autonomy"]


def test_a_second_click_changes_the_answer(slack, deps, fake_slack, clock, session_factory, pair_id):
    call, message = ask_question(deps, fake_slack, clock)
    answer(slack, call, message, 60)
    save(slack, meetings(session_factory)[0].id, ["care"], message=message)
    clock.advance(minutes=5)

    answer(slack, call, message, 0)

    [row] = meetings(session_factory)
    assert row.minutes == 0 and row.practices == [] and row.updated_at == clock.now
    update = fake_slack.last("chat.update")
    assert "Noted: not yet in December" in update.text_of_blocks()
    assert SAVE_ACTION not in action_ids(update.blocks)


def test_only_the_mentor_can_answer(slack, deps, fake_slack, clock, session_factory, pair_id):
    call, message = ask_question(deps, fake_slack, clock)

    answer(slack, call, message, 15, user_id=MENTEE)

    assert meetings(session_factory) == []
    assert "sent to someone else" in fake_slack.last("response_url").args["text"]


def test_ticks_by_someone_else_or_on_a_forged_log_change_nothing(
    slack, deps, fake_slack, clock, session_factory, pair_id
):
    call, message = ask_question(deps, fake_slack, clock)
    answer(slack, call, message, 30)
    log_id = meetings(session_factory)[0].id

    save(slack, log_id, ["care"], user_id=ADMIN, message=message)
    assert "sent to someone else" in fake_slack.last("response_url").args["text"]
    save(slack, 424242, ["care"], message=message)
    assert "can't find that meeting" in fake_slack.last("response_url").args["text"]
    # Forged values: "²" passes str.isdigit() but not int(), and thirty digits overflow a column.
    for forged in ("²", "9" * 30):
        save(slack, forged, ["care"], message=message)
        assert "can't find that meeting" in fake_slack.last("response_url").args["text"]
    save(slack, log_id, ["care"], message=message, state=False)
    assert "couldn't read your ticks" in fake_slack.last("response_url").args["text"]

    assert meetings(session_factory)[0].practices == []


def test_no_question_when_a_meeting_is_already_logged_this_month(
    slack, deps, fake_slack, clock, session_factory, pair_id
):
    clock.set(datetime(2026, 12, 10, 12, 0, tzinfo=UTC))
    slack.command("met 30m", user_id=MENTOR)
    clock.set(PLANNING)

    counts = plan_meeting_questions(deps.session_factory, deps.settings, clock.now)

    assert counts == {"already_logged": 1} and deliveries(session_factory, "meeting_question") == []


def test_a_meeting_logged_after_planning_cancels_the_question(
    slack, deps, fake_slack, clock, session_factory, pair_id
):
    plan_meeting_questions(deps.session_factory, deps.settings, clock.now)
    clock.set(datetime(2026, 12, 21, 12, 0, tzinfo=UTC))
    slack.command("met 45 min", user_id=MENTOR)

    clock.set(QUESTION_AT)
    Clock(deps).tick()

    assert fake_slack.dms_to(MENTOR) == []
    [row] = deliveries(session_factory, "meeting_question")
    assert row.status == DeliveryStatus.CANCELLED and "logged" in row.error


def test_a_pair_that_ended_gets_no_question(deps, fake_slack, clock, session_factory, pair_id):
    plan_meeting_questions(deps.session_factory, deps.settings, clock.now)
    end_pair(session_factory, pair_id, clock.now)

    clock.set(QUESTION_AT)
    Clock(deps).tick()

    assert fake_slack.dms_to(MENTOR) == []
    assert deliveries(session_factory, "meeting_question")[0].status == DeliveryStatus.CANCELLED


def test_no_question_about_a_mentee_who_is_no_longer_active(
    deps, fake_slack, clock, session_factory, pair_id
):
    plan_meeting_questions(deps.session_factory, deps.settings, clock.now)
    with transaction(session_factory) as session:
        find_person(session, TEAM_ID, MENTEE).is_active = False  # their Slack account was deactivated

    clock.set(QUESTION_AT)
    Clock(deps).tick()

    assert fake_slack.dms_to(MENTOR) == []
    [row] = deliveries(session_factory, "meeting_question")
    assert row.status == DeliveryStatus.CANCELLED and "no longer active" in row.error


# --- /mentor met -----------------------------------------------------------------------------------


def met(slack, text, user_id=MENTOR):
    body = slack.command(f"met {text}".strip(), user_id=user_id).json()
    assert body["response_type"] == "ephemeral"
    return body


@pytest.mark.parametrize(
    ("typed", "minutes"),
    [("15m", 15), ("30m", 30), ("45 min", 45), ("1h", 60), ("90m", 90), ("1.5h", 90), ("1h30", 90)],
)
def test_met_records_a_meeting_now(slack, clock, session_factory, pair_id, typed, minutes):
    body = met(slack, f"<@{MENTEE}|sam.lee> {typed}")

    [row] = meetings(session_factory)
    assert (row.minutes, row.source, row.month, row.delivery_id) == (minutes, "command", "2026-12", None)
    assert row.recorded_at == clock.now
    assert body["text"].startswith("Logged: ") and f"with <@{MENTEE}> in December" in body["text"]
    assert PRACTICES_ACTION in action_ids(body["blocks"])


def test_met_without_a_mentee_uses_the_only_one_and_any_number_a_month(slack, session_factory, pair_id):
    met(slack, "30m")
    met(slack, "20m")

    assert [row.minutes for row in meetings(session_factory)] == [30, 20]


def test_what_came_up_after_met_replaces_the_reply(slack, fake_slack, session_factory, pair_id):
    met(slack, "30m")

    save(slack, meetings(session_factory)[0].id, ["own_errors"])

    assert meetings(session_factory)[0].practices == ["own_errors"]
    replaced = fake_slack.last("response_url").args
    assert replaced["replace_original"] is True and replaced["response_type"] == "ephemeral"
    assert "Saved: Owning our errors" in str(replaced["blocks"])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "How long did you meet?"),
        ("soon", "couldn't read `soon` as a length of time"),
        ("2m", "5 minutes to 8 hours"),
        ("9h", "5 minutes to 8 hours"),
        (f"<@{MENTEE}> <@{ADMIN}> 30m", "one mentee at a time"),
        ("@sam 30m", "pick your mentee from the @-menu"),
        (f"<@{ADMIN}> 30m", f"<@{ADMIN}> isn't one of your mentees"),
        (f"<@{MENTOR}> 30m", "That's you"),
    ],
)
def test_met_that_cannot_be_read_changes_nothing_and_says_how(
    slack, session_factory, pair_id, text, expected
):
    body = met(slack, text)

    assert expected in body["text"]
    assert meetings(session_factory) == []


def test_met_with_several_mentees_asks_which(slack, fake_slack, session_factory, pair_id):
    pair_up(session_factory, MENTOR, "U0MENTEE2")

    body = met(slack, "30m")

    assert f"You have 2 mentees here: <@{MENTEE}> and <@U0MENTEE2>" in body["text"]
    assert meetings(session_factory) == []


def test_met_by_someone_who_mentors_nobody(slack, session_factory, pair_id):
    body = met(slack, "30m", user_id=MENTEE)

    assert body["text"].startswith("The meeting log is for mentors") and meetings(session_factory) == []


# --- /mentor meetings -------------------------------------------------------------------------------


def test_meetings_lists_the_mentors_own_log_month_by_month(
    slack, deps, fake_slack, clock, session_factory, pair_id
):
    pair_up(session_factory, MENTOR, "U0MENTEE2")
    clock.set(datetime(2026, 11, 12, 12, 0, tzinfo=UTC))
    met(slack, f"<@{MENTEE}> 30m")
    met(slack, f"<@{MENTEE}> 45m")
    clock.set(datetime(2026, 12, 3, 12, 0, tzinfo=UTC))
    met(slack, f"<@{MENTEE}> 1h")
    save(slack, meetings(session_factory)[-1].id, ["listen"])
    pair_up(session_factory, ADMIN, MENTEE)  # another mentor's log is not shown
    met(slack, f"<@{MENTEE}> 20m", user_id=ADMIN)

    body = slack.command("meetings", user_id=MENTOR).json()

    text = str(body["blocks"])
    lines = "\\n".join(
        [
            f"*<@{MENTEE}>*",
            "• December: 1 meeting, 1 hour (Time to listen)",
            "• November: 2 meetings, 1 h 15 min",
            "• October: —",
        ]
    )
    assert lines in text
    assert "*<@U0MENTEE2>*\\n• December: —" in text
    assert "20 minutes" not in text
    assert "only you see it here" in text


def test_meetings_for_someone_with_no_mentee(slack):
    body = slack.command("meetings", user_id=MENTEE).json()

    assert "no mentee in Mentor Nudge right now" in str(body["blocks"])


def test_an_answer_is_kept_when_the_dm_cannot_be_refreshed(
    slack, deps, fake_slack, clock, session_factory, pair_id
):
    call, message = ask_question(deps, fake_slack, clock)
    fake_slack.fail("chat.update", "message_not_found")

    answer(slack, call, message, 15)

    assert [row.minutes for row in meetings(session_factory)] == [15]
    assert "Saved — I couldn't refresh the message above." in fake_slack.last("response_url").args["text"]
