"""The daily profile refresh: who is refreshed, in batches, and how it backs off from Slack."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.app import build_deps
from bot.db import transaction
from bot.models import Pair, Person, Workspace
from bot.people import ensure_person, ensure_workspace
from bot.slack import make_client
from schedules.clock import Clock
from schedules.profile_refresh import refresh_stale_profiles
from tests.fakes.clock import MovableClock
from tests.fakes.slack_api import TEAM_ID

NOW = datetime(2026, 12, 1, 3, 15, tzinfo=UTC)
LONG_AGO = NOW - timedelta(days=2)


@pytest.fixture
def clock():
    return MovableClock(NOW)


@pytest.fixture
def deps(settings, session_factory, clock):
    # No client-side retries: each test scripts exactly what Slack answers.
    return build_deps(
        settings, client=make_client(settings, retries=0), session_factory=session_factory, clock=clock
    )


class FakeTime:
    """monotonic() and sleep() for the pacing, without waiting."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def pair_up(deps, fake_slack, count, *, tz="Europe/London", refreshed=LONG_AGO) -> list[str]:
    """`count` mentor/mentee pairs known to the app and to Slack; returns every user id."""
    ids = []
    with transaction(deps.session_factory) as session:
        for i in range(count):
            mentor_id, mentee_id = f"U0MTR{i:04d}", f"U0MTE{i:04d}"
            people = []
            for user_id in (mentor_id, mentee_id):
                fake_slack.add_user(user_id, tz=tz)
                person = ensure_person(session, TEAM_ID, user_id)
                person.tz, person.tz_refreshed_at = "Europe/London", refreshed
                people.append(person)
            session.add(Pair(team_id=TEAM_ID, mentor_id=people[0].id, mentee_id=people[1].id))
            ids += [mentor_id, mentee_id]
    return ids


def people(deps) -> dict[str, Person]:
    with deps.session_factory() as session:
        return {p.user_id: p for p in session.scalars(select(Person))}


def test_stale_people_in_pairs_are_refreshed_and_zone_changes_replanned(deps, fake_slack):
    ids = pair_up(deps, fake_slack, 2, tz="Australia/Sydney")

    report = refresh_stale_profiles(deps, sleep=lambda _s: None)

    assert (report.checked, report.refreshed, report.zone_changed) == (4, 4, 4)
    for user_id in ids:
        assert people(deps)[user_id].tz == "Australia/Sydney"
        assert people(deps)[user_id].tz_refreshed_at == NOW
        assert people(deps)[user_id].next_nudge_at == NOW


def test_only_people_the_app_messages_and_only_stale_ones(deps, fake_slack):
    pair_up(deps, fake_slack, 1)
    with transaction(deps.session_factory) as session:
        visitor = ensure_person(session, TEAM_ID, "U0VISITOR")
        visitor.tz_refreshed_at = LONG_AGO
        admin = ensure_person(session, TEAM_ID, "U0ADMIN02")
        admin.is_admin, admin.tz_refreshed_at = True, None
        recent = ensure_person(session, TEAM_ID, "U0RECENT1")
        recent.is_admin, recent.tz_refreshed_at = True, NOW - timedelta(hours=10)
        # A pair that ended: those people are no longer messaged.
        ended_a, ended_b = (
            ensure_person(session, TEAM_ID, "U0ENDED01"),
            ensure_person(session, TEAM_ID, "U0ENDED02"),
        )
        session.flush()
        session.add(Pair(team_id=TEAM_ID, mentor_id=ended_a.id, mentee_id=ended_b.id, ended_at=LONG_AGO))
    fake_slack.add_user("U0ADMIN02", tz="Asia/Tokyo")

    refresh_stale_profiles(deps, sleep=lambda _s: None)

    asked = sorted(c.args["user"] for c in fake_slack.calls_to("users.info"))
    assert asked == ["U0ADMIN02", "U0MTE0000", "U0MTR0000"]
    assert people(deps)["U0ADMIN02"].tz == "Asia/Tokyo"


