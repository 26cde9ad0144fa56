"""Who is an admin, for what `/mentor help` shows — without a database round trip.

`help` (and an unknown subcommand, answered with help) lists the admin commands to
admins only. That is display, not permission: every admin command checks the database
itself before it does anything. So help reads a per-process copy of each workspace's
granted admins, loaded in one query and kept for `REFRESH_SECONDS`: a grant or removal
shows in help within that time.

Why: help is the command people try first, often many at once (a program's launch
announcement), and on PostgreSQL the admin look-up was four round trips before the ack
(pre-ping, BEGIN, SELECT, ROLLBACK) — most of what separated help's ack from an empty
Bolt listener's.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from bot.db import reading
from bot.deps import Deps
from bot.people import granted_admins

REFRESH_SECONDS = 30.0
# Workspaces remembered before the copy is dropped whole (an OAuth install serving many).
MAX_WORKSPACES = 1_000


class AdminView:
    """A short-lived copy of each workspace's granted admins, for display only."""

    def __init__(self, refresh_seconds: float = REFRESH_SECONDS, clock: Callable[[], float] = time.monotonic):
        self.refresh_seconds = refresh_seconds
        self.clock = clock
        self._teams: dict[str, tuple[float, frozenset[str]]] = {}
        self._lock = threading.Lock()

    def shown_as_admin(self, deps: Deps, team_id: str, user_id: str) -> bool:
        """Whether help should list the admin commands for this person.

        Raises SQLAlchemy's OperationalError when the copy needs loading and the
        database is down (the caller answers that as for any command)."""
        if user_id in deps.settings.admin_user_ids:
            return True
        now = self.clock()
        known = self._teams.get(team_id)
        if known is None or now - known[0] > self.refresh_seconds:
            with reading(deps.session_factory) as session:
                known = (now, granted_admins(session, team_id))
            with self._lock:
                if len(self._teams) >= MAX_WORKSPACES:
                    self._teams.clear()
                self._teams[team_id] = known
        return user_id in known[1]
