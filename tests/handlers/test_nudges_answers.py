"""Nudges end to end: the DM, the answer buttons and the note modal."""

from __future__ import annotations

from datetime import timedelta

from bot.db import transaction
from bot.library.types import PRACTICES
from bot.models import DeliveryStatus, NudgeAnswer, NudgeOrigin, Person
from bot.nudges.blocks import (
    CHANGE,
    DONE,
    NOTE,
    REMIND,
    SKIP,
)
from bot.nudges.delivery import record_nudge
from schedules.clock import Clock
from tests.conftest import MENTEE, MENTOR
from tests.fakes.block_limits import message_errors
from tests.handlers.nudges_support import SLOT, button, deliver_first_nudge, open_note_modal
from tests.handlers.nudges_support import clock as clock  # a pytest fixture
from tests.handlers.nudges_support import mentor_id as mentor_id  # a pytest fixture
from tests.nudge_helpers import answers, deliveries, nudge_with_followup, person, sends


def test_tick_sends_the_dm_and_a_click_records_the_answer_and_updates_the_message(
    deps, clock, fake_slack, slack, session_factory, mentor_id
):
    call, channel, message = deliver_first_nudge(deps, clock, fake_slack)

    [send] = sends(session_factory)
    assert send.sent_at == SLOT and send.channel == channel and send.ts == message["ts"]
    assert send.origin == NudgeOrigin.SCHEDULED and send.practice in PRACTICES
    labels = [e["text"]["text"] for e in call.blocks[-1]["elements"]]
    assert labels == ["Done", "Remind me tomorrow", "Skip this one", "Add a note"]
    assert PRACTICES[send.practice].title in call.text_of_blocks()

    clock.advance(minutes=7)
    reply = slack.click(
        DONE,
        user_id=MENTOR,
        value=button(call.blocks, DONE)["value"],
        message=message,
        channel_id=channel,
    )

    assert reply.status == 200
    [answer] = answers(session_factory)
    assert answer.answer == "done" and answer.person_id == mentor_id
    assert answer.answered_at == clock.now and answer.response_seconds == 7 * 60
    update = fake_slack.last("chat.update")
    assert update.args["channel"] == channel and update.args["ts"] == message["ts"]
    assert "Marked done — thank you" in update.text_of_blocks()
    assert fake_slack.messages[channel][0]["blocks"] == update.blocks  # updated in place


def test_a_second_click_changes_the_answer_instead_of_adding_one(
    deps, clock, fake_slack, slack, session_factory, mentor_id
):
    call, channel, message = deliver_first_nudge(deps, clock, fake_slack)
    value = button(call.blocks, DONE)["value"]
    slack.click(DONE, user_id=MENTOR, value=value, message=message, channel_id=channel)
    clock.advance(hours=1)

    # From the (now updated) message's overflow menu…
    overflow = button(fake_slack.last("chat.update").blocks, CHANGE)
    skip_option = next(o for o in overflow["options"] if o["value"].startswith("skip:"))
    slack.click(
        CHANGE,
        user_id=MENTOR,
        selected_option=skip_option,
        action_type="overflow",
        message=message,
        channel_id=channel,
    )
    # …and a stale copy of the original buttons (another device) still works.
    slack.click(SKIP, user_id=MENTOR, value=value, message=message, channel_id=channel)

    [answer] = answers(session_factory)
    assert answer.answer == "skip"
    assert answer.first_answered_at == SLOT and answer.answered_at == clock.now
    assert "Skipped — no problem" in fake_slack.last("chat.update").text_of_blocks()


def test_only_the_recipient_can_answer(deps, clock, fake_slack, slack, session_factory, mentor_id):
    call, channel, message = deliver_first_nudge(deps, clock, fake_slack)

    slack.click(
        DONE, user_id=MENTEE, value=button(call.blocks, DONE)["value"], message=message, channel_id=channel
    )

    assert answers(session_factory) == []
    assert fake_slack.calls_to("chat.update") == []
    [said] = fake_slack.calls_to("response_url")
    assert "sent to someone else" in said.args["text"] and said.args["response_type"] == "ephemeral"


def test_a_forged_button_value_changes_nothing_and_says_so(
    deps, clock, fake_slack, slack, session_factory, mentor_id
):
    _call, channel, message = deliver_first_nudge(deps, clock, fake_slack)

    slack.click(DONE, user_id=MENTOR, value="999999", message=message, channel_id=channel)

    assert answers(session_factory) == []
    assert "can't find that nudge" in fake_slack.last("response_url").args["text"]


