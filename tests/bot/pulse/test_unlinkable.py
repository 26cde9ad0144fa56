"""What someone holding the database alone can learn about a mentee's answer: that they
answered (participation), and nothing of what — not from a column, a timestamp, an id
sequence, the row order, the transaction that wrote it, an old row version, SQLite's
WAL file or PostgreSQL's dead tuples — until it is published as part of a batch of at
least ANONYMITY_MIN different mentees (SQLite and PostgreSQL).

What holds against someone with the database *and* the app's secret key is weaker, and
tested as such: the key opens answers that are still waiting.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import Date, DateTime, inspect, text
from sqlalchemy.exc import OperationalError

from bot.models import BatchScope, RoundKind
from bot.pulse.publishing import box_context
from bot.pulse.sealing import BOX_BYTES, UnreadableBox, open_box
from schedules.clock import Clock
from tests.conftest import MENTOR, settings_for
from tests.fakes.clock import MovableClock
from tests.pulse_helpers import (
    FIRST_DUE,
    answer_round,
    answers_of,
    batches,
    inbox,
    make_pair,
    participation,
    publish,
    rounds,
    sealed_answers,
)

MENTEES = [f"U0MENTEE{n}" for n in range(2, 8)]  # six mentees answer, in this order
MARKERS = [f"Marker-{n}-zq" for n in range(len(MENTEES))]


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


def answer_all(deps, mentee_rounds, comments=MARKERS):
    for found, comment in zip(mentee_rounds, comments, strict=True):
        answer_round(deps, found, answers_of(3, comment=comment))


def test_the_tables_have_no_mentee_no_time_and_random_keys(engine):
    inbox_columns = {c["name"]: c["type"] for c in inspect(engine).get_columns("pulse_inbox")}
    assert set(inbox_columns) == {"id", "team_id", "quarter", "sealed"}
    assert {fk["referred_table"] for fk in inspect(engine).get_foreign_keys("pulse_inbox")} == {"workspace"}
    batch_columns = {c["name"]: c["type"] for c in inspect(engine).get_columns("pulse_batch")}
    assert not {"mentee_id", "pair_id", "round_id"} & set(batch_columns)
    assert {fk["referred_table"] for fk in inspect(engine).get_foreign_keys("pulse_batch")} == {
        "workspace",
        "person",  # the mentor a mentor batch is about
    }
    assert not [n for n, kind in inbox_columns.items() if isinstance(kind, DateTime | Date)]
    # Participation: the pair, the pulse and the quarter, no finer time.
    assert {c["name"] for c in inspect(engine).get_columns("pulse_participation")} == {
        "pair_id",
        "number",
        "team_id",
        "quarter",
    }
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            create = connection.scalar(text("SELECT sql FROM sqlite_master WHERE name = 'pulse_inbox'"))
            assert create.rstrip().endswith("WITHOUT ROWID")
            with pytest.raises(OperationalError):
                connection.execute(text("SELECT rowid FROM pulse_inbox"))


def test_waiting_answers_are_sealed_boxes_of_one_size_under_random_ids(deps, session_factory, mentee_rounds):
    # The shortest and the longest comment make boxes of the same size.
    comments = ["", "x" * 500, "ok", "Ünïcødé ✓ " * 40, None, "\n" * 200]
    answer_all(deps, mentee_rounds, comments)

    rows = inbox(session_factory)
    assert len(rows) == len(MENTEES) == len(participation(session_factory))
    assert {len(row.sealed) for row in rows} == {BOX_BYTES}
    assert all(re.fullmatch(r"[0-9a-f]{32}", row.id) for row in rows)
    assert not any(b"xxxxxxxx" in row.sealed or "Ünïcødé".encode() in row.sealed for row in rows)
    # A box only opens where it was sealed: moved to another row's context, it is refused.
    with pytest.raises(UnreadableBox):
        open_box(deps.settings, rows[0].sealed, box_context(rows[0].team_id, "2026-Q4"))


def test_the_database_alone_cannot_open_a_box_but_the_key_can(
    deps, session_factory, mentee_rounds, fake_slack
):
    answer_all(deps, mentee_rounds)
    other_key = settings_for(
        fake_slack, deps.settings.database_url, SECRET_KEY="another-secret-key-of-someone-else-000000"
    )
    row = inbox(session_factory)[0]
    with pytest.raises(UnreadableBox):
        open_box(other_key, row.sealed, box_context(row.team_id, row.quarter))
    # Whoever holds the app's key as well can open a waiting answer, mentee and all: the
    # guarantee against them is only that the app never does so outside publishing.
    opened = sealed_answers(deps)
    assert sorted(a["comment"] for a in opened) == sorted(MARKERS)
    assert {a["mentee"] for a in opened} and all(isinstance(a["mentee"], int) for a in opened)


def test_on_sqlite_no_answer_is_in_the_database_or_wal_files_until_it_is_published(
    deps, engine, session_factory, mentee_rounds, clock
):
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite's files; PostgreSQL's pages have their own test")
    answer_all(deps, mentee_rounds)
    database = Path(engine.url.database)
    files = [database, database.with_name(database.name + "-wal")]
    raw = b"".join(path.read_bytes() for path in files if path.exists())
    assert raw and not [m for m in MARKERS if m.encode() in raw]

    publish(deps, clock)
    [batch] = batches(session_factory, BatchScope.MENTOR)
    assert sorted(batch.comments) == sorted(MARKERS)
    # Still sealed for their cohort, whose figures need answers about three mentors.
    assert len(inbox(session_factory)) == len(MENTEES) and batches(session_factory, BatchScope.COHORT) == []


# --- PostgreSQL: every row version, live or dead, read with pageinspect -----------------------


def _pageinspect(engine) -> str:
    """The schema of pageinspect's functions (created if the test role may), else skip."""
    with engine.connect() as connection:
        schema = connection.scalar(
            text(
                "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
                "WHERE e.extname = 'pageinspect'"
            )
        )
    if schema:
        return schema
    try:
        with engine.begin() as connection:
            connection.execute(text("CREATE EXTENSION IF NOT EXISTS pageinspect SCHEMA public"))
    except Exception as error:
        pytest.skip(f"pageinspect is not available to the test role ({type(error).__name__})")
    return "public"


