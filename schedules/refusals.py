"""What the sender does with a row Slack refused, or whose person or workspace Slack
says is gone: plain bookkeeping on the row (and its person or workspace), in the
caller's transaction."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.orm import Session

from bot.models import Delivery, DeliveryStatus, Person, Workspace
from bot.outbox import ErrorOutcome, cancel_open_for_person
from schedules.row_rules import apply_outcome
from schedules.send_report import SendReport

log = logging.getLogger("schedules.sender")


def record_kind_outcome(row: Delivery, outcome: ErrorOutcome, code: str, report: SendReport) -> None:
    """Apply what the row's kind made of Slack's error, count it and log it."""
    apply_outcome(row, outcome)
    if outcome.hold or outcome.retry_at is not None:
        report.retried += 1
    else:
        report.failed += 1
    log.warning("team=%s delivery=%s kind=%s: %s (%s)", row.team_id, row.id, row.kind, code, outcome.note)


def hold_for_token(row: Delivery, code: str, report: SendReport) -> None:
    """Back to pending with its attempt given back: it waits, unsent, while the workspace
    is paused."""
    row.status, row.claimed_by, row.lease_until = DeliveryStatus.PENDING, None, None
    row.attempts = max(0, row.attempts - 1)
    row.error = f"held: Slack refused our token ({code})"
    report.retried += 1


def fail_person_gone(session: Session, row: Delivery, code: str, report: SendReport) -> None:
    """The recipient's account is gone: fail the row and stop scheduling them."""
    person = session.get(Person, row.person_id)
    row.status, row.error, row.lease_until = DeliveryStatus.FAILED, code, None
    if person is not None:
        mark_person_inactive(session, person, code)
    report.failed += 1
    log.warning("team=%s user=%s: Slack says %s; stopped scheduling them", row.team_id, row.recipient, code)


def pause_workspace(session: Session, team_id: str, code: str, now: datetime) -> None:
    workspace = session.get(Workspace, team_id)
    if workspace is not None and workspace.sending_paused_reason is None:
        workspace.sending_paused_reason = f"Slack refused our token ({code})"
        workspace.sending_paused_at = now
    log.critical(
        "team=%s: Slack refused our bot token (%s). Nothing will be sent to this workspace until the app "
        "is reinstalled or SLACK_BOT_TOKEN is fixed, then restarted.",
        team_id,
        code,
    )


def mark_person_inactive(session: Session, person: Person, code: str) -> None:
    person.is_active = False
    person.inactive_reason = code
    person.next_nudge_at = None
    cancel_open_for_person(session, person.id, f"not sent: the Slack account is {code}")
