"""The import's fast paths store and read what the ordinary ones do: the SQLite multi-row
INSERT sent to the driver (`bot.sqlutil.sqlite_insert_many`) against SQLAlchemy's own
INSERT, and the plain-address shortcut in `normalize_address` against `parseaddr`."""

from __future__ import annotations

import gc
from datetime import UTC, datetime
from email.utils import parseaddr
from typing import Any

import pytest
from sqlalchemy import Engine, insert, select, text

from bot.collector import collector_paused
from bot.db import make_session_factory, transaction
from bot.models import Delivery, Pair, Person, Workspace
from bot.outbox import MESSAGE_KIND, Queued, enqueue_many
from bot.roster.bulk import load_members, save_members
from bot.roster.read import _PLAIN_ADDRESS, normalize_address
from bot.sqlutil import insert_many_ignoring_conflict, sqlite_insert_many

ON_THE_SECOND = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)  # no microseconds: a format trap
WITH_MICROS = datetime(2026, 12, 1, 9, 30, 5, 123456, tzinfo=UTC)


def _delivery_row(key: str, due_at: datetime) -> dict[str, Any]:
    return {
        "team_id": "T1",
        "kind": MESSAGE_KIND,
        "recipient": "U1",
        "dedupe_key": key,
        "due_at": due_at,
        "next_attempt_at": due_at,
        "expires_at": None,
        "payload": {"text": "hi", "blocks": [{"type": "section"}]},
        "person_id": None,
        "status": "pending",
        "attempts": 0,
    }


_STORED = (
    "SELECT due_at, next_attempt_at, expires_at, payload, status, attempts "
    "FROM delivery WHERE dedupe_key = %s"
)


