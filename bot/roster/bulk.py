"""Roster import, the bulk writes behind step 4: people, pairs, draft invitations and
welcomes for thousands of pairs, in a few Core statements each and without ORM objects.

A 100,000-pair import loaded 200,000 `Person` and made 100,000 `Pair` objects; the
unit of work's bookkeeping for them (the flushes, the autoflush before each query, the
identity map) was most of the apply step. Here people are plain :class:`Member`
records read in chunks, and every change is one multi-row INSERT or executemany UPDATE.
The rules stay where they were: `bot.directory.apply_profile` and
`bot.timing.mark_for_replanning` run on the records (they only read and set columns),
and the welcome is `bot.roster.blocks.welcome_message`.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, bindparam, insert, select, update
from sqlalchemy.orm import Session

from bot.agreements.service import invite_new_pairs
from bot.config import Settings
from bot.directory import Profile, apply_profile
from bot.models import ForgetMark, Pair, Person, Workspace
from bot.outbox import Queued, enqueue_many
from bot.people import ensure_workspace, forget_fingerprint, honour_forget_marks, person_timezone
from bot.roster.service import CHUNK, queued_welcome
from bot.sqlutil import bind_values, insert_many_ignoring_conflict, sqlite_insert_many
from bot.timing import mark_for_replanning, next_contact_time

PERSON = Person.__table__
PAIR = Pair.__table__


@dataclass(slots=True)
class Member:
    """The columns of a `person` row that importing reads or changes.

    It stands in for `Person` in `apply_profile`, `mark_for_replanning`,
    `next_contact_time`, `person_timezone` and `welcome_message`, which only read and
    set these attributes (slots: one they start to use that is missing here fails loudly).
    """

    id: int
    team_id: str
    user_id: str
    display_name: str | None
    real_name: str | None
    email: str | None
    tz: str | None
    tz_override: str | None
    tz_refreshed_at: datetime | None
    is_active: bool
    inactive_reason: str | None
    paused_until: datetime | None
    welcomed_at: datetime | None
    contact_start: int
    contact_end: int
    quiet_weekends: bool
    nudge_days: str
    nudge_minute: int
    cadence: str
    next_nudge_at: datetime | None

    def values(self) -> tuple[Any, ...]:
        """The record's columns in field order (to see what changed)."""
        return _read_fields(self)


_FIELDS = tuple(f.name for f in fields(Member))
_read_fields = operator.attrgetter(*_FIELDS)
# Written back when changed; id, team and user id never change here.
_WRITABLE = _FIELDS[3:]


def load_members(session: Session, team_id: str, user_ids: Sequence[str]) -> dict[str, Member]:
    """Members for many Slack ids at once, creating the missing rows (as `ensure_people`)."""
    found = _members_by_user_id(session, team_id, user_ids)
    missing = [user_id for user_id in user_ids if user_id not in found]
    if missing:
        ensure_workspace(session, team_id)
        # One multi-row INSERT per batch, handing back the new rows; rows someone else
        # created meanwhile are skipped by it, and read below.
        rows = [{"team_id": team_id, "user_id": user_id} for user_id in missing]
        created = insert_many_ignoring_conflict(session, Person, rows, ["team_id", "user_id"], _FIELDS)
        found.update((member.user_id, member) for member in (Member(*row) for row in created))
        # opted_out_at, which it may set, is not one of a Member's columns.
        _honour_forget_marks(session, team_id, missing)
        found.update(_members_by_user_id(session, team_id, [u for u in missing if u not in found]))
    return found


def _members_by_user_id(session: Session, team_id: str, user_ids: Sequence[str]) -> dict[str, Member]:
    columns = [PERSON.c[name] for name in _FIELDS]
    found: dict[str, Member] = {}
    for start in range(0, len(user_ids), CHUNK):
        chunk = user_ids[start : start + CHUNK]
        rows = session.connection().execute(
            select(*columns).where(PERSON.c.team_id == team_id, PERSON.c.user_id.in_(chunk))
        )
        found.update((row.user_id, Member(*row)) for row in rows)
    return found


def _honour_forget_marks(session: Session, team_id: str, created: Sequence[str]) -> None:
    """`honour_forget_marks` for the people just created, as ORM objects only for the
    few who were once forgotten (a read of the marks first; almost always none)."""
    by_print = {forget_fingerprint(team_id, user_id): user_id for user_id in created}
    prints = list(by_print)
    marked: list[str] = []
    for start in range(0, len(prints), CHUNK):
        marked += session.scalars(
            select(ForgetMark.fingerprint).where(
                ForgetMark.team_id == team_id, ForgetMark.fingerprint.in_(prints[start : start + CHUNK])
            )
        ).all()
    if marked:
        forgotten = [by_print[fingerprint] for fingerprint in marked]
        people = session.scalars(
            select(Person).where(Person.team_id == team_id, Person.user_id.in_(forgotten))
        ).all()
        honour_forget_marks(session, team_id, people)
        session.flush()  # their opted_out_at, before anything reads the rows again


def refresh_profiles(members: dict[str, Member], profiles: dict[str, Profile], now: datetime) -> None:
    """Copy the plan's fresh Slack profiles onto the members (written by :func:`save_members`)."""
    for user_id, profile in profiles.items():
        member = members.get(user_id)
        if member is not None:
            apply_profile(member, profile, now)  # type: ignore[arg-type]  # a Member stands in


