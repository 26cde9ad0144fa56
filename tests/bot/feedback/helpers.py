"""Setting up pairs and reading feedback requests and meeting logs, shared by these tests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from bot.db import SessionFactory, transaction
from bot.models import Delivery, FeedbackRequest, MeetingLog, Pair
from bot.people import ensure_person
from tests.fakes.slack_api import TEAM_ID

# Long before any test's "now": old enough for every rule about new pairs.
LONG_AGO = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def pair_up(
    session_factory: SessionFactory,
    mentor: str,
    mentee: str,
    *,
    mentor_tz: str = "Europe/London",
    mentee_tz: str = "America/New_York",
    started_at: datetime = LONG_AGO,
    **mentor_fields: Any,
) -> int:
    """An active pair (no nudge, check-in or self-check planning asked for, so those
    planners stay out of the way); returns the pair id."""
    with transaction(session_factory) as session:
        mentor_row = ensure_person(session, TEAM_ID, mentor)
        mentor_row.tz = mentor_tz
        for name, value in mentor_fields.items():
            setattr(mentor_row, name, value)
        mentee_row = ensure_person(session, TEAM_ID, mentee)
        mentee_row.tz = mentee_tz
        pair = Pair(
            team_id=TEAM_ID,
            mentor_id=mentor_row.id,
            mentee_id=mentee_row.id,
            started_at=started_at,
        )
        session.add(pair)
        session.flush()
        # A new pair's check-ins are planned from its start (the column's default); these
        # tests are about other messages, so take it off the pulse planner's list.
        pair.next_pulse_at = None
        return pair.id


def end_pair(session_factory: SessionFactory, pair_id: int, when: datetime) -> None:
    """End a pair the way the roster does (only the column matters here)."""
    with transaction(session_factory) as session:
        pair = session.get(Pair, pair_id)
        assert pair is not None
        pair.ended_at = when


def requests(session_factory: SessionFactory) -> list[FeedbackRequest]:
    """Every feedback request, oldest first."""
    with session_factory() as session:
        return list(session.scalars(select(FeedbackRequest).order_by(FeedbackRequest.id)))


def meetings(session_factory: SessionFactory) -> list[MeetingLog]:
    """Every meeting-log row, oldest first."""
    with session_factory() as session:
        return list(session.scalars(select(MeetingLog).order_by(MeetingLog.id)))


def deliveries(session_factory: SessionFactory, kind: str | None = None) -> list[Delivery]:
    """Outbox rows, oldest first (optionally of one kind)."""
    with session_factory() as session:
        query = select(Delivery).order_by(Delivery.id)
        if kind is not None:
            query = query.where(Delivery.kind == kind)
        return list(session.scalars(query))


def button(blocks: list[dict[str, Any]], action_id: str) -> dict[str, Any]:
    """The element with `action_id` in a message's blocks."""
    for block in blocks:
        for element in block.get("elements", []):
            if element.get("action_id") == action_id:
                return element
    raise AssertionError(f"no {action_id} in {blocks}")


def action_ids(blocks: list[dict[str, Any]]) -> list[str]:
    """Every action id in a message's blocks, in order."""
    return [e["action_id"] for b in blocks for e in b.get("elements", []) if "action_id" in e]
