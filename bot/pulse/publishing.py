"""Publishing: once a quarter has closed, open the sealed answers, and publish each
group's pool that is ready as one batch (`bot.pulse.pools` says when).

Run by the clock's pulse step, one workspace per transaction. What it writes:

* `pulse_batch` rows — a mentor's or a cohort's combined answers over whole closed
  quarters, with a mentor batch's comments in random order. Each is written once.
* it deletes the sealed answers every batch they belong to has published, and those
  that have left the window unpublished (a mentor with too few mentees never gets
  them, and nobody ever will);
* `pulse_publication.through_quarter` — so a workspace is published once per quarter,
  however many clocks run (the row is locked first).

The mentee inside each box is used only here, in memory, to count different mentees.
Nothing here logs a mentor, a cohort or an answer: only counts per workspace.
"""

from __future__ import annotations

import logging
import random
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.db import is_sqlite
from bot.models import ITEM_COLUMNS, BatchScope, Person, PulseBatch, PulseInbox, PulsePublication
from bot.pulse.pools import pool_batch, pools_by
from bot.pulse.rules import PUBLISH_GRACE, last_closed_quarter, quarters_through
from bot.pulse.sealing import UnreadableBox, open_box
from bot.pulse.types import Batch, PlanReport, SealedAnswer
from bot.sqlutil import insert_ignoring_conflict

log = logging.getLogger(__name__)

# The operating system's randomness for the comments' order: nothing anyone could replay.
_SYSTEM_RANDOM = random.SystemRandom()
# Before any quarter was published ("" sorts before every quarter too).
NEVER = "0000-Q1"


def box_context(team_id: str, quarter: str) -> str:
    """What a sealed answer is bound to: its row's clear columns."""
    return f"pulse:{team_id}:{quarter}"


def track(session: Session, team_id: str, now: datetime) -> None:
    """Make sure publishing looks at this workspace (the planner calls this when it plans
    check-ins; never the answering transaction, which writes nothing but its two rows)."""
    insert_ignoring_conflict(
        session,
        PulsePublication,
        {"team_id": team_id, "through_quarter": NEVER, "updated_at": now},
        ["team_id"],
    )


def teams_due(session: Session, now: datetime) -> list[str]:
    """Workspaces not yet published through the last closed quarter (one row each: cheap
    to ask every minute)."""
    closed = last_closed_quarter(now, PUBLISH_GRACE)
    behind = select(PulsePublication.team_id).where(PulsePublication.through_quarter < closed)
    return sorted(session.scalars(behind))


def _lock_state(session: Session, team_id: str, now: datetime) -> PulsePublication:
    track(session, team_id, now)
    query = select(PulsePublication).where(PulsePublication.team_id == team_id)
    if not is_sqlite(session.get_bind().engine):
        query = query.with_for_update()
    return session.scalars(query).one()


def _opened(
    session: Session,
    settings: Settings,
    team_id: str,
    through: str,
    window: tuple[str, ...],
    report: PlanReport,
) -> list[tuple[str, SealedAnswer]]:
    """The workspace's sealed answers up to `through`, opened; those past the window are
    deleted unread, and those this key cannot open are counted and left alone."""
    opened: list[tuple[str, SealedAnswer]] = []
    stale: list[str] = []
    unreadable = 0
    rows = session.execute(
        select(PulseInbox.id, PulseInbox.quarter, PulseInbox.sealed).where(
            PulseInbox.team_id == team_id, PulseInbox.quarter <= through
        )
    )
    for row_id, quarter, box in rows:
        if quarter < window[0]:
            stale.append(row_id)
            continue
        try:
            content = open_box(settings, box, box_context(team_id, quarter))
        except UnreadableBox:
            unreadable += 1
            continue
        items = content.get("items") or {}
        opened.append(
            (
                row_id,
                SealedAnswer(
                    mentor_id=int(content["mentor"]),
                    cohort=content.get("cohort"),
                    mentee=int(content["mentee"]),
                    quarter=quarter,
                    values=tuple((key, items.get(key)) for key in ITEM_COLUMNS),
                    comment=content.get("comment"),
                ),
            )
        )
    _delete(session, stale)
    report.add("answers_expired", len(stale))
    if unreadable:
        report.add("answers_unreadable", unreadable)
        log.warning(
            "team=%s pulse: %d sealed check-in answer(s) could not be opened — the secret key "
            "(SECRET_KEY, or the key file beside the SQLite database) is not the one they were sealed "
            "with. They are kept until they leave the window, in case the old key comes back",
            team_id,
            unreadable,
        )
    return opened


