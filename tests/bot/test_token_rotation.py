"""Rotating tokens refreshed by several processes at once (a web worker and the clock).

Slack spends a refresh token when it is used (the fake does too), so two processes that
read the same installation and both refresh it used to leave the loser with
`invalid_refresh_token` — and the sender held the workspace until a reinstall although
the store held a good token. Now one process refreshes at a time on PostgreSQL, and a
spent refresh token is recovered from the store on both databases.
"""

from __future__ import annotations

import threading
import time

import pytest
from slack_sdk.oauth.token_rotation import TokenRotator
from sqlalchemy import text

from bot.db import is_sqlite
from bot.deps import Deps
from bot.installations import Installations
from bot.models import DeliveryStatus, Workspace
from bot.slack import make_client
from schedules.clock import Clock
from tests.bot.test_installations import queue_message, rows
from tests.conftest import MENTEE, MENTOR
from tests.fakes.slack_api import TEAM_ID, FakeSlack
from tests.oauth_helpers import install, token_of


def another_process(deps: Deps) -> Installations:
    """What a second process (a web worker) builds for itself: its own store and rotator."""
    return Installations(deps.settings, deps.session_factory, template=make_client(deps.settings))


class LosesTheRace(TokenRotator):
    """Slack's rotator, except that the first time it is asked, another process (which
    read the same row a moment earlier and takes no lock) refreshes and stores first."""

    def __init__(self, other: Installations, **kwargs) -> None:
        super().__init__(**kwargs)
        self.other = other
        self.raced = False

    def perform_token_rotation(self, *, installation, minutes_before_expiration=120):
        if not self.raced:
            self.raced = True
            won = self.other.rotator.perform_token_rotation(
                installation=installation, minutes_before_expiration=minutes_before_expiration
            )
            self.other.store.save(won)
        return super().perform_token_rotation(
            installation=installation, minutes_before_expiration=minutes_before_expiration
        )


def losing_rotator(deps: Deps) -> LosesTheRace:
    settings = deps.settings
    return LosesTheRace(
        another_process(deps),
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret,
        client=deps.client,
    )


def paused_reason(deps: Deps, team_id: str) -> str | None:
    with deps.session_factory() as session:
        return session.get(Workspace, team_id).sending_paused_reason


def test_the_clock_losing_a_refresh_race_sends_with_the_winners_token(browser, fake_slack, oauth_deps):
    install(browser, team_id=TEAM_ID, rotation=True, lifetime=30 * 60)
    oauth_deps.installations.rotator = losing_rotator(oauth_deps)
    queue_message(oauth_deps, TEAM_ID, MENTEE, "race")

    Clock(oauth_deps).tick()

    assert [r.status for r in rows(oauth_deps)] == [DeliveryStatus.SENT]
    assert paused_reason(oauth_deps, TEAM_ID) is None
    winner = token_of(fake_slack, TEAM_ID)
    assert fake_slack.oauth.refreshes == 1  # the winner's; ours was refused, then not needed
    assert [c.token for c in fake_slack.dms_to(MENTEE)] == [winner]
    assert oauth_deps.installations.find(TEAM_ID).bot_token == winner


def test_a_request_losing_a_refresh_race_is_answered_with_the_winners_token(browser, fake_slack, oauth_deps):
    install(browser, team_id=TEAM_ID, rotation=True, lifetime=30 * 60)
    oauth_deps.installations.rotator = losing_rotator(oauth_deps)
    fake_slack.reset_calls()

    browser.command("timezone", user_id=MENTOR)

    winner = token_of(fake_slack, TEAM_ID)
    assert fake_slack.oauth.refreshes == 1
    assert {c.token for c in fake_slack.calls_to("users.info")} == {winner}
    assert "time zone" in fake_slack.last("response_url").args["text"].lower()


def test_a_refresh_token_that_is_really_dead_still_holds_the_workspace(browser, fake_slack, oauth_deps):
    install(browser, team_id=TEAM_ID, rotation=True, lifetime=60)
    fake_slack.fail("oauth.v2.access", "invalid_refresh_token", times=3)
    queue_message(oauth_deps, TEAM_ID, MENTEE, "dead")

    Clock(oauth_deps).tick()

    assert [r.status for r in rows(oauth_deps)] == [DeliveryStatus.PENDING]
    assert "invalid_refresh_token" in (paused_reason(oauth_deps, TEAM_ID) or "")


class WaitsAtSlack(TokenRotator):
    """Slack's rotator, pausing inside the first refresh until `go` is set."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.inside = threading.Event()
        self.go = threading.Event()

    def perform_token_rotation(self, *, installation, minutes_before_expiration=120):
        if not self.inside.is_set():
            self.inside.set()
            assert self.go.wait(10)
        return super().perform_token_rotation(
            installation=installation, minutes_before_expiration=minutes_before_expiration
        )


def wait_for_advisory_lock_waiter(engine, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    with engine.connect() as connection:
        while time.monotonic() < deadline:
            waiting = connection.scalar(
                text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
            )
            connection.rollback()
            if waiting:
                return
            time.sleep(0.01)
    raise AssertionError("the second process never waited for the first one's refresh")


def test_on_postgresql_two_processes_refresh_one_installation_once(
    browser, fake_slack: FakeSlack, oauth_deps, engine
):
    if is_sqlite(engine):
        pytest.skip("SQLite runs one clock on one machine; the advisory lock is PostgreSQL's")
    install(browser, team_id=TEAM_ID, rotation=True, lifetime=30 * 60)
    web, clock = another_process(oauth_deps), another_process(oauth_deps)
    settings = oauth_deps.settings
    web.rotator = WaitsAtSlack(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret,
        client=oauth_deps.client,
    )
    tokens: dict[str, str] = {}

    def use(name: str, installations: Installations) -> None:
        tokens[name] = installations.client_for(TEAM_ID).token

    first = threading.Thread(target=use, args=("web", web))
    first.start()
    assert web.rotator.inside.wait(10)
    second = threading.Thread(target=use, args=("clock", clock))
    second.start()
    wait_for_advisory_lock_waiter(engine)
    web.rotator.go.set()
    first.join(10)
    second.join(10)

    assert fake_slack.oauth.refreshes == 1
    assert tokens == {"web": token_of(fake_slack, TEAM_ID), "clock": token_of(fake_slack, TEAM_ID)}
