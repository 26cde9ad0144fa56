"""`/mentor settings | timezone | pause | resume | stop | start`, the settings modal and its
buttons, end to end: signed requests into the real app, the fake Slack on the other side."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.db import transaction
from bot.models import Delivery, DeliveryStatus, Person
from bot.outbox import enqueue_message
from bot.people import ensure_person
from bot.profiles import person_with_profile
from schedules.kinds import all_kinds
from schedules.sender import Sender
from tests.conftest import MENTEE, MENTOR
from tests.fakes.block_limits import view_errors
from tests.fakes.clock import MovableClock
from tests.fakes.slack_api import TEAM_ID
from tests.fakes.view_state import option, state_from_view

# Tuesday 1 December 2026, 14:00 UTC (14:00 in London, where MENTOR lives).
NOW = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)


@pytest.fixture
def clock():
    return MovableClock(NOW)


def know(deps, user_id=MENTOR) -> None:
    """Someone the app has met before (profile cached), so replies come in the ack."""
    person_with_profile(deps, TEAM_ID, user_id)


def planned_ahead(deps, user_id=MENTOR) -> None:
    """As if the planner had already stored this person's next slot, days away."""
    with transaction(deps.session_factory) as session:
        found = session.scalars(select(Person).where(Person.user_id == user_id)).one()
        found.next_nudge_at = deps.now() + timedelta(days=5)


def person(deps, user_id=MENTOR) -> Person:
    with deps.session_factory() as session:
        return session.scalars(select(Person).where(Person.user_id == user_id)).one()


def home_text(fake_slack, user_id=MENTOR) -> str:
    calls = [c for c in fake_slack.calls_to("views.publish") if c.args["user_id"] == user_id]
    assert calls, "Home was not published"
    return calls[-1].text_of_blocks()


def web_calls(fake_slack) -> list[str]:
    return [c.method for c in fake_slack.calls if c.method != "auth.test"]


# --- pause -----------------------------------------------------------------------------


def test_pause_answers_in_the_ack_with_the_dates_and_a_resume_button(slack, deps, fake_slack):
    know(deps)
    fake_slack.reset_calls()

    reply = slack.command("pause 2w", user_id=MENTOR)

    body = reply.json()
    assert body["response_type"] == "ephemeral"
    assert body["text"] == "Paused until Monday 14 December; messages resume Tuesday 15 December."
    assert [e["action_id"] for b in body["blocks"] if b["type"] == "actions" for e in b["elements"]] == [
        "settings.resume"
    ]
    assert person(deps).paused_until == datetime(2026, 12, 15, 0, 0, tzinfo=UTC)  # London, GMT
    # No profile fetch for someone we know; Home re-published after the change.
    assert web_calls(fake_slack) == ["views.publish"]
    assert "Paused until Monday 14 December" in home_text(fake_slack)


def test_pause_until_a_date_in_sydney(slack, deps, fake_slack):
    fake_slack.add_user("U0SYDNEY1", "dr.nguyen", tz="Australia/Sydney")
    know(deps, "U0SYDNEY1")

    body = slack.command("pause until 2027-01-10", user_id="U0SYDNEY1").json()

    assert body["text"] == "Paused until Sunday 10 January 2027; messages resume Monday 11 January 2027."
    # Midnight starting 11 January in Sydney (AEDT, UTC+11).
    assert person(deps, "U0SYDNEY1").paused_until == datetime(2027, 1, 10, 13, 0, tzinfo=UTC)


def test_mentors_are_told_when_nudges_resume(slack, deps, fake_slack):
    from bot.models import Pair

    know(deps, MENTOR)
    know(deps, MENTEE)
    with transaction(deps.session_factory) as session:
        mentor, mentee = ensure_person(session, TEAM_ID, MENTOR), ensure_person(session, TEAM_ID, MENTEE)
        session.add(Pair(team_id=TEAM_ID, mentor_id=mentor.id, mentee_id=mentee.id))

    body = slack.command("pause until 2027-01-10", user_id=MENTOR).json()

    assert body["text"] == "Paused until Sunday 10 January 2027; nudges resume Monday 11 January 2027."


