"""The program roster: admins, mentoring pairs, and the welcome a newcomer gets.

Each public function does one unit of work inside the caller's transaction and never
talks to Slack: handlers fetch profiles first (`bot.directory`), outside any
transaction, and hand them in. Anything we refuse to do raises :class:`Refusal` with a
sentence for the person who asked; the transaction then rolls back, so a refused
request changes nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from bot import privacy
from bot.agreements.service import invite_new_pair
from bot.config import Settings
from bot.directory import Profile
from bot.models import AuditLog, Pair, Person, Workspace
from bot.nudges.delivery import cancel_nudges_naming
from bot.outbox import MESSAGE_KIND, Queued, enqueue_many
from bot.people import (
    ensure_workspace,
    find_person,
    honour_forget_marks,
    person_timezone,
    remember_profile,
)
from bot.pulse.service import mark_pair_ended
from bot.roster.blocks import welcome_message
from bot.roster.types import AdminEntry, PairLine, PairOutcome, PersonPairs, ProgramPage, Refusal, RosterRow
from bot.sqlutil import insert_many_ignoring_conflict
from bot.timing import is_paused, mark_for_replanning, next_contact_time

# Fits the `pair.cohort` column.
COHORT_MAX_LENGTH = 120
# Pairs per page of `/mentor pairs`: one page stays well inside a message's limits.
PAGE_SIZE = 25
# Ids per IN (…) list: far below SQLite's and PostgreSQL's parameter limits.
CHUNK = 500


# --- checks shared by commands and the CSV import ------------------------------------


def member_problem(profile: Profile | None, user_id: str) -> str | None:
    """Why this Slack member cannot be paired or made an admin, or None if they can."""
    if profile is None:
        return (
            f"I can't find a Slack member `{user_id}` in this workspace. Mention them with @ so Slack "
            "fills in the right person, and check they are in this workspace."
        )
    if profile.is_bot:
        return f"<@{user_id}> is a bot. Only people can be mentors, mentees or admins."
    if profile.deleted:
        return f"<@{user_id}>'s Slack account is deactivated, so they can't be added to the program."
    return None


def clean_cohort(text: str | None) -> str | None:
    """Cohort text with runs of whitespace collapsed; None when empty."""
    cleaned = " ".join((text or "").split())
    return cleaned or None


def cohort_issue(cohort: str | None) -> str | None:
    """What is wrong with a cohort name, as the end of a sentence, or None if it is fine.

    Cohorts are free text, so they are screened for patient identifiers like any note.
    """
    if cohort is None:
        return None
    if len(cohort) > COHORT_MAX_LENGTH:
        return f"is {len(cohort)} characters long; the most is {COHORT_MAX_LENGTH}"
    findings = privacy.screen(cohort)
    if findings:
        return f"looks like it contains {findings[0].label}"
    return None


def cohort_problem(cohort: str | None) -> str | None:
    """The message for someone who typed an unusable cohort name, or None."""
    issue = cohort_issue(cohort)
    if issue is None:
        return None
    return f"That cohort name {issue}, so nothing was saved. Use a program or year name, like `IM 2027`."


def audit(
    session: Session,
    *,
    team_id: str,
    actor: str,
    action: str,
    now: datetime,
    target: str | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditLog:
    """Write one audit row: who did what, to whom, when."""
    row = AuditLog(
        team_id=team_id,
        actor_user_id=actor,
        action=action,
        target=target,
        detail=detail,
        created_at=now,
    )
    session.add(row)
    return row


# --- admins --------------------------------------------------------------------------


def list_admins(session: Session, settings: Settings, team_id: str) -> list[AdminEntry]:
    """Admins from ADMIN_USER_IDS first, then those granted in the app, by name."""
    granted = session.scalars(
        select(Person)
        .where(Person.team_id == team_id, Person.is_admin.is_(True))
        .order_by(Person.display_name, Person.user_id)
    ).all()
    entries = [AdminEntry(user_id, True) for user_id in settings.admin_user_ids]
    entries += [AdminEntry(p.user_id, False) for p in granted if p.user_id not in settings.admin_user_ids]
    return entries


def add_admin(
    session: Session, settings: Settings, *, team_id: str, actor: str, profile: Profile, now: datetime
) -> bool:
    """Make `profile`'s person an admin; False (and no change) if they already are one."""
    if profile.user_id in settings.admin_user_ids:
        return False
    person = remember_profile(session, team_id, profile, now)
    if person.is_admin:
        return False
    person.is_admin = True
    audit(session, team_id=team_id, actor=actor, action="admin.add", target=profile.user_id, now=now)
    return True


