"""The pacing schedule clocks share through the database (`send_pace`): two pacers, as
two clock processes would have, hand out one workspace's slots between them."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, select, text

from bot.db import SessionFactory, is_sqlite, make_engine, make_session_factory, transaction
from bot.models import Base, SendPace
from bot.outbox import enqueue_message
from bot.people import ensure_workspace
from schedules.kinds import all_kinds
from schedules.pacing import Pacer, SharedPacer, pacer_for
from schedules.sender import Sender
from tests.conftest import require_postgres

TEAM = "T0SHARED1"
OTHER_TEAM = "T0SHARED2"
# Wall-clock seconds (the epoch) where the tests' time starts.
START = 1_800_000_000.0


class Seconds:
    """A clock the test moves, read as both the wall clock and the monotonic one."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now


def with_workspaces(factory: SessionFactory) -> SessionFactory:
    with transaction(factory) as session:
        ensure_workspace(session, TEAM)
        ensure_workspace(session, OTHER_TEAM)
    return factory


@pytest.fixture
def two_factories(tmp_path) -> Iterator[tuple[SessionFactory, SessionFactory]]:
    """Two engines on one SQLite file: as two processes would open it."""
    url = f"sqlite:///{tmp_path / 'pace.db'}"
    first, second = make_engine(url), make_engine(url)
    Base.metadata.create_all(first)
    yield with_workspaces(make_session_factory(first)), make_session_factory(second)
    first.dispose()
    second.dispose()


def two_pacers(factories, seconds: Seconds, **options) -> tuple[SharedPacer, SharedPacer]:
    return tuple(SharedPacer(factory, clock=seconds, wall=seconds, **options) for factory in factories)


def test_two_pacers_hand_out_disjoint_slots_at_the_budgets_spacing(two_factories):
    seconds = Seconds()
    first, second = two_pacers(two_factories, seconds, per_minute=600, workspace_burst=1)

    waits = [round(pacer.reserve(TEAM, f"D{i}"), 3) for i, pacer in enumerate([first, second] * 4)]

    # One schedule: each reservation takes the next tenth of a second, whichever clock asks.
    assert waits == [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]
    # Another workspace has its own budget.
    assert second.reserve(OTHER_TEAM, "D0") == 0.0


def test_the_shared_burst_is_one_burst_for_all_clocks(two_factories):
    seconds = Seconds()
    first, second = two_pacers(two_factories, seconds, per_minute=600, workspace_burst=3)

    waits = [round(pacer.reserve(TEAM, f"D{i}"), 3) for i, pacer in enumerate([first, second] * 3)]

    assert waits == [0.0, 0.0, 0.0, 0.1, 0.2, 0.3]


def test_time_passing_frees_the_shared_schedule(two_factories):
    seconds = Seconds()
    first, second = two_pacers(two_factories, seconds, per_minute=60, workspace_burst=1)
    assert first.reserve(TEAM, "D1") == 0.0
    assert round(second.reserve(TEAM, "D2"), 3) == 1.0

    seconds.now += 5

    assert first.reserve(TEAM, "D3") == 0.0


def test_a_hold_one_clock_meets_holds_the_workspace_for_the_other(two_factories):
    seconds = Seconds()
    first, second = two_pacers(two_factories, seconds, workspace_burst=5)

    first.hold(TEAM, 30)  # Slack answered the first clock 429, Retry-After: 30

    # The second clock's next pass leaves the workspace out, and a slot is not before then.
    assert {team: round(wait, 3) for team, wait in second.holds(2).items()} == {TEAM: 30.0}
    assert round(second.reserve(TEAM, "D1"), 3) == 30.0
    assert second.reserve(OTHER_TEAM, "D1") == 0.0
    # A shorter 429 later does not shorten the hold.
    second.hold(TEAM, 5)
    with two_factories[0]() as session:
        held = session.scalar(select(SendPace.held_until).where(SendPace.team_id == TEAM))
    assert held is not None and held.timestamp() == START + 30


def test_a_slot_given_back_by_one_clock_goes_to_the_other(two_factories):
    seconds = Seconds()
    first, second = two_pacers(two_factories, seconds, per_minute=60, workspace_burst=1)
    assert first.reserve(TEAM, "D1") == 0.0
    assert round(first.reserve(TEAM, "D2"), 3) == 1.0

    first.give_back(TEAM, "D2")  # that row was handed back unsent

    assert round(second.reserve(TEAM, "D3"), 3) == 1.0