def test_first_sight_reads_the_slack_zone_then_answers_through_the_response_url(slack, deps, fake_slack):
    fake_slack.add_user("U0NEWBIE1", "dr.pike", tz="America/St_Johns")

    reply = slack.command("pause 3d", user_id="U0NEWBIE1")

    assert reply.status == 200 and reply.body == b""  # acknowledged first
    answer = fake_slack.last("response_url").args
    assert answer["response_type"] == "ephemeral"
    assert answer["text"] == "Paused until Thursday 3 December; messages resume Friday 4 December."
    # Friday 00:00 in St John's (UTC−03:30).
    assert person(deps, "U0NEWBIE1").paused_until == datetime(2026, 12, 4, 3, 30, tzinfo=UTC)
    assert person(deps, "U0NEWBIE1").tz == "America/St_Johns"
    assert web_calls(fake_slack)[:2] == ["users.info", "response_url"]


def test_someone_slack_gives_no_zone_gets_the_program_default(slack, deps, fake_slack):
    fake_slack.add_user("U0NOZONE1", "locum", tz=None)

    slack.command("pause 1d", user_id="U0NOZONE1")

    assert fake_slack.last("response_url").args["text"].startswith("Paused until Tuesday 1 December")
    assert person(deps, "U0NOZONE1").paused_until == datetime(2026, 12, 2, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("pause 3 bananas", "I don't know the unit `bananas`"),
        ("pause 0d", "at least one day"),
        ("pause until 2020-01-01", "has already passed"),
        ("pause 400 days", "up to a year"),
        ("pause", "How long would you like to pause for?"),
    ],
)
def test_bad_pauses_get_a_specific_answer_and_change_nothing(slack, deps, fake_slack, typed, says):
    know(deps)
    fake_slack.reset_calls()

    body = slack.command(typed, user_id=MENTOR).json()

    assert body["response_type"] == "ephemeral"
    assert says in body["text"]
    assert person(deps).paused_until is None
    assert web_calls(fake_slack) == []


def test_nothing_queued_is_sent_while_paused(slack, deps, fake_slack, clock):
    know(deps)
    with transaction(deps.session_factory) as session:
        enqueue_message(
            session,
            team_id=TEAM_ID,
            recipient=MENTOR,
            dedupe_key="notice-1",
            due_at=NOW + timedelta(hours=2),
            text="A notice",
            person_id=ensure_person(session, TEAM_ID, MENTOR).id,
        )

    slack.command("pause 1w", user_id=MENTOR)
    clock.advance(hours=3)
    report = Sender(deps, all_kinds()).run_once()

    assert report.sent == 0 and fake_slack.dms_to(MENTOR) == []
    with deps.session_factory() as session:
        assert session.scalars(select(Delivery.status)).one() == DeliveryStatus.CANCELLED


def test_resume_ends_the_pause_and_replans(slack, deps, fake_slack, clock):
    know(deps)
    slack.command("pause 2w", user_id=MENTOR)
    clock.advance(days=1)
    planned_ahead(deps)

    body = slack.command("resume", user_id=MENTOR).json()

    assert body["text"] == "Your pause is over: messages are back on, inside your hours."
    assert person(deps).paused_until is None
    assert person(deps).next_nudge_at <= clock.now
    assert "Pause 2 weeks" in home_text(fake_slack)


def test_resume_when_not_paused_says_so(slack, deps):
    know(deps)

    assert "You're not paused" in slack.command("resume", user_id=MENTOR).json()["text"]


def test_the_resume_button_in_the_pause_reply_replaces_it(slack, deps, fake_slack):
    know(deps)
    slack.command("pause 2w", user_id=MENTOR)

    slack.click("settings.resume", user_id=MENTOR, message={"ts": "1.000100"}, channel_id="C0GENERAL")

    answer = fake_slack.last("response_url").args
    assert answer["replace_original"] is True and answer["response_type"] == "ephemeral"
    assert "pause is over" in answer["text"]
    assert person(deps).paused_until is None


# --- stop and start --------------------------------------------------------------------


