"""Database engine and sessions.

SQLite is the embedded default for a small program; PostgreSQL is what several
processes (web + clock, or several clocks) share. Both get the same models.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.orm import Session, sessionmaker

SessionFactory = sessionmaker[Session]

# How long a SQLite writer waits for another writer before giving up. The web process
# and the clock may write at the same moment; a few seconds of patience beats an error.
SQLITE_BUSY_TIMEOUT_MS = 5000


def is_sqlite(engine_or_url: Engine | str) -> bool:
    """True when the engine (or URL) points at SQLite."""
    url = engine_or_url if isinstance(engine_or_url, str) else str(engine_or_url.url)
    return url.startswith("sqlite")


def _tune_sqlite(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers (the web process) carry on while the clock writes; foreign keys
    # are off by default in SQLite and we rely on them.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


# Execution option marking a unit of work that only reads (see `reading`).
READ_ONLY = "mentor_nudge_read_only"
# Connection-record key: how many of this process's writer-lock holds a connection has.
_HOLDS = "mentor_nudge_writer_holds"


class _WriterGate:
    """One SQLite writer at a time per process, queued in Python rather than in SQLite.

    SQLite's busy handler polls a held write lock with sleeps that grow to 100 ms, so
    threads of one gunicorn worker that all want to write wake late and leave the lock
    idle between them (a profile of 20 concurrent clicks showed the listener threads
    spending most of their time in `BEGIN IMMEDIATE`). Threads of one process queue
    here instead and are handed the lock the moment it is free; only processes still
    meet in SQLite's handler. A thread that cannot get the gate within the busy timeout
    goes on to SQLite's own wait, so a hold that is never given back costs time, not a
    stuck process.
    """

    def __init__(self, timeout: float) -> None:
        self._lock = threading.Lock()
        self._timeout = timeout

    def begin(self, conn: Any) -> None:
        # pysqlite's default deferred BEGIN upgrades to a write lock mid-transaction, which
        # fails at once with "database is locked" instead of honouring busy_timeout.
        # BEGIN IMMEDIATE takes the write lock up front, where the timeout applies. A unit
        # of work marked read-only takes no lock: WAL gives it a snapshot beside the writer.
        if conn.get_execution_options().get(READ_ONLY):
            conn.exec_driver_sql("BEGIN")
            return
        held = self._lock.acquire(timeout=self._timeout)
        if held:
            conn.info[_HOLDS] = conn.info.get(_HOLDS, 0) + 1
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            self._release(conn.info)
            raise

    def give_back(self, _dbapi_connection: Any, record: Any) -> None:
        # Pool check-in comes after COMMIT or ROLLBACK has reached SQLite, so the next
        # thread's BEGIN IMMEDIATE finds the file's lock free.
        self._release(record.info)

    def _release(self, info: dict[Any, Any]) -> None:
        for _ in range(info.pop(_HOLDS, 0)):
            self._lock.release()


# PostgreSQL connections per engine (one per process): kept open, and opened past that
# for a burst (then closed). At most POSTGRES_POOL_SIZE + POSTGRES_MAX_OVERFLOW at once.
POSTGRES_POOL_SIZE = 10
POSTGRES_MAX_OVERFLOW = 5


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine with the settings each backend needs.

    Errors never show statement parameters: they may hold a note or a reflection.
    """
    kwargs.setdefault("hide_parameters", True)
    if is_sqlite(url):
        connect_args = {"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
        connect_args.update(kwargs.pop("connect_args", {}))
        engine = create_engine(url, connect_args=connect_args, **kwargs)
        event.listen(engine, "connect", _tune_sqlite)
        # Let SQLAlchemy, not the driver, emit BEGIN (see _begin_immediate).
        event.listen(engine, "connect", lambda conn, _rec: setattr(conn, "isolation_level", None))
        gate = _WriterGate(SQLITE_BUSY_TIMEOUT_MS / 1000)
        event.listen(engine, "begin", gate.begin)
        event.listen(engine.pool, "checkin", gate.give_back)
        # A connection thrown away after an error clears its record; give the hold back first.
        event.listen(engine.pool, "invalidate", lambda dbapi, record, _error: gate.give_back(dbapi, record))
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    # Enough pooled connections for a web worker's request threads, Bolt's listener
    # threads and the after-ack pool at once: past the pool size SQLAlchemy opens a new
    # connection for each checkout and closes it after, a PostgreSQL handshake per request.
    kwargs.setdefault("pool_size", POSTGRES_POOL_SIZE)
    # Set, not left to SQLAlchemy's default, because it counts against PostgreSQL's
    # max_connections (100 by default): docs/benchmarks.md adds it up per deployment.
    kwargs.setdefault("max_overflow", POSTGRES_MAX_OVERFLOW)
    return create_engine(url, **kwargs)


def make_session_factory(engine: Engine) -> SessionFactory:
    """Sessions that keep loaded values after commit, so handlers can render them."""
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def transaction(session_factory: SessionFactory) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    with session_factory.begin() as session:
        yield session


@contextmanager
def reading(session_factory: SessionFactory) -> Iterator[Session]:
    """A unit of work that only reads; nothing it changes is kept.

    On SQLite it neither takes nor waits for the write lock (a plain `BEGIN` on a WAL
    snapshot), so a request that only looks things up — who is an admin, what to show —
    is never queued behind the clock or another request's write. It must not write: a
    deferred transaction that tries fails at once with "database is locked".
    """
    with session_factory() as session:
        session.connection(execution_options={READ_ONLY: True})
        try:
            yield session
        finally:
            session.rollback()


def ping(engine: Engine) -> None:
    """Run a trivial query; raises if the database cannot be reached."""
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
