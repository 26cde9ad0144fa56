"""Roster import, step 3: the dry run. Compare the file with the roster as it is: pairs to
add, already present, cohort changes, pairs to end (only when asked), errors and
duplicates — storing nothing that looks like patient information.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timedelta

from slack_sdk import WebClient
from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from bot import privacy
from bot.db import SessionFactory, transaction
from bot.models import Pair, Person
from bot.roster.read import MAX_DATA_ROWS, MAX_FILE_BYTES, SEPARATORS, read_roster, showable_address
from bot.roster.resolve import problem_for, resolve_addresses
from bot.roster.service import (
    CHUNK,
    quiet_reason,
)
from bot.roster.types import (
    HIDDEN_REASON,
    UNNAMED_SOURCE,
    CohortChange,
    Duplicate,
    ImportPlan,
    ParsedRoster,
    PlannedEnd,
    PlannedPair,
    Resolution,
    Row,
    RowError,
)

# A checked plan may be applied for this long; after that the roster may have moved on.
PLAN_TTL = timedelta(hours=24)

# A pair as (mentor's Slack id, mentee's Slack id).
PairKey = tuple[str, str]
# Active pairs by key, each with an email-or-id label for the mentor and the mentee.
ActivePairs = dict[PairKey, tuple[Pair, str, str]]


def storable_source(name: str) -> str:
    """The file name as it may be stored (plan, audit log), or "uploaded file".

    Exports are often named after what they hold ("smith_john_12345678.csv"). Names
    are checked as written and with _ and . read as spaces, since the screen's word
    boundaries do not fall at underscores.
    """
    readable = SEPARATORS.sub(" ", name)
    if privacy.check(name) or privacy.check(readable):
        return UNNAMED_SOURCE
    return name[:255]


def plan_import(
    session: Session,
    *,
    team_id: str,
    parsed: ParsedRoster,
    resolution: Resolution,
    end_missing: bool,
    source: str,
    now: datetime,
) -> ImportPlan:
    """Compare the file with the current roster. Reads only; writes nothing."""
    plan = ImportPlan(
        source=storable_source(source),
        end_missing=end_missing,
        data_rows=parsed.data_rows,
        errors=list(parsed.errors),
        duplicates=list(parsed.duplicates),
        notes=list(parsed.notes),
        header=parsed.header,
        delimiter=parsed.delimiter,
        lookups=resolution.lookups,
        swept=resolution.swept,
    )
    in_file, protected = _pairs_in_file(plan, parsed, resolution)
    _keep_only_storable(plan)
    current = active_pairs(session, team_id)
    _compare_with_roster(plan, in_file, current)
    plan.not_in_file = sum(1 for key in current if key not in in_file)
    if end_missing:
        _plan_ends(plan, in_file, current, protected)
    plan.quiet = _quiet_people(session, team_id, {u for p in plan.add for u in (p.mentor, p.mentee)}, now)
    return plan


def _pairs_in_file(
    plan: ImportPlan, parsed: ParsedRoster, resolution: Resolution
) -> tuple[dict[PairKey, PlannedPair], set[str]]:
    """The file's pairs by Slack ids, and the people its error lines name ("protected").

    Lines naming someone who cannot be paired become errors on `plan`, and a second
    spelling of a pair a duplicate; fresh profiles of the people paired are kept on it.
    """
    protected = _member_ids(resolution, parsed.addresses_on_error_lines)
    in_file: dict[PairKey, PlannedPair] = {}
    for row in parsed.rows:
        problems = _row_problems(resolution, row)
        if problems:
            plan.errors.append(RowError(row.line, "; ".join(problems)))
            protected |= _member_ids(resolution, (row.mentor, row.mentee))
            continue
        mentor, mentee = resolution.members[row.mentor], resolution.members[row.mentee]
        if mentor.user_id == mentee.user_id:
            plan.errors.append(_same_member(row))
            continue
        key = (mentor.user_id, mentee.user_id)
        if key in in_file:
            # Two spellings of the same people (an email and an id, say).
            plan.duplicates.append(Duplicate(row.line, in_file[key].line))
            continue
        in_file[key] = PlannedPair(
            row.line, mentor.user_id, mentee.user_id, row.mentor, row.mentee, row.cohort
        )
        for address, profile in ((row.mentor, mentor), (row.mentee, mentee)):
            if address not in resolution.cached:
                plan.profiles[profile.user_id] = profile
    return in_file, protected


def _member_ids(resolution: Resolution, addresses: Iterable[str]) -> set[str]:
    """The Slack ids behind those of `addresses` that resolved to a member."""
    return {resolution.members[a].user_id for a in addresses if a in resolution.members}


def _row_problems(resolution: Resolution, row: Row) -> list[str]:
    """Why the people on this line cannot be paired; empty when both can."""
    return [
        _row_problem(resolution, address, role)
        for role, address in (("mentor", row.mentor), ("mentee", row.mentee))
        if address in resolution.problems
    ]


def _same_member(row: Row) -> RowError:
    """The error for a line whose two addresses turn out to be one Slack member."""
    shown = (showable_address(row.mentor), showable_address(row.mentee))
    who = f"{shown[0]} and {shown[1]}" if all(shown) else "the mentor and the mentee"
    return RowError(row.line, f"{who} are the same Slack member")


def _keep_only_storable(plan: ImportPlan) -> None:
    """Sort the plan's errors and duplicates by line, screening what it keeps for a day."""
    plan.errors = sorted((_storable_error(e) for e in plan.errors), key=lambda e: e.line)
    plan.duplicates = sorted((_storable_duplicate(d) for d in plan.duplicates), key=lambda d: d.line)
    plan.notes = [note for note in plan.notes if _may_keep(note)]


