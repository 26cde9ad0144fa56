"""Nudges end to end: clock tick → DM in the fake Slack → signed clicks → answers → chat.update."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.db import transaction
from bot.library.types import PRACTICES
from bot.models import Delivery, DeliveryStatus, NudgeAnswer, NudgeOrigin, Pair, Person
from bot.nudges.blocks import (
    CHANGE,
    DONE,
    NOTE,
    NOTE_VIEW,
    REMIND,
    SKIP,
)
from bot.nudges.delivery import record_nudge
from schedules.clock import Clock
from tests.conftest import ADMIN, MENTEE, MENTOR
from tests.fakes.block_limits import message_errors
from tests.fakes.clock import MovableClock
from tests.nudge_helpers import answers, deliveries, make_mentor, nudge_with_followup, person, sends

# Tuesday 1 December 2026, 09:30 in London (GMT): the default nudge slot.
SLOT = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
LONDON = ZoneInfo("Europe/London")


@pytest.fixture
def clock():
    return MovableClock(SLOT - timedelta(minutes=30))


@pytest.fixture
def mentor_id(session_factory, clock):
    return make_mentor(session_factory, MENTOR, now=clock.now, tz="Europe/London")


def deliver_first_nudge(deps, clock, fake_slack):
    clock_runner = Clock(deps)
    clock_runner.tick()
    assert fake_slack.dms_to(MENTOR) == []  # 09:00: nothing yet
    clock.set(SLOT)
    clock_runner.tick()
    [call] = fake_slack.dms_to(MENTOR)
    channel = "D" + MENTOR[1:]
    [message] = fake_slack.messages[channel]
    return call, channel, message


def button(blocks, action_id):
    for block in blocks:
        for element in block.get("elements", []):
            if element.get("action_id") == action_id:
                return element
    raise AssertionError(f"no {action_id} in {blocks}")


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


def open_note_modal(slack, fake_slack, call, message, channel):
    slack.click(
        NOTE, user_id=MENTOR, value=button(call.blocks, NOTE)["value"], message=message, channel_id=channel
    )
    opened = fake_slack.last("views.open")
    assert opened.view["callback_id"] == NOTE_VIEW
    return opened.view


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


# --- the back-off check-in --------------------------------------------------------------


def ignore_three_nudges(deps, clock, fake_slack):
    """Four Tuesdays of ticks with no answers: three nudges, then the check-in."""
    runner = Clock(deps)
    for week in range(4):
        clock.set(SLOT + timedelta(weeks=week))
        runner.tick()
    check_in = fake_slack.dms_to(MENTOR)[-1]
    assert "every other Tuesday" in check_in.text_of_blocks()
    channel = "D" + MENTOR[1:]
    return check_in, channel, fake_slack.messages[channel][-1]


@pytest.mark.parametrize(
    ("action_id", "level", "says"),
    [
        ("nudge_pace_fewer", 1, "nudges will come every other Tuesday"),
        ("nudge_pace_keep", 0, "Back to every Tuesday"),
    ],
)
def test_the_check_in_buttons_set_the_pace_and_update_the_message(
    deps, clock, fake_slack, slack, session_factory, mentor_id, action_id, level, says
):
    check_in, channel, message = ignore_three_nudges(deps, clock, fake_slack)
    labels = [e["text"]["text"] for e in check_in.blocks[1]["elements"]]
    assert labels == ["Fewer nudges", "Pause for a month", "Keep as is"]

    slack.click(
        action_id,
        user_id=MENTOR,
        value=button(check_in.blocks, action_id)["value"],
        message=message,
        channel_id=channel,
    )

    mentor = person(session_factory, mentor_id)
    assert (mentor.backoff_level, mentor.unanswered_streak) == (level, 0)
    update = fake_slack.last("chat.update")
    assert update.args["ts"] == message["ts"] and says in update.text_of_blocks()
    assert "actions" not in str(update.blocks)  # the choice is made; the buttons are gone
    # Next Tuesday: weekly again after "Keep as is"; nothing after "Fewer nudges" (every
    # other week, counted from the check-in).
    clock.set(SLOT + timedelta(weeks=4))
    Clock(deps).tick()
    assert len(fake_slack.dms_to(MENTOR)) == (5 if level == 0 else 4)


def test_pause_for_a_month_from_the_check_in(deps, clock, fake_slack, slack, session_factory, mentor_id):
    check_in, channel, message = ignore_three_nudges(deps, clock, fake_slack)

    slack.click(
        "nudge_pace_pause",
        user_id=MENTOR,
        value=button(check_in.blocks, "nudge_pace_pause")["value"],
        message=message,
        channel_id=channel,
    )

    mentor = person(session_factory, mentor_id)
    # Four whole weeks in the mentor's zone: back at local midnight on Tuesday 19 January.
    assert mentor.paused_until.astimezone(LONDON) == datetime(2027, 1, 19, tzinfo=LONDON)
    assert mentor.pause_reason == "break"
    assert "nudges pick up again on Tuesday 19 January" in fake_slack.last("chat.update").text_of_blocks()
    runner = Clock(deps)
    for week in range(4, 10):
        clock.set(SLOT + timedelta(weeks=week))
        runner.tick()
    sent = [s.planned_for for s in sends(session_factory)]
    # Nothing until the pause ends (Tuesday 19 January), then every other week.
    assert sent[3:] == [SLOT + timedelta(weeks=8)]
    clock.set(SLOT + timedelta(weeks=10))
    runner.tick()
    assert [s.planned_for for s in sends(session_factory)][4:] == [SLOT + timedelta(weeks=10)]


def test_someone_else_cannot_answer_the_check_in(deps, clock, fake_slack, slack, session_factory, mentor_id):
    check_in, channel, message = ignore_three_nudges(deps, clock, fake_slack)

    slack.click(
        "nudge_pace_keep",
        user_id=MENTEE,
        value=button(check_in.blocks, "nudge_pace_keep")["value"],
        message=message,
        channel_id=channel,
    )

    assert person(session_factory, mentor_id).backoff_level == 1
    assert "sent to someone else" in fake_slack.last("response_url").args["text"]


def test_a_note_can_be_added_to_an_answered_nudge_and_keeps_the_answer(
    deps, clock, fake_slack, slack, session_factory, mentor_id
):
    call, channel, message = deliver_first_nudge(deps, clock, fake_slack)
    slack.click(
        SKIP, user_id=MENTOR, value=button(call.blocks, SKIP)["value"], message=message, channel_id=channel
    )
    answered = fake_slack.last("chat.update").blocks
    slack.click(
        NOTE, user_id=MENTOR, value=button(answered, NOTE)["value"], message=message, channel_id=channel
    )

    slack.submit(
        fake_slack.last("views.open").view,
        {"note": {"note": {"type": "plain_text_input", "value": "Ward was on fire today; next week."}}},
        user_id=MENTOR,
    )

    [answer] = answers(session_factory)
    assert (answer.answer, answer.note) == ("skip", "Ward was on fire today; next week.")
    shown = fake_slack.last("chat.update").text_of_blocks()
    assert "Skipped — no problem" in shown and "Your note is saved" in shown


def test_an_expired_trigger_tells_the_mentor_to_click_again(
    deps, clock, fake_slack, slack, session_factory, mentor_id
):
    call, channel, message = deliver_first_nudge(deps, clock, fake_slack)
    fake_slack.fail("views.open", "expired_trigger_id")

    slack.click(
        NOTE, user_id=MENTOR, value=button(call.blocks, NOTE)["value"], message=message, channel_id=channel
    )

    assert "click *Add a note* again" in fake_slack.last("response_url").args["text"]


def test_a_busy_slack_gets_one_try_at_the_note_box_and_the_mentor_is_asked_to_click_again(
    deps, clock, fake_slack, slack, session_factory, mentor_id
):
    call, channel, message = deliver_first_nudge(deps, clock, fake_slack)
    fake_slack.rate_limit("views.open", retry_after=1)

    slack.click(
        NOTE, user_id=MENTOR, value=button(call.blocks, NOTE)["value"], message=message, channel_id=channel
    )

    assert len(fake_slack.calls_to("views.open")) == 1
    assert "click *Add a note* again" in fake_slack.last("response_url").args["text"]


# --- saved, but the message could not be refreshed ---------------------------------------


def test_an_answer_slack_wont_show_in_the_message_is_confirmed_ephemerally(
    deps, clock, fake_slack, slack, session_factory, mentor_id
):
    call, channel, message = deliver_first_nudge(deps, clock, fake_slack)
    fake_slack.fail("chat.update", "cant_update_message")

    slack.click(
        DONE, user_id=MENTOR, value=button(call.blocks, DONE)["value"], message=message, channel_id=channel
    )

    [answer] = answers(session_factory)
    assert answer.answer == "done"
    told = fake_slack.last("response_url").args
    assert told["text"] == "Saved: Done — I couldn't refresh the message above."
    assert told["response_type"] == "ephemeral" and told["replace_original"] is False


def test_a_note_slack_wont_show_in_the_message_is_confirmed_by_dm(
    deps, clock, fake_slack, slack, session_factory, mentor_id
):
    call, channel, message = deliver_first_nudge(deps, clock, fake_slack)
    view = open_note_modal(slack, fake_slack, call, message, channel)
    fake_slack.fail("chat.update", "message_not_found")

    slack.submit(
        view, {"note": {"note": {"type": "plain_text_input", "value": "Quick debrief."}}}, user_id=MENTOR
    )

    [answer] = answers(session_factory)
    assert answer.note == "Quick debrief."
    assert (
        fake_slack.dms_to(MENTOR)[-1].args["text"]
        == "Saved: your note — I couldn't refresh the message above."
    )


def test_a_pace_choice_slack_wont_show_in_the_message_is_confirmed_ephemerally(
    deps, clock, fake_slack, slack, session_factory, mentor_id
):
    check_in, channel, message = ignore_three_nudges(deps, clock, fake_slack)
    fake_slack.fail("chat.update", "cant_update_message")

    slack.click(
        "nudge_pace_keep",
        user_id=MENTOR,
        value=button(check_in.blocks, "nudge_pace_keep")["value"],
        message=message,
        channel_id=channel,
    )

    assert person(session_factory, mentor_id).backoff_level == 0
    told = fake_slack.last("response_url").args["text"]
    assert told.startswith("Saved: Keep as is — I couldn't refresh the message above. Back to")


def test_mentor_nudge_names_the_command_that_turns_messages_back_on(
    deps, clock, fake_slack, slack, session_factory, mentor_id
):
    slack.command("stop", user_id=MENTOR)
    stopped = slack.command("nudge", user_id=MENTOR).json()["text"]
    slack.command("start", user_id=MENTOR)
    slack.command("pause 1w", user_id=MENTOR)
    paused = slack.command("nudge", user_id=MENTOR).json()["text"]

    assert "Type `/mentor start` to turn them back on, then ask again." in stopped
    assert "Type `/mentor resume` to end the pause, then ask again." in paused
    assert "/mentor help" not in stopped + paused
    assert sends(session_factory) == []


# --- a pair that ends while a nudge naming the mentee is queued ----------------------------


def queue_nudge(session_factory, mentor_id, mentee_user, due_at, key):
    """A nudge in the outbox for `due_at`, naming `mentee_user` (or no one)."""
    nudge = nudge_with_followup()
    with transaction(session_factory) as session:
        mentee = (
            session.scalars(select(Person).where(Person.user_id == mentee_user)).one()
            if mentee_user
            else None
        )
        send = record_nudge(
            session,
            person=session.get(Person, mentor_id),
            dedupe_key=key,
            nudge_key=nudge.key,
            practice=nudge.practice,
            mentee_id=mentee.id if mentee else None,
            origin=NudgeOrigin.REMINDER,
            due_at=due_at,
            expires_at=None,
        )
        session.flush()
        return send.delivery_id


def status_of(session_factory, delivery_id):
    with session_factory() as session:
        row = session.get(Delivery, delivery_id)
        return row.status, row.error


def test_unpairing_cancels_queued_nudges_that_name_the_mentee_and_keeps_the_others(
    deps, clock, fake_slack, slack, session_factory
):
    mentor_id = make_mentor(session_factory, MENTOR, now=clock.now, mentees=(MENTEE, "U0MENTEE2"))
    tomorrow = SLOT + timedelta(days=1)
    about_sam = queue_nudge(session_factory, mentor_id, MENTEE, tomorrow, "nudge-remind:test:1")
    about_other = queue_nudge(session_factory, mentor_id, "U0MENTEE2", tomorrow, "nudge-remind:test:2")

    said = slack.command(f"unpair <@{MENTOR}> <@{MENTEE}>", user_id=ADMIN).json()["text"]

    assert said.startswith("Done:")
    assert status_of(session_factory, about_sam) == (
        DeliveryStatus.CANCELLED,
        "not sent: the pair it names has ended",
    )
    assert status_of(session_factory, about_other)[0] == DeliveryStatus.PENDING
    clock.set(tomorrow)
    fake_slack.reset_calls()
    Clock(deps).tick()
    [dm] = fake_slack.dms_to(MENTOR)
    assert MENTEE not in str(dm.args)


def test_a_queued_nudge_about_an_ended_pair_is_cancelled_when_it_comes_to_be_sent(
    deps, clock, fake_slack, slack, session_factory, mentor_id
):
    queued = queue_nudge(session_factory, mentor_id, MENTEE, clock.now, "nudge-remind:test:3")
    with transaction(session_factory) as session:  # ended some other way, e.g. mid-claim
        for pair in session.scalars(select(Pair)):
            pair.ended_at = clock.now

    Clock(deps).tick()

    assert fake_slack.dms_to(MENTOR) == []
    assert status_of(session_factory, queued) == (
        DeliveryStatus.CANCELLED,
        "the pair this nudge names has ended",
    )


def test_a_queued_nudge_for_a_mentor_with_no_mentee_left_is_cancelled(
    deps, clock, fake_slack, slack, session_factory, mentor_id
):
    queued = queue_nudge(session_factory, mentor_id, None, clock.now, "nudge-remind:test:4")
    with transaction(session_factory) as session:
        for pair in session.scalars(select(Pair)):
            pair.ended_at = clock.now

    Clock(deps).tick()

    assert fake_slack.dms_to(MENTOR) == []
    assert status_of(session_factory, queued) == (
        DeliveryStatus.CANCELLED,
        "the mentor has no active mentee any more",
    )
