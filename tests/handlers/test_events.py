"""Workspace events end to end: `user_change`, `app_uninstalled`, `tokens_revoked`."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.db import transaction
from bot.models import Person, Workspace
from bot.outbox import enqueue_message
from bot.people import ensure_person
from bot.profiles import person_with_profile
from schedules.kinds import all_kinds
from schedules.sender import Sender
from tests.conftest import MENTEE, MENTOR
from tests.fakes.clock import MovableClock
from tests.fakes.slack_api import TEAM_ID

NOW = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)


@pytest.fixture
def clock():
    return MovableClock(NOW)


def person(deps, user_id=MENTOR) -> Person | None:
    with deps.session_factory() as session:
        return session.scalars(select(Person).where(Person.user_id == user_id)).first()


def workspace(deps) -> Workspace:
    with deps.session_factory() as session:
        return session.get(Workspace, TEAM_ID)


def user_change(fake_slack, user_id, tz):
    user = fake_slack.users[user_id]
    user.tz = tz
    return {"type": "user_change", "user": user.as_slack(), "cache_ts": 1, "event_ts": "1.1"}


def test_a_new_zone_in_slack_moves_the_pause_and_replans_without_calling_slack(
    slack, deps, fake_slack, clock
):
    person_with_profile(deps, TEAM_ID, MENTOR)  # Europe/London
    slack.command("pause until 2027-01-10", user_id=MENTOR)
    clock.advance(hours=1)
    with transaction(deps.session_factory) as session:  # as if the planner had planned ahead
        ensure_person(session, TEAM_ID, MENTOR).next_nudge_at = clock.now + timedelta(days=5)
    fake_slack.reset_calls()

    slack.event(user_change(fake_slack, MENTOR, "Australia/Sydney"))

    changed = person(deps)
    assert changed.tz == "Australia/Sydney"
    assert changed.paused_until == datetime(2027, 1, 10, 13, 0, tzinfo=UTC)  # 11 Jan 00:00 in Sydney
    assert changed.next_nudge_at <= clock.now
    assert [c.method for c in fake_slack.calls] == []


def test_changes_to_people_the_app_does_not_know_are_ignored(slack, deps, fake_slack):
    slack.event(user_change(fake_slack, MENTEE, "Europe/Paris"))

    assert person(deps, MENTEE) is None


def test_a_profile_change_that_keeps_the_zone_does_not_replan(slack, deps, fake_slack):
    person_with_profile(deps, TEAM_ID, MENTOR)
    with transaction(deps.session_factory) as session:
        ensure_person(session, TEAM_ID, MENTOR).next_nudge_at = NOW + timedelta(days=2)
    fake_slack.users[MENTOR].name = "dr.okafor-md"

    slack.event(user_change(fake_slack, MENTOR, "Europe/London"))

    assert person(deps).display_name == "dr.okafor-md"
    assert person(deps).next_nudge_at == NOW + timedelta(days=2)


def queue_notice(deps) -> None:
    with transaction(deps.session_factory) as session:
        enqueue_message(
            session,
            team_id=TEAM_ID,
            recipient=MENTOR,
            dedupe_key="notice",
            due_at=NOW,
            text="hello",
            person_id=ensure_person(session, TEAM_ID, MENTOR).id,
        )


def test_uninstalling_pauses_all_sending_to_the_workspace_loudly(slack, deps, fake_slack, caplog):
    queue_notice(deps)
    fake_slack.revoke_token()  # what Slack does on uninstall; Bolt must not need the token

    with caplog.at_level(logging.CRITICAL, logger="handlers.events"):
        reply = slack.event({"type": "app_uninstalled"})

    assert reply.status == 200
    assert workspace(deps).sending_paused_reason == "the app was uninstalled from Slack"
    assert workspace(deps).sending_paused_at == NOW
    assert any("Nothing will be sent" in r.message for r in caplog.records)
    assert Sender(deps, all_kinds()).run_once().claimed == 0


def test_a_revoked_bot_token_pauses_sending(slack, deps, fake_slack):
    slack.event({"type": "tokens_revoked", "tokens": {"bot": ["U0BOT0001"], "oauth": []}})

    assert workspace(deps).sending_paused_reason == "Slack revoked the bot token"


def test_revoked_user_tokens_alone_change_nothing(slack, deps, fake_slack):
    slack.event({"type": "tokens_revoked", "tokens": {"oauth": [MENTEE]}})

    paused = workspace(deps)
    assert paused is None or paused.sending_paused_reason is None


def test_a_second_revocation_keeps_the_first_reason_and_time(slack, deps, clock):
    slack.event({"type": "app_uninstalled"})
    clock.advance(minutes=5)

    slack.event({"type": "tokens_revoked", "tokens": {"bot": ["U0BOT0001"]}})

    assert workspace(deps).sending_paused_reason == "the app was uninstalled from Slack"
    assert workspace(deps).sending_paused_at == NOW


@pytest.mark.parametrize("code", ["account_inactive", "user_disabled", "user_not_found", "cannot_dm_bot"])
def test_an_account_the_sender_found_gone_comes_back_when_slack_shows_it_again(slack, deps, fake_slack, code):
    person_with_profile(deps, TEAM_ID, MENTOR)
    queue_notice(deps)
    fake_slack.fail("chat.postMessage", code)
    Sender(deps, all_kinds()).run_once()
    gone = person(deps)
    assert (gone.is_active, gone.inactive_reason, gone.next_nudge_at) == (False, code, None)

    slack.event(user_change(fake_slack, MENTOR, "Europe/London"))  # re-enabled: a live profile again

    back = person(deps)
    assert (back.is_active, back.inactive_reason) == (True, None)
    assert back.next_nudge_at == NOW  # the planner looks at them on its next tick


def test_a_bot_profile_does_not_bring_anyone_back(slack, deps, fake_slack):
    person_with_profile(deps, TEAM_ID, MENTOR)
    queue_notice(deps)
    fake_slack.fail("chat.postMessage", "account_inactive")
    Sender(deps, all_kinds()).run_once()
    fake_slack.users[MENTOR].is_bot = True

    slack.event(user_change(fake_slack, MENTOR, "Europe/London"))

    assert (person(deps).is_active, person(deps).inactive_reason) == (False, "account_inactive")


@pytest.mark.parametrize(
    "broken",
    [
        {"tz": ["Europe/Paris"]},
        {"real_name": 42, "profile": {"email": 7, "display_name": ["x"], "real_name": {"a": 1}}},
        {"profile": "not a dict", "name": 3.5, "team_id": ["T"]},
        {"deleted": "yes", "is_bot": [1]},
    ],
)
def test_a_user_change_with_values_of_the_wrong_type_changes_nothing_and_raises_nothing(
    slack, deps, fake_slack, caplog, broken
):
    person_with_profile(deps, TEAM_ID, MENTOR)  # Europe/London
    before = person(deps)

    reply = slack.event({"type": "user_change", "user": {**fake_slack.users[MENTOR].as_slack(), **broken}})

    assert reply.status == 200
    after = person(deps)
    assert (after.tz, after.is_active, after.email) == (before.tz, before.is_active, before.email)
    assert not [r for r in caplog.records if r.exc_info]


@pytest.mark.parametrize("tokens", [["U0BOT0001"], {"bot": "U0BOT0001"}, "bot", {"bot": {"U0BOT0001": 1}}])
def test_a_tokens_revoked_event_of_the_wrong_shape_pauses_nothing_and_raises_nothing(
    slack, deps, caplog, tokens
):
    reply = slack.event({"type": "tokens_revoked", "tokens": tokens})

    assert reply.status == 200
    paused = workspace(deps)
    assert paused is None or paused.sending_paused_reason is None
    assert not [r for r in caplog.records if r.exc_info]