def remove_admin(
    session: Session, settings: Settings, *, team_id: str, actor: str, user_id: str, now: datetime
) -> None:
    """Take admin rights away; refuses config admins and the last admin."""
    if user_id in settings.admin_user_ids:
        raise Refusal(
            f"<@{user_id}> is an admin through the app's configuration (`ADMIN_USER_IDS`), so they can't "
            "be removed here. Ask whoever runs Mentor Nudge to take them out of that setting and restart it."
        )
    person = find_person(session, team_id, user_id)
    if person is None or not person.is_admin:
        raise Refusal(f"<@{user_id}> isn't a program admin, so there is nothing to remove.")
    admins = {entry.user_id for entry in list_admins(session, settings, team_id)}
    if admins == {user_id}:
        who = "You are" if user_id == actor else f"<@{user_id}> is"
        raise Refusal(
            f"{who} the only admin left, and a program needs at least one. Add another admin first "
            "with `/mentor admin add @someone`."
        )
    person.is_admin = False
    audit(session, team_id=team_id, actor=actor, action="admin.remove", target=user_id, now=now)


# --- pairs ---------------------------------------------------------------------------


def active_pair(session: Session, mentor: Person, mentee: Person) -> Pair | None:
    """The current pair of this mentor and mentee, if there is one."""
    return session.scalars(
        select(Pair).where(Pair.mentor_id == mentor.id, Pair.mentee_id == mentee.id, Pair.ended_at.is_(None))
    ).first()


def start_pair(
    session: Session,
    *,
    team_id: str,
    mentor: Person,
    mentee: Person,
    cohort: str | None,
    actor: str,
    now: datetime,
) -> Pair:
    """Create an active pair and ask the nudge planner to look at the mentor again.

    Callers check first that no active pair exists (the database's partial unique
    index would refuse a second one anyway).
    """
    pair = Pair(
        team_id=team_id,
        mentor_id=mentor.id,
        mentee_id=mentee.id,
        cohort=cohort,
        started_at=now,
        created_by=actor,
    )
    session.add(pair)
    # Contract with the nudge planner: next_nudge_at <= now means "plan this mentor".
    mark_for_replanning(mentor, now)
    # The mentee is invited to draft a mentoring agreement (a day later, in their hours).
    session.flush()
    invite_new_pair(session, pair=pair, mentee=mentee, now=now)
    return pair


def end_pair(session: Session, pair: Pair, mentor: Person, now: datetime) -> None:
    """End a pair (history stays), cancel queued nudges that name the mentee, let the
    planner reconsider the mentor's slots, and the pulse step plan the mentee's close-out."""
    pair.ended_at = now
    cancel_nudges_naming(session, mentor.id, pair.mentee_id, "not sent: the pair it names has ended")
    mark_for_replanning(mentor, now)
    mark_pair_ended(pair, now)


def pair_people(
    session: Session,
    settings: Settings,
    *,
    team_id: str,
    actor: str,
    mentor: Profile,
    mentee: Profile,
    cohort: str | None,
    now: datetime,
) -> PairOutcome:
    """Pair two Slack members (profiles fetched beforehand), welcoming newcomers.

    An existing active pair is left alone, except that a new cohort name replaces the
    old one. Several mentees per mentor and several mentors per mentee are fine.
    """
    if mentor.user_id == mentee.user_id:
        raise Refusal("A person can't mentor themselves: name two different people.")
    mentor_person = remember_profile(session, team_id, mentor, now)
    mentee_person = remember_profile(session, team_id, mentee, now)
    existing = active_pair(session, mentor_person, mentee_person)
    if existing is not None:
        if cohort is None or cohort == existing.cohort:
            return PairOutcome(
                mentor.user_id, mentee.user_id, "exists", existing.cohort, since=existing.started_at
            )
        previous = existing.cohort
        existing.cohort = cohort
        audit(
            session,
            team_id=team_id,
            actor=actor,
            action="pair.cohort",
            target=f"{mentor.user_id}>{mentee.user_id}",
            detail={"pair_id": existing.id, "from": previous, "to": cohort},
            now=now,
        )
        return PairOutcome(
            mentor.user_id,
            mentee.user_id,
            "cohort_changed",
            cohort,
            previous_cohort=previous,
            since=existing.started_at,
        )
    pair = start_pair(
        session,
        team_id=team_id,
        mentor=mentor_person,
        mentee=mentee_person,
        cohort=cohort,
        actor=actor,
        now=now,
    )
    session.flush()
    audit(
        session,
        team_id=team_id,
        actor=actor,
        action="pair.start",
        target=f"{mentor.user_id}>{mentee.user_id}",
        detail={"pair_id": pair.id, "cohort": cohort},
        now=now,
    )
    welcomed = welcome_newcomers(session, settings, [mentor_person, mentee_person], now)
    quiet = tuple(
        (p.user_id, reason) for p in (mentor_person, mentee_person) if (reason := quiet_reason(p, now))
    )
    return PairOutcome(
        mentor.user_id,
        mentee.user_id,
        "added",
        cohort,
        since=now,
        welcomed=tuple(p.user_id for p in welcomed),
        quiet=quiet,
    )


