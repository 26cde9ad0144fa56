"""Database engine and sessions.

SQLite is the embedded default for a small program; PostgreSQL is what several
processes (web + clock, or several clocks) share. Both get the same models.
"""

from __future__ import annotations

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


def _begin_immediate(conn: Any) -> None:
    # pysqlite's default deferred BEGIN upgrades to a write lock mid-transaction, which
    # fails at once with "database is locked" instead of honouring busy_timeout.
    # BEGIN IMMEDIATE takes the write lock up front, where the timeout applies.
    conn.exec_driver_sql("BEGIN IMMEDIATE")


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
        event.listen(engine, "begin", _begin_immediate)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def make_session_factory(engine: Engine) -> SessionFactory:
    """Sessions that keep loaded values after commit, so handlers can render them."""
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def transaction(session_factory: SessionFactory) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    with session_factory.begin() as session:
        yield session


def ping(engine: Engine) -> None:
    """Run a trivial query; raises if the database cannot be reached."""
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
