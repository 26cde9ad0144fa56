"""Two clocks sharing one PostgreSQL database: 1,000 due nudges, each sent exactly once."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, func, insert, select

from bot.app import build_deps
from bot.db import make_session_factory, transaction
from bot.models import Delivery, DeliveryStatus, NudgeSend, Pair, Person
from bot.people import ensure_workspace
from bot.slack import make_client
from schedules.clock import Clock
from schedules.kinds import all_kinds
from schedules.pacing import pacer_for
from schedules.sender import Sender
from tests.conftest import _truncate_all, require_postgres
from tests.fakes.clock import MovableClock
from tests.fakes.slack_api import TEAM_ID

MENTORS = 1000
SLOT = datetime(2026, 12, 1, 14, 30, tzinfo=UTC)  # Tuesday 09:30 in New York


@pytest.fixture(params=[pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request, pg_schema_engine) -> Engine:
    """PostgreSQL only: on SQLite a second clock refuses to start (schedules/lock.py)."""
    require_postgres()
    assert pg_schema_engine is not None
    _truncate_all(pg_schema_engine)
    return pg_schema_engine


def add_mentors(session_factory, fake_slack) -> None:
    with transaction(session_factory) as session:
        ensure_workspace(session, TEAM_ID)
        mentee_id = session.scalar(
            insert(Person)
            .values(team_id=TEAM_ID, user_id="U0MENTEE1", tz="America/New_York")
            .returning(Person.id)
        )
        users = [f"U0M{i:07d}" for i in range(MENTORS)]
        session.execute(
            insert(Person),
            [
                {"team_id": TEAM_ID, "user_id": u, "tz": "America/New_York", "next_nudge_at": SLOT}
                for u in users
            ],
        )
        mentor_ids = session.scalars(select(Person.id).where(Person.user_id.in_(users)))
        session.execute(
            insert(Pair), [{"team_id": TEAM_ID, "mentor_id": m, "mentee_id": mentee_id} for m in mentor_ids]
        )
    for user in users:
        fake_slack.add_user(user)


def test_two_clocks_at_once_send_each_of_1000_nudges_exactly_once(settings, engine, fake_slack):
    add_mentors(make_session_factory(engine), fake_slack)
    clock = MovableClock(SLOT)
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def run_clock(name: str) -> None:
        # Each clock has its own sessions, Slack client and sender, as separate processes would.
        deps = build_deps(
            settings,
            client=make_client(settings, retries=0),
            session_factory=make_session_factory(engine),
            clock=clock,
        )
        # The clocks share one pacing schedule (send_pace), as in production, at a hundred
        # times Slack's rate: at Slack's, 1,000 posts take 100 s (bench/bench_fanout.py
        # measures that); this test is about each being sent exactly once.
        pacer = pacer_for(deps.session_factory, per_minute=60_000)
        runner = Clock(deps, sender=Sender(deps, all_kinds(), worker_id=name, pacer=pacer))
        start.wait()
        try:
            idle = 0
            while idle < 3:
                result = runner.tick()
                busy = (result.get("nudges") or {}).get("mentors") or (result.get("send") or {}).get(
                    "claimed"
                )
                idle = 0 if busy else idle + 1
        except BaseException as error:  # surfaced in the main thread below
            errors.append(error)

    threads = [threading.Thread(target=run_clock, args=(name,)) for name in ("clock-a", "clock-b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert not errors
    posts = Counter(call.args["channel"] for call in fake_slack.calls_to("chat.postMessage"))
    assert len(posts) == MENTORS and set(posts.values()) == {1}
    with make_session_factory(engine)() as session:
        statuses = Counter(session.scalars(select(Delivery.status)))
        assert statuses == {DeliveryStatus.SENT: MENTORS}
        assert session.scalar(select(func.count()).where(NudgeSend.sent_at.is_not(None))) == MENTORS
        by_worker = Counter(session.scalars(select(Delivery.claimed_by)))
    # Both clocks did part of the sending.
    assert set(by_worker) == {"clock-a", "clock-b"}