def unpair_people(
    session: Session, *, team_id: str, actor: str, mentor_id: str, mentee_id: str, now: datetime
) -> Pair:
    """End the active pair of these two Slack members (by id); refuses if there is none."""
    if mentor_id == mentee_id:
        raise Refusal("A person can't be their own mentor, so there is no such pair to end.")
    mentor = find_person(session, team_id, mentor_id)
    mentee = find_person(session, team_id, mentee_id)
    pair = active_pair(session, mentor, mentee) if mentor and mentee else None
    if pair is None or mentor is None:
        reverse = active_pair(session, mentee, mentor) if mentor and mentee else None
        hint = (
            f" They are paired the other way round (<@{mentee_id}> mentors <@{mentor_id}>): swap the two "
            "names to end that pair."
            if reverse is not None
            else " `/mentor pairs` lists the current pairs."
        )
        raise Refusal(
            f"<@{mentor_id}> isn't currently mentoring <@{mentee_id}>, so nothing was changed.{hint}"
        )
    end_pair(session, pair, mentor, now)
    audit(
        session,
        team_id=team_id,
        actor=actor,
        action="pair.end",
        target=f"{mentor_id}>{mentee_id}",
        detail={"pair_id": pair.id, "cohort": pair.cohort},
        now=now,
    )
    return pair


def quiet_reason(person: Person, now: datetime) -> str | None:
    """Why the app will not message this person at the moment, in a few words."""
    if not person.is_active:
        return f"inactive ({person.inactive_reason or 'account unavailable'})"
    if person.opted_out_at is not None:
        return "has turned messages off"
    if is_paused(person, now):
        assert person.paused_until is not None
        return f"paused until {person.paused_until.day} {person.paused_until:%b %Y}"
    return None


# --- welcome -------------------------------------------------------------------------


def welcome_key(team_id: str, user_id: str) -> str:
    """The outbox dedupe key that makes sure a person is welcomed once, ever."""
    return f"welcome:{team_id}:{user_id}"


def queued_welcome(
    person: Any, zone: str, due: datetime, mentees: list[str], mentors: list[str], cohort: str | None
) -> tuple[str, Queued]:
    """A new person's welcome as an outbox row (its dedupe key and the row), due `due`;
    `person` is a Person or the bulk import's record of one."""
    text, blocks = welcome_message(person, zone=zone, mentees=mentees, mentors=mentors, cohort=cohort)
    key = welcome_key(person.team_id, person.user_id)
    row = Queued(
        team_id=person.team_id,
        kind=MESSAGE_KIND,
        recipient=person.user_id,
        dedupe_key=key,
        due_at=due,
        payload={"text": text, "blocks": blocks},  # as enqueue_message stores it
        person_id=person.id,
    )
    return key, row


