"""Settings in words and blocks: descriptions, the modal (and reading it back), the replies."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.blocks.state import ModalState
from bot.preferences.blocks import (
    describe_days,
    describe_nudges,
    describe_pause,
    describe_quiet_hours,
    describe_status,
    describe_zone,
    parse_settings_state,
    pause_reply,
    resume_reply,
    saved_modal,
    settings_modal,
    start_reply,
    stop_reply,
    timezone_reply,
    what_resumes,
)
from bot.preferences.types import (
    PauseOutcome,
    PersonalSettings,
    ResumeOutcome,
    StartOutcome,
    StopOutcome,
    ZoneOutcome,
)
from bot.timing import pause_end_instant
from tests.fakes.block_limits import message_errors, view_errors
from tests.fakes.view_state import option, state_from_view

NOW = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)  # Tuesday


def personal(**changes) -> PersonalSettings:
    values = {
        "team_id": "T1",
        "user_id": "U1",
        "role": "mentor",
        "nudge_days": (1,),
        "nudge_minute": 9 * 60 + 30,
        "cadence": "weekly",
        "contact_start": 8 * 60,
        "contact_end": 18 * 60,
        "quiet_weekends": True,
        "zone": "Europe/London",
        "zone_source": "slack",
        "slack_tz": "Europe/London",
        "tz_override": None,
        "paused_until": None,
        "pause_reason": None,
        "opted_out_at": None,
        "is_active": True,
        "now": NOW,
    }
    values.update(changes)
    return PersonalSettings(**values)


def paused_through(last_day: date, **changes) -> PersonalSettings:
    s = personal(**changes)
    return personal(paused_until=pause_end_instant(last_day, s.tzinfo), pause_reason="break", **changes)


# --- words -----------------------------------------------------------------------------


def test_the_example_from_the_issue_reads_as_written():
    s = personal()
    assert describe_nudges(s) == "Tuesdays at 09:30, weekly"
    assert describe_quiet_hours(s) == "18:00–08:00 and weekends"
    assert describe_zone(s) == "Europe/London (from Slack)"


@pytest.mark.parametrize(
    ("days", "words"),
    [
        ((0, 3), "Mondays and Thursdays"),
        ((0, 2, 4), "Mondays, Wednesdays and Fridays"),
        ((0, 1, 2, 3, 4), "weekdays"),
        (tuple(range(7)), "every day"),
    ],
)
def test_days_in_words(days, words):
    assert describe_days(days) == words


@pytest.mark.parametrize(
    ("start", "end", "weekends", "words"),
    [
        (0, 1440, False, "none"),
        (0, 1440, True, "weekends"),
        (7 * 60, 1440, False, "00:00–07:00"),
        (0, 20 * 60, True, "20:00–00:00 and weekends"),
    ],
)
def test_quiet_hours_in_words(start, end, weekends, words):
    assert (
        describe_quiet_hours(personal(contact_start=start, contact_end=end, quiet_weekends=weekends)) == words
    )


def test_a_slowed_pace_is_shown_beside_the_chosen_one():
    described = describe_nudges(personal(cadence="weekly", nudge_days=(0, 3), backoff_level=1))

    assert described.startswith(
        "Mondays and Thursdays at 09:30, weekly — slowed to every other Monday and Thursday"
    )
    assert "saving your settings goes back to your pace" in described


def test_cadence_and_zone_sources_in_words():
    assert describe_nudges(personal(cadence="biweekly", nudge_days=(0, 3))) == (
        "Mondays and Thursdays at 09:30, every two weeks"
    )
    assert describe_zone(personal(zone_source="override")) == "Europe/London (your choice)"
    assert "Slack hasn't shared yours" in describe_zone(personal(zone="UTC", zone_source="program"))


def test_the_pause_sentence_from_the_issue():
    s = paused_through(date(2027, 1, 10))
    assert describe_pause(s, subject=what_resumes(s)) == (
        "Paused until Sunday 10 January 2027; nudges resume Monday 11 January 2027."
    )
    mentee = paused_through(date(2026, 12, 13), role="mentee")
    assert describe_pause(mentee, subject=what_resumes(mentee)) == (
        "Paused until Sunday 13 December; messages resume Monday 14 December."
    )


def test_nights_and_leave_are_named_in_the_pause_sentence():
    s = personal(paused_until=pause_end_instant(date(2026, 12, 6), personal().tzinfo), pause_reason="nights")
    assert describe_pause(s).startswith("Paused (on nights) until Sunday 6 December")


def test_status_lines():
    assert describe_status(personal()).startswith("On")
    assert describe_status(personal(opted_out_at=NOW - timedelta(days=2))).startswith(
        "Stopped since Sunday 29 November"
    )
    assert describe_status(paused_through(date(2026, 12, 6))).startswith("Paused until Sunday 6 December")


# --- the modal -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "s",
    [
        personal(),
        personal(role="mentee"),
        personal(role="none", slack_tz=None, zone="UTC", zone_source="program"),
        personal(tz_override="US/Eastern", zone="US/Eastern", zone_source="override"),
        personal(tz_override="America/St_Johns", zone="America/St_Johns", zone_source="override"),
        personal(contact_start=0, contact_end=1440, quiet_weekends=False),
        paused_through(date(2027, 1, 10)),
    ],
)
def test_the_modal_is_valid_and_reads_back_as_the_current_settings(s):
    view = settings_modal(s)

    assert view_errors(view) == []
    form = parse_settings_state(ModalState(state_from_view(view)))

    if s.shows_nudges:
        assert (form.nudge_days, form.nudge_minute, form.cadence) == (s.nudge_days, s.nudge_minute, s.cadence)
    else:
        assert (form.nudge_days, form.nudge_minute, form.cadence) == (None, None, None)
    assert (form.contact_start, form.contact_end, form.quiet_weekends) == (
        s.contact_start,
        s.contact_end,
        s.quiet_weekends,
    )
    assert form.timezone == (s.tz_override or "auto")
    assert form.pause_kind == (s.pause_reason if s.is_paused else "none")
    assert form.pause_last_day == s.pause_last_day


def test_a_stopped_person_is_told_saving_does_not_restart_messages():
    assert "`/mentor start`" in str(settings_modal(personal(opted_out_at=NOW))["blocks"][:2])
    assert "`/mentor start`" not in str(settings_modal(personal())["blocks"])


def test_the_zone_menu_starts_with_follow_slack_and_selects_the_current_choice():
    view = settings_modal(
        personal(tz_override="Australia/Sydney", zone="Australia/Sydney", zone_source="override")
    )
    select = next(b for b in view["blocks"] if b.get("block_id") == "timezone")["element"]

    first = select["option_groups"][0]["options"][0]
    assert first["value"] == "auto" and "Europe/London" in first["text"]["text"]
    everything = [o for g in select["option_groups"] for o in g["options"]]
    assert select["initial_option"] in everything
    assert select["initial_option"]["value"] == "Australia/Sydney"
    assert "UTC+11:00" in select["initial_option"]["text"]["text"]


def test_changed_values_are_read_in_our_units():
    view = settings_modal(personal())
    values = state_from_view(
        view,
        {
            "nudge_days": {"selected_options": [option("0"), option("3")]},
            "nudge_time": {"selected_time": "07:45"},
            "contact_end": {"selected_time": "00:00"},
            "weekends": {"selected_options": []},
            "pause_kind": {"selected_option": option("leave")},
            "pause_until": {"selected_date": "2026-12-24"},
            "timezone": {"selected_option": option("America/St_Johns")},
        },
    )

    form = parse_settings_state(ModalState(values))

    assert form.nudge_days == (0, 3) and form.nudge_minute == 7 * 60 + 45
    assert form.contact_end == 1440 and not form.quiet_weekends
    assert (form.pause_kind, form.pause_last_day, form.timezone) == (
        "leave",
        date(2026, 12, 24),
        "America/St_Johns",
    )


def test_odd_state_never_raises():
    form = parse_settings_state(
        ModalState({"nudge_time": {"nudge_time": {"selected_time": "late"}}, "pause_until": {}})
    )
    assert form.nudge_minute is None and form.contact_start is None and form.pause_last_day is None


def test_the_saved_view_is_valid_and_summarises():
    view = saved_modal(paused_through(date(2027, 1, 10)))

    assert view_errors(view) == []
    text = str(view["blocks"])
    assert "Tuesdays at 09:30, weekly" in text and "Monday 11 January 2027" in text


# --- replies ---------------------------------------------------------------------------


def test_every_reply_is_a_valid_message():
    paused = paused_through(date(2026, 12, 14))
    replies = [
        pause_reply(PauseOutcome(paused, None, 0)),
        pause_reply(PauseOutcome(paused, NOW + timedelta(days=3), 1)),
        resume_reply(ResumeOutcome(personal(), True, False)),
        resume_reply(ResumeOutcome(personal(), False, False)),
        stop_reply(StopOutcome(personal(opted_out_at=NOW), False, 2)),
        start_reply(StartOutcome(paused, True)),
        timezone_reply(ZoneOutcome(personal(zone_source="override"), "America/New_York", True)),
    ]
    for text, blocks in replies:
        assert text and message_errors(text, blocks) == []


def test_stop_reply_has_a_one_click_undo_and_says_who_can_see_it():
    _text, blocks = stop_reply(StopOutcome(personal(opted_out_at=NOW), False, 0))

    buttons = [e for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert [(b["text"]["text"], b["action_id"]) for b in buttons] == [("Undo", "settings.start")]
    assert "admins can see" in str(blocks)
