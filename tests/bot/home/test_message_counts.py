"""Admins see how the app's messages went, with those lost mid-send counted as interrupted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.db import transaction
from bot.home.service import build_home
from bot.models import Delivery, DeliveryStatus
from bot.outbox import enqueue_message
from bot.people import ensure_person, ensure_workspace
from tests.conftest import ADMIN, MENTOR
from tests.fakes.block_limits import view_errors
from tests.fakes.slack_api import TEAM_ID

NOW = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)


def queue(session, key: str, status: str, due: datetime) -> None:
    enqueue_message(session, team_id=TEAM_ID, recipient=MENTOR, dedupe_key=key, due_at=due, text="hi")
    row = session.query(Delivery).filter_by(dedupe_key=key).one()
    row.status = status


def test_admins_see_sent_and_interrupted_apart_and_others_see_nothing(session_factory, settings):
    with transaction(session_factory) as session:
        ensure_workspace(session, TEAM_ID)
        ensure_person(session, TEAM_ID, MENTOR)
        for i in range(3):
            queue(session, f"sent{i}", DeliveryStatus.SENT, NOW - timedelta(days=2))
        queue(session, "lost", DeliveryStatus.INTERRUPTED, NOW - timedelta(days=1))
        queue(session, "old", DeliveryStatus.INTERRUPTED, NOW - timedelta(days=90))  # out of the window
        admin_view = build_home(session, settings, TEAM_ID, ADMIN, NOW)
        mentor_view = build_home(session, settings, TEAM_ID, MENTOR, NOW)

    shown = str(admin_view["blocks"])
    assert view_errors(admin_view) == []
    assert "Messages, last 30 days" in shown
    assert "3 sent" in shown and "1 interrupted (may or may not have arrived; never sent twice)" in shown
    assert "Messages, last 30 days" not in str(mentor_view["blocks"])
