"""The outbox sender: claim due rows, post them to Slack, record what happened.

Exactly-once, as far as Slack lets us (docs/operations.md tells the whole story):

* pending → claimed (one transaction; `FOR UPDATE SKIP LOCKED` on PostgreSQL, so two
  clocks never claim one row) → sending (committed *before* the Slack call) → sent.
* A sender that dies holding `claimed` rows never called Slack: the lease runs out and
  they are sent later. One that dies with a row in `sending` may have reached Slack: the
  row is marked `interrupted`, never resent (a doubled DM teaches clinicians to mute the
  app; one missed nudge is replaced by the next). A call whose answer never came, or a
  server error after the request left, is the same window. Only failures before the
  request left are retried.
* No transaction is open while we wait for Slack (a slow Slack never holds SQLite's lock).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackTokenRotationError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.db import is_sqlite, reading, transaction
from bot.deps import Deps
from bot.directory import PERSON_GONE_ERRORS
from bot.installations import NotInstalled
from bot.models import Delivery, DeliveryStatus, Person, Workspace
from bot.outbox import Cancel, DeliveryKind
from bot.slack import (
    REQUEST_TIMEOUT_SECONDS,
    TOKEN_ERRORS,
    may_have_reached_slack,
    posting_client,
    slack_error_code,
)
from schedules.pacing import (
    SHORT_RETRY_SECONDS,
    Pacer,
    pacer_for,
    retry_after_seconds,
    without_rate_limit_waits,
)
from schedules.refusals import (
    fail_person_gone,
    hold_for_token,
    pause_workspace,
    record_kind_outcome,
)
from schedules.row_rules import (
    SERVER_FAILED_MID_POST,
    check_person_reachable,
    held_or_expired,
    server_error_may_have_posted,
)
from schedules.send_report import Prepared, SendReport, SlotWait
from schedules.send_time import defer_to_contact_hours
from schedules.zone_step import zone_known

__all__ = ["SendReport", "Sender"]

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
# The longest a row waits for its pacing slot. A slot further off (a workspace held by a
# 429 in an earlier pass) hands the row back for later instead: a wait of Retry-After's
# length would stall every other workspace's rows behind it.
MAX_SLOT_WAIT_SECONDS = SHORT_RETRY_SECONDS
INTERRUPTED = "interrupted while sending; not resent so the recipient never gets it twice"
MAY_HAVE_BEEN_SENT = "Slack took the request but its answer never came; may have been sent, not resent"
# Error codes that mean Slack itself failed, not our message: tried again, like a 5xx.
SERVER_ERRORS = frozenset({"internal_error", "fatal_error", "service_unavailable", "request_timeout"})

# The Web API client for a workspace (`Deps.client_for`): one bot token's, or in OAuth
# mode that workspace's installation. Raises NotInstalled when nothing covers it.
ClientProvider = Callable[[str], WebClient]


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
        wait: Callable[[float], bool] | None = None,
        post_seconds: float = REQUEST_TIMEOUT_SECONDS,
        zones_first: bool = False,
    ) -> None:
        self.deps = deps
        # A zones step runs before each pass (the clock's): unlooked-up people's rows wait.
        self.zones_first = zones_first
        self.clients = clients or deps.client_for
        self.kinds = kinds
        self.worker_id = worker_id or default_worker_id()
        self.batch_size = batch_size
        self.lease = lease
        # Set on shutdown: the pass finishes the row in hand and hands the rest back.
        self.stopping = stopping or threading.Event()
        # Spaces posts to Slack's published limits (schedules/pacing.py): on PostgreSQL
        # one schedule per workspace shared with every other clock, in the database. In
        # real time, as Slack counts and as the pacing waits run; 429 holds on the app's
        # clock, as the rows' `next_attempt_at` that the same 429 sets.
        self.pacer = pacer or pacer_for(deps.session_factory, hold_clock=lambda: deps.now().timestamp())
        # Pacing waits: True when interrupted by shutdown. Tests drive a fake clock.
        self.wait = wait or self.stopping.wait
        # The pass's clock (the pacer's, so a test moves both at once).
        self.monotonic = self.pacer.clock
        # The worst one post may take (the posting client's timeout): no row starts unless
        # this much of the budget is left, so the pass ends within its budget.
        self.post_seconds = post_seconds
        engine = deps.session_factory.kw["bind"]
        self._skip_locked = not is_sqlite(engine)

    # --- one pass ---------------------------------------------------------------------

    def run_once(self, *, budget_seconds: float = PASS_BUDGET_SECONDS) -> SendReport:
        """Recover stale rows, then claim and send what is due, batch after batch, until
        nothing is due, the time budget is spent, or the clock is stopping."""
        report = SendReport()
        self.recover(report)
        # Teams to leave alone for the rest of this pass (rate-limited, or token broken),
        # starting with those a 429 in an earlier pass still holds.
        now = self.deps.now()
        held_teams: dict[str, datetime | None] = {
            team: now + timedelta(seconds=wait)
            for team, wait in self.pacer.holds(MAX_SLOT_WAIT_SECONDS).items()
        }
        # Each workspace's client, looked up once a pass (OAuth mode reads the store).
        clients: dict[str, WebClient] = {}
        deadline = self.monotonic() + budget_seconds
        while not self.stopping.is_set() and not self._out_of_time(deadline):
            ids = self.claim(held_teams)
            report.claimed += len(ids)
            for position, delivery_id in enumerate(ids):
                # Paced sends take time: the budget is kept row by row, not per batch.
                if self.stopping.is_set() or self._out_of_time(deadline):
                    self.release(ids[position:])
                    break
                self.send_one(delivery_id, report, held_teams, clients, deadline=deadline)
            if len(ids) < self.batch_size:
                break
        return report

    def _out_of_time(self, deadline: float | None, after: float = 0.0) -> bool:
        """Whether a post started `after` seconds from now might end past `deadline`."""
        return deadline is not None and self.monotonic() + after + self.post_seconds > deadline

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

    def claim(self, held_teams: dict[str, datetime | None] | None = None) -> list[int]:
        """Take ownership of up to `batch_size` due rows, none of `held_teams`' (they
        would only be handed back); returns their ids."""
        now = self.deps.now()
        with transaction(self.deps.session_factory) as session:
            paused = select(Workspace.team_id).where(Workspace.sending_paused_reason.is_not(None))
            query = (
                select(Delivery.id)
                .where(
                    Delivery.status == DeliveryStatus.PENDING,
                    Delivery.next_attempt_at <= now,
                    Delivery.team_id.not_in(paused),
                    Delivery.team_id.not_in(list(held_teams or ())),
                    *([zone_known()] if self.zones_first else []),
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
        *,
        deadline: float | None = None,
    ) -> None:
        """Find the client, take a pacing slot, render, mark sending, post, record. Never
        raises: one bad row stops nothing."""
        clients = {} if clients is None else clients
        if not self._have_client(delivery_id, report, held_teams, clients):
            return
        prepared = self._safely_prepare(delivery_id, report, held_teams, deadline)
        if isinstance(prepared, SlotWait):
            prepared = self._after_slot_wait(delivery_id, prepared, report, held_teams, deadline)
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
        with reading(self.deps.session_factory) as session:  # no write lock for a look-up
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
                    pause_workspace(session, team_id, code, self.deps.now())
        except Exception:
            log.exception("team=%s: could not look up the Slack client for delivery %s", team_id, delivery_id)
            why = "waiting: the workspace's Slack client could not be looked up"
        held[team_id] = None
        self._finish(delivery_id, DeliveryStatus.PENDING, why)
        report.retried += 1
        return False

    def _safely_prepare(
        self,
        delivery_id: int,
        report: SendReport,
        held_teams: dict[str, datetime | None],
        deadline: float | None,
        *,
        slot_taken: bool = False,
    ) -> Prepared | SlotWait | None:
        try:
            return self._prepare(delivery_id, report, held_teams, deadline=deadline, slot_taken=slot_taken)
        except Exception:
            log.exception("sender: could not prepare delivery %s", delivery_id)
            self._finish(delivery_id, DeliveryStatus.FAILED, "internal error while preparing the message")
            report.failed += 1
            return None

    def _after_slot_wait(
        self,
        delivery_id: int,
        slot: SlotWait,
        report: SendReport,
        held_teams: dict[str, datetime | None],
        deadline: float | None,
    ) -> Prepared | None:
        """Wait, outside any transaction, for the row's slot; then prepare it for good.
        Shutdown, or a wait that spent the budget, hands the row back unsent."""
        if self.wait(slot.seconds) or self._out_of_time(deadline):
            self.pacer.give_back(slot.team_id, slot.recipient)
            self.release([delivery_id])
            report.paced += 1
            return None
        prepared = self._safely_prepare(delivery_id, report, held_teams, None, slot_taken=True)
        if prepared is None:
            self.pacer.give_back(slot.team_id, slot.recipient)
        assert not isinstance(prepared, SlotWait)
        return prepared

    def _take_slot(
        self, row: Delivery, now: datetime, deadline: float | None, held_teams: dict[str, datetime | None]
    ) -> SlotWait | None:
        """Reserve the row's pacing slot. None: it may go now. A short wait that fits the
        budget: SlotWait (the row stays claimed). A longer one: the row is handed back
        (pending, no attempt counted) for when the slot comes, and the slot given back."""
        delay = self.pacer.reserve(row.team_id, row.recipient)
        if delay <= 0:
            return None
        slot = SlotWait(row.team_id, row.recipient, delay)
        if delay <= MAX_SLOT_WAIT_SECONDS and not self._out_of_time(deadline, after=delay):
            return slot
        self.pacer.give_back(row.team_id, row.recipient)
        row.status, row.claimed_by, row.lease_until = DeliveryStatus.PENDING, None, None
        if delay > MAX_SLOT_WAIT_SECONDS:  # the workspace is held (a 429): not before then
            held_teams[row.team_id] = now + timedelta(seconds=delay)
            row.next_attempt_at = max(row.next_attempt_at, now + timedelta(seconds=delay))
        else:  # past this pass's budget: its rows wait, as due as before, for the next pass
            held_teams[row.team_id] = None
        return slot

    def _prepare(
        self,
        delivery_id: int,
        report: SendReport,
        held_teams: dict[str, datetime | None],
        *,
        deadline: float | None = None,
        slot_taken: bool = False,
    ) -> Prepared | SlotWait | None:
        """Decide the claimed row's fate (hand back, expire, cancel, defer) and, when it
        is to be sent and its pacing slot is now, render it and mark it `sending`."""
        now = self.deps.now()
        with transaction(self.deps.session_factory) as session:
            # Locked until we commit `sending`: a clock taking back a stale lease, or a
            # pause cancelling the row, waits for us and then sees the row's new state.
            row = session.get(Delivery, delivery_id, populate_existing=True, with_for_update=True)
            if row is None or row.status != DeliveryStatus.CLAIMED or row.claimed_by != self.worker_id:
                return None  # our lease ran out and someone else has it; theirs now
            if held_or_expired(row, now, held_teams, report):
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
                if person is not None and defer_to_contact_hours(
                    session, self.deps.settings, row, person, now, report
                ):
                    return None
                # Only now, the row being sure to go, does it take a slot (rows cancelled
                # or deferred above use none). Rendered once, after any wait.
                slot = None if slot_taken else self._take_slot(row, now, deadline, held_teams)
                if slot is not None:
                    if row.status == DeliveryStatus.PENDING:
                        report.paced += 1
                        return None
                    return slot
                message = kind.render(session, row, self.deps)
            except Cancel as reason:
                row.status, row.error, row.lease_until = DeliveryStatus.CANCELLED, str(reason), None
                report.cancelled += 1
                return None
            row.status = DeliveryStatus.SENDING
            row.attempts += 1
            row.lease_until = now + self.lease
            return Prepared(row.team_id, row.recipient, kind, message)

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
                record_kind_outcome(row, outcome, code, report)
            elif code in TOKEN_ERRORS:  # our token no longer works here: stop, keep the rows
                pause_workspace(session, team_id, code, now)
                held_teams[team_id] = None
                hold_for_token(row, code, report)
            elif code in PERSON_GONE_ERRORS and kind.to_person and row.person_id is not None:
                fail_person_gone(session, row, code, report)
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
