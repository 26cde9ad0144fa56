"""Who people are, according to Slack: names, time zones, emails, active or not.

One small layer over `users.info`, `users.lookupByEmail` and `users.list`, so every
feature reads Slack profiles the same way and handles "no such user" the same way.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.models import Person
from bot.timing import mark_for_replanning

NOT_FOUND_ERRORS = frozenset({"user_not_found", "users_not_found"})
DEACTIVATED = "deactivated in Slack"
# Slack's answers to a DM that mean the person is gone or cannot receive DMs: the
# sender stops scheduling them and stores the code as their inactive reason.
PERSON_GONE_ERRORS = frozenset({"user_not_found", "account_inactive", "user_disabled", "cannot_dm_bot"})
# Why a person may have been marked inactive that a live, human Slack profile proves
# wrong (an account disabled, then re-enabled).
REACTIVATABLE_REASONS = PERSON_GONE_ERRORS | {DEACTIVATED}
# users.list pages: Slack suggests no more than 200 per page.
PAGE_SIZE = 200


@dataclass(frozen=True)
class Profile:
    """The parts of a Slack user profile the app uses."""

    user_id: str
    team_id: str | None
    name: str
    tz: str | None
    email: str | None
    deleted: bool
    is_bot: bool
    # The full name ("Maria Alvarez"), when Slack gives one besides the display name.
    real_name: str | None = None

    @classmethod
    def from_slack(cls, user: dict[str, Any]) -> Profile:
        """Build from a `user` object as `users.info` and friends return it."""
        profile = user.get("profile") or {}
        name = (
            profile.get("display_name")
            or profile.get("real_name")
            or user.get("real_name")
            or user.get("name")
            or user["id"]
        )
        return cls(
            user_id=user["id"],
            team_id=user.get("team_id"),
            name=name,
            tz=user.get("tz") or None,
            email=(profile.get("email") or "").strip().lower() or None,
            deleted=bool(user.get("deleted")),
            is_bot=bool(user.get("is_bot")) or user.get("id") == "USLACKBOT",
            real_name=(profile.get("real_name") or user.get("real_name") or "").strip()[:255] or None,
        )


def fetch_profile(client: WebClient, user_id: str) -> Profile | None:
    """The profile of `user_id`, or None when Slack has no such user.

    Other Slack errors propagate: the caller decides whether a missing name is worth
    failing over.
    """
    try:
        response = client.users_info(user=user_id)
    except SlackApiError as error:
        if error.response.get("error") in NOT_FOUND_ERRORS:
            return None
        raise
    return Profile.from_slack(response["user"])


def lookup_email(client: WebClient, email: str) -> Profile | None:
    """The active member with this email, or None."""
    try:
        response = client.users_lookupByEmail(email=email.strip())
    except SlackApiError as error:
        if error.response.get("error") in NOT_FOUND_ERRORS:
            return None
        raise
    return Profile.from_slack(response["user"])


def all_profiles(client: WebClient) -> Iterable[Profile]:
    """Every member of the workspace, page by page (for large roster imports)."""
    for page in client.users_list(limit=PAGE_SIZE):
        for user in page.get("members") or []:
            yield Profile.from_slack(user)


def apply_profile(person: Person, profile: Profile, now: datetime) -> None:
    """Copy what Slack says onto our person row (name, zone, email, active)."""
    person.display_name = profile.name
    person.real_name = profile.real_name
    person.tz = profile.tz
    if profile.email:
        person.email = profile.email
    person.tz_refreshed_at = now
    if profile.deleted:
        person.is_active = False
        person.inactive_reason = DEACTIVATED
        person.next_nudge_at = None
    elif not person.is_active and not profile.is_bot and person.inactive_reason in REACTIVATABLE_REASONS:
        # Reactivated accounts come back; the planner picks them up again.
        person.is_active = True
        person.inactive_reason = None
        mark_for_replanning(person, now)
