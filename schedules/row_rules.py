"""What the sender decides about one outbox row, as plain functions (no I/O)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from bot.models import Delivery, DeliveryStatus, Person
from bot.outbox import Cancel, ErrorOutcome
from schedules.send_report import SendReport

# Where a row held by its kind waits until the feature re-arms it. A fixed instant, not
# `next_attempt_at.replace(year=9999)`, which fails for a row due on 29 February.
HELD_UNTIL = datetime(9999, 12, 31, tzinfo=UTC)


# Slack's answers that say the request was not carried out, so sending again is safe.
NOTHING_DONE_ERRORS = frozenset({"service_unavailable", "request_timeout", "ratelimited"})
# Slack's answers that say something failed on its side, possibly after the post was made.
MAY_HAVE_POSTED_ERRORS = frozenset({"internal_error", "fatal_error"})
SERVER_FAILED_MID_POST = "Slack failed while handling the post; may have been sent, not resent"


def server_error_may_have_posted(status_code: int, code: str, headers: Mapping[str, object] | None) -> bool:
    """True when Slack's error answer to `chat.postMessage` leaves open whether the message
    was posted: a 5xx, `internal_error` or `fatal_error`. Like a read timeout, such a row
    is interrupted, never resent (a resend could reach the person twice). Answers that say
    nothing was done (`service_unavailable`, `ratelimited`, a 503 with Retry-After) are not."""
    if code in NOTHING_DONE_ERRORS:
        return False
    if status_code == 503 and any(str(name).lower() == "retry-after" for name in headers or {}):
        return False
    return status_code >= 500 or code in MAY_HAVE_POSTED_ERRORS


def check_person_reachable(person: Person | None, now: datetime) -> None:
    """Cancel (raise) a DM to someone who opted out, left, or paused messages."""
    if person is None:
        return
    if person.opted_out_at is not None:
        raise Cancel("the person opted out of all messages")
    if not person.is_active:
        raise Cancel(f"the person's Slack account is inactive ({person.inactive_reason or 'unknown'})")
    if person.paused_until is not None and person.paused_until > now:
        raise Cancel("the person has paused messages")


def apply_outcome(row: Delivery, outcome: ErrorOutcome) -> None:
    """Put what a kind decided about a Slack error on its row (hold, retry or fail)."""
    row.error, row.claimed_by, row.lease_until = outcome.note, None, None
    if outcome.hold:
        # Held rows wait (pending, far future) until the feature re-arms them. Waiting for
        # a person to fix something is not a transient failure: it uses up no attempts.
        row.status = DeliveryStatus.PENDING
        row.attempts = max(0, row.attempts - 1)
        row.next_attempt_at = outcome.retry_at or HELD_UNTIL
    elif outcome.retry_at is not None:
        row.status, row.next_attempt_at = DeliveryStatus.PENDING, outcome.retry_at
    else:
        row.status = DeliveryStatus.FAILED


def held_or_expired(
    row: Delivery, now: datetime, held_teams: dict[str, datetime | None], report: SendReport
) -> bool:
    """Settle a claimed row of a held workspace (back to pending) or past its expiry."""
    if row.team_id in held_teams:
        retry_at = held_teams[row.team_id] or now
        row.status, row.claimed_by, row.lease_until = DeliveryStatus.PENDING, None, None
        row.next_attempt_at = max(row.next_attempt_at, retry_at)
        return True
    if row.expires_at is not None and row.expires_at <= now:
        row.status, row.lease_until = DeliveryStatus.EXPIRED, None
        row.error = "expired before it could be sent"
        report.expired += 1
        return True
    return False
