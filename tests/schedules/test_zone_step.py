"""Nothing reaches a person outside their allowed hours, even before we knew their zone."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.db import transaction
from bot.models import Delivery, DeliveryStatus, Person
from bot.outbox import enqueue_message
from bot.people import ensure_person, ensure_workspace
from schedules.clock import Clock
from schedules.zone_step import learn_unknown_zones
from tests.fakes.clock import MovableClock
from tests.fakes.slack_api import TEAM_ID

NIGHT_OWL = "U0NIGHT01"
LOS_ANGELES = ZoneInfo("America/Los_Angeles")
# Wednesday 6 January 2027, 13:16 UTC: 05:16 in Los Angeles.
EARLY = datetime(2027, 1, 6, 13, 16, tzinfo=UTC)


@pytest.fixture
def clock():
    return MovableClock(EARLY)


def queue_notice(deps) -> None:
    """An admin notice ("I can't post in #ward…") for someone whose profile we never read."""
    with transaction(deps.session_factory) as session:
        ensure_workspace(session, TEAM_ID)
        admin = ensure_person(session, TEAM_ID, NIGHT_OWL)
        assert admin.tz is None
        enqueue_message(
            session,
            team_id=TEAM_ID,
            recipient=NIGHT_OWL,
            dedupe_key="reflection-problem:ward",
            due_at=deps.now(),
            text="I couldn't post the January reflection prompt in #ward-4-mentors.",
            person_id=admin.id,
        )


def test_a_notice_to_someone_whose_zone_we_never_read_waits_for_their_morning(deps, fake_slack, clock):
    fake_slack.add_user(NIGHT_OWL, "night.owl", tz="America/Los_Angeles")
    queue_notice(deps)

    Clock(deps).tick()

    assert fake_slack.dms_to(NIGHT_OWL) == []
    with deps.session_factory() as session:
        row = session.scalars(select(Delivery)).one()
        person = session.scalars(select(Person).where(Person.user_id == NIGHT_OWL)).one()
        assert person.tz == "America/Los_Angeles"
        assert row.status == DeliveryStatus.PENDING
        local = row.next_attempt_at.astimezone(LOS_ANGELES)
        assert local.date() == EARLY.astimezone(LOS_ANGELES).date()
        assert person.contact_start <= local.hour * 60 + local.minute < person.contact_end
    clock.set(row.next_attempt_at)
    Clock(deps).tick()
    assert len(fake_slack.dms_to(NIGHT_OWL)) == 1


def test_zones_already_known_cost_no_slack_call(deps, fake_slack, clock):
    fake_slack.add_user(NIGHT_OWL, "night.owl", tz="America/Los_Angeles")
    queue_notice(deps)
    Clock(deps).tick()
    fake_slack.reset_calls()

    Clock(deps).tick()

    assert fake_slack.calls_to("users.info") == []


def queue_for(deps, user_id: str, due) -> None:
    with transaction(deps.session_factory) as session:
        ensure_workspace(session, TEAM_ID)
        person = ensure_person(session, TEAM_ID, user_id)
        enqueue_message(
            session,
            team_id=TEAM_ID,
            recipient=user_id,
            dedupe_key=f"notice:{user_id}",
            due_at=due,
            text="A notice.",
            person_id=person.id,
        )


def refreshed_at(deps, user_id: str):
    with deps.session_factory() as session:
        return session.scalars(select(Person.tz_refreshed_at).where(Person.user_id == user_id)).one()


def test_a_failed_look_up_is_stamped_so_the_next_tick_moves_on_to_others(deps, fake_slack, clock):
    fake_slack.add_user(NIGHT_OWL, "night.owl", tz="America/Los_Angeles")
    queue_notice(deps)
    fake_slack.fail("users.info", "internal_error", times=5)

    assert learn_unknown_zones(deps) == {"failed": 1}
    assert refreshed_at(deps, NIGHT_OWL) == EARLY  # the daily profile refresh tries again
    fake_slack.reset_calls()

    assert learn_unknown_zones(deps) == {}
    assert fake_slack.calls_to("users.info") == []


def test_look_ups_go_soonest_message_first_and_stop_when_the_budget_is_spent(deps, fake_slack, clock):
    people = [f"U0LATE{i:03d}" for i in range(6)]
    for minutes, user_id in enumerate(people):
        fake_slack.add_user(user_id, user_id.lower(), tz="America/Los_Angeles")
        # Queued latest-first, so the database's own order is not the due order.
        queue_for(deps, user_id, EARLY + timedelta(minutes=4 - 0.5 * minutes))
    fake_slack.slow("users.info", 0.3, times=10)

    started = time.monotonic()
    learned = learn_unknown_zones(deps, budget_seconds=0.5)

    assert time.monotonic() - started < 1.5
    asked = [call.args["user"] for call in fake_slack.calls_to("users.info")]
    assert learned == {"learned": len(asked)} and 1 <= len(asked) < len(people)
    assert asked == list(reversed(people))[: len(asked)]


def test_a_slow_users_info_is_tried_once_briefly(deps, fake_slack, clock):
    fake_slack.add_user(NIGHT_OWL, "night.owl", tz="America/Los_Angeles")
    queue_notice(deps)
    fake_slack.answer_late("users.info", 1.0, times=3)

    started = time.monotonic()
    assert learn_unknown_zones(deps, timeout=0.2) == {"failed": 1}

    assert time.monotonic() - started < 0.9
    assert len(fake_slack.calls_to("users.info")) == 1
