"""Pacing posts to Slack's published limits: the schedule on a driven clock, and a clock
tick whose paced send pass keeps its budget."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.db import transaction
from bot.models import Delivery, DeliveryStatus
from bot.outbox import enqueue_message
from bot.people import ensure_workspace
from schedules.clock import SEND_MARGIN_SECONDS, Clock
from schedules.kinds import all_kinds
from schedules.pacing import Pacer
from schedules.sender import Sender
from tests.fakes.slack_api import TEAM_ID


class Seconds:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def seconds() -> Seconds:
    return Seconds()


def delays(pacer: Pacer, posts: list[tuple[str, str]]) -> list[float]:
    return [round(pacer.reserve(team, conversation), 3) for team, conversation in posts]


def test_a_workspace_gets_its_burst_then_one_post_per_spacing(seconds):
    pacer = Pacer(per_minute=600, workspace_burst=3, clock=seconds)

    waits = delays(pacer, [("T1", f"U{i}") for i in range(6)])

    # 600 a minute is one post every 0.1 s once the burst of three is used.
    assert waits == [0.0, 0.0, 0.0, 0.1, 0.2, 0.3]


def test_workspaces_are_paced_apart(seconds):
    pacer = Pacer(per_minute=60, workspace_burst=1, clock=seconds)

    assert delays(pacer, [("T1", "U1"), ("T2", "U1"), ("T1", "U2"), ("T2", "U2")]) == [0.0, 0.0, 1.0, 1.0]


def test_one_conversation_gets_about_one_post_a_second(seconds):
    pacer = Pacer(per_minute=6000, conversation_burst=1, clock=seconds)
    waits = []
    for conversation in ("C1", "C1", "C2", "C1"):
        waits.append(round(pacer.reserve("T1", conversation), 3))
        seconds.now += waits[-1]  # the sender waits, then posts

    # The second post to C1 waits a second; C2 goes at once; C1's third a second later.
    assert waits == [0.0, 1.0, 0.0, 1.0]


def test_time_passing_frees_the_slots(seconds):
    pacer = Pacer(per_minute=60, workspace_burst=1, clock=seconds)
    assert delays(pacer, [("T1", "U1"), ("T1", "U2")]) == [0.0, 1.0]

    seconds.now += 5

    assert delays(pacer, [("T1", "U3")]) == [0.0]


def test_a_429_holds_the_workspace_for_retry_after(seconds):
    pacer = Pacer(per_minute=600, workspace_burst=5, clock=seconds)
    pacer.hold("T1", 30)

    assert delays(pacer, [("T1", "U1"), ("T2", "U1")]) == [30.0, 0.0]


def test_a_paced_pass_stops_at_the_ticks_budget_and_hands_the_rest_back(deps, fake_slack):

    users = [f"U0PACED{i:02d}" for i in range(5)]
    with transaction(deps.session_factory) as session:
        ensure_workspace(session, TEAM_ID)
        for user in users:
            fake_slack.add_user(user)
            enqueue_message(
                session, team_id=TEAM_ID, recipient=user, dedupe_key=user, due_at=deps.now(), text="Hi"
            )
    # One post a second, and a tick that leaves the sender about a second.
    # Posts to the local fake take milliseconds, not the posting client's worst case.
    sender = Sender(deps, all_kinds(), pacer=Pacer(per_minute=60, workspace_burst=1), post_seconds=0.0)
    clock = Clock(deps, sender=sender, tick_seconds=SEND_MARGIN_SECONDS + 1.0)
    clock.tick_steps = [step for step in clock.tick_steps if step[0] == "send"]

    clock.tick()

    with deps.session_factory() as session:
        statuses = list(session.scalars(select(Delivery.status)))
    sent = statuses.count(DeliveryStatus.SENT)
    # The pass stopped at its budget; what it had claimed but not sent waits, unsent.
    assert 1 <= sent < len(users)
    assert statuses.count(DeliveryStatus.PENDING) == len(users) - sent
    assert len(fake_slack.calls_to("chat.postMessage")) == sent
