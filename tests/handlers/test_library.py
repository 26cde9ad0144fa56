"""`/mentor nudges` end to end: signed Slack requests in, the fake Slack Web API out."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.db import transaction
from bot.library.blocks import ADD_BUTTON_ACTION, ADD_CALLBACK_ID, TOGGLE_ACTION
from bot.library.service import active_nudges, find_nudge
from bot.models import AuditLog, CustomNudge, DisabledNudge
from tests.conftest import ADMIN, MENTEE, MENTOR
from tests.fakes.block_limits import view_errors
from tests.fakes.slack_api import TEAM_ID

GOOD_TEXT = "Ask {mentee} what they'd like more of from you this month."


def _values(practice="listen", text=GOOD_TEXT, question=None, choices=None):
    """Slack's view state for the "Add a nudge" form."""
    select_state = {"type": "static_select", "selected_option": None}
    if practice:
        select_state["selected_option"] = {
            "text": {"type": "plain_text", "text": practice},
            "value": practice,
        }
    return {
        "practice": {"practice": select_state},
        "text": {"text": {"type": "plain_text_input", "value": text}},
        "question": {"question": {"type": "plain_text_input", "value": question}},
        "choices": {"choices": {"type": "plain_text_input", "value": choices}},
    }


def _open_form(slack, fake_slack, user_id=ADMIN, text="nudges add"):
    reply = slack.command(text, user_id=user_id)
    assert reply.status == 200
    return fake_slack.last("views.open").args["view"]


def _count(session_factory, model):
    with transaction(session_factory) as session:
        return session.scalar(select(func.count()).select_from(model))


def _audit(session_factory):
    with transaction(session_factory) as session:
        return [
            (a.action, a.target, a.actor_user_id)
            for a in session.scalars(select(AuditLog).order_by(AuditLog.id))
        ]


def _section_text(blocks):
    return "\n".join(b["text"]["text"] for b in blocks if b["type"] == "section")


# --- who may use it ---------------------------------------------------------------------


@pytest.mark.parametrize("text", ["nudges", "nudges add", "nudges disable care.week-really", "nudges care"])
def test_people_who_are_not_admins_are_refused_and_nothing_happens(slack, fake_slack, session_factory, text):
    fake_slack.reset_calls()

    body = slack.command(text, user_id=MENTOR).json()

    assert body["response_type"] == "ephemeral"
    assert "`/mentor nudges` is for program admins" in body["text"]
    assert fake_slack.calls_to("views.open") == []
    assert _count(session_factory, DisabledNudge) == 0
    assert _audit(session_factory) == []


def test_help_lists_nudges_for_admins_only(slack):
    assert "/mentor nudges" in str(slack.command("help", user_id=ADMIN).json()["blocks"])
    assert "/mentor nudges" not in str(slack.command("help", user_id=MENTEE).json()["blocks"])


# --- the list ---------------------------------------------------------------------------


def test_the_library_lists_counts_per_practice_and_the_programs_own(slack, fake_slack):
    view = _open_form(slack, fake_slack)
    slack.submit(view, _values(practice="care"), user_id=ADMIN)
    slack.command("nudges disable care.week-really", user_id=ADMIN)

    body = slack.command("nudges", user_id=ADMIN).json()

    assert body["response_type"] == "ephemeral"
    shown = _section_text(body["blocks"])
    assert "*Caring about the learner* (`care`): 10 built-in (1 switched off) · 1 of your own" in shown
    assert "*Time to listen* (`listen`): 10 built-in" in shown
    assert "`custom:1` · on · Caring about the learner" in shown
    assert body["text"].startswith("Nudge library: 60 nudges switched on")


def test_one_practice_in_full_and_a_page_that_does_not_exist(slack):
    body = slack.command("nudges no-ego", user_id=ADMIN).json()

    assert body["blocks"][0]["text"]["text"] == "Keeping ego out"
    assert "`no_ego.their-plan-first` · on" in _section_text(body["blocks"])

    missing = slack.command("nudges care 3", user_id=ADMIN).json()
    assert missing["text"] == "There is only 1 page — try `/mentor nudges care`."