def _tuples(engine, schema: str) -> list[tuple[str, str, bytes]]:
    """(table, xmin, raw data) of every heap tuple — live or dead — of every table in the
    test schema and of its TOAST table (named as the table it belongs to)."""
    found = []
    with engine.connect() as connection:
        relations = connection.execute(
            text(
                "SELECT c.relname, c.oid::regclass::text FROM pg_class c "
                "WHERE c.relkind = 'r' AND c.relnamespace = current_schema()::regnamespace "
                "UNION ALL SELECT c.relname, t.oid::regclass::text FROM pg_class c "
                "JOIN pg_class t ON t.oid = c.reltoastrelid "
                "WHERE c.relkind = 'r' AND c.relnamespace = current_schema()::regnamespace"
            )
        ).all()
        for name, qualified in relations:
            pages = connection.scalar(
                text("SELECT pg_relation_size(CAST(:r AS regclass)) / 8192"), {"r": qualified}
            )
            for page in range(int(pages or 0)):
                rows = connection.execute(
                    text(
                        f"SELECT t_xmin::text, t_data FROM {schema}.heap_page_items("
                        f"{schema}.get_raw_page(:r, :p)) WHERE t_data IS NOT NULL"
                    ),
                    {"r": qualified, "p": page},
                ).all()
                found += [(name, xmin, bytes(data)) for xmin, data in rows]
    return found


@pytest.mark.parametrize("engine", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
def test_on_postgres_no_row_version_links_a_mentee_to_what_they_answered(
    deps, engine, session_factory, mentee_rounds, clock
):
    schema = _pageinspect(engine)
    answer_all(deps, mentee_rounds)
    with engine.connect() as connection:
        answering = dict(
            connection.execute(text("SELECT xmin::text, pair_id FROM pulse_participation")).all()
        )
    assert len(answering) == len(MENTEES)  # one transaction per answer

    before = _tuples(engine, schema)
    # Not one row version anywhere holds an answer's words before publishing…
    assert not [t for t, _x, data in before for m in MARKERS if m.encode() in data]
    # …and each answering transaction wrote participation and one sealed box, nothing else
    # (the round, the pair, the people are untouched: no row names the pair next to the box).
    written = {(table, xmin) for table, xmin, _data in before if xmin in answering}
    assert {table for table, _x in written} == {"pulse_participation", "pulse_inbox"}
    assert {xmin for table, xmin in written if table == "pulse_inbox"} == set(answering)

    publish(deps, clock)
    after = _tuples(engine, schema)
    holding = {(table, xmin) for table, xmin, data in after for m in MARKERS if m.encode() in data}
    # The words appear only in the published batch, written by the publishing transaction,
    # which wrote no participation row: nothing lines a comment up with a pair.
    assert {table for table, _x in holding} <= {"pulse_batch"} | {
        t for t, _x in holding if t.startswith("pg_toast_")
    }
    assert not {xmin for _t, xmin in holding} & set(answering)
    [batch] = batches(session_factory, BatchScope.MENTOR)
    assert sorted(batch.comments) == sorted(MARKERS)

    # The reviewer's attack: order every version by the transaction that wrote it and take
    # what each answering transaction added. It recovers nothing now.
    versions: dict[str, set[str]] = {}
    for _table, xmin, data in after:
        versions.setdefault(xmin, set()).update(m for m in MARKERS if m.encode() in data)
    recovered = {answering[x]: markers for x, markers in versions.items() if x in answering and markers}
    assert recovered == {}