def test_sqlite_fast_insert_stores_exactly_what_sqlalchemy_stores(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("the driver-level path is SQLite's")
    with engine.begin() as connection:
        connection.execute(insert(Workspace).values(team_id="T1"))
        for when, suffix in ((ON_THE_SECOND, "a"), (WITH_MICROS, "b")):
            connection.execute(insert(Delivery.__table__), [_delivery_row(f"core-{suffix}", when)])
            got = sqlite_insert_many(
                connection, Delivery.__table__, [_delivery_row(f"fast-{suffix}", when)], ["dedupe_key", "id"]
            )
            assert got is not None and got[0][0] == f"fast-{suffix}"
            core = connection.execute(text(_STORED % ":k"), {"k": f"core-{suffix}"}).one()
            fast = connection.execute(text(_STORED % ":k"), {"k": f"fast-{suffix}"}).one()
            assert fast == core
        created = connection.execute(
            text("SELECT created_at FROM delivery WHERE dedupe_key = 'fast-a'")
        ).scalar()
        assert isinstance(created, str) and len(created) == len("2026-12-01 09:30:00.000000")
    with make_session_factory(engine)() as session:
        row = session.scalars(select(Delivery).where(Delivery.dedupe_key == "fast-a")).one()
        assert (row.due_at, row.payload, row.attempts) == (
            ON_THE_SECOND,
            _delivery_row("x", ON_THE_SECOND)["payload"],
            0,
        )
        assert row.created_at.tzinfo is UTC


def test_insert_many_skips_conflicts_and_returns_typed_columns(engine: Engine) -> None:
    """Both backends: new people come back with their defaults as Python values, and a
    second insert of the same people returns nothing."""
    with transaction(make_session_factory(engine)) as session:
        session.add(Workspace(team_id="T1"))
        session.flush()
        rows = [{"team_id": "T1", "user_id": f"U{i}"} for i in range(3)]
        columns = ["user_id", "is_active", "quiet_weekends", "contact_start", "welcomed_at"]
        first = insert_many_ignoring_conflict(session, Person, rows, ["team_id", "user_id"], columns)
        assert sorted(first) == [(f"U{i}", True, True, 480, None) for i in range(3)]
        assert all(isinstance(row[1], bool) for row in first)
        assert insert_many_ignoring_conflict(session, Person, rows, ["team_id", "user_id"], columns) == []


def test_enqueue_many_reads_back_through_the_orm(engine: Engine) -> None:
    with transaction(make_session_factory(engine)) as session:
        session.add(Workspace(team_id="T1"))
        session.flush()
        rows = [
            Queued(
                team_id="T1", kind=MESSAGE_KIND, recipient="U1", dedupe_key=k, due_at=d, payload={"text": k}
            )
            for k, d in (("one", ON_THE_SECOND), ("two", WITH_MICROS))
        ]
        created = enqueue_many(session, rows)
        assert set(created) == {"one", "two"}
        assert enqueue_many(session, rows) == {}
    with make_session_factory(engine)() as session:
        stored = {d.dedupe_key: d for d in session.scalars(select(Delivery))}
        assert stored["one"].due_at == ON_THE_SECOND and stored["two"].next_attempt_at == WITH_MICROS
        assert stored["two"].payload == {"text": "two"} and stored["one"].status == "pending"


@pytest.mark.parametrize(
    "cell",
    [
        "Mentor1@riverside.example",
        " ana.ruiz+im@x.org ",
        "a..b@x.org",
        ".a@x.org",
        "a@b",
        "o'brien@x.ie",
        "Dr Ana Ruiz <ana@x.org>",
        "mailto:Ana@X.org",
        "ana@x.org (work)",
        '"ana ruiz"@x.org',
        "ana@x.org, bo@y.org",
        "ána@x.org",
        "U0123ABCD",
    ],
)
def test_plain_address_shortcut_agrees_with_parseaddr(cell: str) -> None:
    """A cell the shortcut takes is one parseaddr hands back unchanged."""
    value = cell.strip().strip("\"'").strip()
    if _PLAIN_ADDRESS.fullmatch(value):
        assert parseaddr(value)[1] == value


def test_plain_and_named_addresses_normalize_alike() -> None:
    assert normalize_address(" Mentor1@Riverside.example ") == ("mentor1@riverside.example", None)
    assert normalize_address("Dr Ana Ruiz <Ana@x.org>") == ("ana@x.org", None)
    assert normalize_address("mailto:Ana@X.org") == ("ana@x.org", None)
    assert normalize_address("not an address")[0] is None


def test_saved_members_are_stored_as_the_orm_stores_them(engine: Engine) -> None:
    """`save_members` (a driver-level executemany on SQLite) writes the format the ORM
    writes, so a time written either way compares alike in SQL."""
    with transaction(make_session_factory(engine)) as session:
        members = load_members(session, "T1", ["U1", "U2"])
        before = {m.id: m.values() for m in members.values()}
        members["U1"].welcomed_at = ON_THE_SECOND
        members["U2"].next_nudge_at, members["U2"].is_active = WITH_MICROS, False
        assert save_members(session, members.values(), before) == 2
        person = Person(team_id="T1", user_id="U3", welcomed_at=ON_THE_SECOND)
        session.add(person)
    with engine.connect() as connection:
        stored = dict(connection.execute(text("SELECT user_id, welcomed_at FROM person")).all())
        assert stored["U1"] == stored["U3"]
    with make_session_factory(engine)() as session:
        people = {p.user_id: p for p in session.scalars(select(Person))}
        assert people["U1"].welcomed_at == ON_THE_SECOND and people["U2"].next_nudge_at == WITH_MICROS
        assert people["U2"].is_active is False and people["U1"].is_active is True


def test_a_default_that_needs_the_row_leaves_the_insert_to_sqlalchemy(engine: Engine) -> None:
    """`pair.next_pulse_at` defaults to the row's own `started_at`: worked out once per
    call it would be wrong, so the fast path declines and nothing is written by it."""
    if engine.dialect.name != "sqlite":
        pytest.skip("the driver-level path is SQLite's")
    row = {"team_id": "T1", "mentor_id": 1, "mentee_id": 2, "created_by": "U9", "started_at": ON_THE_SECOND}
    with engine.begin() as connection:
        assert sqlite_insert_many(connection, Pair.__table__, [row], ["id"]) is None
        assert connection.execute(text("SELECT count(*) FROM pair")).scalar() == 0


def test_the_import_pauses_the_collector_and_restores_it() -> None:
    """Switched off inside, back as it was after (also when it was off already, or on error)."""
    assert gc.isenabled()
    with pytest.raises(RuntimeError), collector_paused():
        assert not gc.isenabled()
        raise RuntimeError
    assert gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_defaults_without_arguments_are_filled_in(engine: Engine) -> None:
    """A row without `payload`, `status` or `attempts` gets their defaults ({}, pending, 0)."""
    if engine.dialect.name != "sqlite":
        pytest.skip("the driver-level path is SQLite's")
    row = {
        k: v
        for k, v in _delivery_row("bare", ON_THE_SECOND).items()
        if k not in ("payload", "status", "attempts")
    }
    with engine.begin() as connection:
        connection.execute(insert(Workspace).values(team_id="T1"))
        assert sqlite_insert_many(connection, Delivery.__table__, [row], ["dedupe_key"]) == [("bare",)]
    with make_session_factory(engine)() as session:
        stored = session.scalars(select(Delivery)).one()
        assert (stored.payload, stored.status, stored.attempts) == ({}, "pending", 0)
