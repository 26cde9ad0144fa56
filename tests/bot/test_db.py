"""Engine settings: SQLite is tuned for a web process and a clock sharing one file."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from bot.db import make_engine, make_session_factory, reading, transaction
from bot.models import Base, Pair, Person, Workspace


@pytest.fixture
def sqlite_engine(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


def test_sqlite_uses_wal_a_busy_timeout_and_foreign_keys(sqlite_engine):
    with sqlite_engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 5000
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_foreign_keys_are_enforced(sqlite_engine):
    with pytest.raises(IntegrityError), transaction(make_session_factory(sqlite_engine)) as session:
        session.add(Person(team_id="T-missing", user_id="U1"))


def test_datetimes_come_back_aware_and_in_utc(session_factory):
    sydney_noon = datetime(2026, 12, 1, 12, 0, tzinfo=timezone(timedelta(hours=11)))
    with transaction(session_factory) as session:
        session.add(Workspace(team_id="T1", sending_paused_at=sydney_noon))
    with session_factory() as session:
        stored = session.get(Workspace, "T1").sending_paused_at

    assert stored == sydney_noon
    assert stored.tzinfo == UTC


def test_naive_datetimes_are_refused(session_factory):
    with pytest.raises(Exception, match="naive datetime"), transaction(session_factory) as session:
        session.add(Workspace(team_id="T1", sending_paused_at=datetime(2026, 12, 1, 12, 0)))
        session.flush()


def test_one_active_pair_per_mentor_and_mentee_but_history_may_repeat(session_factory):
    with transaction(session_factory) as session:
        session.add(Workspace(team_id="T1"))
        session.flush()
        mentor, mentee = Person(team_id="T1", user_id="U1"), Person(team_id="T1", user_id="U2")
        session.add_all([mentor, mentee])
        session.flush()
        ids = {"team_id": "T1", "mentor_id": mentor.id, "mentee_id": mentee.id}
        session.add(Pair(**ids, ended_at=datetime(2026, 1, 1, tzinfo=UTC)))
        session.add(Pair(**ids))
    with pytest.raises(IntegrityError), transaction(session_factory) as session:
        session.add(Pair(**ids))


def _count_workspaces(session_factory) -> int:
    with reading(session_factory) as session:
        return int(session.scalar(text("SELECT count(*) FROM workspace")))


def test_a_read_does_not_wait_for_a_writer_and_sees_the_last_commit(sqlite_engine):
    factory = make_session_factory(sqlite_engine)
    holding, done = threading.Event(), threading.Event()

    def write_and_hold() -> None:
        with transaction(factory) as session:
            session.add(Workspace(team_id="T0HELD001"))
            session.flush()
            holding.set()
            done.wait(10)

    writer = threading.Thread(target=write_and_hold)
    writer.start()
    assert holding.wait(10)
    # The writer holds SQLite's write lock (and the process's writer gate); a read answers
    # at once, from the last committed state, instead of queuing behind it.
    seen = _count_workspaces(factory)
    done.set()
    writer.join()

    assert seen == 0
    assert _count_workspaces(factory) == 1


def test_writers_in_one_process_take_turns_without_database_is_locked(sqlite_engine):
    factory = make_session_factory(sqlite_engine)
    failures: list[Exception] = []

    def write(i: int) -> None:
        try:
            for j in range(10):
                with transaction(factory) as session:
                    session.add(Workspace(team_id=f"T{i:02d}{j:05d}"))
        except Exception as error:  # collected: the assertion below names it
            failures.append(error)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    assert _count_workspaces(factory) == 80


def test_what_a_read_changes_is_not_kept(sqlite_engine):
    factory = make_session_factory(sqlite_engine)
    with reading(factory) as session:
        session.add(Workspace(team_id="T0NOTKEPT"))
        session.flush()

    assert _count_workspaces(factory) == 0


def test_a_postgresql_engine_opens_at_most_fifteen_connections():
    # docs/benchmarks.md adds these up against PostgreSQL's max_connections; nothing connects here.
    engine = make_engine("postgresql://postgres@127.0.0.1:5432/test")

    assert engine.pool.size() == 10
    assert engine.pool._max_overflow == 5  # SQLAlchemy's default, 10, would allow 20
    engine.dispose()
