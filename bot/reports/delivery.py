"""The monthly report's outbox kind, its planning, and the bookkeeping of its charts.

On the first working day of each month (their own zone and weekends), each admin gets
last month's report in their working hours: one outbox row per admin and month
(dedupe key `report:<team>:<user>:<month>`), so a second clock or a rerun never sends
it twice. The sender posts the figures as the covering message; the charts follow as
files in the same DM, uploaded by the report step (`schedules/report_step.py`) with no
transaction open while charts are drawn or Slack is called. The charts' state lives in
the row's payload: due → sending → sent, or failed/interrupted (never uploaded twice;
the admin gets a note saying so, and how to get them).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.deps import Deps
from bot.models import Delivery, DeliveryStatus, Person
from bot.outbox import DeliveryKind, Message, enqueue, enqueue_message
from bot.people import known_admins, zone_for
from bot.reports.rules import first_day, month_bounds, shift_month
from bot.reports.service import program_zone, report_figures
from bot.reports.summary import slack_text
from bot.reports.types import REPORT_KIND
from bot.timing import is_contact_day, local_datetime

# A clock that was down on the first working day still sends the report this many days later.
CATCH_UP = timedelta(days=5)
# Charts marked "sending" longer than this were interrupted mid-upload: not tried again.
UPLOAD_LEASE = timedelta(minutes=10)
# Charts are looked for on reports sent this recently.
UPLOAD_WINDOW = timedelta(days=3)
FILES = "files"
DUE, SENDING, SENT, INTERRUPTED = "due", "sending", "sent", "interrupted"
# Why charts were not sent, in words an admin can act on (by Slack's error code, or the
# outcome's own word); anything else is named by its code.
_WHY = {
    "missing_scope": "the app needs the files:write permission: reinstall it from its Slack app page",
    "NotInstalled": "the app is no longer installed in this workspace",
    "SlackTokenRotationError": "the app's Slack token could not be refreshed: reinstall it",
    "SlackRequestError": "Slack's file server did not take them",
    "internal error": "they could not be drawn (the error is in the app's log)",
    INTERRUPTED: "the upload was interrupted",
}


def report_key(team_id: str, user_id: str, month: str) -> str:
    """The dedupe key of one admin's report for one month."""
    return f"report:{team_id}:{user_id}:{month}"


def first_working_day(person: Person, month: str) -> date:
    """The month's first day the person works (the 1st, or the Monday after a quiet weekend)."""
    day = first_day(month)
    while not is_contact_day(person, day):
        day += timedelta(days=1)
    return day


def plan_monthly_reports(session: Session, settings: Settings, now: datetime) -> int:
    """Queue last month's report for each admin whose first working day of this month has
    come (within CATCH_UP); returns how many rows are new."""
    queued = 0
    for person in known_admins(session, settings):
        zone = zone_for(session, settings, person)
        local = now.astimezone(zone).date()
        month = f"{local:%Y-%m}"
        day = first_working_day(person, month)
        if not day <= local <= day + CATCH_UP:
            continue
        report_month = shift_month(month, -1)
        # An admin ahead of the program's zone starts their month first: the report waits
        # until the month has ended where the program runs, so it is whole.
        _start, month_end = month_bounds(report_month, program_zone(session, settings, person.team_id))
        due = max(now, local_datetime(day, person.contact_start, zone), month_end)
        queued += enqueue(
            session,
            team_id=person.team_id,
            kind=REPORT_KIND,
            recipient=person.user_id,
            dedupe_key=report_key(person.team_id, person.user_id, report_month),
            due_at=due,
            payload={"month": report_month},
            person_id=person.id,
            expires_at=local_datetime(day + CATCH_UP + timedelta(days=1), 0, zone),
        )
    return queued


def _render(session: Session, row: Delivery, deps: Deps) -> Message:
    month = str((row.payload or {})["month"])
    figures = report_figures(session, deps.settings, row.team_id, month, deps.now())
    return Message(text=slack_text(figures))


def _on_sent(_session: Session, row: Delivery, _deps: Deps) -> None:
    # A new dict: SQLAlchemy sees a JSON column change only when it is reassigned.
    row.payload = {**(row.payload or {}), FILES: DUE}


def report_kinds() -> list[DeliveryKind]:
    """The outbox kinds of this feature."""
    return [DeliveryKind(name=REPORT_KIND, render=_render, on_sent=_on_sent)]


def claim_chart_uploads(
    session: Session, now: datetime, *, skip_locked: bool
) -> list[tuple[int, str, str, str]]:
    """Take the reports whose charts are due: (delivery id, team, DM channel, month) each,
    now marked "sending" (committed before any upload); stale "sending" ones become
    "interrupted" and are never retried, so nobody gets the charts twice."""
    query = select(Delivery).where(
        Delivery.kind == REPORT_KIND,
        Delivery.status == DeliveryStatus.SENT,
        Delivery.sent_at >= now - UPLOAD_WINDOW,
    )
    if skip_locked:
        query = query.with_for_update(skip_locked=True)
    claimed = []
    for row in session.scalars(query.order_by(Delivery.id)):
        payload: dict[str, Any] = dict(row.payload or {})
        state = payload.get(FILES)
        if state == SENDING and datetime.fromisoformat(payload["files_at"]) < now - UPLOAD_LEASE:
            row.payload = {**payload, FILES: INTERRUPTED}
            _tell_charts_not_sent(session, row, INTERRUPTED, now)
        elif state == DUE and row.channel:
            row.payload = {**payload, FILES: SENDING, "files_at": now.isoformat()}
            claimed.append((row.id, row.team_id, row.channel, str(payload["month"])))
    return claimed


def record_chart_upload(session: Session, delivery_id: int, outcome: str, now: datetime) -> None:
    """Write how the charts' upload ended: "sent", "due" (handed back), or "failed: <why>" —
    then the admin is told the charts did not come, so a failure is never silent."""
    row = session.get(Delivery, delivery_id)
    if row is not None:
        row.payload = {**(row.payload or {}), FILES: outcome}
        if outcome not in (SENT, DUE):
            _tell_charts_not_sent(session, row, outcome, now)


def charts_not_sent_text(month: str, outcome: str) -> str:
    """The admin's note that a report's charts did not arrive: why, and what to do."""
    code = outcome.removeprefix("failed:").strip()
    why = _WHY.get(code, f"Slack refused the upload ({code})")
    return f"The charts of your {month} program report were not sent: {why}. Try `/mentor report {month}`."


def _tell_charts_not_sent(session: Session, row: Delivery, outcome: str, now: datetime) -> None:
    # Through the outbox: held to the admin's working hours, once per admin and month.
    month = str((row.payload or {}).get("month", ""))
    enqueue_message(
        session,
        team_id=row.team_id,
        recipient=row.recipient,
        dedupe_key=f"report-charts:{row.team_id}:{row.recipient}:{month}",
        due_at=now,
        text=charts_not_sent_text(month, outcome),
        person_id=row.person_id,
        expires_at=now + CATCH_UP,
    )
