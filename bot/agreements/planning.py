"""The clock's side of agreements: the halfway and end-of-cycle reviews.

Reads the indexed `agreement.next_review_at`; due rows are locked with `FOR UPDATE
SKIP LOCKED` on PostgreSQL, and each review's dedupe key names the agreement, stage
and person, so a second clock sends nothing twice. Agreements of ended pairs close.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.agreements.delivery import queue_review
from bot.agreements.rules import next_review
from bot.agreements.types import END, ENDED, MID
from bot.config import Settings
from bot.db import is_sqlite
from bot.models import Agreement, Pair, Person

BATCH_SIZE = 200


def plan_reviews(session: Session, settings: Settings, now: datetime, counts: Counter[str]) -> int:
    """Queue the reviews that came due; returns how many agreements were looked at."""
    query = (
        select(Agreement)
        .where(Agreement.next_review_at <= now)
        .order_by(Agreement.next_review_at, Agreement.id)
        .limit(BATCH_SIZE)
    )
    if not is_sqlite(session.get_bind().engine):
        query = query.with_for_update(skip_locked=True, of=Agreement)
    rows = session.scalars(query).all()
    for agreement in rows:
        pair = session.get(Pair, agreement.pair_id)
        if pair is None or pair.ended_at is not None or agreement.status == ENDED:
            agreement.status, agreement.next_review_at = ENDED, None
            agreement.ended_at = agreement.ended_at or now
            counts["closed"] += 1
            continue
        stage = MID if agreement.reviews_sent == 0 else END
        for person_id in (agreement.mentee_id, agreement.mentor_id):
            person = session.get(Person, person_id)
            if person is not None and person.is_active and person.opted_out_at is None:
                counts[f"review_{stage}"] += int(
                    queue_review(session, settings, agreement, stage, person, now)
                )
        agreement.reviews_sent += 1
        assert agreement.cycle_started_at is not None
        agreement.next_review_at = next_review(
            agreement.cycle_started_at,
            agreement.cycle_months or settings.agreement_cycle_months,
            agreement.reviews_sent,
        )
    return len(rows)