def welcome_newcomers(
    session: Session, settings: Settings, people: Iterable[Person], now: datetime
) -> list[Person]:
    """Queue one welcome DM for each person who has never been welcomed.

    Call after their new pairs are flushed: the welcome names their mentors and
    mentees. It is due at their next allowed contact time (quiet hours, weekends and
    pauses respected); the sender still checks stop and pause when it is due.
    """
    newcomers = {p.id: p for p in people if p.welcomed_at is None}
    if not newcomers:
        return []
    mentees_of, mentors_of, cohorts = active_relations(session, list(newcomers))
    queued: dict[str, tuple[Person, Queued]] = {}
    # Held here: the session's identity map is weak, and zone_for() would reload it per person.
    workspaces: dict[str, Workspace | None] = {}
    with session.no_autoflush:
        for person in newcomers.values():
            mentees, mentors = mentees_of.get(person.id, []), mentors_of.get(person.id, [])
            if not mentees and not mentors:
                continue
            if person.team_id not in workspaces:
                workspaces[person.team_id] = session.get(Workspace, person.team_id)
            zone = person_timezone(person, workspaces[person.team_id], settings)
            try:
                due = next_contact_time(person, zone, now)
            except ValueError:  # a contact window with no slot in the horizon: do not lose the welcome
                due = now
            key, row = queued_welcome(person, str(zone), due, mentees, mentors, cohorts.get(person.id))
            queued[key] = (person, row)
    # All welcomes in a few multi-row INSERTs; a key already in the outbox (welcomed
    # before, under a row since reset) is skipped by the database and not marked again.
    created = enqueue_many(session, [row for _person, row in queued.values()])
    welcomed = [person for key, (person, _row) in queued.items() if key in created]
    for person in welcomed:
        person.welcomed_at = now
    return welcomed


def active_relations(
    session: Session, person_ids: Sequence[int]
) -> tuple[dict[int, list[str]], dict[int, list[str]], dict[int, str]]:
    """For these people: user ids of their mentees, of their mentors, and one cohort name."""
    mentor, mentee = aliased(Person), aliased(Person)
    mentees_of: dict[int, list[str]] = defaultdict(list)
    mentors_of: dict[int, list[str]] = defaultdict(list)
    cohorts: dict[int, str] = {}
    for start in range(0, len(person_ids), CHUNK):
        chunk = person_ids[start : start + CHUNK]
        members = set(chunk)
        rows = session.execute(
            select(Pair.mentor_id, Pair.mentee_id, mentor.user_id, mentee.user_id, Pair.cohort)
            .join(mentor, Pair.mentor_id == mentor.id)
            .join(mentee, Pair.mentee_id == mentee.id)
            .where(Pair.ended_at.is_(None), (Pair.mentor_id.in_(chunk)) | (Pair.mentee_id.in_(chunk)))
            .order_by(Pair.id)
        ).all()
        for mentor_id, mentee_id, mentor_user, mentee_user, cohort in rows:
            if mentor_id in members:
                mentees_of[mentor_id].append(mentee_user)
                if cohort:
                    cohorts.setdefault(mentor_id, cohort)
            if mentee_id in members:
                mentors_of[mentee_id].append(mentor_user)
                if cohort:
                    cohorts.setdefault(mentee_id, cohort)
    return mentees_of, mentors_of, cohorts


# --- reading the roster --------------------------------------------------------------


def _pair_lines(
    session: Session,
    team_id: str,
    now: datetime,
    *,
    mentor_user: str | None = None,
    mentee_user: str | None = None,
    offset: int = 0,
    limit: int | None = None,
) -> list[PairLine]:
    """Active pairs in roster order (cohort, then mentor and mentee names), optionally for one person."""
    mentor, mentee = aliased(Person), aliased(Person)
    query = (
        select(Pair, mentor, mentee)
        .join(mentor, Pair.mentor_id == mentor.id)
        .join(mentee, Pair.mentee_id == mentee.id)
        .where(Pair.team_id == team_id, Pair.ended_at.is_(None))
        .order_by(
            Pair.cohort.is_(None),
            Pair.cohort,
            func.lower(func.coalesce(mentor.display_name, mentor.user_id)),
            func.lower(func.coalesce(mentee.display_name, mentee.user_id)),
            Pair.id,
        )
        .offset(offset)
        .limit(limit)
    )
    if mentor_user is not None:
        query = query.where(mentor.user_id == mentor_user)
    if mentee_user is not None:
        query = query.where(mentee.user_id == mentee_user)
    return [
        PairLine(
            pair_id=pair.id,
            mentor=m.user_id,
            mentee=e.user_id,
            cohort=pair.cohort,
            started_at=pair.started_at,
            mentor_flag=quiet_reason(m, now),
            mentee_flag=quiet_reason(e, now),
        )
        for pair, m, e in session.execute(query).all()
    ]