def test_conversations_are_paced_in_each_clocks_memory(two_factories):
    seconds = Seconds()
    first, _ = two_pacers(two_factories, seconds, per_minute=6000, conversation_burst=1)

    waits = [round(first.reserve(TEAM, "D1"), 3) for _ in range(3)]

    assert waits == [0.0, 1.0, 2.0]


def test_sqlite_keeps_the_in_memory_pacer(two_factories):
    # One clock per SQLite file (schedules/lock.py), whose writes go one at a time: the
    # sender reserves inside its own transaction, where a second one would wait on it.
    pacer = pacer_for(two_factories[0])
    assert type(pacer) is Pacer


# --- PostgreSQL: two engines claiming at once ------------------------------------------


@pytest.mark.postgres
def test_two_postgres_clocks_claiming_at_once_never_share_a_slot(pg_schema_engine: Engine | None):
    require_postgres()
    assert pg_schema_engine is not None
    with pg_schema_engine.connect() as connection:
        schema = connection.execute(text("SELECT current_schema()")).scalar_one()
        connection.execute(text("DELETE FROM send_pace"))
        connection.commit()
    other = make_engine(
        pg_schema_engine.url.render_as_string(hide_password=False),
        connect_args={"options": f"-csearch_path={schema}"},
    )
    factories = (with_workspaces(make_session_factory(pg_schema_engine)), make_session_factory(other))
    # A wall clock that stands still: every slot is then START plus its wait, so two
    # reservations reading the same state (a lost update) would show as equal waits.
    frozen = Seconds()
    pacers = [pacer_for(factory, per_minute=600, workspace_burst=1) for factory in factories]
    assert all(isinstance(pacer, SharedPacer) for pacer in pacers)
    for pacer in pacers:
        pacer.wall = frozen
    waits: list[list[float]] = [[], []]
    start = threading.Barrier(2)

    def claim(index: int) -> None:
        start.wait()
        waits[index].extend(round(pacers[index].reserve(TEAM, f"D{index}-{i}"), 3) for i in range(40))

    threads = [threading.Thread(target=claim, args=(index,)) for index in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    other.dispose()

    every = sorted(waits[0] + waits[1])
    assert every == [round(0.1 * slot, 3) for slot in range(80)]
    # Both clocks did claim (the test would prove nothing if one ran alone).
    assert waits[0] and waits[1]


# --- two senders (two clocks) on PostgreSQL -------------------------------------------


def test_a_429_one_clock_meets_holds_the_workspace_for_the_other_clock(engine, deps, fake_slack, clock):
    if is_sqlite(engine):
        pytest.skip("one clock per SQLite file: there is no other clock to share with")
    with transaction(deps.session_factory) as session:
        ensure_workspace(session, TEAM)
        for user in ("U0FIRST01", "U0SECOND1"):
            fake_slack.add_user(user)
            enqueue_message(
                session, team_id=TEAM, recipient=user, dedupe_key=user, due_at=deps.now(), text="Hi"
            )
    fake_slack.rate_limit("chat.postMessage", retry_after=30)

    # The first clock takes one row and meets the 429 …
    assert Sender(deps, all_kinds(), worker_id="clock-1", batch_size=1).run_once().sent == 0
    # … and the second clock, with a row of that workspace due, leaves it alone.
    second = Sender(deps, all_kinds(), worker_id="clock-2")
    assert isinstance(second.pacer, SharedPacer)
    assert second.run_once().claimed == 0
    assert len(fake_slack.calls_to("chat.postMessage")) == 1

    clock.advance(seconds=31)
    assert second.run_once().sent == 2


def test_with_the_database_unreachable_a_clock_paces_alone(tmp_path):
    # No send_pace table here: every statement fails, as with the database down.
    engine = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    seconds = Seconds()
    pacer = SharedPacer(
        make_session_factory(engine), clock=seconds, wall=seconds, per_minute=60, workspace_burst=1
    )

    waits = [round(pacer.reserve(TEAM, f"D{i}"), 3) for i in range(2)]
    pacer.hold(TEAM, 30)
    pacer.give_back(TEAM, "D1")

    # This clock's own schedule, holds included: spaced, never an error for the sender.
    assert waits == [0.0, 1.0]
    assert {team: round(wait, 3) for team, wait in pacer.holds(2).items()} == {TEAM: 30.0}
    assert round(pacer.reserve(TEAM, "D2"), 3) == 30.0
    engine.dispose()