def test_followup_question_after_done_is_recorded_in_one_tap(
    deps, clock, fake_slack, slack, session_factory, mentor_id
):
    nudge = nudge_with_followup()
    with transaction(session_factory) as session:
        record_nudge(
            session,
            person=session.get(Person, mentor_id),
            dedupe_key="nudge-ask:test",
            nudge_key=nudge.key,
            practice=nudge.practice,
            mentee_id=None,
            origin=NudgeOrigin.REQUESTED,
            due_at=clock.now,
            expires_at=None,
        )
    Clock(deps).tick()
    [call] = fake_slack.dms_to(MENTOR)
    channel = "D" + MENTOR[1:]
    message = fake_slack.messages[channel][0]

    slack.click(
        DONE, user_id=MENTOR, value=button(call.blocks, DONE)["value"], message=message, channel_id=channel
    )
    done = fake_slack.last("chat.update")
    assert nudge.followup.question in done.text_of_blocks()
    second_choice = button(done.blocks, "nudge_followup_1")
    assert second_choice["text"]["text"] == nudge.followup.choices[1]
    slack.click(
        "nudge_followup_1", user_id=MENTOR, value=second_choice["value"], message=message, channel_id=channel
    )

    [answer] = answers(session_factory)
    assert answer.answer == "done" and answer.followup_choice == nudge.followup.choices[1]
    final = fake_slack.last("chat.update").text_of_blocks()
    assert f"{nudge.followup.question} — *{nudge.followup.choices[1]}*" in final


def test_a_note_with_a_patient_identifier_is_refused_and_nothing_is_stored(
    deps, clock, fake_slack, slack, session_factory, mentor_id
):
    call, channel, message = deliver_first_nudge(deps, clock, fake_slack)
    view = open_note_modal(slack, fake_slack, call, message, channel)

    reply = slack.submit(
        view,
        {"note": {"note": {"type": "plain_text_input", "value": "Talked through MRN 12345678's case"}}},
        user_id=MENTOR,
    )

    body = reply.json()
    assert body["response_action"] == "errors"
    assert "medical record or patient number" in body["errors"]["note"]
    assert answers(session_factory) == []
    assert fake_slack.calls_to("chat.update") == []


def test_a_clean_note_is_saved_on_an_unanswered_nudge_and_shown(
    deps, clock, fake_slack, slack, session_factory, mentor_id
):
    call, channel, message = deliver_first_nudge(deps, clock, fake_slack)
    view = open_note_modal(slack, fake_slack, call, message, channel)

    reply = slack.submit(
        view,
        {"note": {"note": {"type": "plain_text_input", "value": "Good chat over coffee."}}},
        user_id=MENTOR,
    )

    assert reply.status == 200 and reply.body in (b"", b"{}")
    [answer] = answers(session_factory)
    assert answer.note == "Good chat over coffee." and answer.answer is None
    assert "Your note is saved" in fake_slack.last("chat.update").text_of_blocks()
    assert person(session_factory, mentor_id).unanswered_streak == 0

    # Editing it later shows the note in the modal again.
    updated = fake_slack.last("chat.update").blocks
    slack.click(
        NOTE, user_id=MENTOR, value=button(updated, NOTE)["value"], message=message, channel_id=channel
    )
    assert "Good chat over coffee." in str(fake_slack.last("views.open").view)


def test_remind_me_tomorrow_sends_the_same_nudge_at_tomorrows_slot(
    deps, clock, fake_slack, slack, session_factory, mentor_id
):
    call, channel, message = deliver_first_nudge(deps, clock, fake_slack)
    value = button(call.blocks, REMIND)["value"]

    slack.click(REMIND, user_id=MENTOR, value=value, message=message, channel_id=channel)
    slack.click(
        REMIND, user_id=MENTOR, value=value, message=message, channel_id=channel
    )  # twice: one reminder

    original, reminder = sends(session_factory)
    assert reminder.origin == NudgeOrigin.REMINDER and reminder.reminder_of_id == original.id
    assert reminder.nudge_key == original.nudge_key
    assert reminder.planned_for == SLOT + timedelta(days=1)  # Wednesday 09:30 London
    assert "on Wednesday at 09:30" in fake_slack.last("chat.update").text_of_blocks()

    clock.set(SLOT + timedelta(days=1))
    Clock(deps).tick()
    first, second = fake_slack.dms_to(MENTOR)
    assert "Your reminder" in second.text_of_blocks()
    assert second.args["text"] == first.args["text"]


