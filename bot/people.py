"""Workspaces and people: finding or creating them, admin checks, time zones."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.directory import Profile, apply_profile
from bot.models import ForgetMark, Person, Workspace, utcnow
from bot.sqlutil import insert_ignoring_conflict
from bot.zones import is_valid_zone


def ensure_workspace(
    session: Session,
    team_id: str,
    *,
    enterprise_id: str | None = None,
    name: str | None = None,
    bot_user_id: str | None = None,
) -> Workspace:
    """Return the workspace row for `team_id`, creating it on first sight."""
    insert_ignoring_conflict(
        session, Workspace, {"team_id": team_id, "enterprise_id": enterprise_id}, ["team_id"]
    )
    workspace = session.get(Workspace, team_id, populate_existing=True)
    assert workspace is not None  # just inserted or already there
    if name and workspace.name != name:
        workspace.name = name
    if bot_user_id and workspace.bot_user_id != bot_user_id:
        workspace.bot_user_id = bot_user_id
    if enterprise_id and workspace.enterprise_id != enterprise_id:
        workspace.enterprise_id = enterprise_id
    return workspace


def find_person(session: Session, team_id: str, user_id: str) -> Person | None:
    """The person with this Slack id in this workspace, if we know them."""
    return session.scalars(select(Person).where(Person.team_id == team_id, Person.user_id == user_id)).first()


def ensure_person(
    session: Session, team_id: str, user_id: str, *, enterprise_id: str | None = None
) -> Person:
    """Return the person row, creating it (and the workspace) with defaults on first sight."""
    person = find_person(session, team_id, user_id)
    if person is not None:
        return person
    ensure_workspace(session, team_id, enterprise_id=enterprise_id)
    insert_ignoring_conflict(
        session,
        Person,
        {"team_id": team_id, "user_id": user_id, "enterprise_id": enterprise_id},
        ["team_id", "user_id"],
    )
    person = find_person(session, team_id, user_id)
    assert person is not None
    honour_forget_marks(session, team_id, [person])
    return person


# Fingerprints per DELETE … IN (…): far below SQLite's and PostgreSQL's parameter limits.
_MARK_CHUNK = 500


def forget_fingerprint(team_id: str, user_id: str) -> str:
    """The one thing kept about someone who asked to be forgotten (bot.mydata.forget):
    a SHA-256 of workspace and member id, so the app can recognise them if they are
    added again without keeping who they are in readable form."""
    return hashlib.sha256(f"{team_id}:{user_id}".encode()).hexdigest()


def honour_forget_marks(session: Session, team_id: str, people: Iterable[Person]) -> list[Person]:
    """Start freshly created people who were once forgotten with messages off.

    Call it right after creating person rows. Someone who used `/mentor forget-me` (or
    was forgotten by an admin) is not messaged again unless they come back and choose
    `/mentor start`: if an admin pairs them again, or they open Home, their new row is
    opted out and the mark is used up (the row now carries the choice). Returns the
    people it opted out.
    """
    by_print = {forget_fingerprint(team_id, p.user_id): p for p in people}
    prints = list(by_print)
    used: list[str] = []
    for start in range(0, len(prints), _MARK_CHUNK):
        chunk = prints[start : start + _MARK_CHUNK]
        used += session.scalars(
            delete(ForgetMark)
            .where(ForgetMark.team_id == team_id, ForgetMark.fingerprint.in_(chunk))
            .returning(ForgetMark.fingerprint)
            # Marks are never loaded as objects: don't walk the session's identity map
            # (every person a roster import loaded) after each chunk.
            .execution_options(synchronize_session=False)
        ).all()
    quiet = [by_print[fingerprint] for fingerprint in used]
    for person in quiet:
        person.opted_out_at = utcnow()
    return quiet


def is_admin(session: Session, settings: Settings, team_id: str, user_id: str) -> bool:
    """Admins come from ADMIN_USER_IDS (the first ones) or were granted in the app."""
    if user_id in settings.admin_user_ids:
        return True
    # One column, not the whole row: every `/mentor` command asks this before its ack.
    granted = session.scalar(
        select(Person.is_admin).where(Person.team_id == team_id, Person.user_id == user_id)
    )
    return bool(granted)


def granted_admins(session: Session, team_id: str) -> frozenset[str]:
    """Member ids granted admin in the app in one workspace (ADMIN_USER_IDS not included)."""
    return frozenset(
        session.scalars(select(Person.user_id).where(Person.team_id == team_id, Person.is_admin.is_(True)))
    )


def known_admins(session: Session, settings: Settings) -> list[Person]:
    """Every admin, in every workspace: granted in the app or named in ADMIN_USER_IDS;
    active and not opted out — the people the digest and the monthly report go to.

    Admins named in ADMIN_USER_IDS who never used the app get their row when a
    single-workspace process connects (`meet_configured_admins`).
    """
    query = select(Person).where(
        or_(Person.is_admin.is_(True), Person.user_id.in_(list(settings.admin_user_ids))),
        Person.is_active.is_(True),
        Person.opted_out_at.is_(None),
    )
    return list(session.scalars(query.order_by(Person.id)))


def meet_configured_admins(session: Session, settings: Settings) -> None:
    """Give admins named in ADMIN_USER_IDS a row in the app's only workspace, so the
    digest and the monthly report reach them before they first use the app (time zone
    from the workspace until their first message's zone check reads theirs) — unless
    they asked to be forgotten, whose mark stays until they come back. Single-workspace
    mode only: in OAuth mode a member id alone does not say which workspace it is in."""
    if not settings.admin_user_ids or settings.oauth_enabled:
        return
    workspaces = session.execute(select(Workspace.team_id, Workspace.enterprise_id).limit(2)).all()
    if len(workspaces) != 1:
        return  # no workspace connected yet, or several: which one is theirs is unknown
    team_id, enterprise_id = workspaces[0]
    admins = list(settings.admin_user_ids)
    met = set(
        session.scalars(select(Person.user_id).where(Person.team_id == team_id, Person.user_id.in_(admins)))
    )
    prints = {forget_fingerprint(team_id, user_id): user_id for user_id in admins if user_id not in met}
    if not prints:
        return
    # Someone who asked to be forgotten is not given a row back by a setting: only their
    # own return (a command, Home) uses up their mark.
    forgotten = set(
        session.scalars(
            select(ForgetMark.fingerprint).where(
                ForgetMark.team_id == team_id, ForgetMark.fingerprint.in_(list(prints))
            )
        )
    )
    for fingerprint, user_id in prints.items():
        if fingerprint not in forgotten:
            ensure_person(session, team_id, user_id, enterprise_id=enterprise_id)


@dataclass(frozen=True)
class ZoneChoice:
    """The zone a person's clock follows and where it came from.

    `source` is "override", "slack", "workspace", "program" or "fallback" (UTC).
    """

    name: str
    source: str


def zone_chain(
    override: str | None, slack_tz: str | None, workspace: Workspace | None, settings: Settings
) -> ZoneChoice:
    """The first usable zone of: the person's own override, Slack's `tz`, the workspace's
    default, the program's default, then UTC. An unknown name (Slack occasionally sends
    legacy ones) falls through to the next step."""
    for source, name in (
        ("override", override),
        ("slack", slack_tz),
        ("workspace", workspace.timezone if workspace else None),
        ("program", settings.program_timezone),
    ):
        if is_valid_zone(name):
            assert name is not None
            return ZoneChoice(name, source)
    return ZoneChoice("UTC", "fallback")


def zone_choice(person: Person, workspace: Workspace | None, settings: Settings) -> ZoneChoice:
    """Which zone a person follows, and why."""
    return zone_chain(person.tz_override, person.tz, workspace, settings)


def person_timezone(person: Person, workspace: Workspace | None, settings: Settings) -> ZoneInfo:
    """The zone a person's wall clock follows (see :func:`zone_chain`)."""
    return ZoneInfo(zone_choice(person, workspace, settings).name)


def zone_for(session: Session, settings: Settings, person: Person) -> ZoneInfo:
    """`person_timezone` with the person's workspace looked up for you."""
    return person_timezone(person, session.get(Workspace, person.team_id), settings)


def remember_profile(session: Session, team_id: str, profile: Profile, now: datetime) -> Person:
    """Find or create the person and copy Slack's profile onto them (name, zone, email).

    Fetch the profile first (`bot.directory.fetch_profile`), outside any transaction:
    a Slack call should never hold the database.
    """
    person = ensure_person(session, team_id, profile.user_id)
    apply_profile(person, profile, now)
    return person
