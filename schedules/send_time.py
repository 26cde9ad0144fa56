"""The send-time check of a person's allowed hours (the sender's, row by row)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from bot.config import Settings
from bot.models import Delivery, DeliveryStatus, Person
from bot.people import zone_for
from bot.rota.service import busy_for
from bot.timing import busy_at, in_contact_window, next_contact_time
from schedules.send_report import SendReport

# How far ahead the send-time check reads a person's duty (a run of nights and more).
DUTY_LOOKAHEAD = timedelta(days=21)


def defer_to_contact_hours(
    session: Session, settings: Settings, row: Delivery, person: Person, now: datetime, report: SendReport
) -> bool:
    """Quiet hours are checked again at send time: a row planned days ahead, sent late
    after downtime, or whose person changed zone or hours, waits for their next allowed
    moment — or expires if its day (or month) ends first. Rows queued with
    `any_hour` (a nudge the person asked for) go at once."""
    if (row.payload or {}).get("any_hour"):
        return False
    zone = zone_for(session, settings, person)
    # Duty from their rota (a night shift, a call, the post-call day) counts as quiet.
    busy = busy_for(session, settings, person, now, now + DUTY_LOOKAHEAD)
    if in_contact_window(person, now, zone) and busy_at(now, busy) is None:
        return False
    allowed = next_contact_time(person, zone, now, busy=busy)
    row.claimed_by, row.lease_until = None, None
    if row.expires_at is not None and allowed >= row.expires_at:
        row.status, row.error = DeliveryStatus.EXPIRED, "its time ran out during the person's quiet hours"
        report.expired += 1
    else:
        row.status, row.next_attempt_at = DeliveryStatus.PENDING, allowed
        report.deferred += 1
    return True