def _compare_with_roster(plan: ImportPlan, in_file: dict[PairKey, PlannedPair], current: ActivePairs) -> None:
    """Sort the file's pairs into to add, cohort changes and already present."""
    for key, planned in in_file.items():
        existing = current[key][0] if key in current else None
        if existing is None:
            plan.add.append(planned)
        elif planned.cohort and planned.cohort != existing.cohort:
            plan.cohort_changes.append(
                CohortChange(planned.line, existing.id, key[0], key[1], existing.cohort, planned.cohort)
            )
        else:
            plan.present.append(planned)


def _plan_ends(
    plan: ImportPlan, in_file: dict[PairKey, PlannedPair], current: ActivePairs, protected: set[str]
) -> None:
    """The active pairs the file does not mention: to end, or kept when an error line names one of them."""
    for key, (pair, mentor_label, mentee_label) in current.items():
        if key in in_file:
            continue
        ending = PlannedEnd(
            pair.id,
            key[0],
            key[1],
            pair.cohort,
            pair.started_at.date().isoformat(),
            mentor_label,
            mentee_label,
        )
        (plan.kept if key[0] in protected or key[1] in protected else plan.end).append(ending)


def _row_problem(resolution: Resolution, address: str, role: str) -> str:
    if showable_address(address):
        return resolution.problems[address]
    problem = problem_for(address, resolution.rejected.get(address), role)
    return problem or resolution.problems[address]


# Addresses a reason may name. Showable ones (staff emails, member ids) are taken out
# before screening, since an email is one of the things the screen looks for.
_NAMED_ADDRESS = re.compile(r"[^\s(),;]+@[^\s(),;]+|\b[UW][A-Z0-9]{6,}\b")


def _may_keep(text: str) -> bool:
    """True when `text` (a reason or note the plan keeps for a day) screens clean.

    The reasons are written not to repeat cells; this is the check that they don't.
    """
    without_staff = _NAMED_ADDRESS.sub(lambda m: " " if showable_address(m.group()) else m.group(), text)
    return not privacy.screen(without_staff, names=False)


def _storable_error(error: RowError) -> RowError:
    return error if _may_keep(error.reason) else RowError(error.line, HIDDEN_REASON)


def _storable_duplicate(duplicate: Duplicate) -> Duplicate:
    if duplicate.note is None or _may_keep(duplicate.note):
        return duplicate
    return Duplicate(duplicate.line, duplicate.first_line)


def active_pairs(session: Session, team_id: str) -> ActivePairs:
    """The team's active pairs by (mentor id, mentee id), with an email-or-id label for each side.

    The dry run compares the file with these, and applying re-checks against them.
    """
    mentor, mentee = aliased(Person), aliased(Person)
    rows = session.execute(
        select(Pair, mentor.user_id, mentee.user_id, mentor.email, mentee.email)
        .join(mentor, Pair.mentor_id == mentor.id)
        .join(mentee, Pair.mentee_id == mentee.id)
        .where(Pair.team_id == team_id, Pair.ended_at.is_(None))
        .order_by(Pair.id)
    ).all()
    return {(m, e): (pair, m_email or m, e_email or e) for pair, m, e, m_email, e_email in rows}


def active_pair_keys(session: Session, team_id: str) -> set[PairKey]:
    """Just the keys of :func:`active_pairs`: what applying re-checks against (no ORM objects)."""
    mentor, mentee = aliased(Person), aliased(Person)
    rows = session.execute(
        select(mentor.user_id, mentee.user_id)
        .join_from(Pair, mentor, Pair.mentor_id == mentor.id)
        .join(mentee, Pair.mentee_id == mentee.id)
        .where(Pair.team_id == team_id, Pair.ended_at.is_(None))
    )
    return {(m, e) for m, e in rows}


def _quiet_people(session: Session, team_id: str, user_ids: set[str], now: datetime) -> dict[str, str]:
    quiet: dict[str, str] = {}
    ordered = sorted(user_ids)
    for start in range(0, len(ordered), CHUNK):
        for person in session.scalars(
            select(Person).where(
                Person.team_id == team_id, Person.user_id.in_(ordered[start : start + CHUNK])
            )
        ):
            reason = quiet_reason(person, now)
            if reason:
                quiet[person.user_id] = reason
    return quiet


def check_roster(
    client: WebClient,
    session_factory: SessionFactory,
    *,
    team_id: str,
    data: bytes | str,
    source: str,
    end_missing: bool,
    now: datetime,
    limits: tuple[int, int] = (MAX_DATA_ROWS, MAX_FILE_BYTES),
) -> ImportPlan:
    """Read, resolve and plan: the whole dry run. Raises RosterFileError for unusable files.

    `limits` is (rows, bytes) the file may have: a Slack upload's unless the command line says.
    """
    parsed = read_roster(data, max_rows=limits[0], max_bytes=limits[1])
    resolution = resolve_addresses(client, session_factory, team_id, parsed.addresses())
    with transaction(session_factory) as session:
        return plan_import(
            session,
            team_id=team_id,
            parsed=parsed,
            resolution=resolution,
            end_missing=end_missing,
            source=source,
            now=now,
        )
