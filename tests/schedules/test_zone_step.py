"""Nothing reaches a person outside their allowed hours, even before we knew their zone."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.db import transaction
from bot.models import Delivery, DeliveryStatus, Person
from bot.outbox import enqueue_message
from bot.people import ensure_person, ensure_workspace
from schedules.clock import Clock
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
