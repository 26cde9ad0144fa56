"""The director digest in the outbox: planning one DM per admin and period, and rendering
it at send time with the figures as they are then.

Dedupe key: `digest:<team>:<admin>:<digest day>` — exactly once per admin and period,
however often the clock plans and on however many clocks. The row is due at the start of
the admin's allowed hours on the digest day (the sender keeps it inside them) and
expires a few days later rather than arriving stale.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.attention.service import flagged_pairs
from bot.config import Settings
from bot.deps import Deps
from bot.models import Delivery, Person, Workspace
from bot.outbox import Cancel, DeliveryKind, Message, enqueue
from bot.people import is_admin, known_admins, person_timezone, zone_for
from bot.program.blocks import digest_blocks, digest_text
from bot.program.figures import people_now, program_figures, pulse_count
from bot.program.rules import (
    EXPIRE_AFTER_DAYS,
    digest_day,
    digest_key,
    is_plannable,
    periods_before,
)
from bot.program.types import DIGEST_KIND
from bot.timing import local_datetime, next_contact_time

# Local dates span UTC−12 … UTC+14: if no zone's today is within a digest's planning
# days, the step does nothing at all (most ticks of a fortnight).
_ZONE_SPREAD = (timedelta(hours=-12), timedelta(hours=14))


def digest_due_somewhere(now: datetime, every_days: int) -> bool:
    """Whether any time zone's local date lets a digest be planned now."""
    for offset in _ZONE_SPREAD:
        today = (now + offset).date()
        if is_plannable(today, digest_day(today, every_days)):
            return True
    return False


def plan_digests(session: Session, settings: Settings, now: datetime) -> Counter[str]:
    """Queue this period's digest for every admin whose local digest day has come."""
    counts: Counter[str] = Counter()
    every = settings.digest_every_days
    if not every or not digest_due_somewhere(now, every):
        return counts
    wanted: dict[str, tuple[Person, date]] = {}
    workspaces: dict[str, Workspace | None] = {}
    for admin in known_admins(session, settings):
        if admin.team_id not in workspaces:
            workspaces[admin.team_id] = session.get(Workspace, admin.team_id)
        zone = person_timezone(admin, workspaces[admin.team_id], settings)
        today = now.astimezone(zone).date()
        day = digest_day(today, every)
        if is_plannable(today, day):
            wanted[digest_key(admin.team_id, admin.user_id, day)] = (admin, day)
    if not wanted:
        return counts
    existing = set(session.scalars(select(Delivery.dedupe_key).where(Delivery.dedupe_key.in_(list(wanted)))))
    for key, (admin, day) in wanted.items():
        if key in existing:
            continue
        counts[_plan_one(session, settings, admin, workspaces[admin.team_id], day, key, now)] += 1
    return counts


def _plan_one(
    session: Session,
    settings: Settings,
    admin: Person,
    workspace: Workspace | None,
    day: date,
    key: str,
    now: datetime,
) -> str:
    zone = person_timezone(admin, workspace, settings)
    expires_at = local_datetime(day + timedelta(days=EXPIRE_AFTER_DAYS), 0, zone)
    try:
        due_at = next_contact_time(admin, zone, max(local_datetime(day, admin.contact_start, zone), now))
    except ValueError:
        return "skipped_no_contact_time"
    if due_at >= expires_at:
        return "skipped_paused"
    queued = enqueue(
        session,
        team_id=admin.team_id,
        kind=DIGEST_KIND,
        recipient=admin.user_id,
        dedupe_key=key,
        due_at=due_at,
        expires_at=expires_at,
        person_id=admin.id,
        payload={"day": day.isoformat(), "every_days": settings.digest_every_days},
    )
    return "queued" if queued else "already_queued"


def _render_digest(session: Session, delivery: Delivery, deps: Deps) -> Message:
    admin = session.get(Person, delivery.person_id) if delivery.person_id else None
    if admin is None or not is_admin(session, deps.settings, delivery.team_id, admin.user_id):
        raise Cancel("not sent: no longer a program admin")
    payload = delivery.payload or {}
    day = date.fromisoformat(payload["day"])
    every = int(payload.get("every_days") or deps.settings.digest_every_days or 14)
    zone = zone_for(session, deps.settings, admin)
    (start, end), (before_start, before_end) = periods_before(day, every, zone)
    now = deps.now()
    current = program_figures(session, delivery.team_id, start, end, zone)
    previous = program_figures(session, delivery.team_id, before_start, before_end, zone)
    blocks = digest_blocks(
        current,
        previous,
        people_now(session, delivery.team_id, now),
        pulse_count(session, deps.settings, delivery.team_id, now),
        flagged_pairs(session, delivery.team_id, now),
        zone,
    )
    return Message(text=digest_text(current, zone), blocks=blocks)


def digest_kinds() -> list[DeliveryKind]:
    """The outbox kind of the director digest."""
    return [DeliveryKind(name=DIGEST_KIND, render=_render_digest)]
