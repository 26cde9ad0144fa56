"""The personal-settings service: zones, pause and resume, stop and start, the settings form."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.db import transaction
from bot.models import Delivery, DeliveryStatus, Pair, Person, Workspace
from bot.outbox import enqueue_message
from bot.people import ensure_person, person_timezone, zone_choice
from bot.preferences import service as preferences
from bot.preferences.form import validate_form
from bot.preferences.types import FormErrors, PreferenceError, SettingsForm
from tests.conftest import MENTEE, MENTOR, settings_for
from tests.fakes.slack_api import TEAM_ID

# Tuesday 1 December 2026, 14:00 UTC: 09:00 in New York, 01:00 on Wednesday in Sydney.
NOW = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)
SOMEONE = "U0SOMEONE"


def make_person(session_factory, user_id=SOMEONE, **fields) -> int:
    with transaction(session_factory) as session:
        person = ensure_person(session, TEAM_ID, user_id)
        for name, value in fields.items():
            setattr(person, name, value)
        return person.id


def person_row(session_factory, user_id=SOMEONE) -> Person:
    with session_factory() as session:
        return session.scalars(select(Person).where(Person.user_id == user_id)).one()


def pause_text(session_factory, settings, text, *, user_id=SOMEONE, now=NOW):
    with transaction(session_factory) as session:
        return preferences.pause_for_text(session, settings, TEAM_ID, user_id, text, now=now)


def queue(session_factory, key, due, *, user_id=SOMEONE, status=DeliveryStatus.PENDING):
    with transaction(session_factory) as session:
        person = ensure_person(session, TEAM_ID, user_id)
        enqueue_message(
            session,
            team_id=TEAM_ID,
            recipient=user_id,
            dedupe_key=key,
            due_at=due,
            text="hi",
            person_id=person.id,
        )
        session.scalars(select(Delivery).where(Delivery.dedupe_key == key)).one().status = status


def status_of(session_factory, key) -> str:
    with session_factory() as session:
        return session.scalars(select(Delivery.status).where(Delivery.dedupe_key == key)).one()


# --- whose clock -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("override", "slack_tz", "workspace_tz", "program_tz", "expected", "source"),
    [
        ("Asia/Kolkata", "Europe/London", None, None, "Asia/Kolkata", "override"),
        (None, "Australia/Sydney", None, None, "Australia/Sydney", "slack"),
        (None, "America/St_Johns", "Europe/Paris", None, "America/St_Johns", "slack"),
        (None, None, "Europe/Paris", "Europe/Dublin", "Europe/Paris", "workspace"),
        (None, None, None, "Europe/Dublin", "Europe/Dublin", "program"),
        (None, "Not/AZone", None, None, "UTC", "program"),
    ],
)
def test_zone_choice_follows_the_same_chain_as_person_timezone(
    fake_slack, override, slack_tz, workspace_tz, program_tz, expected, source
):
    settings = settings_for(
        fake_slack, "sqlite://", **({"PROGRAM_TIMEZONE": program_tz} if program_tz else {})
    )
    person = Person(tz_override=override, tz=slack_tz, team_id=TEAM_ID)
    workspace = Workspace(team_id=TEAM_ID, timezone=workspace_tz)

    choice = zone_choice(person, workspace, settings)

    assert (choice.name, choice.source) == (expected, source)
    assert str(person_timezone(person, workspace, settings)) == choice.name


def test_a_person_slack_gives_no_zone_follows_the_program_default_then_utc(fake_slack, session_factory):
    make_person(session_factory, tz=None)
    dublin = settings_for(fake_slack, "sqlite://", PROGRAM_TIMEZONE="Europe/Dublin")
    plain = settings_for(fake_slack, "sqlite://")

    with session_factory() as session:
        with_default = preferences.load(session, dublin, TEAM_ID, SOMEONE, NOW)
        without = preferences.load(session, plain, TEAM_ID, SOMEONE, NOW)

    assert (with_default.zone, with_default.zone_source) == ("Europe/Dublin", "program")
    assert without.zone == "UTC"


def test_first_sight_creates_the_person_with_the_default_settings(session_factory, settings):
    with transaction(session_factory) as session:
        personal = preferences.load(session, settings, TEAM_ID, "U0NEWCOMER", NOW)

    assert personal.nudge_days == (1,)
    assert (personal.nudge_minute, personal.cadence) == (9 * 60 + 30, "weekly")
    assert (personal.contact_start, personal.contact_end, personal.quiet_weekends) == (480, 1080, True)
    assert personal.role == "none" and personal.shows_nudges
    assert not personal.is_paused and not personal.is_stopped


def test_roles_come_from_active_pairs(session_factory, settings):
    mentor_id = make_person(session_factory, MENTOR)
    mentee_id = make_person(session_factory, MENTEE)
    with transaction(session_factory) as session:
        session.add(Pair(team_id=TEAM_ID, mentor_id=mentor_id, mentee_id=mentee_id))

    with session_factory() as session:
        mentor = preferences.load(session, settings, TEAM_ID, MENTOR, NOW)
        mentee = preferences.load(session, settings, TEAM_ID, MENTEE, NOW)

    assert (mentor.role, mentor.shows_nudges) == ("mentor", True)
    assert (mentee.role, mentee.shows_nudges) == ("mentee", False)


# --- pause -----------------------------------------------------------------------------


def test_pause_ends_at_the_start_of_the_local_day_after_the_last_day(session_factory, settings):
    make_person(session_factory, tz="America/New_York")

    outcome = pause_text(session_factory, settings, "until 2027-01-10")

    # Monday 11 January 00:00 in New York (EST, UTC−5).
    assert person_row(session_factory).paused_until == datetime(2027, 1, 11, 5, 0, tzinfo=UTC)
    assert outcome.settings.pause_last_day == date(2027, 1, 10)
    assert outcome.settings.resume_local.date() == date(2027, 1, 11)
    assert person_row(session_factory).pause_reason == "break"


def test_sydney_counts_days_from_its_own_date(session_factory, settings):
    # At NOW it is already 01:00 on Wednesday 2 December in Sydney.
    make_person(session_factory, tz="Australia/Sydney")

    outcome = pause_text(session_factory, settings, "1d")

    assert outcome.settings.today == date(2026, 12, 2)
    assert outcome.settings.pause_last_day == date(2026, 12, 2)
    assert person_row(session_factory).paused_until == datetime(2026, 12, 2, 13, 0, tzinfo=UTC)


def test_st_johns_half_hour_offset(session_factory, settings):
    make_person(session_factory, tz="America/St_Johns")

    pause_text(session_factory, settings, "until 2026-12-10")

    assert person_row(session_factory).paused_until == datetime(2026, 12, 11, 3, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("zone", "now", "text", "ends"),
    [
        # London springs forward at 01:00 on 28 March: Monday 29th starts at 23:00 UTC.
        (
            "Europe/London",
            datetime(2027, 3, 20, 12, 0, tzinfo=UTC),
            "until 2027-03-28",
            datetime(2027, 3, 28, 23, 0),
        ),
        # Sydney falls back on 4 April: Monday 5th starts at 14:00 UTC (AEST, +10).
        ("Australia/Sydney", datetime(2027, 3, 30, 0, 0, tzinfo=UTC), "1w", datetime(2027, 4, 5, 14, 0)),
        # New York springs forward on 14 March.
        ("America/New_York", datetime(2027, 3, 10, 15, 0, tzinfo=UTC), "5d", datetime(2027, 3, 15, 4, 0)),
        # Santiago's clocks jump from 00:00 to 01:00: the day starts at 01:00 (04:00 UTC).
        (
            "America/Santiago",
            datetime(2026, 9, 1, 15, 0, tzinfo=UTC),
            "until 2026-09-05",
            datetime(2026, 9, 6, 4, 0),
        ),
    ],
)
def test_a_pause_ending_across_a_daylight_saving_change_ends_at_local_midnight(
    session_factory, settings, zone, now, text, ends
):
    make_person(session_factory, tz=zone)

    outcome = pause_text(session_factory, settings, text, now=now)

    assert person_row(session_factory).paused_until == ends.replace(tzinfo=UTC)
    assert outcome.settings.pause_ends_at_day_start
    assert outcome.settings.resume_local.astimezone(ZoneInfo(zone)).hour in (0, 1)


def test_pause_cancels_what_was_due_during_it_and_keeps_what_comes_after(session_factory, settings):
    make_person(session_factory, tz="America/New_York")
    queue(session_factory, "tomorrow", NOW + timedelta(days=1))
    queue(session_factory, "claimed", NOW + timedelta(minutes=1), status=DeliveryStatus.CLAIMED)
    queue(session_factory, "mid-send", NOW, status=DeliveryStatus.SENDING)
    queue(session_factory, "next-month", NOW + timedelta(days=30))

    outcome = pause_text(session_factory, settings, "1w")

    assert outcome.cancelled == 2
    assert status_of(session_factory, "tomorrow") == DeliveryStatus.CANCELLED
    assert status_of(session_factory, "claimed") == DeliveryStatus.CANCELLED
    assert status_of(session_factory, "mid-send") == DeliveryStatus.SENDING
    assert status_of(session_factory, "next-month") == DeliveryStatus.PENDING


def test_pause_asks_the_planner_to_replan(session_factory, settings):
    make_person(session_factory, next_nudge_at=NOW + timedelta(days=2))

    pause_text(session_factory, settings, "3d")

    assert person_row(session_factory).next_nudge_at == NOW


@pytest.mark.parametrize("text", ["3 bananas", "0d", "until 2020-01-01", "400d", "until 2028-01-01"])
def test_a_bad_pause_changes_nothing(session_factory, settings, text):
    make_person(session_factory, next_nudge_at=NOW + timedelta(days=2))
    queue(session_factory, "tomorrow", NOW + timedelta(days=1))

    with pytest.raises(PreferenceError):
        pause_text(session_factory, settings, text)

    row = person_row(session_factory)
    assert (row.paused_until, row.pause_reason, row.next_nudge_at) == (None, None, NOW + timedelta(days=2))
    assert status_of(session_factory, "tomorrow") == DeliveryStatus.PENDING


def test_a_new_pause_replaces_the_old_one(session_factory, settings):
    make_person(session_factory, tz="UTC")
    first = pause_text(session_factory, settings, "2w")

    second = pause_text(session_factory, settings, "3d")

    assert second.previous_until == first.settings.paused_until
    assert person_row(session_factory).paused_until == datetime(2026, 12, 4, tzinfo=UTC)


def test_resume_ends_the_pause_and_replans(session_factory, settings):
    make_person(session_factory)
    pause_text(session_factory, settings, "2w")
    with transaction(session_factory) as session:  # the planner has since planned past the pause
        ensure_person(session, TEAM_ID, SOMEONE).next_nudge_at = NOW + timedelta(days=15)

    with transaction(session_factory) as session:
        outcome = preferences.resume(session, settings, TEAM_ID, SOMEONE, now=NOW + timedelta(hours=1))

    row = person_row(session_factory)
    assert outcome.was_paused and not outcome.was_stopped
    assert (row.paused_until, row.pause_reason) == (None, None)
    assert row.next_nudge_at == NOW + timedelta(hours=1)


def test_a_pause_remembers_when_it_began_until_it_ends(session_factory, settings):
    """paused_at is the start of the running pause: a change keeps it, a resume clears it,
    and a pause after one that ran out starts afresh."""
    make_person(session_factory, tz="UTC")
    pause_text(session_factory, settings, "3d")
    pause_text(session_factory, settings, "2w", now=NOW + timedelta(days=1))
    assert person_row(session_factory).paused_at == NOW

    with transaction(session_factory) as session:
        preferences.resume(session, settings, TEAM_ID, SOMEONE, now=NOW + timedelta(days=2))
    assert person_row(session_factory).paused_at is None

    pause_text(session_factory, settings, "1d", now=NOW + timedelta(days=3))
    pause_text(session_factory, settings, "1d", now=NOW + timedelta(days=10))  # the last one ran out
    assert person_row(session_factory).paused_at == NOW + timedelta(days=10)


def test_resume_without_a_pause_changes_nothing(session_factory, settings):
    make_person(session_factory, next_nudge_at=NOW + timedelta(days=3))

    with transaction(session_factory) as session:
        outcome = preferences.resume(session, settings, TEAM_ID, SOMEONE, now=NOW)

    assert not outcome.was_paused and not outcome.was_stopped
    assert person_row(session_factory).next_nudge_at == NOW + timedelta(days=3)


def test_resume_also_lifts_a_stop(session_factory, settings):
    make_person(session_factory, opted_out_at=NOW - timedelta(days=1))

    with transaction(session_factory) as session:
        outcome = preferences.resume(session, settings, TEAM_ID, SOMEONE, now=NOW)

    assert outcome.was_stopped
    assert person_row(session_factory).opted_out_at is None


def test_a_pause_that_has_run_out_no_longer_counts(session_factory, settings):
    make_person(session_factory, paused_until=NOW - timedelta(minutes=1), pause_reason="break")

    with session_factory() as session:
        personal = preferences.load(session, settings, TEAM_ID, SOMEONE, NOW)

    assert not personal.is_paused and personal.pause_last_day is None


# --- stop and start --------------------------------------------------------------------


def test_stop_opts_out_and_cancels_everything_queued(session_factory, settings):
    make_person(session_factory)
    queue(session_factory, "soon", NOW + timedelta(hours=1))
    queue(session_factory, "much-later", NOW + timedelta(days=60))

    with transaction(session_factory) as session:
        outcome = preferences.stop(session, settings, TEAM_ID, SOMEONE, now=NOW)

    assert not outcome.already_stopped and outcome.cancelled == 2
    assert person_row(session_factory).opted_out_at == NOW
    assert status_of(session_factory, "much-later") == DeliveryStatus.CANCELLED


def test_stopping_twice_keeps_the_first_date(session_factory, settings):
    make_person(session_factory, opted_out_at=NOW - timedelta(days=5))

    with transaction(session_factory) as session:
        outcome = preferences.stop(session, settings, TEAM_ID, SOMEONE, now=NOW)

    assert outcome.already_stopped
    assert person_row(session_factory).opted_out_at == NOW - timedelta(days=5)


def test_start_undoes_a_stop_but_keeps_a_pause(session_factory, settings):
    make_person(session_factory, opted_out_at=NOW - timedelta(days=1))
    pause_text(session_factory, settings, "1w")

    with transaction(session_factory) as session:
        outcome = preferences.start(session, settings, TEAM_ID, SOMEONE, now=NOW)

    row = person_row(session_factory)
    assert outcome.was_stopped
    assert row.opted_out_at is None and row.paused_until is not None
    assert row.next_nudge_at == NOW


def test_start_when_not_stopped_changes_nothing(session_factory, settings):
    make_person(session_factory, next_nudge_at=NOW + timedelta(days=1))

    with transaction(session_factory) as session:
        outcome = preferences.start(session, settings, TEAM_ID, SOMEONE, now=NOW)

    assert not outcome.was_stopped
    assert person_row(session_factory).next_nudge_at == NOW + timedelta(days=1)


# --- time zone -------------------------------------------------------------------------


def test_override_and_back_to_slack(session_factory, settings):
    make_person(session_factory, tz="America/New_York")

    with transaction(session_factory) as session:
        chosen = preferences.set_timezone(session, settings, TEAM_ID, SOMEONE, "europe/london", now=NOW)
    assert (chosen.settings.zone, chosen.settings.zone_source, chosen.changed) == (
        "Europe/London",
        "override",
        True,
    )
    assert person_row(session_factory).tz_override == "Europe/London"

    with transaction(session_factory) as session:
        auto = preferences.set_timezone(session, settings, TEAM_ID, SOMEONE, "auto", now=NOW)
    assert (auto.settings.zone, auto.settings.zone_source) == ("America/New_York", "slack")
    assert person_row(session_factory).tz_override is None


def test_an_unknown_zone_changes_nothing(session_factory, settings):
    make_person(session_factory, tz_override="Asia/Tokyo")

    with pytest.raises(PreferenceError) as error, transaction(session_factory) as session:
        preferences.set_timezone(session, settings, TEAM_ID, SOMEONE, "Europe/Londn", now=NOW)

    assert "Europe/London" in error.value.message
    assert person_row(session_factory).tz_override == "Asia/Tokyo"


def test_changing_zone_keeps_a_pause_ending_at_local_midnight(session_factory, settings):
    make_person(session_factory, tz="Europe/London", next_nudge_at=NOW + timedelta(days=9))
    pause_text(session_factory, settings, "until 2027-01-10")

    with transaction(session_factory) as session:
        preferences.set_timezone(session, settings, TEAM_ID, SOMEONE, "Australia/Sydney", now=NOW)

    # 11 January 00:00 in Sydney (AEDT, UTC+11) instead of in London.
    assert person_row(session_factory).paused_until == datetime(2027, 1, 10, 13, 0, tzinfo=UTC)


# --- the settings form -----------------------------------------------------------------

GOOD = SettingsForm(
    nudge_days=(0, 3),
    nudge_minute=10 * 60,
    cadence="biweekly",
    contact_start=7 * 60 + 30,
    contact_end=19 * 60,
    quiet_weekends=True,
    timezone="auto",
    pause_kind="none",
    pause_last_day=None,
)
TODAY = date(2026, 12, 1)


def test_a_good_form_has_no_errors():
    assert validate_form(GOOD, TODAY, shows_nudges=True) == {}


@pytest.mark.parametrize(
    ("changes", "field", "says"),
    [
        ({"nudge_days": ()}, "nudge_days", "at least one day"),
        ({"nudge_days": (2, 5)}, "nudge_days", "Saturday is in your quiet weekend"),
        ({"nudge_days": (5, 6)}, "nudge_days", "Saturday and Sunday are in your quiet weekend"),
        (
            {"nudge_minute": 6 * 60},
            "nudge_time",
            "06:00 is outside the hours you allow messages (07:30–19:00)",
        ),
        ({"nudge_minute": 19 * 60}, "nudge_time", "outside the hours"),
        ({"nudge_minute": None}, "nudge_time", "Choose the time"),
        ({"cadence": "hourly"}, "cadence", "how often"),
        ({"contact_end": 7 * 60}, "contact_end", "later than the start (07:30)"),
        ({"contact_start": None}, "contact_start", "Choose the time messages may start"),
        ({"timezone": "Mars/Base"}, "timezone", "Choose a time zone"),
        ({"pause_kind": "nights"}, "pause_until", "last day of your pause"),
        ({"pause_kind": "leave", "pause_last_day": date(2026, 11, 30)}, "pause_until", "already passed"),
        ({"pause_kind": "leave", "pause_last_day": date(2027, 12, 2)}, "pause_until", "up to a year"),
        ({"pause_kind": "sabbatical"}, "pause_kind", "Choose whether to pause"),
    ],
)
def test_each_form_problem_is_reported_beside_its_field(changes, field, says):
    errors = validate_form(replace(GOOD, **changes), TODAY, shows_nudges=True)

    assert field in errors, errors
    assert says in errors[field]


def test_weekend_nudges_are_fine_when_weekends_are_not_quiet():
    form = replace(GOOD, nudge_days=(5,), quiet_weekends=False)
    assert validate_form(form, TODAY, shows_nudges=True) == {}


def test_midnight_as_the_end_of_the_day_is_allowed():
    form = replace(GOOD, contact_start=0, contact_end=24 * 60, nudge_minute=23 * 60 + 30)
    assert validate_form(form, TODAY, shows_nudges=True) == {}


def test_mentees_are_not_asked_about_nudges():
    form = replace(GOOD, nudge_days=None, nudge_minute=None, cadence=None)
    assert validate_form(form, TODAY, shows_nudges=False) == {}


def save(session_factory, settings, form, *, user_id=SOMEONE, now=NOW):
    with transaction(session_factory) as session:
        return preferences.save_settings(session, settings, TEAM_ID, user_id, form, now=now)


def test_saving_the_form_stores_everything_and_replans(session_factory, settings):
    make_person(session_factory, tz="America/New_York", next_nudge_at=NOW + timedelta(days=4))

    saved = save(session_factory, settings, replace(GOOD, timezone="America/Chicago"))

    row = person_row(session_factory)
    assert (row.nudge_days, row.nudge_minute, row.cadence) == ("0,3", 600, "biweekly")
    assert (row.contact_start, row.contact_end, row.quiet_weekends) == (450, 1140, True)
    assert row.tz_override == "America/Chicago" and saved.zone_source == "override"
    assert row.next_nudge_at == NOW


def test_saving_a_pace_ends_any_back_off(session_factory, settings):
    make_person(session_factory, backoff_level=2, unanswered_streak=2)

    save(session_factory, settings, GOOD)

    row = person_row(session_factory)
    assert (row.backoff_level, row.unanswered_streak) == (0, 0)


def test_a_form_with_errors_saves_nothing(session_factory, settings):
    make_person(session_factory, next_nudge_at=NOW + timedelta(days=4))

    with pytest.raises(FormErrors) as problems:
        save(session_factory, settings, replace(GOOD, nudge_days=(), contact_start=3 * 60))

    assert set(problems.value.errors) == {"nudge_days"}
    row = person_row(session_factory)
    assert (row.nudge_days, row.contact_start, row.next_nudge_at) == ("1", 480, NOW + timedelta(days=4))


def test_the_form_pauses_for_nights_and_unpauses(session_factory, settings):
    make_person(session_factory, tz="America/St_Johns")
    queue(session_factory, "tomorrow", NOW + timedelta(days=1))

    saved = save(
        session_factory, settings, replace(GOOD, pause_kind="nights", pause_last_day=date(2026, 12, 6))
    )

    row = person_row(session_factory)
    assert row.pause_reason == "nights"
    assert row.paused_until == datetime(2026, 12, 7, 3, 30, tzinfo=UTC)
    assert saved.pause_last_day == date(2026, 12, 6)
    assert status_of(session_factory, "tomorrow") == DeliveryStatus.CANCELLED

    save(session_factory, settings, GOOD)
    assert person_row(session_factory).paused_until is None


def test_pause_dates_in_the_form_are_read_in_the_zone_the_form_chose(session_factory, settings):
    # At NOW it is already Wednesday 2 December in Sydney, still Tuesday in New York.
    make_person(session_factory, tz="America/New_York")

    with pytest.raises(FormErrors) as problems:
        save(
            session_factory,
            settings,
            replace(GOOD, timezone="Australia/Sydney", pause_kind="leave", pause_last_day=date(2026, 12, 1)),
        )

    assert "already passed" in problems.value.errors["pause_until"]


def test_a_mentees_saved_form_keeps_their_nudge_fields(session_factory, settings):
    mentor_id = make_person(session_factory, MENTOR)
    mentee_id = make_person(session_factory, MENTEE, nudge_days="2", nudge_minute=700)
    with transaction(session_factory) as session:
        session.add(Pair(team_id=TEAM_ID, mentor_id=mentor_id, mentee_id=mentee_id))

    save(
        session_factory,
        settings,
        replace(GOOD, nudge_days=None, nudge_minute=None, cadence=None, quiet_weekends=False),
        user_id=MENTEE,
    )

    row = person_row(session_factory, MENTEE)
    assert (row.nudge_days, row.nudge_minute, row.quiet_weekends) == ("2", 700, False)


def test_the_form_is_checked_against_the_fields_it_showed_not_the_role_now(session_factory, settings):
    # Opened as a mentor (nudge fields shown), then paired as someone's mentee only.
    mentor_id = make_person(session_factory, MENTOR)
    mentee_id = make_person(session_factory, MENTEE)
    with transaction(session_factory) as session:
        session.add(Pair(team_id=TEAM_ID, mentor_id=mentor_id, mentee_id=mentee_id))

    with pytest.raises(FormErrors) as problems:
        save(session_factory, settings, replace(GOOD, nudge_days=()), user_id=MENTEE)
    assert set(problems.value.errors) == {"nudge_days"}

    save(session_factory, settings, replace(GOOD, nudge_days=(4,)), user_id=MENTEE)
    assert person_row(session_factory, MENTEE).nudge_days == "4"
