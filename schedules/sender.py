"""The outbox sender: claim due rows, post them to Slack, record what happened.

Exactly-once, as far as Slack lets us:

* A row moves pending → claimed (in one transaction, `FOR UPDATE SKIP LOCKED` on
  PostgreSQL so several clocks never claim the same row) → sending (committed *before*
  the Slack call) → sent with its channel and ts.
* A sender that dies holding `claimed` rows never called Slack for them; when the lease
  runs out they go back to pending and are sent later.
* A sender that dies with a row in `sending` may or may not have reached Slack. We
  choose at-most-once for that window: the row is marked `interrupted` and not resent,
  because a doubled DM teaches busy clinicians to mute the app, while one missed nudge
  is replaced by the next one. The window is one Slack call, one row per sender. A
  call whose answer never came (read timeout, dropped connection) is the same window:
  interrupted too. Only a failure before the request left (refused, DNS) is retried.
* No database transaction is open while we wait for Slack, so a slow Slack never holds
  SQLite's write lock.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackTokenRotationError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.db import is_sqlite, transaction
from bot.deps import Deps
from bot.directory import PERSON_GONE_ERRORS
from bot.installations import NotInstalled
from bot.models import Delivery, DeliveryStatus, Person, Workspace
from bot.outbox import Cancel, DeliveryKind, ErrorOutcome, Message, cancel_open_for_person
from bot.people import zone_for
from bot.rota.service import busy_for
from bot.slack import TOKEN_ERRORS, may_have_reached_slack, posting_client, slack_error_code
from bot.timing import busy_at, in_contact_window, next_contact_time
from schedules.pacing import SHORT_RETRY_SECONDS, Pacer, retry_after_seconds, without_rate_limit_waits
from schedules.row_rules import (
    SERVER_FAILED_MID_POST,
    apply_outcome,
    check_person_reachable,
    server_error_may_have_posted,
)

log = logging.getLogger(__name__)

# Long enough for one Slack call with slack_sdk's own retries (Retry-After sleeps
# included); a sender that holds a row longer than this is presumed dead.
LEASE = timedelta(minutes=5)
BATCH_SIZE = 50
# Transient failures (5xx, network) of a row with no expiry are retried this many times
# in all; a row that expires (a nudge's day, a prompt's month) is retried until then.
MAX_ATTEMPTS = 6
# The longest wait between two tries: an outage of an hour must not cost a whole day.
MAX_BACKOFF = timedelta(minutes=15)
# How long one pass may keep claiming batches: a tick is once a minute.
PASS_BUDGET_SECONDS = 45.0
INTERRUPTED = "interrupted while sending; not resent so the recipient never gets it twice"
MAY_HAVE_BEEN_SENT = "Slack took the request but its answer never came; may have been sent, not resent"
# Error codes that mean Slack itself failed, not our message: tried again, like a 5xx.
# How far ahead the send-time check reads a person's duty (a run of nights and more).
DUTY_LOOKAHEAD = timedelta(days=21)
SERVER_ERRORS = frozenset({"internal_error", "fatal_error", "service_unavailable", "request_timeout"})

# The Web API client for a workspace (`Deps.client_for`): one bot token's, or in OAuth
# mode that workspace's installation. Raises NotInstalled when nothing covers it.
ClientProvider = Callable[[str], WebClient]


@dataclass
class SendReport:
    """What one pass of the sender did, for the tick's log line and for tests."""

    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    cancelled: int = 0
    expired: int = 0
    recovered: int = 0
    interrupted: int = 0
    deferred: int = 0
    errors: list[str] = field(default_factory=list)


