"""People on first sight, admins, and whose clock a person follows."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import delete, select

from bot.db import transaction
from bot.directory import fetch_profile
from bot.models import ForgetMark, Person, Workspace
from bot.people import (
    ensure_person,
    ensure_workspace,
    forget_fingerprint,
    is_admin,
    known_admins,
    meet_configured_admins,
    person_timezone,
    remember_profile,
)
from tests.conftest import ADMIN, MENTOR, settings_for
from tests.fakes.slack_api import TEAM_ID

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def test_ensure_person_twice_gives_the_same_row(session_factory):
    with transaction(session_factory) as session:
        first = ensure_person(session, TEAM_ID, MENTOR)
        second = ensure_person(session, TEAM_ID, MENTOR)
        assert first.id == second.id


def test_remember_profile_copies_name_zone_and_email(deps, fake_slack):
    fake_slack.add_user("U0SYD0001", "dr.nguyen", tz="Australia/Sydney", email="Nguyen@Riverside.example")
    profile = fetch_profile(deps.client, "U0SYD0001")

    with transaction(deps.session_factory) as session:
        person = remember_profile(session, TEAM_ID, profile, NOW)

    assert (person.display_name, person.tz, person.email) == (
        "dr.nguyen",
        "Australia/Sydney",
        "nguyen@riverside.example",
    )
    assert person.tz_refreshed_at == NOW


def test_unknown_users_have_no_profile(deps):
    assert fetch_profile(deps.client, "U0NOBODY1") is None


def test_deactivated_accounts_become_inactive(deps, fake_slack):
    fake_slack.add_user("U0GONE001", "former.fellow", deleted=True)

    with transaction(deps.session_factory) as session:
        person = remember_profile(session, TEAM_ID, fetch_profile(deps.client, "U0GONE001"), NOW)

    assert person.is_active is False
    assert person.next_nudge_at is None


def test_admins_from_configuration_and_from_the_database(deps, fake_slack):
    with transaction(deps.session_factory) as session:
        assert is_admin(session, deps.settings, TEAM_ID, ADMIN)
        assert not is_admin(session, deps.settings, TEAM_ID, MENTOR)
        ensure_person(session, TEAM_ID, MENTOR).is_admin = True
    with transaction(deps.session_factory) as session:
        assert is_admin(session, deps.settings, TEAM_ID, MENTOR)


def test_time_zone_falls_back_from_override_to_slack_to_program_to_utc(fake_slack):
    program = settings_for(fake_slack, "sqlite://", PROGRAM_TIMEZONE="Europe/Dublin")
    utc_only = settings_for(fake_slack, "sqlite://")

    assert (
        str(person_timezone(Person(tz_override="Asia/Kolkata", tz="Europe/London"), None, program))
        == "Asia/Kolkata"
    )
    assert str(person_timezone(Person(tz="America/St_Johns"), None, program)) == "America/St_Johns"
    assert str(person_timezone(Person(tz=None), None, program)) == "Europe/Dublin"
    assert str(person_timezone(Person(tz="Not/AZone"), None, utc_only)) == "UTC"


def _admin_ids(session_factory, settings) -> list[str]:
    with transaction(session_factory) as session:
        meet_configured_admins(session, settings)
    with transaction(session_factory) as session:
        return [person.user_id for person in known_admins(session, settings)]


def test_an_admin_named_in_the_settings_gets_a_row_in_the_one_workspace(session_factory, fake_slack, engine):
    settings = settings_for(fake_slack, engine.url.render_as_string(hide_password=False))
    assert _admin_ids(session_factory, settings) == []  # no workspace connected yet: nothing made

    with transaction(session_factory) as session:
        ensure_workspace(session, TEAM_ID)
    assert _admin_ids(session_factory, settings) == [ADMIN]
    assert _admin_ids(session_factory, settings) == [ADMIN]  # once, not a row per call


def test_no_admin_row_is_guessed_with_several_workspaces_or_in_oauth_mode(
    session_factory, fake_slack, engine
):
    url = engine.url.render_as_string(hide_password=False)
    with transaction(session_factory) as session:
        ensure_workspace(session, TEAM_ID)
        ensure_workspace(session, "T0OTHER01")
    assert _admin_ids(session_factory, settings_for(fake_slack, url)) == []

    with transaction(session_factory) as session:
        session.execute(delete(Workspace).where(Workspace.team_id == "T0OTHER01"))
    oauth = settings_for(
        fake_slack,
        url,
        SLACK_BOT_TOKEN="",
        SLACK_CLIENT_ID="1.2",
        SLACK_CLIENT_SECRET="c" * 32,
        SLACK_STATE_SECRET="s" * 32,
    )
    assert oauth.oauth_enabled and _admin_ids(session_factory, oauth) == []


def test_a_forgotten_admin_is_not_given_a_row_back_by_the_setting(session_factory, fake_slack, engine):
    settings = settings_for(fake_slack, engine.url.render_as_string(hide_password=False))
    with transaction(session_factory) as session:
        ensure_workspace(session, TEAM_ID)
        session.add(ForgetMark(team_id=TEAM_ID, fingerprint=forget_fingerprint(TEAM_ID, ADMIN)))

    assert _admin_ids(session_factory, settings) == []
    with session_factory() as session:
        assert session.scalars(select(Person.user_id)).all() == []
        assert session.scalars(select(ForgetMark.fingerprint)).all() == [forget_fingerprint(TEAM_ID, ADMIN)]
