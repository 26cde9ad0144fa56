"""Pacing the outbox to Slack's published rate limits, instead of finding them by 429s.

Slack documents `chat.postMessage` as allowing about one message per second in one
conversation, with a workspace-wide limit above that (we budget 600 a minute, ten a
second). Posting as fast as the sender can (about 140 a second against a local fake)
ran into 429s, and slack_sdk's retry handler then slept the whole `Retry-After` (49 s
in one run) inside the clock's tick: the tick overran its minute, the next tick was
skipped, and due nudges waited.

So the sender asks a :class:`Pacer` how long to wait before each post and waits that
long between rows — never inside a database transaction, never for long: spacing is a
tenth of a second per workspace and at most a second per conversation. When Slack
still answers 429 (another process shares the workspace's budget), the workspace is
held until `Retry-After` and the pass carries on with other workspaces; the client the
sender posts with does not wait out 429s itself (:func:`without_rate_limit_waits`).
A slot further off than a short wait, or than the pass's budget allows (a hold from an
earlier pass), is not waited for: the sender hands the row back for that time and gives
the slot back (`give_back`); a new pass leaves held workspaces out (`holds`).

Several clocks on one PostgreSQL database share one workspace budget, so they share
one schedule: :class:`SharedPacer` keeps each workspace's in the `send_pace` table (a
row reserved in a short transaction of its own, `SELECT … FOR UPDATE`), holds
included, so a 429 one clock meets holds the workspace for all. Each clock used to
pace itself to the whole budget, and two together met 429s. :func:`pacer_for` picks
the pacer: SQLite has one clock per database file (schedules/lock.py), whose in-memory
schedule is the whole story, and whose writes are serialised anyway.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from sqlalchemy import or_, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from bot.db import SessionFactory, is_sqlite, reading, transaction
from bot.models import SendPace
from bot.slack import copy_client
from bot.sqlutil import insert_ignoring_conflict

log = logging.getLogger(__name__)

# The workspace-wide budget for posting that we take Slack to allow, per minute.
SLACK_POSTS_PER_MINUTE = 600
# We pace a little under it, so that a burst on top of a full minute's posts, or the
# odd post from the web process, still fits.
PACED_SHARE = 0.99
WORKSPACE_PER_MINUTE = int(SLACK_POSTS_PER_MINUTE * PACED_SHARE)
# Slack allows about one message per second in one conversation.
CONVERSATION_SPACING_SECONDS = 1.0
# A 429 whose Retry-After is this short is waited out by pacing the next post (another
# clock sharing the budget, a burst); a longer one holds the workspace for the pass.
SHORT_RETRY_SECONDS = 2
# Conversations remembered before those already free are forgotten.
REMEMBERED_CONVERSATIONS = 10_000


# Posts that may go back to back before the spacing applies: Slack tolerates short
# bursts, and a tick with a few messages should not wait at all.
WORKSPACE_BURST = 5
CONVERSATION_BURST = 3


class Pacer:
    """When each workspace and conversation may next be posted to.

    Each is a "generic cell rate" schedule: posts are spaced evenly at the allowed rate,
    after a short burst. A post reserves its slot at once (`reserve`), so the spacing
    holds for threads sharing one pacer. Times come from `clock` (monotonic seconds), so
    tests can drive it.
    """

    def __init__(
        self,
        *,
        per_minute: int = WORKSPACE_PER_MINUTE,
        conversation_spacing: float = CONVERSATION_SPACING_SECONDS,
        workspace_burst: int = WORKSPACE_BURST,
        conversation_burst: int = CONVERSATION_BURST,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.spacing = 60.0 / per_minute
        self.conversation_spacing = conversation_spacing
        self._workspace_slack = (workspace_burst - 1) * self.spacing
        self._conversation_slack = (conversation_burst - 1) * conversation_spacing
        self.clock = clock
        # The "theoretical arrival time" of the next post: the schedule's state.
        self._workspace_due: dict[str, float] = {}
        self._conversation_due: dict[tuple[str, str], float] = {}
        # Re-entrant: SharedPacer falls back to this class's schedule while holding it.
        self._lock = threading.RLock()

    def reserve(self, team_id: str, conversation: str) -> float:
        """Take the next slot for a post to `conversation` in `team_id`; returns how many
        seconds from now that slot is (0 when it may go at once)."""
        with self._lock:
            now = self.clock()
            key = (team_id, conversation)
            team_due = max(now, self._workspace_due.get(team_id, now))
            talk_due = max(now, self._conversation_due.get(key, now))
            at = max(now, team_due - self._workspace_slack, talk_due - self._conversation_slack)
            self._workspace_due[team_id] = max(team_due, at) + self.spacing
            self._conversation_due[key] = max(talk_due, at) + self.conversation_spacing
            self._forget_free_conversations(now)
            return at - now

    def _forget_free_conversations(self, now: float) -> None:
        if len(self._conversation_due) > REMEMBERED_CONVERSATIONS:
            self._conversation_due = {k: t for k, t in self._conversation_due.items() if t > now}

    def give_back(self, team_id: str, conversation: str) -> None:
        """Return the slot a `reserve` took for a post that will not be made now (the row
        was handed back): the next post to that workspace need not wait for it."""
        with self._lock:
            now = self.clock()
            if team_id in self._workspace_due:
                self._workspace_due[team_id] = max(now, self._workspace_due[team_id] - self.spacing)
            self._give_back_conversation((team_id, conversation), now)

    def _give_back_conversation(self, key: tuple[str, str], now: float) -> None:
        if key in self._conversation_due:
            freed = self._conversation_due[key] - self.conversation_spacing
            self._conversation_due[key] = max(now, freed)

    def holds(self, longer_than: float) -> dict[str, float]:
        """Workspaces whose next slot is more than `longer_than` seconds away (a 429 held
        them), with the seconds left: a new pass leaves them out from the start."""
        with self._lock:
            now = self.clock()
            waits = {team: due - self._workspace_slack - now for team, due in self._workspace_due.items()}
        return {team: wait for team, wait in waits.items() if wait > longer_than}

    def hold(self, team_id: str, seconds: float) -> None:
        """Slack said 429: nothing more to this workspace for `seconds`."""
        with self._lock:
            free_at = self.clock() + seconds + self._workspace_slack
            self._workspace_due[team_id] = max(self._workspace_due.get(team_id, free_at), free_at)


def _instant(seconds: float) -> datetime:
    """Epoch seconds as the aware UTC datetime the `send_pace` columns hold."""
    return datetime.fromtimestamp(seconds, UTC)


# How long a reservation waits for the workspace's row before pacing alone.
LOCK_TIMEOUT_MS = 2000
# A failing shared schedule is logged with its traceback at most this often.
WARN_EVERY_SECONDS = 60.0


class SharedPacer(Pacer):
    """A :class:`Pacer` whose workspace schedules, 429 holds included, are rows of
    `send_pace`, shared by every clock on the database; conversations stay in memory.

    Each reservation is one short transaction of its own (read the row `FOR UPDATE`,
    move it on, commit): the row is locked for that alone, never across a render or a
    Slack call, also when the caller has a transaction open (on PostgreSQL, a second
    connection). So it must not be called inside a write transaction on SQLite, where a
    process writes one transaction at a time; the sender uses it on PostgreSQL only
    (:func:`pacer_for`). One slot per reservation, not a block: a post already takes
    four short transactions (claim, look-up, `sending`, `sent`), a fifth is cheap at ten
    posts a second, and a block's unused slots (rows handed back, a pass's end) would
    be lost to every clock.

    Conversations stay in each clock's memory: a conversation's rows are one person's
    or channel's, and two clocks post to it in the same second only when each claimed
    one of its rows in the same instant. Slack lets three go back to back in one
    conversation, and a 429 there is retried, never lost.

    Shared times are wall-clock epoch seconds (`wall`) of the reserving process, so
    clocks on several hosts need their clocks kept in step (NTP): a skew of a few
    milliseconds moves single posts within the workspace's burst allowance. The wait a
    reservation returns is relative, and is waited on the process's own clock. A hold's
    end (`held_until`) is read on `hold_clock` instead: like a row's `next_attempt_at`
    (which the same 429 sets), it is an instant of the app's clock (`deps.now`), the
    same in production, and moved by tests that let Retry-After pass.
    """

    def __init__(
        self,
        session_factory: SessionFactory,
        *,
        wall: Callable[[], float] = time.time,
        hold_clock: Callable[[], float] | None = None,
        **options: Any,
    ) -> None:
        super().__init__(**options)
        self.session_factory = session_factory
        self.wall = wall
        self.hold_clock = hold_clock or wall
        self._last_warning = float("-inf")

    def _warn(self, message: str, *args: object) -> None:
        """A failure of the shared schedule, with its traceback at most once a minute:
        while `send_pace` is unreachable every post would log one."""
        now = time.monotonic()
        if now - self._last_warning >= WARN_EVERY_SECONDS:
            self._last_warning = now
            log.warning(message, *args, exc_info=True)
        else:
            log.debug(message, *args)

    def reserve(self, team_id: str, conversation: str) -> float:
        """Take the workspace's next shared slot (and the conversation's next); returns
        how many seconds from now it is. The database unreachable: this clock's own."""
        with self._lock:
            now = self.clock()
            key = (team_id, conversation)
            talk_due = max(now, self._conversation_due.get(key, now))
            try:
                delay = self._reserve_workspace(team_id, talk_due - self._conversation_slack - now)
            except SQLAlchemyError:
                self._warn("pacing: team=%s: shared schedule failed; pacing alone", team_id)
                return super().reserve(team_id, conversation)
            self._conversation_due[key] = max(talk_due, now + delay) + self.conversation_spacing
            self._forget_free_conversations(now)
            return delay

    def _reserve_workspace(self, team_id: str, not_before: float) -> float:
        """Move the workspace's row on by one slot, not before `not_before` seconds from
        now; returns the slot's distance from now."""
        with transaction(self.session_factory) as session:
            pace = self._locked_row(session, team_id)
            now = self.wall()
            due = max(now, pace.next_slot_at.timestamp(), self._hold_end(pace, now))
            at = max(now, now + not_before, due - self._workspace_slack)
            pace.next_slot_at = _instant(max(due, at) + self.spacing)
        return at - now

    def _hold_end(self, pace: SendPace, now: float) -> float:
        """When (on the `wall` clock, read as `now`) the row's hold lets a burst through
        again. As Pacer.hold: after a 429 the budget is spent, so no burst follows it."""
        return now + self._hold_left(pace.held_until) + self._workspace_slack

    def _hold_left(self, held_until: datetime | None) -> float:
        """Seconds until a hold ends (negative once it has), on the hold clock."""
        return held_until.timestamp() - self.hold_clock() if held_until else float("-inf")

    def _locked_row(self, session: Session, team_id: str) -> SendPace:
        """The workspace's row, locked until the transaction ends; made on first use
        (two clocks making it at once: the database keeps one, both then lock it)."""
        # This runs on a second connection while the sender's holds its row lock: a wait
        # between two connections of one thread is invisible to PostgreSQL's deadlock
        # detector, so it is bounded (a timeout falls back to this clock's own pacing).
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT_MS}ms'"))
        query = select(SendPace).where(SendPace.team_id == team_id).with_for_update()
        pace = session.scalar(query)
        if pace is None:
            insert_ignoring_conflict(
                session, SendPace, {"team_id": team_id, "next_slot_at": _instant(0)}, ["team_id"]
            )
            pace = session.scalar(query)
        assert pace is not None
        return pace

    def give_back(self, team_id: str, conversation: str) -> None:
        """Return a reserved slot: the workspace's schedule moves back by one (the next
        post, whichever clock's, may go one slot sooner), and the conversation's."""
        with self._lock:
            self._give_back_conversation((team_id, conversation), self.clock())
            try:
                with transaction(self.session_factory) as session:
                    pace = self._locked_row(session, team_id)
                    freed = pace.next_slot_at.timestamp() - self.spacing
                    pace.next_slot_at = _instant(max(self.wall(), freed))
            except SQLAlchemyError:  # the slot is lost: one post's worth of rate, no more
                self._warn("pacing: team=%s: could not give a slot back", team_id)

    def holds(self, longer_than: float) -> dict[str, float]:
        """Workspaces whose next shared slot is more than `longer_than` seconds away (a
        429 any clock met), with the seconds left."""
        now = self.wall()
        later, held_later = _instant(now + longer_than), _instant(self.hold_clock() + longer_than)
        columns = select(SendPace.team_id, SendPace.next_slot_at, SendPace.held_until)
        query = columns.where(or_(SendPace.next_slot_at > later, SendPace.held_until > held_later))
        try:
            with reading(self.session_factory) as session:
                rows = session.execute(query).all()
        except SQLAlchemyError:
            self._warn("pacing: could not read the shared holds")
            return super().holds(longer_than)
        slack = self._workspace_slack
        waits = {
            team: max(next_slot.timestamp() - slack - now, self._hold_left(held))
            for team, next_slot, held in rows
        }
        return {team: wait for team, wait in waits.items() if wait > longer_than}

    def hold(self, team_id: str, seconds: float) -> None:
        """Slack said 429: no clock posts to this workspace for `seconds`."""
        with self._lock:
            try:
                with transaction(self.session_factory) as session:
                    pace = self._locked_row(session, team_id)
                    until = _instant(self.hold_clock() + seconds)
                    pace.held_until = max(pace.held_until or until, until)
            except SQLAlchemyError:  # the pass and the row still wait (the sender)
                self._warn("pacing: team=%s: could not share a hold", team_id)
                # Kept here too, for reservations that fall back to this clock's schedule.
                super().hold(team_id, seconds)