def default_worker_id() -> str:
    """host:pid:random — unique per sender, readable in the database when debugging."""
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class Sender:
    """Delivers due outbox rows. One instance per clock process."""

    def __init__(
        self,
        deps: Deps,
        kinds: dict[str, DeliveryKind],
        *,
        worker_id: str | None = None,
        batch_size: int = BATCH_SIZE,
        lease: timedelta = LEASE,
        stopping: threading.Event | None = None,
        clients: ClientProvider | None = None,
        pacer: Pacer | None = None,
    ) -> None:
        self.deps = deps
        self.clients = clients or deps.client_for
        self.kinds = kinds
        self.worker_id = worker_id or default_worker_id()
        self.batch_size = batch_size
        self.lease = lease
        # Set on shutdown: the pass finishes the row in hand and hands the rest back.
        self.stopping = stopping or threading.Event()
        # Spaces posts to Slack's published limits (schedules/pacing.py).
        self.pacer = pacer or Pacer()
        engine = deps.session_factory.kw["bind"]
        self._skip_locked = not is_sqlite(engine)

    # --- one pass ---------------------------------------------------------------------

    def run_once(self, *, budget_seconds: float = PASS_BUDGET_SECONDS) -> SendReport:
        """Recover stale rows, then claim and send what is due, batch after batch, until
        nothing is due, the time budget is spent, or the clock is stopping."""
        report = SendReport()
        self.recover(report)
        # Teams to leave alone for the rest of this pass (rate-limited, or token broken).
        held_teams: dict[str, datetime | None] = {}
        # Each workspace's client, looked up once a pass (OAuth mode reads the store).
        clients: dict[str, WebClient] = {}
        deadline = time.monotonic() + budget_seconds
        while not self.stopping.is_set():
            ids = self.claim()
            report.claimed += len(ids)
            for position, delivery_id in enumerate(ids):
                # Paced sends take time: the budget is kept row by row, not per batch.
                if self.stopping.is_set() or time.monotonic() > deadline:
                    self.release(ids[position:])
                    break
                self.send_one(delivery_id, report, held_teams, clients)
            if len(ids) < self.batch_size or time.monotonic() > deadline:
                break
        return report

    def release(self, ids: list[int]) -> None:
        """Hand claimed rows back (shutting down): they were never sent, so they go again."""
        with transaction(self.deps.session_factory) as session:
            session.execute(
                update(Delivery)
                .where(
                    Delivery.id.in_(ids),
                    Delivery.status == DeliveryStatus.CLAIMED,
                    Delivery.claimed_by == self.worker_id,
                )
                .values(status=DeliveryStatus.PENDING, claimed_by=None, lease_until=None)
            )

    def recover(self, report: SendReport) -> None:
        """Expire stale rows and take back leases of senders that died."""
        now = self.deps.now()
        with transaction(self.deps.session_factory) as session:
            report.expired += (
                session.execute(
                    update(Delivery)
                    .where(
                        Delivery.status.in_((DeliveryStatus.PENDING, DeliveryStatus.CLAIMED)),
                        Delivery.expires_at <= now,
                    )
                    .values(
                        status=DeliveryStatus.EXPIRED,
                        error="expired before it could be sent",
                        lease_until=None,
                    )
                ).rowcount
                or 0
            )
            report.recovered += (
                session.execute(
                    update(Delivery)
                    .where(Delivery.status == DeliveryStatus.CLAIMED, Delivery.lease_until < now)
                    .values(status=DeliveryStatus.PENDING, claimed_by=None, lease_until=None)
                ).rowcount
                or 0
            )
            interrupted = (
                session.execute(
                    update(Delivery)
                    .where(Delivery.status == DeliveryStatus.SENDING, Delivery.lease_until < now)
                    .values(status=DeliveryStatus.INTERRUPTED, error=INTERRUPTED, lease_until=None)
                ).rowcount
                or 0
            )
        if interrupted:
            log.warning("sender: %d message(s) were interrupted mid-send; not resent", interrupted)
        report.interrupted += interrupted

    def claim(self) -> list[int]:
        """Take ownership of up to `batch_size` due rows; returns their ids."""
        now = self.deps.now()
        with transaction(self.deps.session_factory) as session:
            paused = select(Workspace.team_id).where(Workspace.sending_paused_reason.is_not(None))
            query = (
                select(Delivery.id)
                .where(
                    Delivery.status == DeliveryStatus.PENDING,
                    Delivery.next_attempt_at <= now,
                    Delivery.team_id.not_in(paused),
                )
                .order_by(Delivery.next_attempt_at, Delivery.id)
                .limit(self.batch_size)
            )
            if self._skip_locked:
                query = query.with_for_update(skip_locked=True, of=Delivery)
            ids = list(session.scalars(query))
            if ids:
                session.execute(
                    update(Delivery)
                    .where(Delivery.id.in_(ids))
                    .values(
                        status=DeliveryStatus.CLAIMED, claimed_by=self.worker_id, lease_until=now + self.lease
                    )
                )
        return ids

    # --- one row ----------------------------------------------------------------------

    def send_one(
        self,
        delivery_id: int,
        report: SendReport,
        held_teams: dict[str, datetime | None],
        clients: dict[str, WebClient] | None = None,
    ) -> None:
        """Find the client, render, mark sending, post, record. Never raises: one bad row
        stops nothing."""
        clients = {} if clients is None else clients
        if not self._have_client(delivery_id, report, held_teams, clients):
            return
        self._wait_for_slot(delivery_id, held_teams)
        try:
            prepared = self._prepare(delivery_id, report, held_teams)
        except Exception:
            log.exception("sender: could not prepare delivery %s", delivery_id)
            self._finish(delivery_id, DeliveryStatus.FAILED, "internal error while preparing the message")
            report.failed += 1
            return
        if prepared is None:
            return
        team_id, recipient, kind, message = prepared
        try:
            client = clients[team_id] if team_id in clients else self._client_for_posting(team_id)
            response = client.chat_postMessage(channel=recipient, **message.as_kwargs())
        except SlackApiError as error:
            self._record_slack_error(delivery_id, team_id, kind, error, report, held_teams)
            return
        except Exception as error:
            self._record_no_answer(delivery_id, error, report)
            return
        self._record_sent(delivery_id, kind, response.get("channel"), response.get("ts"), report)

    def _client_for_posting(self, team_id: str) -> WebClient:
        return posting_client(without_rate_limit_waits(self.clients(team_id)))

    def _record_no_answer(self, delivery_id: int, error: Exception, report: SendReport) -> None:
        """No answer from Slack: retried if the request never left (refused, DNS); else
        Slack may have posted it, so, like a crash mid-send, it is interrupted."""
        if not may_have_reached_slack(error):
            self._retry_later(delivery_id, f"network error: {error.__class__.__name__}", None, report)
            return
        if not isinstance(error, OSError):
            log.exception("sender: unexpected error posting delivery %s", delivery_id)
        else:
            log.warning("sender: delivery %s may have been sent (%s); not resent", delivery_id, error)
        self._finish(
            delivery_id, DeliveryStatus.INTERRUPTED, f"{MAY_HAVE_BEEN_SENT} ({error.__class__.__name__})"
        )
        report.interrupted += 1

    def _have_client(self, delivery_id: int, report: SendReport, held: dict, clients: dict) -> bool:
        """The row's workspace client, looked up (once a pass) before the row is marked
        `sending`: a failed look-up never reached Slack, so the row waits, unsent."""
        with transaction(self.deps.session_factory) as session:
            mine = (Delivery.id == delivery_id) & (Delivery.claimed_by == self.worker_id)
            team_id = session.scalar(select(Delivery.team_id).where(mine))
        if team_id is None or team_id in held or team_id in clients:
            return True  # _prepare sees to a row that is no longer ours, or held
        try:
            # A 429 comes back at once (pacing.py); no blind resend after the request left.
            clients[team_id] = self._client_for_posting(team_id)
            return True
        except NotInstalled as missing:  # uninstalled or revoked: nothing more goes there
            self._finish(delivery_id, DeliveryStatus.CANCELLED, f"not sent: {missing}")
            report.cancelled += 1
            return False
        except SlackTokenRotationError as failed:  # a dead refresh token holds the workspace
            code = slack_error_code(failed.api_error)
            why = f"held: the token could not be refreshed ({code})"
            if code in TOKEN_ERRORS:
                with transaction(self.deps.session_factory) as session:
                    _pause_workspace(session, team_id, code, self.deps.now())
        except Exception:
            log.exception("team=%s: could not look up the Slack client for delivery %s", team_id, delivery_id)
            why = "waiting: the workspace's Slack client could not be looked up"
        held[team_id] = None
        self._finish(delivery_id, DeliveryStatus.PENDING, why)
        report.retried += 1
        return False

    def _wait_for_slot(self, delivery_id: int, held: dict[str, datetime | None]) -> None:
        """Wait, outside any transaction, for the row's turn under Slack's limits."""
        with transaction(self.deps.session_factory) as session:
            found = session.execute(
                select(Delivery.team_id, Delivery.recipient).where(Delivery.id == delivery_id)
            ).first()
        if found is not None and found.team_id not in held:
            delay = self.pacer.reserve(found.team_id, found.recipient)
            if delay > 0:
                self.stopping.wait(delay)

    def _prepare(
        self, delivery_id: int, report: SendReport, held_teams: dict[str, datetime | None]
    ) -> tuple[str, str, DeliveryKind, Message] | None:
        now = self.deps.now()
        with transaction(self.deps.session_factory) as session:
            # Locked until we commit `sending`: a clock taking back a stale lease, or a
            # pause cancelling the row, waits for us and then sees the row's new state.
            row = session.get(Delivery, delivery_id, populate_existing=True, with_for_update=True)
            if row is None or row.status != DeliveryStatus.CLAIMED or row.claimed_by != self.worker_id:
                return None  # our lease ran out and someone else has it; theirs now
            if row.team_id in held_teams:
                retry_at = held_teams[row.team_id] or now
                row.status, row.claimed_by, row.lease_until = DeliveryStatus.PENDING, None, None
                row.next_attempt_at = max(row.next_attempt_at, retry_at)
                return None
            if row.expires_at is not None and row.expires_at <= now:
                row.status, row.error, row.lease_until = (
                    DeliveryStatus.EXPIRED,
                    "expired before it could be sent",
                    None,
                )
                report.expired += 1
                return None
            kind = self.kinds.get(row.kind)
            if kind is None:
                row.status, row.error = DeliveryStatus.FAILED, f"no sender knows the kind {row.kind!r}"
                log.error("sender: delivery %s has unknown kind %r", row.id, row.kind)
                report.failed += 1
                return None
            person = session.get(Person, row.person_id) if kind.to_person and row.person_id else None
            try:
                check_person_reachable(person, now)
                if person is not None and self._defer_to_contact_hours(session, row, person, now, report):
                    return None
                message = kind.render(session, row, self.deps)
            except Cancel as reason:
                row.status, row.error, row.lease_until = DeliveryStatus.CANCELLED, str(reason), None
                report.cancelled += 1
                return None
            row.status = DeliveryStatus.SENDING
            row.attempts += 1
            row.lease_until = now + self.lease
            return row.team_id, row.recipient, kind, message

    def _defer_to_contact_hours(
        self, session: Session, row: Delivery, person: Person, now: datetime, report: SendReport
    ) -> bool:
        """Quiet hours are checked again at send time: a row planned days ahead, sent late
        after downtime, or whose person changed zone or hours, waits for their next allowed
        moment — or expires if its day (or month) ends first. Rows queued with
        `any_hour` (a nudge the person asked for) go at once."""
        if (row.payload or {}).get("any_hour"):
            return False
        zone = zone_for(session, self.deps.settings, person)
        # Duty from their rota (a night shift, a call, the post-call day) counts as quiet.
        busy = busy_for(session, self.deps.settings, person, now, now + DUTY_LOOKAHEAD)
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

    def _record_sent(
        self, delivery_id: int, kind: DeliveryKind, channel: str | None, ts: str | None, report: SendReport
    ) -> None:
        try:
            with transaction(self.deps.session_factory) as session:
                row = session.get(Delivery, delivery_id, populate_existing=True)
                assert row is not None
                row.status, row.channel, row.ts = DeliveryStatus.SENT, channel, ts
                row.sent_at, row.error, row.lease_until = self.deps.now(), None, None
                if kind.on_sent is not None:
                    self._run_on_sent(session, row, kind)
        except Exception:
            # Slack has the message; we could not write that down. The row stays in
            # `sending` and is later marked interrupted — never resent.
            log.exception("sender: delivery %s was posted but could not be recorded", delivery_id)
            report.errors.append(f"{delivery_id}: posted, not recorded")
            return
        report.sent += 1

    def _run_on_sent(self, session: Session, row: Delivery, kind: DeliveryKind) -> None:
        # In a savepoint: a bug in a feature's bookkeeping must not undo the record that
        # the message was delivered (the row would later read "interrupted", failed).
        assert kind.on_sent is not None
        try:
            with session.begin_nested():
                kind.on_sent(session, row, self.deps)
        except Exception:
            log.exception("sender: delivery %s was sent, but its %s on_sent hook failed", row.id, kind.name)

    def _record_slack_error(
        self,
        delivery_id: int,
        team_id: str,
        kind: DeliveryKind,
        error: SlackApiError,
        report: SendReport,
        held_teams: dict[str, datetime | None],
    ) -> None:
        """Slack answered with an error: wait and retry what is Slack's to fix (rate
        limits, server errors); hand the rest to `_record_refusal`."""
        status_code = getattr(error.response, "status_code", 200)
        code = str(error.response.get("error") or f"http_{status_code}")
        now = self.deps.now()
        if status_code == 429 or code == "ratelimited":
            wait = retry_after_seconds(error)
            retry_at = now + timedelta(seconds=wait)
            self.pacer.hold(team_id, wait)
            if wait > SHORT_RETRY_SECONDS:  # a short one is paced out, not held (pacing.py)
                held_teams[team_id] = retry_at
            self._retry_later(delivery_id, "rate limited by Slack", retry_at, report, counts=False)
            return
        if server_error_may_have_posted(status_code, code, getattr(error.response, "headers", None)):
            log.warning("sender: delivery %s may have been sent (Slack: %s); not resent", delivery_id, code)
            self._finish(delivery_id, DeliveryStatus.INTERRUPTED, f"{SERVER_FAILED_MID_POST} ({code})")
            report.interrupted += 1
            return
        if status_code >= 500 or code in SERVER_ERRORS:
            self._retry_later(delivery_id, f"Slack server error ({code})", None, report)
            return
        self._record_refusal(delivery_id, team_id, kind, code, now, report, held_teams)

    def _record_refusal(
        self,
        delivery_id: int,
        team_id: str,
        kind: DeliveryKind,
        code: str,
        now: datetime,
        report: SendReport,
        held_teams: dict[str, datetime | None],
    ) -> None:
        """Slack refused the message: the kind decides first (it may hold the row for a
        person to fix); otherwise a broken token holds the workspace, a person who left
        is marked inactive, and anything else fails the row."""
        with transaction(self.deps.session_factory) as session:
            row = session.get(Delivery, delivery_id, populate_existing=True)
            assert row is not None
            outcome = kind.on_error(session, row, code, self.deps) if kind.on_error else None
            if outcome is not None:
                _record_kind_outcome(row, outcome, code, report)
            elif code in TOKEN_ERRORS:  # our token no longer works here: stop, keep the rows
                _pause_workspace(session, team_id, code, now)
                held_teams[team_id] = None
                _hold_for_token(row, code, report)
            elif code in PERSON_GONE_ERRORS and kind.to_person and row.person_id is not None:
                _fail_person_gone(session, row, code, report)
            else:
                row.status, row.error, row.lease_until = DeliveryStatus.FAILED, code, None
                report.failed += 1
                log.error(
                    "team=%s delivery=%s kind=%s: Slack refused the message (%s)",
                    team_id,
                    delivery_id,
                    row.kind,
                    code,
                )

    def _retry_later(
        self,
        delivery_id: int,
        why: str,
        retry_at: datetime | None,
        report: SendReport,
        *,
        counts: bool = True,
    ) -> None:
        """Back to pending for another try; `counts=False` for rate limits, which are
        Slack asking us to wait, not a failure."""
        now = self.deps.now()
        with transaction(self.deps.session_factory) as session:
            row = session.get(Delivery, delivery_id, populate_existing=True)
            assert row is not None
            if not counts:
                row.attempts = max(0, row.attempts - 1)
            if row.expires_at is None and row.attempts >= MAX_ATTEMPTS:
                row.status, row.error, row.lease_until = (
                    DeliveryStatus.FAILED,
                    f"gave up after {row.attempts} tries: {why}",
                    None,
                )
                report.failed += 1
                log.error("team=%s delivery=%s: %s; gave up", row.team_id, delivery_id, why)
                return
            # 1, 2, 4, 8, then every 15 minutes: Slack outages are usually short, and a
            # row that expires keeps trying until its day (or month) is over.
            backoff = min(timedelta(minutes=2 ** max(0, row.attempts - 1)), MAX_BACKOFF)
            next_attempt = retry_at or now + backoff
            row.claimed_by, row.lease_until, row.error = None, None, why
            if row.expires_at is not None and next_attempt >= row.expires_at:
                row.status = DeliveryStatus.EXPIRED
                row.error = f"expired while Slack kept failing: {why}"
                report.expired += 1
                log.error("team=%s delivery=%s: %s until it expired", row.team_id, delivery_id, why)
                return
            row.status, row.next_attempt_at = DeliveryStatus.PENDING, next_attempt
            report.retried += 1
            log.warning(
                "team=%s delivery=%s: %s; will retry at %s",
                row.team_id,
                delivery_id,
                why,
                row.next_attempt_at,
            )

    def _finish(self, delivery_id: int, status: str, error: str) -> None:
        with transaction(self.deps.session_factory) as session:
            row = session.get(Delivery, delivery_id, populate_existing=True)
            if row is not None:
                row.status, row.error, row.lease_until = status, error, None


