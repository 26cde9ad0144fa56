"""The clock's rota steps: rotation check-ins every tick, calendar feeds once a day.

Check-ins read an indexed "next due" column in batches of one transaction each. Feeds
are fetched outside any transaction (a slow calendar server never holds a database
lock): a short transaction claims a few due feeds (moving them a day on), each is
fetched with a timeout and size limit, and another short transaction stores what it
gave. A failing feed tells its owner once and is then retried quietly every day.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable
from datetime import datetime

from bot.config import Settings
from bot.db import SessionFactory, transaction
from bot.rota.feed import fetch_feed
from bot.rota.planning import BATCH_SIZE, claim_due_feeds, plan_checkins, record_feed_result
from bot.rota.service import tidy_uploads
from bot.rota.types import UNREADABLE_LINK, FeedProblem

log = logging.getLogger(__name__)

MAX_BATCHES = 25
Fetch = Callable[..., bytes]


def run_checkins(session_factory: SessionFactory, settings: Settings, now: datetime) -> dict[str, int]:
    """Queue rotation check-ins that came due; returns non-zero counts."""
    counts: Counter[str] = Counter()
    for _ in range(MAX_BATCHES):
        with transaction(session_factory) as session:
            looked_at = plan_checkins(session, settings, now, counts)
        if looked_at < BATCH_SIZE:
            break
    return {f"checkins_{stage}": n for stage, n in counts.items() if n}


def refresh_feeds(
    session_factory: SessionFactory,
    settings: Settings,
    now: datetime,
    *,
    fetch: Fetch = fetch_feed,
    stopping: threading.Event | None = None,
) -> dict[str, int]:
    """Refresh every calendar feed that is due; returns counts (never a URL)."""
    counts: Counter[str] = Counter()
    while not (stopping and stopping.is_set()):
        with transaction(session_factory) as session:
            due = claim_due_feeds(session, settings, now)
        for feed_id, url in due:
            data, problem = None, UNREADABLE_LINK if url is None else None
            try:
                if url is not None:
                    data = fetch(url, allow_local_http=settings.rota_feed_allow_local_http)
            except FeedProblem as failed:
                problem = str(failed)
            with transaction(session_factory) as session:
                outcome = record_feed_result(session, settings, feed_id, data=data, problem=problem, now=now)
            counts["ok" if outcome.ok else "failed"] += 1
            if not outcome.ok:
                # The feed's id only: its URL is a secret.
                log.warning("rota feed %s: refresh failed (%s)", feed_id, outcome.problem)
        if not due:
            break
    return dict(counts)


def tidy_rota_uploads(session_factory: SessionFactory, now: datetime) -> dict[str, int]:
    """Delete checked rota uploads nobody applied within a day."""
    with transaction(session_factory) as session:
        deleted = tidy_uploads(session, now)
    return {"deleted": deleted} if deleted else {}
