"""Roster import, step 4: make the planned changes in one transaction, re-checking each
against the roster as it is then, so applying twice changes nothing; and the plans kept
between the dry run and the confirm (:func:`check_and_save_plan` is the whole dry run
of `/mentor import`, ending with the plan stored).
"""

from __future__ import annotations

import uuid
from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, delete, select
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.db import SessionFactory, transaction
from bot.deps import Deps
from bot.models import Pair, RosterImport
from bot.people import ensure_workspace
from bot.roster.bulk import (
    Member,
    StartedPair,
    insert_pairs,
    load_members,
    queue_welcomes,
    refresh_profiles,
    save_members,
)
from bot.roster.plan import PLAN_TTL, active_pair_keys, check_roster, storable_source
from bot.roster.service import active_relations, audit, end_pair, ensure_people
from bot.roster.types import ImportPlan, ImportResult, Refusal


def apply_plan(
    session: Session,
    settings: Settings,
    *,
    team_id: str,
    plan: ImportPlan,
    actor: str,
    now: datetime,
) -> ImportResult:
    """Make the planned changes in the caller's transaction and write one audit row.

    Every change is re-checked against the roster as it is now, so a plan applied twice,
    or after someone paired the same people by hand, changes nothing the second time.
    """
    result = ImportResult(
        already_present=len(plan.present), errors=len(plan.errors), duplicates=len(plan.duplicates)
    )
    # Everyone paired or unpaired gets the plan's fresh profile, as before.
    user_ids = {u for p in plan.add for u in (p.mentor, p.mentee)}
    user_ids |= {u for e in plan.end for u in (e.mentor, e.mentee)}
    members = load_members(session, team_id, sorted(user_ids))
    before = {m.id: m.values() for m in members.values()}
    refresh_profiles(members, plan.profiles, now)
    added, joined = _add_pairs(
        session, team_id=team_id, plan=plan, members=members, result=result, actor=actor, now=now
    )
    _change_cohorts(session, team_id, plan, result)
    ended_ids = _end_pairs(session, team_id=team_id, plan=plan, result=result, now=now)
    session.flush()
    relations = active_relations(session, [m.id for m in joined if m.welcomed_at is None])
    result.welcomed = len(queue_welcomes(session, settings, joined, relations, now))
    # Profiles, the planner's marks and welcomed_at in one pass. Ending pairs (above) may
    # have loaded some of these people through the ORM; it writes only what it changed
    # (next_nudge_at, by the same rule from the same value), so neither undoes the other.
    save_members(session, members.values(), before)
    audit(
        session,
        team_id=team_id,
        actor=actor,
        action="import.apply",
        target=storable_source(plan.source),
        detail={
            "added": result.added,
            "cohort_changed": result.cohort_changed,
            "ended": result.ended,
            "skipped": result.skipped,
            "already_present": result.already_present,
            "errors": result.errors,
            "duplicates": result.duplicates,
            "welcomed": result.welcomed,
            "added_pair_ids": [p.id for p in added],
            "ended_pair_ids": ended_ids,
        },
        now=now,
    )
    return result


def _add_pairs(
    session: Session,
    *,
    team_id: str,
    plan: ImportPlan,
    members: dict[str, Member],
    result: ImportResult,
    actor: str,
    now: datetime,
) -> tuple[list[StartedPair], list[Member]]:
    """Start the planned pairs that are not active yet; returns them, and the people in them
    (each once, in the order they joined) for the welcome."""
    current = active_pair_keys(session, team_id)
    to_start: list[tuple[Member, Member, str | None]] = []
    joined: dict[int, Member] = {}
    for planned in plan.add:
        key = (planned.mentor, planned.mentee)
        if key in current:
            result.already_present += 1
            result.skipped += 1
            continue
        mentor, mentee = members[planned.mentor], members[planned.mentee]
        to_start.append((mentor, mentee, planned.cohort))
        current.add(key)
        joined.setdefault(mentor.id, mentor)
        joined.setdefault(mentee.id, mentee)
    # All at once: a few multi-row INSERTs, not a round trip (or an ORM object) per pair.
    added = insert_pairs(session, team_id=team_id, pairs=to_start, actor=actor, now=now) if to_start else []
    result.added = len(added)
    return added, list(joined.values())


def _change_cohorts(session: Session, team_id: str, plan: ImportPlan, result: ImportResult) -> None:
    """Rename the planned cohorts, skipping pairs ended or renamed since the dry run."""
    for change in plan.cohort_changes:
        pair = session.get(Pair, change.pair_id)
        if pair is None or pair.ended_at is not None or pair.team_id != team_id or pair.cohort == change.new:
            result.skipped += 1
            continue
        pair.cohort = change.new
        result.cohort_changed += 1


def _end_pairs(
    session: Session, *, team_id: str, plan: ImportPlan, result: ImportResult, now: datetime
) -> list[int]:
    """End the planned pairs still active; returns their ids."""
    mentors = ensure_people(session, team_id, sorted({e.mentor for e in plan.end})) if plan.end else {}
    ended_ids = []
    for ending in plan.end:
        pair = session.get(Pair, ending.pair_id)
        if pair is None or pair.ended_at is not None or pair.team_id != team_id:
            result.skipped += 1
            continue
        end_pair(session, pair, mentors[ending.mentor], now)
        ended_ids.append(pair.id)
        result.ended += 1
    return ended_ids


