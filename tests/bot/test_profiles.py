"""People with a fresh-enough Slack profile: first sight, staleness, Slack failures, zone changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.app import build_deps
from bot.db import transaction
from bot.directory import Profile
from bot.models import Person
from bot.people import ensure_person
from bot.profiles import apply_fresh_profile, needs_profile, person_with_profile
from bot.slack import make_client
from tests.fakes.clock import MovableClock
from tests.fakes.slack_api import TEAM_ID

NOW = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)


@pytest.fixture
def clock():
    return MovableClock(NOW)


@pytest.fixture
def deps(settings, session_factory, clock):
    # No client-side retries: each test scripts exactly what Slack answers.
    client = make_client(settings, retries=0)
    return build_deps(settings, client=client, session_factory=session_factory, clock=clock)


def row(deps, user_id) -> Person:
    with deps.session_factory() as session:
        return session.scalars(select(Person).where(Person.user_id == user_id)).one()


@pytest.mark.parametrize(
    ("slack_tz", "stored"),
    [("Australia/Sydney", "Australia/Sydney"), ("America/St_Johns", "America/St_Johns"), (None, None)],
)
def test_first_sight_creates_the_person_and_reads_their_zone(deps, fake_slack, slack_tz, stored):
    fake_slack.add_user("U0FIRST01", "dr.first", tz=slack_tz)
    assert needs_profile(deps, TEAM_ID, "U0FIRST01")

    person = person_with_profile(deps, TEAM_ID, "U0FIRST01")

    assert (person.tz, person.display_name, person.tz_refreshed_at) == (stored, "dr.first", NOW)
    assert len(fake_slack.calls_to("users.info")) == 1
    assert not needs_profile(deps, TEAM_ID, "U0FIRST01")


def test_a_fresh_profile_is_not_fetched_again(deps, fake_slack, clock):
    fake_slack.add_user("U0FRESH01", tz="Europe/London")
    person_with_profile(deps, TEAM_ID, "U0FRESH01")
    clock.advance(days=6)

    person_with_profile(deps, TEAM_ID, "U0FRESH01")

    assert len(fake_slack.calls_to("users.info")) == 1


def test_a_stale_profile_is_fetched_and_a_new_zone_moves_the_pause_and_replans(deps, fake_slack, clock):
    fake_slack.add_user("U0MOVER01", tz="Europe/London")
    person_with_profile(deps, TEAM_ID, "U0MOVER01")
    with transaction(deps.session_factory) as session:
        person = ensure_person(session, TEAM_ID, "U0MOVER01")
        person.paused_until = datetime(2027, 1, 11, 0, 0, tzinfo=UTC)  # midnight in London
        person.next_nudge_at = NOW + timedelta(days=40)
    fake_slack.add_user("U0MOVER01", tz="America/Chicago")
    clock.advance(days=8)

    person = person_with_profile(deps, TEAM_ID, "U0MOVER01")

    assert person.tz == "America/Chicago"
    assert row(deps, "U0MOVER01").paused_until == datetime(
        2027, 1, 11, 6, 0, tzinfo=UTC
    )  # midnight in Chicago
    assert row(deps, "U0MOVER01").next_nudge_at == clock.now
    assert len(fake_slack.calls_to("users.info")) == 2


@pytest.mark.parametrize("failure", ["error", "drop"])
def test_when_slack_cannot_answer_the_person_still_exists_and_is_tried_again(deps, fake_slack, failure):
    fake_slack.add_user("U0QUIET01", tz="Asia/Tokyo")
    if failure == "error":
        fake_slack.fail("users.info", "fatal_error")
    else:
        fake_slack.drop("users.info")

    person = person_with_profile(deps, TEAM_ID, "U0QUIET01")

    assert person.id is not None and person.tz is None and person.tz_refreshed_at is None
    assert person_with_profile(deps, TEAM_ID, "U0QUIET01").tz == "Asia/Tokyo"


def test_someone_slack_does_not_know_is_still_created(deps, fake_slack):
    person = person_with_profile(deps, TEAM_ID, "U0GHOST01")

    assert person.tz is None
    assert row(deps, "U0GHOST01").id == person.id


def test_a_new_slack_zone_under_an_override_changes_nothing_that_matters(deps):
    with transaction(deps.session_factory) as session:
        person = ensure_person(session, TEAM_ID, "U0PINNED1")
        person.tz, person.tz_override, person.next_nudge_at = (
            "Europe/London",
            "Europe/Paris",
            NOW + timedelta(days=3),
        )
        profile = Profile("U0PINNED1", TEAM_ID, "pinned", "Asia/Tokyo", None, False, False)

        changed = apply_fresh_profile(session, deps.settings, person, profile, NOW)

    assert not changed
    stored = row(deps, "U0PINNED1")
    assert (stored.tz, stored.next_nudge_at) == ("Asia/Tokyo", NOW + timedelta(days=3))
