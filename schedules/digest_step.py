"""The clock's digest step: every tick, queue the director digest for admins whose digest
day has come (every DIGEST_EVERY_DAYS from a Monday; bot.program.delivery).

Most ticks it returns at once (no zone is on a digest day). Running twice, or on two
clocks at once, queues nothing twice: each digest's dedupe key names its admin and day.
"""

from __future__ import annotations

from datetime import datetime

from bot.config import Settings
from bot.db import SessionFactory, transaction
from bot.program.delivery import plan_digests


def plan_director_digests(
    session_factory: SessionFactory, settings: Settings, now: datetime
) -> dict[str, int] | None:
    """One pass in one transaction; counts for the tick's log line, or None when idle."""
    with transaction(session_factory) as session:
        counts = plan_digests(session, settings, now)
    return dict(counts) or None