def _expired(now: datetime) -> ColumnElement[bool]:
    """Unapplied plans past PLAN_TTL: they hold staff emails and can no longer be applied."""
    return RosterImport.applied_at.is_(None) & (RosterImport.created_at < now - PLAN_TTL)


# Per-list counts kept for a plan applied by code that did not trim it.
_PLAN_LISTS = ("add", "present", "cohort_changes", "end", "kept", "errors", "duplicates")


def _applied_record(row: RosterImport) -> dict[str, Any]:
    """What an applied import keeps: its counts and a screened file name, no addresses."""
    plan = row.plan or {}
    source = storable_source(str(plan.get("source") or row.source))
    for kind in ("applied", "planned"):  # already counts: keep the numbers, nothing else
        if isinstance(plan.get(kind), dict):
            return {kind: {k: v for k, v in plan[kind].items() if isinstance(v, int)}, "source": source}
    return {"planned": {k: len(plan.get(k) or []) for k in _PLAN_LISTS}, "source": source}


def tidy_import_plans(session_factory: SessionFactory, now: datetime) -> dict[str, int]:
    """The daily retention step, for every workspace: delete unapplied plans older than
    PLAN_TTL, and cut applied ones down to their counts (applying already does; this
    catches anything applied otherwise). Returns the non-zero counts.
    """
    with transaction(session_factory) as session:
        deleted = session.execute(delete(RosterImport).where(_expired(now))).rowcount
        trimmed = 0
        # Applied imports are a handful a year per workspace: reading them all is cheap.
        for row in session.scalars(select(RosterImport).where(RosterImport.applied_at.is_not(None))):
            record, source = _applied_record(row), storable_source(row.source)
            if row.plan != record or row.source != source:
                row.plan, row.source = record, source
                trimmed += 1
    return {name: n for name, n in (("deleted", deleted), ("trimmed", trimmed)) if n}


def save_plan(session: Session, *, team_id: str, plan: ImportPlan, actor: str, now: datetime) -> str:
    """Store a checked plan; returns the random key the confirm step refers to.

    This workspace's expired plans are deleted on the way (the daily
    :func:`tidy_import_plans` deletes everyone's).
    """
    session.execute(delete(RosterImport).where(RosterImport.team_id == team_id, _expired(now)))
    ensure_workspace(session, team_id)
    row = RosterImport(
        key=uuid.uuid4().hex,
        team_id=team_id,
        created_by=actor,
        source=storable_source(plan.source),
        plan=plan.to_json(),
        created_at=now,
    )
    session.add(row)
    session.flush()
    return row.key


def check_and_save_plan(
    deps: Deps,
    *,
    team_id: str,
    actor: str,
    data: bytes | str,
    source: str,
    end_missing: bool,
) -> tuple[ImportPlan, str]:
    """The whole dry run of `/mentor import`: check the roster, then store the plan for the
    confirm. Returns the plan and the key the confirm step refers to.

    Slack is called (by :func:`check_roster`) with no transaction open; the plan is
    stored in a transaction of its own afterwards, stamped with the time it is stored.
    Raises RosterFileError for unusable files; Slack errors propagate.
    """
    plan = check_roster(
        deps.client_for(team_id),
        deps.session_factory,
        team_id=team_id,
        data=data,
        source=source,
        end_missing=end_missing,
        now=deps.now(),
    )
    with transaction(deps.session_factory) as session:
        import_key = save_plan(session, team_id=team_id, plan=plan, actor=actor, now=deps.now())
    return plan, import_key


def apply_saved_plan(
    session: Session,
    settings: Settings,
    *,
    team_id: str,
    import_key: str,
    actor: str,
    now: datetime,
) -> tuple[ImportPlan, ImportResult]:
    """Apply a stored plan once; a second confirm (double click, retry) is refused."""
    row = session.scalars(
        select(RosterImport)
        .where(RosterImport.key == import_key, RosterImport.team_id == team_id)
        .with_for_update()
    ).first()
    if row is None or (row.applied_at is None and row.created_at < now - PLAN_TTL):
        raise Refusal(
            "That check is more than a day old, and the roster may have changed since. "
            "Run `/mentor import` again to check the file afresh."
        )
    if row.applied_at is not None:
        raise Refusal(
            f"This import was already applied by <@{row.applied_by}> on {row.applied_at.day} "
            f"{row.applied_at:%b at %H:%M} UTC, so nothing was changed this time."
        )
    plan = ImportPlan.from_json(row.plan)
    result = apply_plan(session, settings, team_id=team_id, plan=plan, actor=actor, now=now)
    row.applied_at, row.applied_by = now, actor
    # Keep the counts; drop the emails and names.
    row.plan = {"applied": asdict(result), "source": storable_source(plan.source)}
    return plan, result