def test_changing_a_remind_answer_cancels_the_reminder_not_yet_sent(
    deps, clock, fake_slack, slack, session_factory, mentor_id
):
    call, channel, message = deliver_first_nudge(deps, clock, fake_slack)
    value = button(call.blocks, REMIND)["value"]
    slack.click(REMIND, user_id=MENTOR, value=value, message=message, channel_id=channel)
    slack.click(DONE, user_id=MENTOR, value=value, message=message, channel_id=channel)

    reminder = next(d for d in deliveries(session_factory) if d.dedupe_key.startswith("nudge-remind:"))
    assert reminder.status == DeliveryStatus.CANCELLED
    clock.set(SLOT + timedelta(days=1))
    Clock(deps).tick()
    assert len(fake_slack.dms_to(MENTOR)) == 1

    # Back to "remind me": the same row is re-armed rather than a second one added.
    slack.click(REMIND, user_id=MENTOR, value=value, message=message, channel_id=channel)
    reminders = [d for d in deliveries(session_factory) if d.dedupe_key.startswith("nudge-remind:")]
    assert [r.status for r in reminders] == [DeliveryStatus.PENDING]


def test_mentor_nudge_queues_one_for_the_next_tick_and_refuses_a_quick_second(
    deps, clock, fake_slack, slack, session_factory, mentor_id
):
    first = slack.command("nudge", user_id=MENTOR).json()
    second = slack.command("nudge", user_id=MENTOR).json()

    assert first["response_type"] == "ephemeral" and "On its way" in first["text"]
    assert "already on its way" in second["text"]
    Clock(deps).tick()
    assert len(fake_slack.dms_to(MENTOR)) == 1
    [send] = sends(session_factory)
    assert send.origin == NudgeOrigin.REQUESTED and send.sent_at == clock.now
    assert PRACTICES[send.practice].title in first["text"]

    clock.advance(minutes=11)
    assert "On its way" in slack.command("nudge", user_id=MENTOR).json()["text"]


def test_a_nudge_asked_for_late_in_the_evening_still_comes_at_once(
    deps, clock, fake_slack, slack, session_factory, mentor_id
):
    clock.set(clock.now.replace(hour=21))  # 21:00 in London: outside the mentor's hours

    assert "On its way" in slack.command("nudge", user_id=MENTOR).json()["text"]
    Clock(deps).tick()

    assert len(fake_slack.dms_to(MENTOR)) == 1


def test_mentor_nudge_explains_why_not_to_people_without_a_mentee(slack, fake_slack):
    reply = slack.command("nudge", user_id=MENTEE).json()

    assert reply["response_type"] == "ephemeral"
    assert "don't have an active mentee yet" in reply["text"]


def test_mentor_history_lists_recent_nudges_with_answers(
    deps, clock, fake_slack, slack, session_factory, mentor_id
):
    empty = slack.command("history", user_id=MENTOR).json()
    assert "No nudges yet" in str(empty["blocks"])

    call, channel, message = deliver_first_nudge(deps, clock, fake_slack)
    slack.click(
        DONE, user_id=MENTOR, value=button(call.blocks, DONE)["value"], message=message, channel_id=channel
    )

    reply = slack.command("history", user_id=MENTOR).json()

    assert reply["response_type"] == "ephemeral"
    shown = str(reply["blocks"])
    [send] = sends(session_factory)
    assert "Tue 1 Dec" in shown and PRACTICES[send.practice].title in shown and "✅ Done" in shown


def test_mentor_history_stays_within_block_limits_with_many_long_nudges(
    deps, clock, fake_slack, slack, session_factory, mentor_id
):
    nudge = nudge_with_followup()
    with transaction(session_factory) as session:
        mentor = session.get(Person, mentor_id)
        for i in range(15):
            send = record_nudge(
                session,
                person=mentor,
                dedupe_key=f"k{i}",
                nudge_key=nudge.key,
                practice=nudge.practice,
                mentee_id=None,
                origin=NudgeOrigin.REQUESTED,
                due_at=clock.now - timedelta(days=i),
                expires_at=None,
            )
            send.sent_at = clock.now - timedelta(days=i)
            session.flush()
            session.add(
                NudgeAnswer(
                    team_id=send.team_id,
                    nudge_send_id=send.id,
                    person_id=mentor_id,
                    answer="done",
                    note="x" * 1000,
                )
            )

    reply = slack.command("history", user_id=MENTOR)

    assert reply.status == 200
    assert str(reply.json()["blocks"]).count("✅ Done") == 10
    # The fake Slack checks what goes through its API; a reply in the ack is checked here.
    assert message_errors(reply.json()["text"], reply.json()["blocks"]) == []
