"""Counts kept from records that forgetting deletes: per workspace, period, metric and
practice, added to whatever is already there, so one forgotten person's counts blend
with everyone else's (see bot.models.mydata.KeptCount)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from sqlalchemy import Insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bot.models import KeptCount

# (period, metric, practice or "") → how many.
Tally = Counter[tuple[str, str, str]]


def month_of(moment: datetime) -> str:
    """ "2026-11": the UTC month (kept counts need no finer time, and no zone)."""
    return f"{moment.year:04d}-{moment.month:02d}"


def add_counts(session: Session, team_id: str, tally: Tally) -> int:
    """Add `tally` to the workspace's kept counts; returns how many counts it touched."""
    dialect = session.get_bind().dialect.name
    builder = postgresql.insert if dialect == "postgresql" else sqlite.insert
    touched = 0
    for (period, metric, practice), count in sorted(tally.items()):
        if count <= 0:
            continue
        statement: Insert = builder(KeptCount).values(
            team_id=team_id, period=period, metric=metric, practice=practice, count=count
        )
        # Two forgets at once add up instead of one overwriting the other.
        statement = statement.on_conflict_do_update(
            index_elements=["team_id", "period", "metric", "practice"],
            set_={"count": KeptCount.count + statement.excluded.count},
        )
        session.execute(statement)
        touched += 1
    return touched