def test_stop_opts_out_and_the_undo_button_turns_messages_back_on(slack, deps, fake_slack, clock):
    know(deps)

    body = slack.command("stop", user_id=MENTOR).json()

    assert body["response_type"] == "ephemeral"
    assert "no more messages" in body["text"]
    assert person(deps).opted_out_at == NOW
    assert "Stopped since" in home_text(fake_slack)
    undo = next(e for b in body["blocks"] if b["type"] == "actions" for e in b["elements"])
    assert undo["text"]["text"] == "Undo"

    clock.advance(minutes=1)
    planned_ahead(deps)
    slack.click(
        undo["action_id"], user_id=MENTOR, value=undo["value"], message={"ts": "1.1"}, channel_id="C0GENERAL"
    )

    answer = fake_slack.last("response_url").args
    assert answer["replace_original"] is True
    assert answer["text"].startswith("Welcome back")
    assert person(deps).opted_out_at is None
    assert person(deps).next_nudge_at <= clock.now
    assert "Pause 2 weeks" in home_text(fake_slack)


def test_start_also_undoes_a_stop(slack, deps):
    know(deps)
    slack.command("stop", user_id=MENTOR)

    body = slack.command("start", user_id=MENTOR).json()

    assert body["text"].startswith("Welcome back")
    assert person(deps).opted_out_at is None


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("stop now please", "`/mentor stop` takes nothing after it"),
        ("start again", "`/mentor start` takes nothing after it"),
        ("resume 2w", "`/mentor resume` takes nothing after it"),
        ("settings notifications", "`/mentor settings` takes nothing after it"),
    ],
)
def test_extra_words_are_refused_without_changing_anything(slack, deps, typed, says):
    know(deps)

    body = slack.command(typed, user_id=MENTOR).json()

    assert says in body["text"]
    assert person(deps).opted_out_at is None


# --- time zone -------------------------------------------------------------------------


def test_timezone_shows_the_current_zone_and_how_to_change_it(slack, deps):
    know(deps)

    body = slack.command("timezone", user_id=MENTOR).json()

    assert body["text"] == "Your time zone is Europe/London (from Slack); it's 14:00 there now."
    assert "/mentor timezone auto" in str(body["blocks"])


def test_timezone_override_and_back_to_slack(slack, deps, fake_slack):
    know(deps)

    chosen = slack.command("timezone America/St_Johns", user_id=MENTOR).json()
    assert chosen["text"] == "Your time zone is now America/St_Johns (it's 10:30 there now)."
    assert person(deps).tz_override == "America/St_Johns"
    assert "America/St_Johns (your choice)" in home_text(fake_slack)

    auto = slack.command("tz auto", user_id=MENTOR).json()
    assert auto["text"].startswith("Your time zone now follows Slack: Europe/London (from Slack)")
    assert person(deps).tz_override is None


def test_an_unknown_zone_gets_a_suggestion_and_changes_nothing(slack, deps):
    know(deps)

    body = slack.command("timezone Europe/Londn", user_id=MENTOR).json()

    assert "Did you mean `Europe/London`" in body["text"]
    assert person(deps).tz_override is None


# --- the settings modal ----------------------------------------------------------------


def open_modal(slack, fake_slack, user_id=MENTOR) -> dict:
    reply = slack.command("settings", user_id=user_id)
    assert reply.status == 200 and reply.body == b""
    call = fake_slack.last("views.open")
    assert call.args["trigger_id"].endswith(".trigger")
    return fake_slack.views[next(reversed(fake_slack.views))]


def test_settings_opens_a_valid_modal_with_the_current_settings(slack, deps, fake_slack):
    know(deps)
    fake_slack.reset_calls()

    view = open_modal(slack, fake_slack)

    assert web_calls(fake_slack)[0] == "views.open"
    assert view["callback_id"] == "settings" and view_errors(view) == []
    blocks = {b.get("block_id"): b for b in view["blocks"]}
    assert blocks["nudge_time"]["element"]["initial_time"] == "09:30"
    assert [o["value"] for o in blocks["nudge_days"]["element"]["initial_options"]] == ["1"]
    assert blocks["contact_start"]["element"]["initial_time"] == "08:00"
    assert blocks["timezone"]["element"]["initial_option"]["value"] == "auto"


