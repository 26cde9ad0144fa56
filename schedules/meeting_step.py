"""The clock's meeting-log step: once a day, queue this month's "did you meet?" question.

From the 20th of the month in each mentor's own zone, every active pair without a
question for the month (and without a meeting logged) gets one outbox row, due on the
mentor's first nudge weekday on or after the 22nd at their nudge time, moved into their
allowed hours, expiring at the month's end (`bot.meetings.delivery.plan_batch`). Planning
a few days ahead is why once a day is enough, and it makes a missed daily run harmless.

The roster is walked in batches of one transaction each. Running twice, or on two
clocks at once, queues nothing twice: each question's dedupe key names its pair and
month.
"""

from __future__ import annotations

import threading
from collections import Counter
from datetime import datetime

from bot.config import Settings
from bot.db import SessionFactory, transaction
from bot.meetings.delivery import plan_batch


def plan_meeting_questions(
    session_factory: SessionFactory,
    settings: Settings,
    now: datetime,
    *,
    stopping: threading.Event | None = None,
) -> dict[str, int]:
    """Queue the month's questions that are due to be planned; counts for the log line."""
    counts: Counter[str] = Counter()
    after = 0
    while stopping is None or not stopping.is_set():
        with transaction(session_factory) as session:
            batch, last = plan_batch(session, settings, now, after_pair_id=after)
        counts.update(batch)
        if last is None:
            break
        after = last
    return dict(counts)
