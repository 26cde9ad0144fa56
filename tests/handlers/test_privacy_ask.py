""" "Is Maria a colleague?" end to end: a note, a reflection and a custom nudge naming
someone the app cannot place are asked about, never stored silently; "Yes, save" saves
the text as written and remembers the name; hard identifiers are refused, not asked."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from bot.blocks.privacy import COLLEAGUE_QUESTION
from bot.db import transaction
from bot.models import AuditLog, ColleagueName, CustomNudge
from bot.nudges.blocks import NOTE_VIEW
from bot.people import ensure_person
from bot.privacy.workspace import confirm_colleagues
from handlers.privacy_ask import _compact_values, ask_about_names
from tests.conftest import ADMIN, MENTOR
from tests.fakes.block_limits import view_errors
from tests.fakes.clock import MovableClock
from tests.fakes.slack_api import TEAM_ID
from tests.handlers.nudges_support import deliver_first_nudge, open_note_modal
from tests.handlers.test_library import _open_form, _values
from tests.nudge_helpers import answers, make_mentor

SLOT = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
NOTE_ABOUT_MARIA = "Talked with Maria about how to give feedback on rounds."


@pytest.fixture
def clock():
    return MovableClock(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))


@pytest.fixture
def mentor_id(session_factory, clock):
    return make_mentor(session_factory, MENTOR, now=clock.now, tz="Europe/London")


def note_values(text):
    return {"note": {"note": {"type": "plain_text_input", "value": text}}}


def colleague_names(session_factory):
    with session_factory() as session:
        return sorted(session.scalars(select(ColleagueName.name)))


def answer_yes(slack, pushed, *, form_id="V00000000", user_id=MENTOR):
    """Submit the pushed question, as Slack does: it knows the form under it."""
    return slack.submit({**pushed, "id": "VQUESTION1", "previous_view_id": form_id}, {}, user_id=user_id)


def test_a_note_naming_someone_unknown_is_asked_about_and_nothing_is_stored(
    deps, clock, fake_slack, slack, session_factory, mentor_id
):
    call, channel, message = deliver_first_nudge(deps, clock, fake_slack)
    view = open_note_modal(slack, fake_slack, call, message, channel)

    body = slack.submit(view, note_values(NOTE_ABOUT_MARIA), user_id=MENTOR).json()

    assert body["response_action"] == "push"
    pushed = body["view"]
    assert view_errors(pushed) == []
    assert pushed["callback_id"] == COLLEAGUE_QUESTION
    assert "Is Maria a colleague?" in json.dumps(pushed)
    assert (pushed["submit"]["text"], pushed["close"]["text"]) == ("Yes, save", "Edit")
    assert answers(session_factory) == [] and colleague_names(session_factory) == []


def test_yes_save_stores_the_note_as_written_and_the_name_is_not_asked_about_again(
    deps, clock, fake_slack, slack, session_factory, mentor_id
):
    call, channel, message = deliver_first_nudge(deps, clock, fake_slack)
    view = open_note_modal(slack, fake_slack, call, message, channel)
    pushed = slack.submit(view, note_values(NOTE_ABOUT_MARIA), user_id=MENTOR).json()["view"]

    reply = answer_yes(slack, pushed)

    assert reply.json() == {"response_action": "clear"}
    [answer] = answers(session_factory)
    assert answer.note == NOTE_ABOUT_MARIA
    assert "Your note is saved" in fake_slack.last("chat.update").text_of_blocks()
    assert colleague_names(session_factory) == ["maria"]

    # Next time, Maria is a colleague: the note saves at once.
    again = slack.submit(view, note_values("Maria led the handover today."), user_id=MENTOR)
    assert again.body in (b"", b"{}")
    [answer] = answers(session_factory)
    assert answer.note == "Maria led the handover today."


def test_hard_identifiers_are_refused_beside_the_field_never_asked_about(
    deps, clock, fake_slack, slack, session_factory, mentor_id
):
    call, channel, message = deliver_first_nudge(deps, clock, fake_slack)
    view = open_note_modal(slack, fake_slack, call, message, channel)

    body = slack.submit(view, note_values("Maria's daughter is on 617.555.0199"), user_id=MENTOR).json()

    assert body["response_action"] == "errors"
    assert "phone" in body["errors"]["note"]
    assert "617" not in body["errors"]["note"] and "Maria" not in body["errors"]["note"]
    assert answers(session_factory) == []


def test_a_person_in_the_workspace_is_placed_by_their_full_name_without_asking(
    deps, clock, fake_slack, slack, session_factory, mentor_id
):
    with transaction(session_factory) as session:
        colleague = ensure_person(session, TEAM_ID, "U0MARIA01")
        colleague.display_name, colleague.real_name = "maria", "Maria Alvarez"
    call, channel, message = deliver_first_nudge(deps, clock, fake_slack)
    view = open_note_modal(slack, fake_slack, call, message, channel)

    reply = slack.submit(view, note_values("Maria Alvarez and I ran the debrief together."), user_id=MENTOR)

    assert reply.body in (b"", b"{}")
    assert answers(session_factory)[0].note == "Maria Alvarez and I ran the debrief together."


def test_a_custom_nudge_naming_someone_is_asked_about_then_added(slack, fake_slack, session_factory):
    view = _open_form(slack, fake_slack)
    text = "Ask {mentee} what they learnt from watching Dr Osei and Bernadette on nights."

    body = slack.submit(view, _values(text=text), user_id=ADMIN).json()
    assert body["response_action"] == "push" and "Is Bernadette a colleague?" in json.dumps(body)

    reply = answer_yes(slack, body["view"], form_id="VFORM0001", user_id=ADMIN)

    assert reply.status == 200 and reply.body in (b"", b"{}")
    with session_factory() as session:
        assert session.scalar(select(CustomNudge.text)) == text
    updated = fake_slack.last("views.update")
    assert updated.args["view_id"] == "VFORM0001"
    assert updated.view["title"]["text"] == "Nudge added"


def test_a_forged_or_expired_question_changes_nothing(slack, session_factory):
    forged = {"type": "modal", "callback_id": COLLEAGUE_QUESTION, "private_metadata": "not json"}

    body = slack.submit(forged, {}, user_id=MENTOR).json()

    assert body["response_action"] == "update" and "expired" in json.dumps(body)
    with session_factory() as session:
        assert session.scalar(select(func.count(ColleagueName.id))) == 0


class RecordingAck:
    def __init__(self):
        self.calls = []

    def __call__(self, **kwargs):
        self.calls.append(kwargs)


def test_a_form_too_long_to_carry_in_the_question_gets_the_advice_beside_its_field():
    view = {
        "callback_id": NOTE_VIEW,
        "private_metadata": "7",
        "state": {"values": {"note": {"note": {"type": "plain_text_input", "value": "“Maria” " * 400}}}},
    }
    ack = RecordingAck()

    ask_about_names(ack, view, ("Maria",), field="note")

    [call] = ack.calls
    assert call["response_action"] == "errors"
    assert "Maria" in call["errors"]["note"] and "@mention" in call["errors"]["note"]


def test_the_question_carries_only_what_the_form_reader_needs():
    chosen = {"text": {"type": "plain_text", "text": "Care"}, "value": "care"}
    values = {
        "practice": {"practice": {"type": "static_select", "selected_option": chosen}},
        "choices": {"choices": {"type": "checkboxes", "selected_options": [{"text": {}, "value": "yes"}]}},
        "note": {"note": {"type": "plain_text_input", "value": "hi"}},
        "odd": "not a block",
    }

    assert _compact_values(values) == {
        "practice": {"practice": {"selected_option": {"value": "care"}}},
        "choices": {"choices": {"selected_options": [{"value": "yes"}]}},
        "note": {"note": {"value": "hi"}},
    }


# --- names are kept only when the text is saved, and only those it holds -----------------


def tampered(pushed, *, names=None, note=None):
    """The question as a browser could send it back: metadata is not ours to trust."""
    meta = json.loads(pushed["private_metadata"])
    if names is not None:
        meta["names"] = names
    if note is not None:
        meta["values"]["note"]["note"]["value"] = note
    return {**pushed, "private_metadata": json.dumps(meta)}


def test_yes_save_keeps_only_the_names_the_saved_text_holds(
    deps, clock, fake_slack, slack, session_factory, mentor_id
):
    call, channel, message = deliver_first_nudge(deps, clock, fake_slack)
    view = open_note_modal(slack, fake_slack, call, message, channel)
    pushed = slack.submit(view, note_values(NOTE_ABOUT_MARIA), user_id=MENTOR).json()["view"]

    reply = answer_yes(slack, tampered(pushed, names=["Maria", "Eleanor Whitfield", "Okafor"]))

    assert reply.json() == {"response_action": "clear"}
    assert answers(session_factory)[0].note == NOTE_ABOUT_MARIA
    assert colleague_names(session_factory) == ["maria"]


def test_a_text_changed_behind_the_question_is_screened_again_and_no_name_is_kept(
    deps, clock, fake_slack, slack, session_factory, mentor_id
):
    call, channel, message = deliver_first_nudge(deps, clock, fake_slack)
    view = open_note_modal(slack, fake_slack, call, message, channel)
    pushed = slack.submit(view, note_values(NOTE_ABOUT_MARIA), user_id=MENTOR).json()["view"]
    forged = tampered(pushed, names=["Maria", "Okafor"], note="Talked with Maria and Okafor, MRN 4471234")

    body = answer_yes(slack, forged).json()

    assert body["response_action"] == "update"
    assert "record" in json.dumps(body) and "4471234" not in json.dumps(body)
    assert answers(session_factory) == [] and colleague_names(session_factory) == []


def test_a_form_that_cannot_save_after_yes_keeps_no_name(
    deps, clock, fake_slack, slack, session_factory, mentor_id
):
    call, channel, message = deliver_first_nudge(deps, clock, fake_slack)
    view = open_note_modal(slack, fake_slack, call, message, channel)
    pushed = slack.submit(view, note_values(NOTE_ABOUT_MARIA), user_id=MENTOR).json()["view"]
    meta = json.loads(pushed["private_metadata"])
    meta["meta"] = "999999"  # a nudge that isn't there (any more)

    body = answer_yes(slack, {**pushed, "private_metadata": json.dumps(meta)}).json()

    assert body["response_action"] == "update" and "can't find that nudge" in json.dumps(body)
    assert answers(session_factory) == [] and colleague_names(session_factory) == []


# --- /mentor colleagues -----------------------------------------------------------------


def said(fake_slack, reply):
    return reply.json()["text"] if reply.body else fake_slack.last("response_url").args["text"]


def test_admins_list_the_confirmed_names_and_remove_one_which_is_then_asked_about_again(
    deps, clock, fake_slack, slack, session_factory, mentor_id
):
    with transaction(session_factory) as session:
        confirm_colleagues(session, TEAM_ID, ["Maria Lopez", "Mrs Okafor"], today=clock.now.date())

    listing = said(fake_slack, slack.command("colleagues", user_id=ADMIN))
    assert "maria lopez" in listing and "okafor" in listing and "3 Dec 2026" not in listing
    assert "1 Dec 2026" in listing

    removed = said(fake_slack, slack.command("colleagues remove Mrs. Okafor", user_id=ADMIN))

    assert "Removed" in removed
    assert colleague_names(session_factory) == ["maria lopez"]
    with session_factory() as session:
        [row] = session.scalars(select(AuditLog).where(AuditLog.action == "privacy.colleague_name_removed"))
        assert row.actor_user_id == ADMIN and "okafor" not in json.dumps([row.target, row.detail]).lower()
    # Okafor is a name to ask about again.
    call, channel, message = deliver_first_nudge(deps, clock, fake_slack)
    view = open_note_modal(slack, fake_slack, call, message, channel)
    body = slack.submit(view, note_values("Mrs Okafor helped the student a lot"), user_id=MENTOR).json()
    assert body["response_action"] == "push"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("colleagues", "No names have been confirmed"),
        ("colleagues remove", "Which name?"),
        ("colleagues remove Someone Else", "isn't on the list"),
        ("colleagues purge everything", "/mentor colleagues remove NAME"),
    ],
)
def test_colleagues_answers_each_request_plainly_and_changes_nothing_it_should_not(
    slack, fake_slack, session_factory, text, expected
):
    assert expected in said(fake_slack, slack.command(text, user_id=ADMIN))
    with session_factory() as session:
        assert session.scalar(select(func.count(AuditLog.id))) == 0


def test_colleagues_is_for_admins_only(slack, fake_slack, session_factory, clock):
    with transaction(session_factory) as session:
        confirm_colleagues(session, TEAM_ID, ["Maria Lopez"], today=clock.now.date())

    reply = said(fake_slack, slack.command("colleagues remove Maria Lopez", user_id=MENTOR))

    assert "maria" not in reply.lower()
    assert colleague_names(session_factory) == ["maria lopez"]