def test_settings_for_someone_never_seen_opens_first_and_reads_their_profile_after(slack, deps, fake_slack):
    fake_slack.add_user("U0FRESHER", tz="Australia/Sydney")

    open_modal(slack, fake_slack, "U0FRESHER")

    assert web_calls(fake_slack)[:2] == ["views.open", "users.info"]
    assert person(deps, "U0FRESHER").tz == "Australia/Sydney"


def test_an_expired_trigger_is_explained(slack, deps, fake_slack):
    know(deps)
    fake_slack.fail("views.open", "expired_trigger_id")

    reply = slack.command("settings", user_id=MENTOR)

    assert reply.status == 200 and reply.body == b""  # acknowledged first, then views.open
    answer = fake_slack.last("response_url").args
    assert "couldn't open your settings" in answer["text"] and "expired_trigger_id" in answer["text"]
    assert answer["response_type"] == "ephemeral"


def test_submitting_bad_settings_shows_errors_beside_the_fields_and_saves_nothing(slack, deps, fake_slack):
    know(deps)
    view = open_modal(slack, fake_slack)
    values = state_from_view(
        view,
        {
            "nudge_days": {"selected_options": [option("5", "Saturday")]},
            "nudge_time": {"selected_time": "07:00"},
            "contact_end": {"selected_time": "06:00"},
            "pause_kind": {"selected_option": option("leave")},
            "pause_until": {"selected_date": "2026-11-20"},
        },
    )
    fake_slack.reset_calls()

    reply = slack.submit(view, values, user_id=MENTOR)

    body = reply.json()
    assert body["response_action"] == "errors"
    assert set(body["errors"]) == {"nudge_days", "contact_end", "pause_until"}
    assert "Saturday is in your quiet weekend" in body["errors"]["nudge_days"]
    assert "later than the start (08:00)" in body["errors"]["contact_end"]
    assert "already passed" in body["errors"]["pause_until"]
    stored = person(deps)
    assert (stored.nudge_days, stored.contact_end, stored.paused_until) == ("1", 18 * 60, None)
    assert web_calls(fake_slack) == []


def test_a_nudge_time_outside_the_allowed_hours_is_refused(slack, deps, fake_slack):
    know(deps)
    view = open_modal(slack, fake_slack)
    values = state_from_view(view, {"nudge_time": {"selected_time": "19:15"}})

    body = slack.submit(view, values, user_id=MENTOR).json()

    assert body["errors"] == {
        "nudge_time": "19:15 is outside the hours you allow messages (08:00–18:00). "
        "Pick a time inside them, or widen your hours below."
    }


def test_a_week_with_no_nudge_day_is_refused(slack, deps, fake_slack):
    know(deps)
    view = open_modal(slack, fake_slack)

    body = slack.submit(
        view, state_from_view(view, {"nudge_days": {"selected_options": []}}), user_id=MENTOR
    ).json()

    assert body["errors"] == {"nudge_days": "Choose at least one day for your nudges."}


def test_good_settings_are_saved_summarised_in_the_modal_and_shown_on_home(slack, deps, fake_slack, clock):
    know(deps)
    view = open_modal(slack, fake_slack)
    clock.advance(minutes=2)
    values = state_from_view(
        view,
        {
            "nudge_days": {"selected_options": [option("0", "Monday"), option("3", "Thursday")]},
            "nudge_time": {"selected_time": "07:45"},
            "cadence": {"selected_option": option("biweekly")},
            "contact_start": {"selected_time": "07:30"},
            "contact_end": {"selected_time": "00:00"},
            "timezone": {"selected_option": option("America/St_Johns")},
            "pause_kind": {"selected_option": option("nights")},
            "pause_until": {"selected_date": "2026-12-06"},
        },
    )

    planned_ahead(deps)
    body = slack.submit(view, values, user_id=MENTOR).json()

    assert body["response_action"] == "update"
    assert view_errors(body["view"]) == []
    summary = str(body["view"]["blocks"])
    assert "Mondays and Thursdays at 07:45, every two weeks" in summary
    assert "Paused (on nights) until Sunday 6 December" in summary
    stored = person(deps)
    assert (stored.nudge_days, stored.nudge_minute, stored.cadence) == ("0,3", 465, "biweekly")
    assert (stored.contact_start, stored.contact_end, stored.tz_override) == (450, 1440, "America/St_Johns")
    assert stored.paused_until == datetime(2026, 12, 7, 3, 30, tzinfo=UTC)
    assert stored.next_nudge_at <= clock.now  # the planner's cue
    shown = home_text(fake_slack)
    assert "Quiet hours:* 00:00–07:30 and weekends" in shown
    assert "America/St_Johns (your choice)" in shown