def page_count(total: int, page_size: int = PAGE_SIZE) -> int:
    """How many pages `total` pairs fill (at least one, so "page 1 of 1" reads right)."""
    return max(1, -(-total // page_size))


def program_pairs(
    session: Session,
    team_id: str,
    *,
    page: int,
    now: datetime,
    page_size: int = PAGE_SIZE,
    clamp: bool = False,
) -> ProgramPage:
    """One page of every active pair in the workspace (admins' view).

    A page past the end is refused with a hint, or with `clamp` (buttons on an old
    message, after pairs were ended) turned into the nearest page that exists.
    """
    active = (Pair.team_id == team_id, Pair.ended_at.is_(None))
    total, mentors, mentees = session.execute(
        select(
            func.count(Pair.id), func.count(Pair.mentor_id.distinct()), func.count(Pair.mentee_id.distinct())
        ).where(*active)
    ).one()
    pages = page_count(total, page_size)
    if clamp:
        page = min(max(page, 1), pages)
    if page < 1 or page > pages:
        raise Refusal(
            f"There {'is only 1 page' if pages == 1 else f'are {pages} pages'} of pairs; "
            f"try `/mentor pairs {min(max(page, 1), pages)}`."
        )
    in_program = select(Pair.mentor_id).where(*active).union(select(Pair.mentee_id).where(*active))
    flagged = session.scalar(
        select(func.count(Person.id)).where(
            Person.id.in_(in_program),
            (Person.is_active.is_(False))
            | Person.opted_out_at.is_not(None)
            | (Person.paused_until.is_not(None) & (Person.paused_until > now)),
        )
    )
    lines = _pair_lines(session, team_id, now, offset=(page - 1) * page_size, limit=page_size)
    return ProgramPage(lines, page, pages, total, mentors, mentees, flagged or 0)


def person_pairs(session: Session, team_id: str, user_id: str, now: datetime) -> PersonPairs:
    """The active pairs `user_id` is in, as mentor and as mentee."""
    return PersonPairs(
        user_id=user_id,
        as_mentor=_pair_lines(session, team_id, now, mentor_user=user_id),
        as_mentee=_pair_lines(session, team_id, now, mentee_user=user_id),
    )


def roster_rows(session: Session, team_id: str) -> list[RosterRow]:
    """Every active pair, mentor and mentee by email where known, for export."""
    mentor, mentee = aliased(Person), aliased(Person)
    rows = session.execute(
        select(mentor.email, mentor.user_id, mentee.email, mentee.user_id, Pair.cohort, Pair.started_at)
        .join(mentor, Pair.mentor_id == mentor.id)
        .join(mentee, Pair.mentee_id == mentee.id)
        .where(Pair.team_id == team_id, Pair.ended_at.is_(None))
        .order_by(Pair.cohort.is_(None), Pair.cohort, mentor.email, mentee.email, Pair.id)
    ).all()
    return [
        RosterRow(m_email or m_id, e_email or e_id, cohort, started)
        for m_email, m_id, e_email, e_id, cohort, started in rows
    ]


def ensure_people(session: Session, team_id: str, user_ids: Iterable[str]) -> dict[str, Person]:
    """Person rows for many Slack ids at once, creating the missing ones (a bulk `ensure_person`)."""
    wanted = list(dict.fromkeys(user_ids))
    found = _people_by_user_id(session, team_id, wanted)
    missing = [user_id for user_id in wanted if user_id not in found]
    if missing:
        ensure_workspace(session, team_id)
        # One multi-row INSERT per batch; rows someone else created meanwhile are skipped.
        insert_many_ignoring_conflict(
            session,
            Person,
            [{"team_id": team_id, "user_id": user_id} for user_id in missing],
            ["team_id", "user_id"],
            ["id"],
        )
        created = _people_by_user_id(session, team_id, missing)
        # Someone once forgotten starts again with messages off (bot.people).
        honour_forget_marks(session, team_id, created.values())
        found.update(created)
    return found


def _people_by_user_id(session: Session, team_id: str, user_ids: Sequence[str]) -> dict[str, Person]:
    found: dict[str, Person] = {}
    for start in range(0, len(user_ids), CHUNK):
        chunk = user_ids[start : start + CHUNK]
        found.update(
            (p.user_id, p)
            for p in session.scalars(
                select(Person).where(Person.team_id == team_id, Person.user_id.in_(chunk))
            )
        )
    return found