def test_a_word_it_does_not_know_gets_the_usage(slack):
    body = slack.command("nudges frobnicate", user_id=ADMIN).json()

    assert body["text"].startswith("I don't know `frobnicate` here. Try `/mentor nudges` (the library)")


# --- adding -----------------------------------------------------------------------------


def test_add_opens_the_form(slack, fake_slack):
    reply = slack.command("nudges add", user_id=ADMIN)

    assert reply.status == 200
    view = fake_slack.last("views.open").args["view"]
    assert view["callback_id"] == ADD_CALLBACK_ID
    assert view_errors(view) == []


def test_add_with_words_starts_the_form_from_them(slack, fake_slack):
    view = _open_form(slack, fake_slack, text="nudges add Ask {mentee} about their weekend.")

    text_block = next(b for b in view["blocks"] if b.get("block_id") == "text")
    assert text_block["element"]["initial_value"] == "Ask {mentee} about their weekend."


def test_a_form_slack_will_not_open_is_explained(slack, fake_slack):
    fake_slack.fail("views.open", "expired_trigger_id")

    slack.command("nudges add", user_id=ADMIN)

    answer = fake_slack.last("response_url").args
    assert "I couldn't open the form (Slack said `expired_trigger_id`)" in answer["text"]
    assert answer["response_type"] == "ephemeral"


def test_the_add_button_tries_views_open_once_when_slack_is_busy(slack, fake_slack):
    fake_slack.rate_limit("views.open", retry_after=1)

    slack.click(ADD_BUTTON_ACTION, user_id=ADMIN, value="add")

    assert len(fake_slack.calls_to("views.open")) == 1  # the trigger would expire before a retry
    assert "Slack said `ratelimited`" in fake_slack.last("response_url").args["text"]


def test_the_add_button_in_the_list_opens_the_same_form(slack, fake_slack):
    slack.click(ADD_BUTTON_ACTION, user_id=ADMIN, value="add")

    assert fake_slack.last("views.open").args["view"]["callback_id"] == ADD_CALLBACK_ID


def test_the_add_button_refuses_someone_who_is_no_longer_an_admin(slack, fake_slack):
    slack.click(ADD_BUTTON_ACTION, user_id=MENTOR, value="add")

    assert fake_slack.calls_to("views.open") == []
    assert "Only program admins" in fake_slack.last("response_url").args["text"]


def test_submitting_problems_shows_them_in_the_form_and_stores_nothing(slack, fake_slack, session_factory):
    view = _open_form(slack, fake_slack)

    body = slack.submit(
        view,
        _values(practice=None, text="Call {mentee} on 617-555-0199. Ask {name}.", question="How was it?"),
        user_id=ADMIN,
    ).json()

    assert body["response_action"] == "errors"
    assert body["errors"]["practice"] == "Choose the practice this nudge is about."
    assert "Only {mentee} can be filled in" in body["errors"]["text"]
    assert body["errors"]["choices"].startswith("Add 2 to 5 choices")
    assert _count(session_factory, CustomNudge) == 0
    assert _audit(session_factory) == []


def test_patient_identifiers_are_refused_with_the_explanation(slack, fake_slack, session_factory):
    view = _open_form(slack, fake_slack)

    body = slack.submit(
        view, _values(text="Debrief {mentee} on the MRN 00482913 case."), user_id=ADMIN
    ).json()

    assert body["response_action"] == "errors"
    assert "a medical record or patient number" in body["errors"]["text"]
    assert "never stores patient information" in body["errors"]["text"]
    assert _count(session_factory, CustomNudge) == 0


