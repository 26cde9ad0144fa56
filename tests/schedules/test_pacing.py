"""Pacing posts to Slack's published limits (a driven clock; nothing sleeps)."""

from __future__ import annotations

import pytest

from schedules.pacing import Pacer


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def delays(pacer: Pacer, posts: list[tuple[str, str]]) -> list[float]:
    return [round(pacer.reserve(team, conversation), 3) for team, conversation in posts]


def test_a_workspace_gets_its_burst_then_one_post_per_spacing(clock):
    pacer = Pacer(per_minute=600, workspace_burst=3, clock=clock)

    waits = delays(pacer, [("T1", f"U{i}") for i in range(6)])

    # 600 a minute is one post every 0.1 s once the burst of three is used.
    assert waits == [0.0, 0.0, 0.0, 0.1, 0.2, 0.3]


def test_workspaces_are_paced_apart(clock):
    pacer = Pacer(per_minute=60, workspace_burst=1, clock=clock)

    assert delays(pacer, [("T1", "U1"), ("T2", "U1"), ("T1", "U2"), ("T2", "U2")]) == [0.0, 0.0, 1.0, 1.0]


def test_one_conversation_gets_about_one_post_a_second(clock):
    pacer = Pacer(per_minute=6000, conversation_burst=1, clock=clock)
    waits = []
    for conversation in ("C1", "C1", "C2", "C1"):
        waits.append(round(pacer.reserve("T1", conversation), 3))
        clock.now += waits[-1]  # the sender waits, then posts

    # The second post to C1 waits a second; C2 goes at once; C1's third a second later.
    assert waits == [0.0, 1.0, 0.0, 1.0]


def test_time_passing_frees_the_slots(clock):
    pacer = Pacer(per_minute=60, workspace_burst=1, clock=clock)
    assert delays(pacer, [("T1", "U1"), ("T1", "U2")]) == [0.0, 1.0]

    clock.now += 5

    assert delays(pacer, [("T1", "U3")]) == [0.0]


def test_a_429_holds_the_workspace_for_retry_after(clock):
    pacer = Pacer(per_minute=600, workspace_burst=5, clock=clock)
    pacer.hold("T1", 30)

    assert delays(pacer, [("T1", "U1"), ("T2", "U1")]) == [30.0, 0.0]