def _record_kind_outcome(row: Delivery, outcome: ErrorOutcome, code: str, report: SendReport) -> None:
    """Apply what the row's kind made of Slack's error, count it and log it."""
    apply_outcome(row, outcome)
    if outcome.hold or outcome.retry_at is not None:
        report.retried += 1
    else:
        report.failed += 1
    log.warning("team=%s delivery=%s kind=%s: %s (%s)", row.team_id, row.id, row.kind, code, outcome.note)


def _hold_for_token(row: Delivery, code: str, report: SendReport) -> None:
    """Back to pending with its attempt given back: it waits, unsent, while the workspace
    is paused."""
    row.status, row.claimed_by, row.lease_until = DeliveryStatus.PENDING, None, None
    row.attempts = max(0, row.attempts - 1)
    row.error = f"held: Slack refused our token ({code})"
    report.retried += 1


def _fail_person_gone(session: Session, row: Delivery, code: str, report: SendReport) -> None:
    """The recipient's account is gone: fail the row and stop scheduling them."""
    person = session.get(Person, row.person_id)
    row.status, row.error, row.lease_until = DeliveryStatus.FAILED, code, None
    if person is not None:
        _mark_person_inactive(session, person, code)
    report.failed += 1
    log.warning("team=%s user=%s: Slack says %s; stopped scheduling them", row.team_id, row.recipient, code)


def _pause_workspace(session: Session, team_id: str, code: str, now: datetime) -> None:
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


def _mark_person_inactive(session: Session, person: Person, code: str) -> None:
    person.is_active = False
    person.inactive_reason = code
    person.next_nudge_at = None
    cancel_open_for_person(session, person.id, f"not sent: the Slack account is {code}")