def save_members(session: Session, members: Iterable[Member], before: dict[int, tuple[Any, ...]]) -> int:
    """Write back what changed on each member since `before` (id → values), one executemany
    UPDATE per set of changed columns; returns how many rows were written."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for member in members:
        old, new = before[member.id], member.values()
        changed = tuple(
            name for name, a, b in zip(_FIELDS, old, new, strict=True) if a != b and name in _WRITABLE
        )
        if changed:
            row = {f"v_{name}": getattr(member, name) for name in changed}
            row["v_id"] = member.id
            groups.setdefault(changed, []).append(row)
    connection = session.connection()
    for changed, rows in groups.items():
        if connection.dialect.name == "sqlite":
            _sqlite_update(connection, changed, rows)
            continue
        statement = (
            update(PERSON)
            .where(PERSON.c.id == bindparam("v_id"))
            .values({name: bindparam(f"v_{name}") for name in changed})
        )
        connection.execute(statement, rows)
    return sum(len(rows) for rows in groups.values())


def _sqlite_update(connection: Connection, changed: tuple[str, ...], rows: list[dict[str, Any]]) -> None:
    """`save_members`' UPDATE for one set of columns as a driver-level executemany, each
    column's values converted as SQLAlchemy would (each distinct value once: most rows
    share one `now` or next-nudge time), instead of SQLAlchemy converting row by row."""
    quote = connection.dialect.identifier_preparer.quote
    assignments = ", ".join(f"{quote(name)} = ?" for name in changed)
    sql = f"UPDATE {quote(PERSON.name)} SET {assignments} WHERE {quote('id')} = ?"
    by_column = [
        bind_values(connection.dialect, PERSON.c[name], [row[f"v_{name}"] for row in rows])
        for name in changed
    ]
    by_column.append([row["v_id"] for row in rows])
    connection.exec_driver_sql(sql, list(zip(*by_column, strict=True)))


@dataclass(frozen=True, slots=True)
class StartedPair:
    """A pair just inserted: what the draft invitation needs of it (a `Pair` stands here)."""

    id: int
    team_id: str


def insert_pairs(
    session: Session,
    *,
    team_id: str,
    pairs: Sequence[tuple[Member, Member, str | None]],
    actor: str,
    now: datetime,
) -> list[StartedPair]:
    """Insert (mentor, mentee, cohort) pairs in multi-row INSERTs, ask the planner to look
    at each mentor, and queue each mentee's draft invitation; returns the pairs in order."""
    rows = [
        {
            "team_id": team_id,
            "mentor_id": mentor.id,
            "mentee_id": mentee.id,
            "cohort": cohort,
            "started_at": now,
            "created_by": actor,
            "next_pulse_at": now,  # as the column's default: a new pair is due at its start
        }
        for mentor, mentee, cohort in pairs
    ]
    ids = _insert_returning_ids(session, rows)
    started = [StartedPair(pair_id, team_id) for pair_id in ids]
    for mentor, _mentee, _cohort in pairs:
        mark_for_replanning(mentor, now)  # type: ignore[arg-type]  # a Member stands in
    invite_new_pairs(session, [(p, mentee) for p, (_m, mentee, _c) in zip(started, pairs, strict=True)], now)  # type: ignore[misc]
    return started


def _insert_returning_ids(session: Session, rows: list[dict[str, Any]]) -> list[int]:
    """INSERT pair rows; their new ids in the rows' order."""
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        found = sqlite_insert_many(connection, PAIR, rows, ["id"])
        if found is not None:
            # SQLite hands out rowids in increasing order as the VALUES are inserted, but
            # RETURNING's order is not promised: sorted, the ids follow the rows.
            return sorted(row[0] for row in found)
    statement = insert(PAIR).returning(PAIR.c.id, sort_by_parameter_order=True)
    return [row[0] for row in connection.execute(statement, rows)]


def queue_welcomes(
    session: Session,
    settings: Settings,
    people: Iterable[Member],
    relations: tuple[dict[int, list[str]], dict[int, list[str]], dict[int, str]],
    now: datetime,
) -> list[Member]:
    """`welcome_newcomers` for members: one welcome each for those never welcomed, due at
    their next allowed contact time; marks and returns those whose welcome was queued.

    `relations` is `_active_relations` of these people (their mentees, mentors, a cohort).
    """
    mentees_of, mentors_of, cohorts = relations
    workspaces: dict[str, Workspace | None] = {}
    zones: dict[tuple[str | None, str | None, str], ZoneInfo] = {}
    due_at: dict[tuple[Any, ...], datetime] = {}
    queued: dict[str, tuple[Member, Queued]] = {}
    for person in people:
        mentees, mentors = mentees_of.get(person.id, []), mentors_of.get(person.id, [])
        if person.welcomed_at is not None or (not mentees and not mentors):
            continue
        if person.team_id not in workspaces:
            workspaces[person.team_id] = session.get(Workspace, person.team_id)
        zone_key = (person.tz_override, person.tz, person.team_id)
        if zone_key not in zones:
            zones[zone_key] = person_timezone(person, workspaces[person.team_id], settings)  # type: ignore[arg-type]
        zone = zones[zone_key]
        # Most people share a zone and the default window: the slot is worked out once for each.
        when = (zone, person.contact_start, person.contact_end, person.quiet_weekends, person.paused_until)
        if when not in due_at:
            try:
                due_at[when] = next_contact_time(person, zone, now)  # type: ignore[arg-type]
            except ValueError:  # a contact window with no slot in the horizon: do not lose the welcome
                due_at[when] = now
        key, row = queued_welcome(person, str(zone), due_at[when], mentees, mentors, cohorts.get(person.id))
        queued[key] = (person, row)
    # A key already in the outbox (welcomed before, under a row since reset) is skipped
    # by the database and not marked again.
    created = enqueue_many(session, [row for _person, row in queued.values()])
    welcomed = [person for key, (person, _row) in queued.items() if key in created]
    for person in welcomed:
        person.welcomed_at = now
    return welcomed
