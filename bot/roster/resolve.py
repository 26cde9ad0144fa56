"""Roster import, step 2: who each address is in Slack.

People we already know are read from the database; a handful of unknown emails are
looked up one by one (`users.lookupByEmail`, Tier 3: about 50 a minute); more than that
and we page through `users.list` once instead (Tier 2, 200 members a page), because a
500-pair file would otherwise need ~1,000 lookups — twenty minutes of rate limit.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from slack_sdk import WebClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.db import SessionFactory, transaction
from bot.directory import Profile, all_profiles, fetch_profile, lookup_email
from bot.models import Person
from bot.roster.read import showable_address
from bot.roster.service import (
    CHUNK,
)
from bot.roster.types import Resolution
from bot.slack import patient_client

# Up to this many unknown addresses are looked up one at a time (well inside a minute
# of users.lookupByEmail's Tier 3 budget); more, and one users.list sweep is cheaper.
LOOKUP_LIMIT = 25

# How many times a long resolution waits out a 429 before giving up (slack_sdk sleeps
# for Retry-After each time).
# Imports make many calls in a row: wait out more rate limits than a single request would.
RATE_LIMIT_RETRIES = 10


def _from_person(person: Person) -> Profile:
    return Profile(
        user_id=person.user_id,
        team_id=person.team_id,
        name=person.display_name or person.user_id,
        tz=person.tz,
        email=person.email,
        deleted=False,
        is_bot=False,
        real_name=person.real_name,
    )


def problem_for(address: str, profile: Profile | None, role: str | None = None) -> str | None:
    """Why `address` cannot be paired, or None when it can.

    `profile` is the member Slack gave for it (None: nobody has that address). The
    address is named only when :func:`showable_address` allows; otherwise the reason
    says "the mentor" or "the mentee" when `role` is given.
    """
    if profile is not None and not profile.is_bot and not profile.deleted:
        return None  # the usual case, decided before the (slow) screen of the address
    shown = showable_address(address)
    who = shown or (f"the {role}" if role else "this address")
    if profile is None:
        if shown is None:
            return f"no Slack user has the {role}'s email" if role else "no Slack user has this email"
        if "@" in address:
            return f"no Slack user with email {shown}"
        return f"no Slack member with ID {shown} in this workspace"
    if profile.is_bot:
        return f"{who} is a bot, not a person"
    if profile.deleted:
        return f"{who} belongs to a deactivated Slack account"
    return None


def resolve_addresses(
    client: WebClient,
    session_factory: SessionFactory,
    team_id: str,
    addresses: Iterable[str],
    *,
    lookup_limit: int = LOOKUP_LIMIT,
) -> Resolution:
    """Find the Slack member behind every address (email or id).

    Reads known people in one short transaction, then calls Slack with no transaction
    open. Other Slack errors (rate limits beyond our patience, outages) propagate.
    """
    wanted = sorted(set(addresses))
    resolution = Resolution(members={}, problems={})
    with transaction(session_factory) as session:
        _add_known_people(session, team_id, wanted, resolution)
    unknown = [a for a in wanted if a not in resolution.members]
    if not unknown:
        return resolution
    client = patient_client(client, RATE_LIMIT_RETRIES)
    if len(unknown) > lookup_limit:
        found = _sweep_members(client, unknown, resolution)
    else:
        found = _look_up_each(client, unknown, resolution)
    for address, profile in found.items():
        problem = problem_for(address, profile)
        if problem:
            resolution.problems[address] = problem
            resolution.rejected[address] = profile
        else:
            assert profile is not None
            resolution.members[address] = profile
    return resolution


def _add_known_people(session: Session, team_id: str, wanted: Sequence[str], resolution: Resolution) -> None:
    """Resolve the addresses of active people already in our person table (no Slack call)."""
    wanted_set = set(wanted)
    emails = [a for a in wanted if "@" in a]
    ids = [a for a in wanted if "@" not in a]
    for start in range(0, max(len(emails), len(ids)), CHUNK):
        known = session.scalars(
            select(Person).where(
                Person.team_id == team_id,
                Person.is_active.is_(True),
                Person.email.in_(emails[start : start + CHUNK])
                | Person.user_id.in_(ids[start : start + CHUNK]),
            )
        ).all()
        for person in known:
            for address in (person.email, person.user_id):
                if address in wanted_set:
                    resolution.members[address] = _from_person(person)
                    resolution.cached.add(address)


def _sweep_members(
    client: WebClient, unknown: Sequence[str], resolution: Resolution
) -> dict[str, Profile | None]:
    """The member behind each unknown address, from one pass through `users.list`."""
    by_email: dict[str, Profile] = {}
    by_id: dict[str, Profile] = {}
    looking_for = set(unknown)
    for profile in all_profiles(client):
        # Keep only the members we are looking for: memory stays flat however big the workspace.
        resolution.swept_members += 1
        if profile.user_id in looking_for:
            by_id[profile.user_id] = profile
        # An active account wins over a deactivated one that once had the email.
        if profile.email in looking_for and (
            profile.email not in by_email or by_email[profile.email].deleted
        ):
            by_email[profile.email] = profile
    resolution.swept = True
    return {a: (by_email if "@" in a else by_id).get(a) for a in unknown}


def _look_up_each(
    client: WebClient, unknown: Sequence[str], resolution: Resolution
) -> dict[str, Profile | None]:
    """The member behind each unknown address, one Slack call per address (counted)."""
    found: dict[str, Profile | None] = {}
    for address in unknown:
        resolution.lookups += 1
        found[address] = lookup_email(client, address) if "@" in address else fetch_profile(client, address)
    return found