def test_submitting_unchanged_settings_keeps_them(slack, deps, fake_slack):
    know(deps)
    view = open_modal(slack, fake_slack)

    body = slack.submit(view, state_from_view(view), user_id=MENTOR).json()

    assert body["response_action"] == "update"
    stored = person(deps)
    assert (stored.nudge_days, stored.nudge_minute, stored.contact_start, stored.tz_override) == (
        "1",
        570,
        480,
        None,
    )


def test_help_lists_the_settings_commands(slack):
    text = str(slack.command("help", user_id=MENTEE).json()["blocks"])

    for usage in (
        "/mentor settings",
        "/mentor timezone",
        "/mentor pause 2w",
        "/mentor resume",
        "/mentor stop",
    ):
        assert usage in text


# --- a slow or busy Slack when opening the modal ----------------------------------------


def test_a_slow_views_open_still_acknowledges_in_time_and_explains(slack, deps, fake_slack):
    know(deps)
    fake_slack.slow("views.open", 3.5)  # longer than the trigger lives

    reply = slack.command("settings", user_id=MENTOR)

    assert reply.status == 200 and reply.body == b""  # acknowledged before views.open
    answer = fake_slack.last("response_url").args
    assert answer["response_type"] == "ephemeral"
    assert "couldn't open your settings (Slack didn't answer in time)" in answer["text"]
    assert "/mentor settings" in answer["text"]


def test_a_rate_limited_views_open_is_not_retried_and_is_explained(slack, deps, fake_slack):
    know(deps)
    fake_slack.rate_limit("views.open", retry_after=1)

    reply = slack.command("settings", user_id=MENTOR)

    assert reply.status == 200 and reply.body == b""
    assert len(fake_slack.calls_to("views.open")) == 1  # a retry would come after the trigger expired
    assert "Slack said `ratelimited`" in fake_slack.last("response_url").args["text"]


# --- the form is checked against what it showed -----------------------------------------


def test_a_mentee_form_submitted_after_becoming_a_mentor_saves_and_keeps_the_nudge_settings(
    slack, deps, fake_slack
):
    from bot.models import Pair

    know(deps, MENTOR)
    know(deps, MENTEE)
    with transaction(deps.session_factory) as session:
        mentor, mentee = ensure_person(session, TEAM_ID, MENTOR), ensure_person(session, TEAM_ID, MENTEE)
        session.add(Pair(team_id=TEAM_ID, mentor_id=mentor.id, mentee_id=mentee.id))
    view = open_modal(slack, fake_slack, MENTEE)
    shown = {b.get("block_id") for b in view["blocks"]}
    assert "nudge_time" not in shown  # mentees are not asked about nudges
    # While the form is open, the program director pairs them as a mentor too.
    fake_slack.add_user("U0JUNIOR1", "dr.junior")
    know(deps, "U0JUNIOR1")
    with transaction(deps.session_factory) as session:
        junior = ensure_person(session, TEAM_ID, "U0JUNIOR1")
        session.add(
            Pair(team_id=TEAM_ID, mentor_id=ensure_person(session, TEAM_ID, MENTEE).id, mentee_id=junior.id)
        )

    body = slack.submit(
        view, state_from_view(view, {"contact_start": {"selected_time": "07:00"}}), user_id=MENTEE
    ).json()

    assert body["response_action"] == "update", body  # not errors on blocks the form never had
    stored = person(deps, MENTEE)
    assert stored.contact_start == 7 * 60
    assert (stored.nudge_days, stored.nudge_minute, stored.cadence) == ("1", 570, "weekly")