def pacer_for(
    session_factory: SessionFactory, *, hold_clock: Callable[[], float] | None = None, **options: Any
) -> Pacer:
    """The pacer a clock on this database uses: the shared schedule on PostgreSQL,
    where several clocks may run; its own on SQLite, which has one clock a file.
    `hold_clock`: the app's clock, in epoch seconds (SharedPacer)."""
    if is_sqlite(session_factory.kw["bind"]):
        return Pacer(**options)
    return SharedPacer(session_factory, hold_clock=hold_clock, **options)


def without_rate_limit_waits(client: WebClient) -> WebClient:
    """A copy of `client` that gives a 429 back at once instead of sleeping through its
    `Retry-After`: the sender holds that workspace and moves on (see the module doc)."""
    handlers = [h for h in client.retry_handlers if not isinstance(h, RateLimitErrorRetryHandler)]
    return copy_client(client, retry_handlers=handlers)


def retry_after_seconds(error: SlackApiError) -> int:
    """Seconds Slack asked us to wait in its 429 answer (30 when it did not say)."""
    headers = getattr(error.response, "headers", {}) or {}
    for name, value in headers.items():
        if name.lower() == "retry-after":
            raw = value[0] if isinstance(value, list) else value
            try:
                return max(1, int(raw))
            except (TypeError, ValueError):
                break
    return 30