def test_batches_are_paced_to_stay_under_slacks_rate_limit(deps, fake_slack):
    pair_up(deps, fake_slack, 4)  # 8 people
    time = FakeTime()

    report = refresh_stale_profiles(
        deps, batch_size=3, seconds_per_batch=30, sleep=time.sleep, monotonic=time.monotonic
    )

    assert report.refreshed == 8
    # Three batches (3, 3, 2): a wait after each full batch, none after the last.
    assert time.slept == [30, 30]


def test_a_stopping_clock_ends_the_run_between_batches(deps, fake_slack):
    pair_up(deps, fake_slack, 4)  # 8 people
    stopping = threading.Event()
    stopping.set()  # shutdown was asked for while the first batch was in flight

    report = refresh_stale_profiles(deps, batch_size=3, seconds_per_batch=30, stopping=stopping)

    assert (report.refreshed, report.stopped_early) == (3, "the clock is stopping")


def test_a_rate_limit_that_outlasts_the_retries_ends_the_run_for_today(deps, fake_slack):
    pair_up(deps, fake_slack, 3)
    fake_slack.rate_limit("users.info", retry_after=30)

    report = refresh_stale_profiles(deps, sleep=lambda _s: None)

    assert report.stopped_early == "Slack rate limit"
    assert report.refreshed == 0
    assert all(p.tz_refreshed_at == LONG_AGO for p in people(deps).values())
    assert len(fake_slack.calls_to("users.info")) == 1


def test_a_refused_token_ends_the_run(deps, fake_slack):
    pair_up(deps, fake_slack, 2)
    fake_slack.revoke_token()

    report = refresh_stale_profiles(deps, sleep=lambda _s: None)

    assert report.stopped_early == "Slack refused our token (token_revoked)"
    assert len(fake_slack.calls_to("users.info")) == 1


def test_one_failing_person_does_not_stop_the_others(deps, fake_slack):
    pair_up(deps, fake_slack, 2)
    fake_slack.fail("users.info", "fatal_error")

    report = refresh_stale_profiles(deps, sleep=lambda _s: None)

    assert (report.failed, report.refreshed) == (1, 3)


def test_people_slack_no_longer_knows_are_noted_not_deactivated(deps, fake_slack):
    ids = pair_up(deps, fake_slack, 1)
    del fake_slack.users[ids[0]]

    report = refresh_stale_profiles(deps, sleep=lambda _s: None)

    gone = people(deps)[ids[0]]
    assert report.not_found == 1
    assert gone.tz_refreshed_at == NOW and gone.is_active


def test_deactivated_accounts_are_noticed(deps, fake_slack):
    ids = pair_up(deps, fake_slack, 1)
    fake_slack.users[ids[1]].deleted = True

    refresh_stale_profiles(deps, sleep=lambda _s: None)

    assert people(deps)[ids[1]].is_active is False


def test_workspaces_whose_token_failed_are_skipped(deps, fake_slack):
    pair_up(deps, fake_slack, 1)
    with transaction(deps.session_factory) as session:
        ensure_workspace(session, TEAM_ID).sending_paused_reason = "the app was uninstalled from Slack"

    report = refresh_stale_profiles(deps, sleep=lambda _s: None)

    assert report.checked == 0 and fake_slack.calls_to("users.info") == []
    with deps.session_factory() as session:
        assert session.get(Workspace, TEAM_ID).sending_paused_reason


def test_the_clock_runs_it_as_daily_housekeeping(deps, fake_slack):
    pair_up(deps, fake_slack, 1, tz="America/St_Johns")

    results = Clock(deps).housekeeping()

    assert results["profile_refresh"] == {"checked": 2, "refreshed": 2, "zone_changed": 2}
    assert {p.tz for p in people(deps).values()} == {"America/St_Johns"}
