"""Roster import, step 2: who each address is in Slack.

People we already know are read from the database; a handful of unknown emails are
looked up one by one (`users.lookupByEmail`, Tier 3: about 50 a minute); more than that
and we page through `users.list` once instead (Tier 2, 200 members a page), because a
500-pair file would otherwise need ~1,000 lookups — twenty minutes of rate limit.
"""

from __future__ import annotations

from collections.abc import Iterable

from slack_sdk import WebClient
from sqlalchemy import select

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
    )


def _problem_for(address: str, profile: Profile | None, role: str | None = None) -> str | None:
    """Why `address` cannot be paired; it is named only when :func:`showable_address` allows."""
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
    wanted_set = set(wanted)
    resolution = Resolution(members={}, problems={})
    emails = [a for a in wanted if "@" in a]
    ids = [a for a in wanted if "@" not in a]
    with transaction(session_factory) as session:
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
    unknown = [a for a in wanted if a not in resolution.members]
    if not unknown:
        return resolution
    client = patient_client(client, RATE_LIMIT_RETRIES)
    if len(unknown) > lookup_limit:
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
        found = {a: (by_email if "@" in a else by_id).get(a) for a in unknown}
    else:
        found = {}
        for address in unknown:
            resolution.lookups += 1
            found[address] = (
                lookup_email(client, address) if "@" in address else fetch_profile(client, address)
            )
    for address, profile in found.items():
        problem = _problem_for(address, profile)
        if problem:
            resolution.problems[address] = problem
            resolution.rejected[address] = profile
        else:
            assert profile is not None
            resolution.members[address] = profile
    return resolution
