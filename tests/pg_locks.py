"""Watching PostgreSQL row locks, so concurrency tests interleave deterministically."""

from __future__ import annotations

import time

from sqlalchemy import text
from sqlalchemy.orm import Session

from bot.db import SessionFactory


def backend_pid(session: Session) -> int:
    """The server process serving this session's connection (call inside its transaction)."""
    return int(session.scalar(text("SELECT pg_backend_pid()")))


def wait_until_blocked(session_factory: SessionFactory, pid: int, timeout: float = 10.0) -> None:
    """Wait until backend `pid` is waiting for a lock another transaction holds."""
    deadline = time.monotonic() + timeout
    with session_factory() as watcher:
        while time.monotonic() < deadline:
            waiting = watcher.scalar(
                text("SELECT wait_event_type FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}
            )
            watcher.rollback()
            if waiting == "Lock":
                return
            time.sleep(0.01)
    raise AssertionError(f"backend {pid} never waited for a lock")