def test_a_good_nudge_is_stored_confirmed_and_audited(slack, fake_slack, session_factory):
    view = _open_form(slack, fake_slack)

    body = slack.submit(
        view,
        _values(question="How did it go?", choices="Good chat\nShort but useful\nNot yet"),
        user_id=ADMIN,
    ).json()

    assert body["response_action"] == "update"
    assert view_errors(body["view"]) == []
    shown = _section_text(body["view"]["blocks"])
    assert "Added `custom:1` to *Time to listen*" in shown
    assert ">Ask your mentee what they'd like more of from you this month." in shown
    with transaction(session_factory) as session:
        row = session.scalars(select(CustomNudge)).one()
        assert (row.key, row.practice, row.text, row.created_by) == ("custom:1", "listen", GOOD_TEXT, ADMIN)
        assert row.followup_choices == ["Good chat", "Short but useful", "Not yet"]
        assert "custom:1" in [n.key for n in active_nudges(session, TEAM_ID)]
    assert _audit(session_factory) == [("nudge.add", "custom:1", ADMIN)]


def test_a_form_submitted_by_someone_no_longer_an_admin_is_refused(slack, fake_slack, session_factory):
    view = _open_form(slack, fake_slack)

    body = slack.submit(view, _values(), user_id=MENTOR).json()

    assert body["response_action"] == "errors"
    assert body["errors"]["text"].startswith("Only program admins")
    assert _count(session_factory, CustomNudge) == 0


# --- switching off and on ---------------------------------------------------------------


def test_a_built_in_nudge_is_switched_off_and_undone_with_one_click(slack, fake_slack, session_factory):
    body = slack.command("nudges disable care.week-really", user_id=ADMIN).json()

    assert body["text"].startswith("Switched `care.week-really` off for your program.")
    with transaction(session_factory) as session:
        assert "care.week-really" not in [n.key for n in active_nudges(session, TEAM_ID)]
    undo = body["blocks"][-1]["elements"][0]
    assert undo["action_id"] == TOGGLE_ACTION

    slack.click(TOGGLE_ACTION, user_id=ADMIN, value=undo["value"])

    answer = fake_slack.last("response_url").args
    assert answer["replace_original"] is True
    assert answer["text"].startswith("Switched `care.week-really` back on.")
    with transaction(session_factory) as session:
        assert "care.week-really" in [n.key for n in active_nudges(session, TEAM_ID)]
    assert _audit(session_factory) == [
        ("nudge.disable", "care.week-really", ADMIN),
        ("nudge.enable", "care.week-really", ADMIN),
    ]


def test_a_programs_own_nudge_is_switched_off_and_on_but_never_deleted(slack, fake_slack, session_factory):
    slack.submit(_open_form(slack, fake_slack), _values(), user_id=ADMIN)

    off = slack.command("nudges disable custom:1", user_id=ADMIN).json()
    assert off["text"].startswith("Switched `custom:1` off")
    with transaction(session_factory) as session:
        found = find_nudge(session, TEAM_ID, "custom:1")
        assert found is not None and found.retired

    on = slack.command("nudges enable 1", user_id=ADMIN).json()
    assert on["text"].startswith("Switched `custom:1` back on.")
    assert _count(session_factory, CustomNudge) == 1
    assert [a[0] for a in _audit(session_factory)] == ["nudge.add", "nudge.disable", "nudge.enable"]


def test_an_unknown_key_is_refused_with_a_suggestion_and_changes_nothing(slack, session_factory):
    body = slack.command("nudges disable care.week-realy", user_id=ADMIN).json()

    assert body["text"] == "There's no nudge with the key `care.week-realy`. Did you mean `care.week-really`?"
    assert _count(session_factory, DisabledNudge) == 0
    assert _audit(session_factory) == []


@pytest.mark.parametrize("text", ["nudges disable", "nudges enable care.week-really listen.sum-it-up"])
def test_one_key_is_needed(slack, text):
    body = slack.command(text, user_id=ADMIN).json()

    assert body["text"].startswith("Which nudge? Type `/mentor nudges")


def test_undo_from_someone_no_longer_an_admin_changes_nothing(slack, fake_slack, session_factory):
    slack.command("nudges disable care.week-really", user_id=ADMIN)

    slack.click(TOGGLE_ACTION, user_id=MENTOR, value="on care.week-really")

    assert "Only program admins" in fake_slack.last("response_url").args["text"]
    assert _count(session_factory, DisabledNudge) == 1
