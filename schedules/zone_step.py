"""Learn the time zone of anyone about to get a message before it goes.

The sender holds every direct message to the person's allowed hours, in their zone.
A person we have never read a profile for (an admin named in a set-up, a newcomer just
added) has no zone of their own yet and would be timed by the program's zone: a notice
could land at 05:16 for them. Once a minute, before the sender runs, this step reads
the Slack profile of the (few) people with a message due soon and no zone learned yet.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from sqlalchemy import ColumnElement, func, select

from bot.db import transaction
from bot.deps import Deps
from bot.installations import NotInstalled
from bot.models import Delivery, DeliveryStatus, Person, Workspace
from bot.profiles import apply_fresh_profile, fetch_profile_quietly
from bot.slack import quick_client

log = logging.getLogger(__name__)

# Rows due this soon are looked at; the tick runs every minute.
LOOKAHEAD = timedelta(minutes=5)
# At most this many `users.info` calls a tick (Slack's tier 4: 100+ a minute).
MAX_PER_TICK = 40
# The sender runs after this step in the same tick: a slow Slack must not hold it up.
# Each look-up tries once, briefly; the step stops starting new ones after the budget.
LOOKUP_TIMEOUT_SECONDS = 2.0
BUDGET_SECONDS = 5.0


def zone_known() -> ColumnElement[bool]:
    """A condition on outbox rows: no person, or a person whose zone was looked up (or
    set, or tried and stamped). The clock's sender claims only these; this step reads
    the others' zones first."""
    never_looked_up = select(Person.id).where(
        Person.id == Delivery.person_id,
        Person.tz.is_(None),
        Person.tz_refreshed_at.is_(None),
        Person.tz_override.is_(None),
    )
    return ~never_looked_up.exists()


def learn_unknown_zones(
    deps: Deps,
    *,
    limit: int = MAX_PER_TICK,
    budget_seconds: float = BUDGET_SECONDS,
    timeout: float = LOOKUP_TIMEOUT_SECONDS,
) -> dict[str, int]:
    """Read the profiles of people with a message due soon whose zone we never learned,
    soonest message first. A failed look-up is stamped as tried, so the daily profile
    refresh retries it and the next tick moves on to others instead of the same few."""
    now = deps.now()
    paused = select(Workspace.team_id).where(Workspace.sending_paused_reason.is_not(None))
    with transaction(deps.session_factory) as session:
        waiting = session.execute(
            select(Person.id, Person.team_id, Person.user_id)
            .join(Delivery, Delivery.person_id == Person.id)
            .where(
                Delivery.status == DeliveryStatus.PENDING,
                Delivery.next_attempt_at <= now + LOOKAHEAD,
                Person.tz.is_(None),
                Person.tz_refreshed_at.is_(None),
                Person.tz_override.is_(None),
                Person.team_id.not_in(paused),
            )
            .group_by(Person.id, Person.team_id, Person.user_id)
            .order_by(func.min(Delivery.next_attempt_at), Person.id)
            .limit(limit)
        ).all()
    deadline = time.monotonic() + budget_seconds
    counts = {"learned": 0, "failed": 0}
    for person_id, team_id, user_id in waiting:
        if time.monotonic() > deadline:
            break
        try:
            client = quick_client(deps.client_for(team_id), timeout)
        except NotInstalled:
            continue  # the sender cancels that workspace's rows
        profile = fetch_profile_quietly(client, user_id)
        with transaction(deps.session_factory) as session:
            person = session.get(Person, person_id)
            if person is None:
                continue
            if profile is None:
                # Tried: the program's zone times this message; the daily refresh tries again.
                person.tz_refreshed_at = now
                counts["failed"] += 1
            else:
                apply_fresh_profile(session, deps.settings, person, profile, now)
                counts["learned"] += 1
    return {key: n for key, n in counts.items() if n}
