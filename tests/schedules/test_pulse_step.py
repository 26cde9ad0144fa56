"""The clock's pulse step: when check-ins are planned, for whom, what a tick costs, and
exactly once across two clocks on PostgreSQL."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import Engine, event, func, insert, select

from bot.app import build_deps
from bot.db import make_session_factory, transaction
from bot.models import CLOSE_OUT, Delivery, DeliveryStatus, Pair, Person, PulseRound, RoundKind, RoundStatus
from bot.people import ensure_workspace
from bot.roster.apply import apply_plan
from bot.roster.types import ImportPlan, PlannedEnd
from bot.slack import make_client
from schedules.clock import Clock
from schedules.kinds import all_kinds
from schedules.pulse_step import run_pulse_step
from schedules.sender import Sender
from tests.conftest import MENTEE, MENTOR, _truncate_all, require_postgres
from tests.fakes.clock import MovableClock
from tests.fakes.slack_api import TEAM_ID
from tests.pulse_helpers import FIRST_DUE, START, make_pair, rounds


@pytest.fixture
def clock():
    return MovableClock(FIRST_DUE)


def test_a_new_pair_is_planned_for_thirty_days_after_it_starts(deps, clock, session_factory):
    pair_id = make_pair(session_factory, MENTOR, MENTEE)
    with session_factory() as session:
        assert session.get(Pair, pair_id).next_pulse_at == START  # a new pair is due for planning at once

    clock.set(START + timedelta(minutes=1))
    run_pulse_step(deps.session_factory, deps.settings, clock.now)

    with session_factory() as session:
        pair = session.get(Pair, pair_id)
        mentor = session.scalars(select(Person).where(Person.user_id == MENTOR)).one()
        assert pair.next_pulse_at == FIRST_DUE
        # The mentor's self-check is now on the clock's list as well, for the same day.
        assert mentor.next_selfcheck_at == FIRST_DUE
    assert rounds(session_factory) == []


def test_after_a_long_downtime_only_one_check_in_is_planned_and_it_is_due_now(deps, clock, session_factory):
    make_pair(session_factory, MENTOR, MENTEE)
    clock.set(FIRST_DUE + timedelta(days=200))

    for _ in range(2):
        run_pulse_step(deps.session_factory, deps.settings, clock.now)

    [found] = rounds(session_factory, RoundKind.MENTEE)
    assert (found.number, found.due_at, found.closes_at) == (1, clock.now, clock.now + timedelta(days=60))
    with session_factory() as session:
        assert session.scalars(select(Pair.next_pulse_at)).one() == clock.now + timedelta(days=60)


def test_a_mentee_with_two_mentors_gets_one_check_in_about_each(deps, clock, fake_slack, session_factory):
    fake_slack.add_user("U0MENTOR2", "dr.ito", tz="Asia/Tokyo")
    make_pair(session_factory, MENTOR, MENTEE)
    make_pair(session_factory, "U0MENTOR2", MENTEE, mentor_tz="Asia/Tokyo")

    Clock(deps).tick()

    texts = [c.text_of_blocks() for c in fake_slack.dms_to(MENTEE)]
    assert len(texts) == 2
    assert any(f"<@{MENTOR}>" in t for t in texts) and any("<@U0MENTOR2>" in t for t in texts)


def test_a_short_pair_gets_no_close_out_and_its_mentors_self_checks_stop(deps, clock, slack, session_factory):
    clock.set(START + timedelta(days=3))
    make_pair(session_factory, MENTOR, MENTEE)
    Clock(deps).tick()
    slack.command(f"unpair <@{MENTOR}> <@{MENTEE}>", user_id="U0ADMIN01")
    for days in (4, 40, 100):
        clock.set(START + timedelta(days=days))
        Clock(deps).tick()

    assert rounds(session_factory) == []
    with session_factory() as session:
        assert session.scalars(select(Pair.next_pulse_at)).one() is None
        mentor = session.scalars(select(Person).where(Person.user_id == MENTOR)).one()
        assert mentor.next_selfcheck_at is None


def test_an_inactive_mentee_is_not_asked(deps, clock, fake_slack, session_factory):
    pair_id = make_pair(session_factory, MENTOR, MENTEE)
    with transaction(session_factory) as session:
        session.get(Person, session.get(Pair, pair_id).mentee_id).is_active = False

    Clock(deps).tick()

    assert fake_slack.dms_to(MENTEE) == []
    [found] = rounds(session_factory, RoundKind.MENTEE)
    assert found.status == RoundStatus.SKIPPED


def test_a_close_out_is_planned_once_however_often_the_clock_ticks(
    deps, clock, slack, fake_slack, session_factory
):
    make_pair(session_factory, MENTOR, MENTEE)
    runner = Clock(deps)
    runner.tick()
    slack.command(f"unpair <@{MENTOR}> <@{MENTEE}>", user_id="U0ADMIN01")
    for _ in range(3):
        runner.tick()
    clock.advance(days=1)
    runner.tick()

    close_outs = [r for r in rounds(session_factory, RoundKind.MENTEE) if r.number == CLOSE_OUT]
    assert len(close_outs) == 1
    assert sum("one last check-in" in c.text_of_blocks() for c in fake_slack.dms_to(MENTEE)) == 1


def _statements(engine: Engine, work) -> list[tuple[str, object]]:
    seen: list[tuple[str, object]] = []

    def record(_conn, _cursor, statement, parameters, _context, _many):
        seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        work()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return seen


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_a_tick_reads_only_what_is_due_through_an_index(deps, clock, session_factory, engine):
    with transaction(session_factory) as session:
        ensure_workspace(session, TEAM_ID)
        session.execute(insert(Person), [{"team_id": TEAM_ID, "user_id": f"U0P{n:07d}"} for n in range(301)])
        ids = session.scalars(select(Person.id).order_by(Person.id)).all()
        session.execute(
            insert(Pair),
            [{"team_id": TEAM_ID, "mentor_id": ids[0], "mentee_id": m, "started_at": START} for m in ids[1:]],
        )
    run_pulse_step(session_factory, deps.settings, START + timedelta(hours=1))  # planned: due in 30 days

    later = START + timedelta(days=2)
    statements = _statements(engine, lambda: run_pulse_step(session_factory, deps.settings, later))

    selects = [(sql, params) for sql, params in statements if sql.lstrip().upper().startswith("SELECT")]
    # One per part: pairs, self-checks, reminders, held invitations, workspaces to publish.
    assert len(selects) == 5
    with engine.connect() as connection:
        for sql, params in selects:
            plan = " ".join(
                row[-1] for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params)
            )
            # SQLite says SCAN for a full table scan, SEARCH … USING INDEX for an index lookup.
            assert "SCAN pair" not in plan and "SCAN person" not in plan and "SCAN pulse_round" not in plan, (
                plan
            )
            assert "USING" in plan and "INDEX" in plan, plan


# --- two clocks on PostgreSQL -----------------------------------------------------------------

MENTEES, MENTORS = 200, 10


@pytest.fixture(params=[pytest.param("postgres", marks=pytest.mark.postgres)])
def pg_engine(request, pg_schema_engine) -> Engine:
    require_postgres()
    assert pg_schema_engine is not None
    _truncate_all(pg_schema_engine)
    return pg_schema_engine


def test_two_clocks_at_once_send_each_check_in_exactly_once(settings, pg_engine, fake_slack):
    session_factory = make_session_factory(pg_engine)
    mentees = [f"U0E{n:07d}" for n in range(MENTEES)]
    mentors = [f"U0R{n:07d}" for n in range(MENTORS)]
    for user in mentees + mentors:
        fake_slack.add_user(user, tz="America/New_York")
    with transaction(session_factory) as session:
        ensure_workspace(session, TEAM_ID)
        session.execute(
            insert(Person),
            [{"team_id": TEAM_ID, "user_id": u, "tz": "America/New_York"} for u in mentees + mentors],
        )
        ids = dict(session.execute(select(Person.user_id, Person.id)).all())
        session.execute(
            insert(Pair),
            [
                {
                    "team_id": TEAM_ID,
                    "mentor_id": ids[mentors[n % MENTORS]],
                    "mentee_id": ids[u],
                    "started_at": START,
                }
                for n, u in enumerate(mentees)
            ],
        )
    clock = MovableClock(FIRST_DUE)
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def run_clock(name: str) -> None:
        deps = build_deps(
            settings,
            client=make_client(settings, retries=0),
            session_factory=make_session_factory(pg_engine),
            clock=clock,
        )
        runner = Clock(deps, sender=Sender(deps, all_kinds(), worker_id=name))
        start.wait()
        try:
            for _ in range(8):
                runner.tick()
        except BaseException as error:  # surfaced in the main thread below
            errors.append(error)

    threads = [threading.Thread(target=run_clock, args=(name,)) for name in ("clock-a", "clock-b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert not errors
    posts = Counter(call.args["channel"] for call in fake_slack.calls_to("chat.postMessage"))
    assert set(posts) == set(mentees) | set(mentors) and set(posts.values()) == {1}
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(PulseRound)) == MENTEES + MENTORS
        statuses = Counter(session.scalars(select(Delivery.status)))
        assert statuses == {DeliveryStatus.SENT: MENTEES + MENTORS}
        assert set(session.scalars(select(PulseRound.status))) == {RoundStatus.SENT}


def test_the_roster_imports_end_path_plans_the_close_out_too(deps, clock, fake_slack, session_factory):
    pair_id = make_pair(session_factory, MENTOR, MENTEE)
    runner = Clock(deps)
    runner.tick()
    clock.advance(days=1)
    plan = ImportPlan(
        source="roster.csv",
        end_missing=True,
        data_rows=0,
        end=[PlannedEnd(pair_id=pair_id, mentor=MENTOR, mentee=MENTEE, cohort=None, started="2027-01-04")],
    )
    with transaction(session_factory) as session:
        result = apply_plan(
            session, deps.settings, team_id=TEAM_ID, plan=plan, actor="U0ADMIN01", now=clock.now
        )
    assert result.ended == 1

    runner.tick()

    [close_out] = [r for r in rounds(session_factory, RoundKind.MENTEE) if r.number == CLOSE_OUT]
    assert close_out.pair_id == pair_id and close_out.status == RoundStatus.SENT
    assert "one last check-in" in fake_slack.dms_to(MENTEE)[-1].text_of_blocks()
