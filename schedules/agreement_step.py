"""The clock's agreement step: the halfway and end-of-cycle reviews that came due."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from bot.agreements.planning import BATCH_SIZE, plan_reviews
from bot.config import Settings
from bot.db import SessionFactory, transaction

MAX_BATCHES = 25


def run_agreement_reviews(
    session_factory: SessionFactory, settings: Settings, now: datetime
) -> dict[str, int]:
    """Queue due reviews in batches of one transaction each; returns non-zero counts."""
    counts: Counter[str] = Counter()
    for _ in range(MAX_BATCHES):
        with transaction(session_factory) as session:
            looked_at = plan_reviews(session, settings, now, counts)
        if looked_at < BATCH_SIZE:
            break
    return {name: n for name, n in counts.items() if n}
