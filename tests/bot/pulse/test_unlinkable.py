"""Nothing lines a mentee's answer up with the mentee: not a column, a timestamp, an id
sequence, the row order or the transaction that wrote it (SQLite and PostgreSQL)."""

from __future__ import annotations

import random
import re

import pytest
from sqlalchemy import Date, DateTime, inspect, text
from sqlalchemy.exc import OperationalError

from bot.models import ITEM_COLUMNS, RoundKind
from schedules.clock import Clock
from tests.conftest import MENTOR
from tests.fakes.clock import MovableClock
from tests.pulse_helpers import (
    FIRST_DUE,
    answer_round,
    answers_of,
    answers_table,
    make_pair,
    participation,
    rounds,
)

MENTEES = [f"U0MENTEE{n}" for n in range(2, 8)]  # six mentees answer, in this order


@pytest.fixture
def clock():
    return MovableClock(FIRST_DUE)


@pytest.fixture
def mentee_rounds(deps, fake_slack, session_factory, clock):
    for user in MENTEES:
        fake_slack.add_user(user, tz="America/New_York")
        make_pair(session_factory, MENTOR, user, cohort="IM 2027")
    Clock(deps).tick()
    found = rounds(session_factory, RoundKind.MENTEE)
    assert len(found) == len(MENTEES)
    return found


def test_the_answer_table_has_no_mentee_no_time_and_a_random_key(engine):
    columns = {c["name"]: c["type"] for c in inspect(engine).get_columns("pulse_answer")}
    assert set(columns) == {"id", "team_id", "mentor_id", "cohort", "quarter", *ITEM_COLUMNS, "comment"}
    assert not [name for name, kind in columns.items() if isinstance(kind, DateTime | Date)]
    assert {fk["referred_table"] for fk in inspect(engine).get_foreign_keys("pulse_answer")} == {
        "workspace",
        "person",  # the mentor it is about
    }
    # Participation: the pair, the pulse and the quarter, no finer time.
    assert {c["name"] for c in inspect(engine).get_columns("pulse_participation")} == {
        "pair_id",
        "number",
        "team_id",
        "quarter",
    }
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            create = connection.scalar(text("SELECT sql FROM sqlite_master WHERE name = 'pulse_answer'"))
            assert create.rstrip().endswith("WITHOUT ROWID")
            with pytest.raises(OperationalError):
                connection.execute(text("SELECT rowid FROM pulse_answer"))


def test_each_answer_rewrites_the_mentors_quarter_under_fresh_random_ids(
    deps, session_factory, mentee_rounds
):
    seen_ids: set[str] = set()
    for count, found in enumerate(mentee_rounds, start=1):
        answer_round(deps, found, answers_of(count % 4 + 1))
        rows = answers_table(session_factory)
        ids = {row.id for row in rows}
        assert len(rows) == count == len(participation(session_factory))
        assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids)
        # No id survives a rewrite, so no id tells an earlier answer from a later one.
        assert not ids & seen_ids
        seen_ids |= ids
    assert sorted(row.care for row in answers_table(session_factory)) == sorted(
        n % 4 + 1 for n in range(1, 7)
    )


@pytest.mark.parametrize("engine", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
def test_on_postgres_row_order_and_transaction_ids_do_not_reveal_who_answered_what(
    deps, engine, session_factory, mentee_rounds
):
    def physical(connection):
        return connection.execute(
            text(
                "SELECT comment, xmin::text AS tx, ctid::text AS place "
                "FROM pulse_answer ORDER BY pulse_answer.ctid"
            )
        ).all()

    produced: list[str] = []

    def recorded_shuffle(rows):
        random.Random(11).shuffle(rows)
        produced[:] = [row["comment"] for row in rows]

    previous_ctids: set[str] = set()
    for n, found in enumerate(mentee_rounds, start=1):
        answer_round(deps, found, answers_of(3, comment=f"Marker {n}"), shuffle=recorded_shuffle)
        with engine.connect() as connection:
            rows = physical(connection)
            participation_xmins = connection.execute(
                text("SELECT number, xmin::text FROM pulse_participation ORDER BY pair_id")
            ).all()
        # One transaction wrote every answer of the quarter: xmin cannot tell them apart…
        assert len({xmin for _c, xmin, _t in rows}) == 1
        latest_xmin = rows[0][1]
        # …and it is the transaction of the latest participation row only, never an earlier one.
        assert [x for _n, x in participation_xmins].count(latest_xmin) == 1
        # Every row moved: no answer keeps its place from before.
        ctids = {ctid for _c, _x, ctid in rows}
        assert not ctids & previous_ctids
        previous_ctids = ctids
        # The physical order is the shuffle's order, not the order the mentees answered in.
        assert [comment for comment, _x, _t in rows] == produced

    insertion_order = [f"Marker {n}" for n in range(1, len(mentee_rounds) + 1)]
    assert produced != insertion_order and sorted(produced) == sorted(insertion_order)
