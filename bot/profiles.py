"""Keeping each person's Slack profile (above all their time zone) fresh enough.

Three ways a profile is refreshed, all through :func:`apply_fresh_profile` so a zone
change is handled the same way every time (pause moved to the new local midnight,
planner asked to recompute the next nudge):

* on sight — :func:`person_with_profile`, for any handler that needs "this person, with
  a profile no older than N": creates the person on first sight, calls `users.info`
  only when the cached profile is missing or stale, and never inside a transaction;
* on Slack's `user_change` event (`handlers/events.py`), from the event's own user
  object, with no Web API call;
* daily, for the people the app messages (`schedules/profile_refresh.py`).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackTokenRotationError
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.db import transaction
from bot.deps import Deps
from bot.directory import Profile, apply_profile, fetch_profile
from bot.installations import NotInstalled
from bot.models import Person
from bot.people import ensure_person, find_person, zone_for
from bot.slack import slack_error_code
from bot.timing import mark_for_replanning, rezone_pause

log = logging.getLogger(__name__)

# On sight, a profile this old is fetched again. Zone changes arrive at once through
# `user_change` and the people we message are refreshed daily, so this mostly matters
# for first sight; a week keeps slash commands on their fast path (no Slack call).
PROFILE_MAX_AGE = timedelta(days=7)


def profile_is_fresh(person: Person | None, now: datetime, max_age: timedelta = PROFILE_MAX_AGE) -> bool:
    """True when we hold a profile for `person` fetched within `max_age`."""
    refreshed = person.tz_refreshed_at if person is not None else None
    return refreshed is not None and now - refreshed < max_age


def needs_profile(deps: Deps, team_id: str, user_id: str, *, max_age: timedelta = PROFILE_MAX_AGE) -> bool:
    """True when :func:`person_with_profile` would call Slack (first sight, or stale)."""
    with transaction(deps.session_factory) as session:
        return not profile_is_fresh(find_person(session, team_id, user_id), deps.now(), max_age)


def person_with_profile(
    deps: Deps,
    team_id: str,
    user_id: str,
    *,
    enterprise_id: str | None = None,
    max_age: timedelta = PROFILE_MAX_AGE,
) -> Person:
    """This person, created on first sight, with a Slack profile no older than `max_age`.

    The `users.info` call happens between two short transactions, never inside one. If
    Slack cannot answer, the person is still returned (with whatever we knew), so a
    Slack hiccup never blocks a command; the next sight tries again. The returned row
    is detached but loaded (sessions keep values after commit).
    """
    now = deps.now()
    with transaction(deps.session_factory) as session:
        person = find_person(session, team_id, user_id)
        if person is not None and profile_is_fresh(person, now, max_age):
            return person
    profile = _profile_from_slack(deps, team_id, enterprise_id, user_id)
    with transaction(deps.session_factory) as session:
        person = ensure_person(session, team_id, user_id, enterprise_id=enterprise_id)
        if profile is not None:
            apply_fresh_profile(session, deps.settings, person, profile, now)
        return person


def _profile_from_slack(deps: Deps, team_id: str, enterprise_id: str | None, user_id: str) -> Profile | None:
    try:
        client = deps.client_for(team_id, enterprise_id)
    except NotInstalled:
        # Bolt passes on requests only from installed workspaces, so this is a race with
        # an uninstall: carry on with what we know, as for any other Slack failure.
        log.warning("team=%s user=%s: no installation covers this workspace; no profile", team_id, user_id)
        return None
    except SlackTokenRotationError as failed:
        # The workspace's token could not be renewed: no profile this time, as for any
        # other Slack failure.
        code = slack_error_code(failed.api_error)
        log.warning("team=%s user=%s: token could not be refreshed (%s); no profile", team_id, user_id, code)
        return None
    return fetch_profile_quietly(client, user_id)


def fetch_profile_quietly(client: WebClient, user_id: str) -> Profile | None:
    """`users.info`, with failures logged and turned into None (no profile this time)."""
    try:
        return fetch_profile(client, user_id)
    except SlackApiError as error:
        log.warning("user=%s: could not read the Slack profile (%s)", user_id, slack_error_code(error))
    except OSError as error:
        log.warning("user=%s: could not reach Slack for the profile (%s)", user_id, error.__class__.__name__)
    return None


def apply_fresh_profile(
    session: Session, settings: Settings, person: Person, profile: Profile, now: datetime
) -> bool:
    """Copy Slack's profile onto `person`; returns True when their effective zone changed.

    A new zone moves a day-boundary pause to the new local midnight and asks the
    planner to recompute the next nudge (its local time is now a different instant).
    """
    before = zone_for(session, settings, person)
    apply_profile(person, profile, now)
    after = zone_for(session, settings, person)
    if before.key == after.key:
        return False
    rezone_pause(person, before, after)
    if person.is_active:
        mark_for_replanning(person, now)
    log.info("team=%s user=%s: time zone is now %s (was %s)", person.team_id, person.user_id, after, before)
    return True
