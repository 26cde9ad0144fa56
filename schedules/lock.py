"""One clock per SQLite database.

SQLite has no `SKIP LOCKED`, so two clocks on one SQLite file could claim the same
rows. An OS file lock beside the database makes the second clock refuse to start. The
lock dies with the process, so a crash never leaves a stale lock behind.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from sqlalchemy.engine import make_url

from bot.config import ConfigError


def sqlite_file(database_url: str) -> Path | None:
    """The SQLite file behind `database_url`, or None (PostgreSQL, or in-memory SQLite)."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database).resolve()


def _try_lock(handle: IO[str]) -> bool:
    if os.name == "nt":  # pragma: no cover - exercised on Windows only
        import msvcrt

        try:
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


@contextmanager
def clock_lock(database_url: str) -> Iterator[None]:
    """Hold the clock lock for a SQLite database; PostgreSQL needs none."""
    database = sqlite_file(database_url)
    if database is None:
        yield
        return
    path = database.with_name(database.name + ".clock.lock")
    handle = open(path, "a+")  # noqa: SIM115 - held open for the life of the clock
    try:
        if not _try_lock(handle):
            raise ConfigError(
                f"another clock is already running for the SQLite database {database}. With SQLite only one "
                "clock (or `socket` process) may run at a time: stop the other one, or use PostgreSQL "
                "(DATABASE_URL) to run several clocks"
            )
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}\n")
        handle.flush()
        yield
    finally:
        handle.close()