def _delete(session: Session, ids: list[str]) -> None:
    for start in range(0, len(ids), 500):
        session.execute(
            delete(PulseInbox)
            .where(PulseInbox.id.in_(ids[start : start + 500]))
            .execution_options(synchronize_session=False)
        )


def _published_through(session: Session, team_id: str, scope: str) -> dict[object, str]:
    """Per group, the newest quarter its published batches cover."""
    group = PulseBatch.mentor_id if scope == BatchScope.MENTOR else PulseBatch.cohort
    rows = session.execute(
        select(group, func.max(PulseBatch.last_quarter))
        .where(PulseBatch.team_id == team_id, PulseBatch.scope == scope)
        .group_by(group)
    )
    return {key: last for key, last in rows}


def _store(session: Session, team_id: str, scope: str, key: object, batch: Batch, now: datetime) -> None:
    comments = list(batch.comments)
    _SYSTEM_RANDOM.shuffle(comments)
    session.add(
        PulseBatch(
            team_id=team_id,
            scope=scope,
            mentor_id=key if scope == BatchScope.MENTOR else None,
            cohort=key if scope == BatchScope.COHORT else None,
            first_quarter=batch.first_quarter,
            last_quarter=batch.last_quarter,
            answers=batch.answers,
            mentees=batch.mentees,
            mentors=batch.mentors,
            items={item: [total, count] for item, (total, count) in batch.items},
            comments=comments,
            created_at=now,
        )
    )


def publish_team(
    session: Session, settings: Settings, team_id: str, now: datetime, report: PlanReport
) -> bool:
    """Publish one workspace through its last closed quarter; False when another clock
    already did (or nothing closed since)."""
    through = last_closed_quarter(now, PUBLISH_GRACE)
    state = _lock_state(session, team_id, now)
    if state.through_quarter >= through:
        return False
    window = quarters_through(through, settings.anonymity_window_months)
    opened = _opened(session, settings, team_id, through, window, report)
    answers = [answer for _id, answer in opened]
    minimum = settings.anonymity_min
    mentors = set(
        session.scalars(
            select(Person.id).where(Person.team_id == team_id, Person.id.in_({a.mentor_id for a in answers}))
        )
    )
    done: dict[str, dict[object, str]] = {}
    for scope, group in ((BatchScope.MENTOR, "mentor_id"), (BatchScope.COHORT, "cohort")):
        done[scope] = _published_through(session, team_id, scope)
        for key, pool in pools_by(answers, group, done[scope]).items():
            if scope == BatchScope.MENTOR and key not in mentors:
                continue  # the mentor's record was removed: nobody to show it to
            batch = pool_batch(pool, minimum, through, cohort=scope == BatchScope.COHORT, keys=ITEM_COLUMNS)
            if batch is not None:
                _store(session, team_id, scope, key, batch, now)
                done[scope][key] = through
                report.add(f"{scope}_batches")
    # A sealed answer is kept until both its mentor's and its cohort's batches hold it.
    used = [
        row_id
        for row_id, a in opened
        if done[BatchScope.MENTOR].get(a.mentor_id, "") >= a.quarter
        and done[BatchScope.COHORT].get(a.cohort, "") >= a.quarter
    ]
    _delete(session, used)
    state.through_quarter, state.updated_at = through, now
    log.info(
        "team=%s pulse published through %s: %d answer(s) opened, %d now in batches and removed",
        team_id,
        through,
        len(opened),
        len(used),
    )
    return True
