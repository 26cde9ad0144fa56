"""Check-ins end to end: clock tick → DM in the fake Slack → signed click → modal →
signed submission → participation and an unlinked answer; reminders; refusals."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.models import CLOSE_OUT, Delivery, DeliveryStatus, Pair, Person, PulseRound, RoundKind, RoundStatus
from bot.pulse.blocks import ANSWER_CALLBACK, OPEN_ACTION, SELF_CALLBACK
from bot.pulse.sealing import BOX_BYTES
from bot.pulse.types import REMINDER_KIND
from schedules.clock import Clock
from tests.conftest import ADMIN, MENTEE, MENTOR
from tests.fakes.block_limits import message_errors, view_errors
from tests.fakes.clock import MovableClock
from tests.pulse_helpers import (
    FIRST_DUE,
    answers_of,
    inbox,
    make_pair,
    mentee_round,
    modal_values,
    participation,
    rounds,
    sealed_answers,
    self_answers,
)

MENTEE_DM = "D" + MENTEE[1:]
MENTOR_DM = "D" + MENTOR[1:]


@pytest.fixture
def clock():
    return MovableClock(FIRST_DUE)


@pytest.fixture
def pair_id(session_factory):
    return make_pair(session_factory, MENTOR, MENTEE, cohort="IM 2027")


def button(blocks, action_id=OPEN_ACTION):
    for block in blocks or []:
        for element in block.get("elements", []):
            if element.get("action_id") == action_id:
                return element
    raise AssertionError(f"no {action_id} in {blocks}")


def invitation(fake_slack, user=MENTEE):
    """The newest check-in DM to `user`, and the message as Slack keeps it."""
    dm = fake_slack.dms_to(user)[-1]
    channel = "D" + user[1:]
    message = next(
        m for m in fake_slack.messages[channel] if m["ts"] == fake_slack.messages[channel][-1]["ts"]
    )
    return dm, channel, message


def open_modal(slack, fake_slack, user=MENTEE, dm=None):
    dm_call, channel, message = invitation(fake_slack, user)
    dm_call = dm or dm_call
    slack.click(
        OPEN_ACTION, user_id=user, value=button(dm_call.blocks)["value"], message=message, channel_id=channel
    )
    return fake_slack.last("views.open").view


def test_the_first_check_in_arrives_and_one_submission_stores_participation_and_an_unlinked_answer(
    deps, clock, fake_slack, slack, session_factory, pair_id
):
    Clock(deps).tick()

    [dm] = fake_slack.dms_to(MENTEE)
    assert message_errors(dm.args.get("text"), dm.blocks) == []
    words = dm.text_of_blocks()
    assert f"<@{MENTOR}>" in words and "anonymous" in words and "at least 5 different mentees" in words
    assert "Open until Sunday 4 April at 10:00" in words  # when it really closes, in New York time
    assert button(dm.blocks)["text"]["text"] == "Answer — under a minute"
    # The mentor's own self-check starts on the same rhythm.
    [self_dm] = fake_slack.dms_to(MENTOR)
    assert "self-check" in self_dm.text_of_blocks()

    view = open_modal(slack, fake_slack)
    assert view["callback_id"] == ANSWER_CALLBACK and view_errors(view) == []
    assert [b["block_id"] for b in view["blocks"] if b["type"] == "input"] == [
        "item_care",
        "item_no_ego",
        "item_mistakes_ok",
        "item_own_errors",
        "item_listen",
        "item_autonomy",
        "item_zwisch",
        "comment",
    ]
    answers = answers_of(3, comment="Really felt listened to.", own_errors=None, zwisch=4)
    reply = slack.submit(view, modal_values(view, answers), user_id=MENTEE)

    assert reply.status == 200 and reply.json()["response_action"] == "update"
    assert "Thank you" in str(reply.json()["view"])
    [row] = participation(session_factory)
    assert (row.pair_id, row.number, row.quarter) == (pair_id, 1, "2027-Q1")
    # The answer waits sealed: nothing of it is readable in the row…
    [row] = inbox(session_factory)
    assert row.quarter == "2027-Q1" and len(row.sealed) == BOX_BYTES and b"listened" not in row.sealed
    # …and the app's key opens it to what the publishing step needs.
    [answer] = sealed_answers(deps)
    assert answer["items"] == {
        "care": 3,
        "no_ego": 3,
        "mistakes_ok": 3,
        "own_errors": None,
        "listen": 3,
        "autonomy": 3,
        "zwisch": 4,
    }
    assert answer["comment"] == "Really felt listened to." and answer["cohort"] == "IM 2027"
    # The DM now says thank you instead of offering the button.
    update = fake_slack.last("chat.update")
    assert update.args["channel"] == MENTEE_DM and "Thank you" in update.text_of_blocks()
    assert fake_slack.messages[MENTEE_DM][0]["blocks"] == update.blocks


def test_nothing_in_the_log_names_the_mentee_who_answered(
    deps, clock, fake_slack, slack, session_factory, pair_id, caplog
):
    Clock(deps).tick()
    view = open_modal(slack, fake_slack)
    caplog.set_level(logging.DEBUG)
    caplog.clear()

    slack.submit(view, modal_values(view, answers_of(2)), user_id=MENTEE)

    assert inbox(session_factory)
    lines = [record.getMessage() for record in caplog.records]
    assert any("pulse answered" in line for line in lines)
    assert not [line for line in lines if MENTEE in line or MENTEE.lower() in line]


def test_the_mentees_home_says_answered_once_they_answer(deps, clock, fake_slack, slack, pair_id):
    Clock(deps).tick()
    view = open_modal(slack, fake_slack)

    slack.submit(view, modal_values(view, answers_of(4, comment="Kind and clear.")), user_id=MENTEE)

    home = str(fake_slack.home_views[MENTEE])
    assert f"*Check-in about <@{MENTOR}>:* answered — thank you." in home
    # Whether they answered, never what.
    assert "Kind and clear" not in home


def test_the_mentor_answers_their_own_self_check(deps, clock, fake_slack, slack, session_factory, pair_id):
    Clock(deps).tick()
    view = open_modal(slack, fake_slack, user=MENTOR)
    assert view["callback_id"] == SELF_CALLBACK
    assert "comment" not in [b.get("block_id") for b in view["blocks"]]
    assert "How much did your mentee lead lately?" in str(view)

    reply = slack.submit(view, modal_values(view, answers_of(4, listen=2)), user_id=MENTOR)

    assert reply.json()["response_action"] == "update"
    [own] = self_answers(session_factory)
    assert own.listen == 2 and own.care == 4 and own.answered_at == clock.now
    assert inbox(session_factory) == [] and participation(session_factory) == []


def test_one_reminder_after_three_working_days_if_unanswered_and_none_after_the_answer(
    deps, clock, fake_slack, slack, session_factory, pair_id
):
    runner = Clock(deps)
    runner.tick()  # Wednesday 3 February, 09:00 in New York
    found = mentee_round(session_factory, pair_id)
    assert found.reminder_due_at == FIRST_DUE + timedelta(days=5)  # Monday 8 February, 09:00

    clock.set(FIRST_DUE + timedelta(days=4, hours=23))
    runner.tick()
    assert len(fake_slack.dms_to(MENTEE)) == 1
    clock.set(FIRST_DUE + timedelta(days=5))
    runner.tick()

    [_first, reminder] = fake_slack.dms_to(MENTEE)
    assert "Still open" in reminder.text_of_blocks() and "only reminder" in reminder.text_of_blocks()
    # Answering from the reminder works, and updates the reminder.
    view = open_modal(slack, fake_slack, dm=reminder)
    slack.submit(view, modal_values(view, answers_of(4)), user_id=MENTEE)
    assert len(participation(session_factory)) == 1
    assert fake_slack.last("chat.update").args["ts"] == fake_slack.messages[MENTEE_DM][-1]["ts"]

    for days in (6, 12, 20):
        clock.set(FIRST_DUE + timedelta(days=days))
        runner.tick()
    assert len(fake_slack.dms_to(MENTEE)) == 2  # never a second reminder


def test_no_reminder_once_answered(deps, clock, fake_slack, slack, session_factory, pair_id):
    runner = Clock(deps)
    runner.tick()
    view = open_modal(slack, fake_slack)
    slack.submit(view, modal_values(view, answers_of(3)), user_id=MENTEE)

    clock.set(FIRST_DUE + timedelta(days=5))
    runner.tick()

    assert len(fake_slack.dms_to(MENTEE)) == 1
    assert mentee_round(session_factory, pair_id).reminder_due_at is None
    with session_factory() as session:
        reminders = session.scalars(select(Delivery.recipient).where(Delivery.kind == REMINDER_KIND)).all()
    assert reminders == [MENTOR]  # the mentor's self-check is still unanswered; the mentee's is done


def test_a_second_answer_is_refused_and_changes_nothing(
    deps, clock, fake_slack, slack, session_factory, pair_id
):
    Clock(deps).tick()
    view = open_modal(slack, fake_slack)
    slack.submit(view, modal_values(view, answers_of(3)), user_id=MENTEE)

    # The same modal submitted again (a second device), and the button clicked again.
    reply = slack.submit(view, modal_values(view, answers_of(1)), user_id=MENTEE)
    assert "already answered" in str(reply.json()["view"])
    dm, channel, message = invitation(fake_slack)
    opened = len(fake_slack.calls_to("views.open"))
    slack.click(
        OPEN_ACTION, user_id=MENTEE, value=button(dm.blocks)["value"], message=message, channel_id=channel
    )

    assert "already answered" in fake_slack.last("response_url").args["text"]
    assert len(fake_slack.calls_to("views.open")) == opened
    assert len(participation(session_factory)) == 1
    [answer] = sealed_answers(deps)
    assert answer["items"]["care"] == 3


def test_a_click_or_a_submission_by_someone_else_is_refused(
    deps, clock, fake_slack, slack, session_factory, pair_id
):
    Clock(deps).tick()
    dm, channel, message = invitation(fake_slack)

    slack.click(
        OPEN_ACTION, user_id=ADMIN, value=button(dm.blocks)["value"], message=message, channel_id=channel
    )
    assert "sent to someone else" in fake_slack.last("response_url").args["text"]
    assert fake_slack.calls_to("views.open") == []

    view = open_modal(slack, fake_slack)
    reply = slack.submit(view, modal_values(view, answers_of(1)), user_id=MENTOR)
    assert "sent to someone else" in str(reply.json()["view"])
    assert participation(session_factory) == [] and inbox(session_factory) == []


def test_a_forged_or_malformed_submission_changes_nothing(
    deps, clock, fake_slack, slack, session_factory, pair_id
):
    Clock(deps).tick()
    view = open_modal(slack, fake_slack)

    values = modal_values(view, answers_of(3))
    del values["item_listen"]
    values["item_care"]["item_care"]["selected_option"] = {"value": "7"}
    reply = slack.submit(view, values, user_id=MENTEE)
    assert reply.json()["response_action"] == "errors"
    assert set(reply.json()["errors"]) == {"item_listen", "item_care"}

    reply = slack.submit(
        {**view, "private_metadata": "999999||"}, modal_values(view, answers_of(3)), user_id=MENTEE
    )
    assert "can't find that check-in" in str(reply.json()["view"])
    assert participation(session_factory) == [] and inbox(session_factory) == []


def test_a_comment_with_a_patient_identifier_is_refused_and_nothing_is_stored(
    deps, clock, fake_slack, slack, session_factory, pair_id
):
    Clock(deps).tick()
    view = open_modal(slack, fake_slack)

    reply = slack.submit(
        view, modal_values(view, answers_of(3, comment="Great with Mr Jones, MRN 12345678")), user_id=MENTEE
    )
    assert reply.json()["response_action"] == "errors" and "comment" in reply.json()["errors"]
    reply = slack.submit(view, modal_values(view, answers_of(3, comment="x" * 501)), user_id=MENTEE)
    # Refused at the edge (handlers.input_limits), before the pulse's own check.
    assert "500 characters" in reply.json()["errors"]["comment"]
    assert participation(session_factory) == [] and inbox(session_factory) == []

    # Fixed, it goes through.
    slack.submit(view, modal_values(view, answers_of(3, comment="Kind and clear.")), user_id=MENTEE)
    assert [a["comment"] for a in sealed_answers(deps)] == ["Kind and clear."]


def test_ending_the_pair_closes_its_check_in_and_sends_one_close_out(
    deps, clock, fake_slack, slack, session_factory, pair_id
):
    runner = Clock(deps)
    runner.tick()
    dm, channel, message = invitation(fake_slack)

    clock.advance(days=1)
    slack.command(f"unpair <@{MENTOR}> <@{MENTEE}>", user_id=ADMIN)
    slack.click(
        OPEN_ACTION, user_id=MENTEE, value=button(dm.blocks)["value"], message=message, channel_id=channel
    )
    assert "pair that has since ended" in fake_slack.last("response_url").args["text"]

    runner.tick()  # Thursday 09:00 in New York: inside the mentee's hours
    runner.tick()
    [_first, close_out] = fake_slack.dms_to(MENTEE)
    assert "has ended — one last check-in?" in close_out.text_of_blocks()
    view = open_modal(slack, fake_slack, dm=close_out)
    slack.submit(view, modal_values(view, answers_of(4)), user_id=MENTEE)

    assert [(p.pair_id, p.number) for p in participation(session_factory)] == [(pair_id, CLOSE_OUT)]
    # The first round's reminder never goes out: its pair ended.
    clock.set(FIRST_DUE + timedelta(days=8))
    runner.tick()
    assert len(fake_slack.dms_to(MENTEE)) == 2
    assert [r.number for r in rounds(session_factory, RoundKind.MENTEE)] == [1, CLOSE_OUT]


def test_a_button_from_an_old_period_is_refused(deps, clock, fake_slack, slack, session_factory, pair_id):
    runner = Clock(deps)
    runner.tick()
    old_dm, channel, message = invitation(fake_slack)

    clock.set(FIRST_DUE + timedelta(days=61))  # the next period (Monday 5 April): pulse 2 is sent
    runner.tick()
    slack.click(
        OPEN_ACTION, user_id=MENTEE, value=button(old_dm.blocks)["value"], message=message, channel_id=channel
    )

    assert "has closed" in fake_slack.last("response_url").args["text"]
    assert [r.number for r in rounds(session_factory, RoundKind.MENTEE)] == [1, 2]
    # Pulse 1 and pulse 2: pulse 1's reminder was due while pulse 1 was open, and the clock
    # only came back after it closed — a reminder for a closed check-in is never sent.
    assert len(fake_slack.dms_to(MENTEE)) == 2


def test_a_paused_mentee_gets_the_check_in_after_the_pause_while_it_is_open(
    deps, clock, fake_slack, slack, session_factory, pair_id
):
    clock.set(FIRST_DUE - timedelta(days=2))
    slack.command("pause until 2027-02-07", user_id=MENTEE)  # through Sunday 7 February
    runner = Clock(deps)
    clock.set(FIRST_DUE)
    runner.tick()
    assert fake_slack.dms_to(MENTEE) == []

    clock.set(FIRST_DUE + timedelta(days=5))  # Monday 8 February, 09:00 in New York
    runner.tick()
    [dm] = fake_slack.dms_to(MENTEE)
    assert "A one-minute check-in" in dm.text_of_blocks()


def test_a_pause_that_starts_after_the_check_in_was_queued_holds_it_until_the_pause_ends(
    deps, clock, fake_slack, slack, session_factory, pair_id
):
    clock.set(FIRST_DUE - timedelta(hours=6))  # 03:00 in New York: queued for 08:00
    with session_factory.begin() as session:
        session.get(Pair, pair_id).next_pulse_at = clock.now
        session.get(Pair, pair_id).started_at -= timedelta(hours=6)
    runner = Clock(deps)
    runner.tick()
    assert [d.status for d in _deliveries(session_factory, "pulse")] == [DeliveryStatus.PENDING]

    slack.command("pause 3d", user_id=MENTEE)  # the queued invitation is cancelled…
    runner.tick()
    clock.set(FIRST_DUE + timedelta(days=1))
    runner.tick()
    assert fake_slack.dms_to(MENTEE) == []

    clock.set(FIRST_DUE + timedelta(days=5))  # …and re-queued for after the pause
    runner.tick()
    assert len(fake_slack.dms_to(MENTEE)) == 1
    statuses = [d.status for d in _deliveries(session_factory, "pulse")]
    assert statuses == [DeliveryStatus.CANCELLED, DeliveryStatus.SENT]
    assert mentee_round(session_factory, pair_id).status == RoundStatus.SENT


def test_a_stopped_mentee_is_not_asked(deps, clock, fake_slack, slack, session_factory, pair_id):
    clock.set(FIRST_DUE - timedelta(days=1))
    slack.command("stop", user_id=MENTEE)
    clock.set(FIRST_DUE)
    runner = Clock(deps)
    runner.tick()
    slack.command("start", user_id=MENTEE)
    clock.advance(days=6)
    runner.tick()

    assert [d for d in fake_slack.dms_to(MENTEE) if "check-in" in d.text_of_blocks()] == []
    assert mentee_round(session_factory, pair_id).status == RoundStatus.SKIPPED


def test_ticking_twice_sends_each_check_in_once(deps, clock, fake_slack, session_factory, pair_id):
    runner = Clock(deps)
    for _ in range(3):
        runner.tick()
    assert len(fake_slack.dms_to(MENTEE)) == 1 and len(fake_slack.dms_to(MENTOR)) == 1
    with session_factory() as session:
        assert len(session.scalars(select(PulseRound)).all()) == 2


def _deliveries(session_factory, kind, recipient=MENTEE):
    with session_factory() as session:
        query = select(Delivery).where(Delivery.kind == kind, Delivery.recipient == recipient)
        return list(session.scalars(query.order_by(Delivery.id)))


@pytest.mark.parametrize("value", ["²", "9" * 30, "-1", "12abc"])
def test_a_forged_button_value_or_metadata_is_refused_plainly(
    deps, clock, fake_slack, slack, session_factory, pair_id, value
):
    Clock(deps).tick()
    _dm, channel, message = invitation(fake_slack)
    slack.click(OPEN_ACTION, user_id=MENTEE, value=value, message=message, channel_id=channel)
    assert "can't find that check-in" in fake_slack.last("response_url").args["text"]

    view = open_modal(slack, fake_slack)
    reply = slack.submit(
        {**view, "private_metadata": f"{value}||"}, modal_values(view, answers_of(3)), user_id=MENTEE
    )
    assert "can't find that check-in" in str(reply.json()["view"])
    assert participation(session_factory) == [] and inbox(session_factory) == []


def test_no_check_in_about_a_mentor_who_is_no_longer_active(
    deps, clock, fake_slack, slack, session_factory, pair_id
):
    clock.set(FIRST_DUE - timedelta(hours=6))  # queued for 08:00 in New York…
    with session_factory.begin() as session:
        session.get(Pair, pair_id).next_pulse_at = clock.now
        session.get(Pair, pair_id).started_at -= timedelta(hours=6)
    runner = Clock(deps)
    runner.tick()
    with session_factory.begin() as session:  # …and the mentor's account is deactivated before then
        mentor = session.scalars(select(Person).where(Person.user_id == MENTOR)).one()
        mentor.is_active = False
    clock.set(FIRST_DUE)
    runner.tick()

    assert fake_slack.dms_to(MENTEE) == []
    [row] = _deliveries(session_factory, "pulse")
    assert row.status == DeliveryStatus.CANCELLED and "no longer active" in row.error

    # The next period is not even planned as an invitation: the round is skipped.
    clock.set(FIRST_DUE + timedelta(days=61))
    runner.tick()
    assert fake_slack.dms_to(MENTEE) == []
    assert [r.status for r in rounds(session_factory, RoundKind.MENTEE)][-1] == RoundStatus.SKIPPED


def test_an_invitation_whose_sending_was_interrupted_is_open_listed_and_reminded_once(
    deps, clock, fake_slack, slack, session_factory, pair_id
):
    # Slack fails while posting both invitations (mentee's and mentor's): they may have
    # arrived, so they are never resent; their rounds are open like sent ones.
    fake_slack.http_error("chat.postMessage", 500, times=2)
    runner = Clock(deps)
    runner.tick()
    assert [d.status for d in _deliveries(session_factory, "pulse")] == [DeliveryStatus.INTERRUPTED]
    clock.advance(minutes=1)
    runner.tick()

    found = mentee_round(session_factory, pair_id)
    assert found.status == RoundStatus.SENT
    assert found.reminder_due_at == FIRST_DUE + timedelta(days=5, minutes=1)  # three working days on
    listed = str(slack.command("pulse", user_id=MENTEE).json()["blocks"])
    assert "Check-in about your mentoring with" in listed and OPEN_ACTION in listed

    clock.set(found.reminder_due_at)
    runner.tick()
    clock.advance(days=3)
    runner.tick()
    # The failed try, then one reminder: never the invitation again.
    [tried, reminder] = fake_slack.dms_to(MENTEE)
    assert "only reminder" not in tried.text_of_blocks() and "only reminder" in reminder.text_of_blocks()
    assert len(fake_slack.messages[MENTEE_DM]) == 1
