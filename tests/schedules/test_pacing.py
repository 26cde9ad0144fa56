"""Pacing posts to Slack's published limits: the schedule on a driven clock, and a clock
tick whose paced send pass keeps its budget."""

from __future__ import annotations

from datetime import UTC, timedelta

import pytest
from sqlalchemy import select

from bot.db import transaction
from bot.models import Delivery, DeliveryStatus
from bot.outbox import enqueue_message
from bot.people import ensure_person, ensure_workspace
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


# --- the sender's waits, on a driven clock ------------------------------------------------

OTHER_TEAM = "T0OTHERWS"


class Waits:
    """The sender's pacing wait: moves the test's clock instead of sleeping. `overrun`
    adds time the wait took beyond what was asked (a busy machine); `interrupt` answers
    as a wait cut short by shutdown."""

    def __init__(self, seconds: Seconds, *, overrun: float = 0.0, interrupt: bool = False) -> None:
        self.seconds, self.overrun, self.interrupt = seconds, overrun, interrupt
        self.asked: list[float] = []

    def __call__(self, delay: float) -> bool:
        self.asked.append(round(delay, 3))
        if self.interrupt:
            return True
        self.seconds.now += delay + self.overrun
        return False


def queue(deps, fake_slack, team: str, users: list[str], *, person_id: int | None = None) -> None:
    with transaction(deps.session_factory) as session:
        ensure_workspace(session, team)
        for user in users:
            fake_slack.add_user(user)
            enqueue_message(
                session,
                team_id=team,
                recipient=user,
                dedupe_key=f"{team}:{user}",
                due_at=deps.now(),
                text="Hi",
                person_id=person_id,
            )


def by_recipient(deps) -> dict[str, Delivery]:
    with deps.session_factory() as session:
        return {row.recipient: row for row in session.scalars(select(Delivery))}


def paced_sender(deps, seconds: Seconds, waits: Waits, **pacer_options) -> Sender:
    pacer = Pacer(clock=seconds, **pacer_options)
    return Sender(deps, all_kinds(), pacer=pacer, wait=waits, post_seconds=0.0)


def test_a_workspace_held_by_an_earlier_429_is_skipped_not_waited_for(deps, fake_slack, seconds):
    queue(deps, fake_slack, TEAM_ID, ["U0HELD1", "U0HELD2"])
    queue(deps, fake_slack, OTHER_TEAM, ["U0FREE1"])
    waits = Waits(seconds)
    sender = paced_sender(deps, seconds, waits)
    sender.pacer.hold(TEAM_ID, 30)  # a 429 in the previous tick's pass

    report = sender.run_once(budget_seconds=50)

    # No 30-second wait blocked the other workspace: its row went at once.
    assert waits.asked == []
    assert report.claimed == 1 and report.sent == 1
    rows = by_recipient(deps)
    assert rows["U0FREE1"].status == DeliveryStatus.SENT
    for user in ("U0HELD1", "U0HELD2"):
        assert rows[user].status == DeliveryStatus.PENDING and rows[user].attempts == 0
    assert [c.args["channel"] for c in fake_slack.calls_to("chat.postMessage")] == ["U0FREE1"]


def test_a_far_slot_found_mid_pass_hands_the_row_back_for_then(deps, fake_slack, seconds):
    queue(deps, fake_slack, TEAM_ID, ["U0FIRST", "U0SECOND"])
    waits = Waits(seconds)
    # One post a minute: the second row's slot is a minute off, far beyond a short wait.
    sender = paced_sender(deps, seconds, waits, per_minute=1, workspace_burst=1)

    report = sender.run_once(budget_seconds=50)

    assert waits.asked == [] and report.sent == 1 and report.paced == 1
    second = by_recipient(deps)["U0SECOND"]
    assert second.status == DeliveryStatus.PENDING and second.attempts == 0 and second.claimed_by is None
    assert second.next_attempt_at.replace(tzinfo=UTC) >= deps.now() + timedelta(seconds=59)


def test_a_slot_beyond_the_budget_left_is_not_waited_for(deps, fake_slack, seconds):
    queue(deps, fake_slack, TEAM_ID, ["U0FIRST", "U0SECOND"])
    waits = Waits(seconds)
    sender = paced_sender(deps, seconds, waits, per_minute=60, workspace_burst=1)

    report = sender.run_once(budget_seconds=0.5)  # the second slot is a second off

    assert waits.asked == [] and report.sent == 1
    second = by_recipient(deps)["U0SECOND"]
    # Still due: the next pass (next tick) sends it, whatever the time then.
    assert second.status == DeliveryStatus.PENDING and second.next_attempt_at == deps.now()


def test_the_budget_is_checked_again_after_a_wait(deps, fake_slack, seconds):
    queue(deps, fake_slack, TEAM_ID, ["U0FIRST", "U0SECOND"])
    waits = Waits(seconds, overrun=30.0)  # the wait came back far later than asked
    sender = paced_sender(deps, seconds, waits, per_minute=60, workspace_burst=1)

    report = sender.run_once(budget_seconds=5)

    assert waits.asked == [1.0] and report.sent == 1
    second = by_recipient(deps)["U0SECOND"]
    assert second.status == DeliveryStatus.PENDING and second.attempts == 0
    assert len(fake_slack.calls_to("chat.postMessage")) == 1


def test_shutdown_during_a_pacing_wait_hands_the_row_back_unsent(deps, fake_slack, seconds):
    queue(deps, fake_slack, TEAM_ID, ["U0FIRST", "U0SECOND"])
    waits = Waits(seconds, interrupt=True)
    sender = paced_sender(deps, seconds, waits, per_minute=60, workspace_burst=1)

    report = sender.run_once(budget_seconds=50)

    assert waits.asked == [1.0] and report.sent == 1
    second = by_recipient(deps)["U0SECOND"]
    assert second.status == DeliveryStatus.PENDING and second.attempts == 0 and second.claimed_by is None
    assert [c.args["channel"] for c in fake_slack.calls_to("chat.postMessage")] == ["U0FIRST"]


def test_a_row_that_will_not_be_sent_takes_no_slot(deps, fake_slack, seconds):
    with transaction(deps.session_factory) as session:
        left = ensure_person(session, TEAM_ID, "U0OPTEDOUT")
        left.opted_out_at = deps.now()
        session.flush()
        left_id = left.id
    queue(deps, fake_slack, TEAM_ID, ["U0OPTEDOUT"], person_id=left_id)
    queue(deps, fake_slack, TEAM_ID, ["U0WANTED"])
    waits = Waits(seconds)
    sender = paced_sender(deps, seconds, waits, per_minute=60, workspace_burst=1)

    report = sender.run_once(budget_seconds=50)

    # The opted-out row was cancelled without using the one free slot: no wait.
    assert report.cancelled == 1 and report.sent == 1 and waits.asked == []


def test_no_post_starts_unless_the_worst_post_still_fits_the_budget(deps, fake_slack, seconds):
    queue(deps, fake_slack, TEAM_ID, ["U0LATE"])
    sender = Sender(deps, all_kinds(), pacer=Pacer(clock=seconds), wait=Waits(seconds), post_seconds=10.0)

    report = sender.run_once(budget_seconds=5)

    assert report.claimed == 0 and fake_slack.calls_to("chat.postMessage") == []
    assert by_recipient(deps)["U0LATE"].status == DeliveryStatus.PENDING


def test_report_charts_are_uploaded_before_the_send_pass(deps):
    names = [name for name, _step in Clock(deps).tick_steps]

    # The send pass runs to the end of the tick's budget: nothing may come after it.
    assert names[-1] == "send" and names.index("report_charts") < names.index("send")
