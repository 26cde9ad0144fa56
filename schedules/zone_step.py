"""Learn the time zone of anyone about to get a message before it goes.

The sender holds every direct message to the person's allowed hours, in their zone.
A person we have never read a profile for (an admin named in a set-up, a newcomer just
added) has no zone of their own yet and would be timed by the program's zone: a notice
could land at 05:16 for them. Once a minute, before the sender runs, this step reads
the Slack profile of the (few) people with a message due soon and no zone learned yet.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select

from bot.db import transaction
from bot.deps import Deps
from bot.installations import NotInstalled
from bot.models import Delivery, DeliveryStatus, Person, Workspace
from bot.profiles import apply_fresh_profile, fetch_profile_quietly

log = logging.getLogger(__name__)

# Rows due this soon are looked at; the tick runs every minute.
LOOKAHEAD = timedelta(minutes=5)
# At most this many `users.info` calls a tick (Slack's tier 4: 100+ a minute).
MAX_PER_TICK = 40


def learn_unknown_zones(deps: Deps, *, limit: int = MAX_PER_TICK) -> dict[str, int]:
    """Read the profiles of people with a message due soon whose zone we never learned."""
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
            .distinct()
            .limit(limit)
        ).all()
    learned = 0
    for person_id, team_id, user_id in waiting:
        try:
            profile = fetch_profile_quietly(deps.client_for(team_id), user_id)
        except NotInstalled:
            continue
        if profile is None:
            continue
        with transaction(deps.session_factory) as session:
            person = session.get(Person, person_id)
            if person is not None:
                apply_fresh_profile(session, deps.settings, person, profile, now)
                learned += 1
    return {"learned": learned} if learned else {}
