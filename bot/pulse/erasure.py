"""What forgetting and retention take from the pulse's sealed and published answers.

Both work without learning who answered: a sealed answer is opened only to read its
mentor (forgetting a mentor) or to drop its comment (retention), in memory, and nothing
here logs more than counts. A mentee is never looked for: their answers have no link to
them that this module could follow.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.models import BatchScope, PulseBatch, PulseInbox
from bot.pulse.publishing import box_context
from bot.pulse.sealing import UnreadableBox, open_box, seal


def quarter_end(key: str) -> datetime | None:
    """The first instant after quarter "2026-Q4" (2027-01-01 00:00 UTC); None if malformed."""
    year, _, number = key.partition("-Q")
    if not (year.isdigit() and number in ("1", "2", "3", "4")):
        return None
    following = int(number) * 3 + 1
    return datetime(int(year) + following // 13, (following - 1) % 12 + 1, 1, tzinfo=UTC)


def _boxes(session: Session, team_id: str | None, quarters: Iterable[str] | None = None) -> list[Any]:
    """(id, team, quarter, box) of the sealed answers of one workspace (or all), optionally
    only in some quarters."""
    query = select(PulseInbox.id, PulseInbox.team_id, PulseInbox.quarter, PulseInbox.sealed)
    if team_id is not None:
        query = query.where(PulseInbox.team_id == team_id)
    if quarters is not None:
        query = query.where(PulseInbox.quarter.in_(list(quarters)))
    return list(session.execute(query).all())


def forget_answers_about(session: Session, settings: Settings, team_id: str, mentor_id: int) -> int:
    """Delete what mentees said about one mentor: their sealed answers still waiting and
    the mentor's published batches. Cohort batches stay (they hold no mentor).

    A box this key cannot open is left alone: it will be deleted unread when it leaves
    the window, like every box nobody can publish.
    """
    doomed: list[str] = []
    for row_id, team, quarter, box in _boxes(session, team_id):
        try:
            content = open_box(settings, box, box_context(team, quarter))
        except UnreadableBox:
            continue
        if int(content.get("mentor", -1)) == mentor_id:
            doomed.append(row_id)
    for start in range(0, len(doomed), 500):
        session.execute(
            delete(PulseInbox)
            .where(PulseInbox.id.in_(doomed[start : start + 500]))
            .execution_options(synchronize_session=False)
        )
    batches = session.execute(
        delete(PulseBatch)
        .where(
            PulseBatch.team_id == team_id,
            PulseBatch.scope == BatchScope.MENTOR,
            PulseBatch.mentor_id == mentor_id,
        )
        .execution_options(synchronize_session=False)
    )
    return len(doomed) + int(batches.rowcount or 0)


def empty_old_comments(session: Session, settings: Settings | None, cutoff: datetime) -> int:
    """Check-in comments keep only their quarter, so a comment goes once its quarter has
    ended before `cutoff`: never earlier than any other text, at most a quarter later.

    Published comments are emptied batch by batch (a batch's last quarter); a sealed
    answer still waiting is opened and sealed again without its comment, so it keeps
    its size and its place (nothing about the order of answers is added). Without
    settings (no key at hand) only published comments are emptied.
    """
    emptied = 0
    # JSON columns cannot be compared in SQL on PostgreSQL; batches are few (one per
    # group and quarter at most), so they are read whole.
    for batch in session.scalars(select(PulseBatch)):
        end = quarter_end(batch.last_quarter)
        if batch.comments and end is not None and end <= cutoff:
            emptied += len(batch.comments)
            batch.comments = []
    if settings is None:
        return emptied
    old = {
        quarter
        for (quarter,) in session.execute(select(PulseInbox.quarter).distinct())
        if (end := quarter_end(quarter)) is not None and end <= cutoff
    }
    if not old:
        return emptied
    for row_id, team, quarter, box in _boxes(session, None, old):
        context = box_context(team, quarter)
        try:
            content = open_box(settings, box, context)
        except UnreadableBox:
            continue
        if content.get("comment") is None:
            continue
        content["comment"] = None
        session.execute(
            update(PulseInbox)
            .where(PulseInbox.id == row_id)
            .values(sealed=seal(settings, content, context))
            .execution_options(synchronize_session=False)
        )
        emptied += 1
    return emptied
