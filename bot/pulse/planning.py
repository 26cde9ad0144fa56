"""The clock's side of the pulse: plan check-ins that came due, queue their invitations
and reminders in the outbox, and re-queue an invitation a pause held back.

Each function works on one batch inside the caller's transaction and reads an indexed
"next due" column (`pair.next_pulse_at`, `person.next_selfcheck_at`,
`pulse_round.reminder_due_at`, `pulse_round.status`), so a tick costs what is due.

Exactly once per pair and period: a round's `key` is unique ("pair:<id>:<n>"), so a
second clock planning the same pair inserts nothing; due rows are locked with
`FOR UPDATE SKIP LOCKED` on PostgreSQL; and each outbox row has a unique dedupe key.

Who is not asked: a stopped or deactivated person gets no invitation (the round is
`skipped`). A paused person's invitation waits for the end of the pause; one cancelled
because a pause began after it was queued is queued again for the pause's end — as
long as the round is still open.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.db import is_sqlite
from bot.models import (
    CLOSE_OUT,
    Delivery,
    DeliveryStatus,
    Pair,
    Person,
    PulseRound,
    RoundKind,
    RoundStatus,
)
from bot.outbox import enqueue
from bot.people import zone_for
from bot.pulse.publishing import track
from bot.pulse.rules import (
    MAX_ATTEMPTS,
    REMINDER_WORKING_DAYS,
    add_working_days,
    close_out_wanted,
    close_out_window,
    next_regular_due,
    round_window,
)
from bot.pulse.service import is_answered, problem_with, timing_for
from bot.pulse.types import PULSE_KIND, REMINDER_KIND, PlanReport, PulseTiming
from bot.rota.service import allowed_moment
from bot.sqlutil import insert_ignoring_conflict

BATCH_SIZE = 200


def _locked(session: Session, query: Select, model: type) -> Select:
    """Lock the due rows a clock takes (PostgreSQL), skipping those another clock holds."""
    if is_sqlite(session.get_bind().engine):
        return query
    return query.with_for_update(skip_locked=True, of=model)


def reachable(person: Person) -> bool:
    """Whether the person may be asked at all (a pause only delays it)."""
    return bool(person.is_active) and person.opted_out_at is None


# --- invitations ---------------------------------------------------------------------------


def _contact_time(session: Session, settings: Settings, person: Person, after: datetime) -> datetime:
    # Inside their hours and off duty (a night shift, a call, the post-call day); `after`
    # itself when no such moment is found, so nothing is lost.
    return allowed_moment(session, settings, person, after)


def queue_invitation(
    session: Session, settings: Settings, found: PulseRound, person: Person, now: datetime
) -> bool:
    """Queue the round's invitation for the person's next allowed moment; False (and the
    round closed) when that moment is after the round closes (a pause outlasting it)."""
    at = _contact_time(session, settings, person, max(now, found.due_at))
    if at >= found.closes_at:
        found.status = RoundStatus.CLOSED
        return False
    key = f"pulse:{found.team_id}:{found.id}#{found.attempts}"
    enqueue(
        session,
        team_id=found.team_id,
        kind=PULSE_KIND,
        recipient=person.user_id,
        dedupe_key=key,
        due_at=at,
        expires_at=found.closes_at,
        person_id=person.id,
        payload={"round_id": found.id},
    )
    found.delivery_id = session.scalar(select(Delivery.id).where(Delivery.dedupe_key == key))
    found.status = RoundStatus.QUEUED
    return True


def _new_round(
    session: Session,
    settings: Settings,
    *,
    key: str,
    kind: str,
    pair_id: int | None,
    person: Person,
    mentor_id: int,
    number: int,
    window: tuple[datetime, datetime],
    now: datetime,
    report: PlanReport,
    about_active: bool = True,
) -> None:
    """Create one round (once: its key is unique) and queue its invitation; skipped when
    the person cannot be asked, or the mentor it asks about is no longer active."""
    values = {
        "team_id": person.team_id,
        "key": key,
        "kind": kind,
        "pair_id": pair_id,
        "person_id": person.id,
        "mentor_id": mentor_id,
        "number": number,
        "due_at": window[0],
        "closes_at": window[1],
        "status": RoundStatus.QUEUED if reachable(person) and about_active else RoundStatus.SKIPPED,
        "attempts": 1,
        "created_at": now,
    }
    if not insert_ignoring_conflict(session, PulseRound, values, ["key"]):
        return
    found = session.scalars(select(PulseRound).where(PulseRound.key == key)).one()
    if found.status == RoundStatus.SKIPPED:
        report.add("skipped")
    elif queue_invitation(session, settings, found, person, now):
        report.add("close_outs" if number == CLOSE_OUT else f"{kind}_invitations")
    else:
        report.add("closed")


# --- pairs: the mentee's pulses ------------------------------------------------------------


Latest = dict[int, tuple[int, datetime, datetime]]


def _last_regular(session: Session, pair_ids: Sequence[int]) -> tuple[Latest, set[int]]:
    """Per pair, (number, due, closes) of its latest regular round; and the pairs with a close-out."""
    latest: Latest = {}
    closed_out: set[int] = set()
    rows = session.execute(
        select(PulseRound.pair_id, PulseRound.number, PulseRound.due_at, PulseRound.closes_at).where(
            PulseRound.pair_id.in_(pair_ids)
        )
    )
    for pair_id, number, due_at, closes_at in rows:
        if number == CLOSE_OUT:
            closed_out.add(pair_id)
        elif pair_id not in latest or number > latest[pair_id][0]:
            latest[pair_id] = (number, due_at, closes_at)
    return latest, closed_out


def plan_pairs(session: Session, settings: Settings, now: datetime, report: PlanReport) -> int:
    """Plan every pair whose `next_pulse_at` has come (one batch); returns how many."""
    query = (
        select(Pair).where(Pair.next_pulse_at <= now).order_by(Pair.next_pulse_at, Pair.id).limit(BATCH_SIZE)
    )
    pairs = list(session.scalars(_locked(session, query, Pair)))
    if not pairs:
        return 0
    latest, closed_out = _last_regular(session, [p.id for p in pairs])
    people = {p.id: p for p in session.scalars(select(Person).where(Person.id.in_(_people_of(pairs))))}
    timings: dict[str, PulseTiming] = {}
    # Nothing below reads back what it changes on pairs and people: their updates are
    # flushed together at commit rather than before every insert.
    with session.no_autoflush:
        for pair in pairs:
            if pair.team_id not in timings:
                timings[pair.team_id] = timing_for(session, settings, pair.team_id)
                track(session, pair.team_id, now)  # its answers will need publishing
            mentee, mentor = people[pair.mentee_id], people[pair.mentor_id]
            if pair.ended_at is not None:
                _plan_close_out(session, settings, pair, (mentee, mentor), pair.id in closed_out, now, report)
                continue
            if mentor.next_selfcheck_at is None:
                mentor.next_selfcheck_at = now  # the mentor's self-checks start with their first pair
            number, last_due, last_closes = latest.get(pair.id, (0, None, None))
            timing = timings[pair.team_id]
            scheduled = next_regular_due(pair.started_at, last_due, timing, last_closes)
            if scheduled > now:
                pair.next_pulse_at = scheduled
                continue
            window = round_window(scheduled, now, timing)
            _new_round(
                session,
                settings,
                key=f"pair:{pair.id}:{number + 1}",
                kind=RoundKind.MENTEE,
                pair_id=pair.id,
                person=mentee,
                mentor_id=mentor.id,
                number=number + 1,
                window=window,
                now=now,
                report=report,
                about_active=bool(mentor.is_active),
            )
            pair.next_pulse_at = window[0] + timedelta(days=timing.every_days)
    return len(pairs)


def _people_of(pairs: Sequence[Pair]) -> set[int]:
    return {p.mentor_id for p in pairs} | {p.mentee_id for p in pairs}


def _plan_close_out(
    session: Session,
    settings: Settings,
    pair: Pair,
    people: tuple[Person, Person],
    has_close_out: bool,
    now: datetime,
    report: PlanReport,
) -> None:
    """An ended pair: its open regular rounds stop taking answers (render and answers
    check the pair), and the mentee gets one close-out, if the pair lasted."""
    pair.next_pulse_at = None
    mentee, mentor = people
    assert pair.ended_at is not None
    if has_close_out or not close_out_wanted(pair.started_at, pair.ended_at, now):
        return
    _new_round(
        session,
        settings,
        key=f"pair:{pair.id}:close",
        kind=RoundKind.MENTEE,
        pair_id=pair.id,
        person=mentee,
        mentor_id=pair.mentor_id,
        number=CLOSE_OUT,
        window=close_out_window(pair.ended_at, now),
        now=now,
        report=report,
        about_active=bool(mentor.is_active),
    )


# --- mentors: the self-check ---------------------------------------------------------------


def plan_self_checks(session: Session, settings: Settings, now: datetime, report: PlanReport) -> int:
    """Plan every mentor whose `next_selfcheck_at` has come (one batch); returns how many."""
    query = (
        select(Person)
        .where(Person.next_selfcheck_at <= now)
        .order_by(Person.next_selfcheck_at, Person.id)
        .limit(BATCH_SIZE)
    )
    mentors = list(session.scalars(_locked(session, query, Person)))
    if not mentors:
        return 0
    ids = [m.id for m in mentors]
    starts = dict(
        session.execute(
            select(Pair.mentor_id, func.min(Pair.started_at))
            .where(Pair.mentor_id.in_(ids), Pair.ended_at.is_(None))
            .group_by(Pair.mentor_id)
        ).all()
    )
    latest: Latest = {}
    for mentor_id, number, due_at, closes_at in session.execute(
        select(PulseRound.mentor_id, PulseRound.number, PulseRound.due_at, PulseRound.closes_at).where(
            PulseRound.kind == RoundKind.MENTOR, PulseRound.mentor_id.in_(ids)
        )
    ):
        if mentor_id not in latest or number > latest[mentor_id][0]:
            latest[mentor_id] = (number, due_at, closes_at)
    timings: dict[str, PulseTiming] = {}
    # Nothing below reads back what it changes on pairs and people: their updates are
    # flushed together at commit rather than before every insert.
    with session.no_autoflush:
        for mentor in mentors:
            started = starts.get(mentor.id)
            if started is None:
                mentor.next_selfcheck_at = None  # no active mentee: no self-check until there is one
                continue
            if mentor.team_id not in timings:
                timings[mentor.team_id] = timing_for(session, settings, mentor.team_id)
            timing = timings[mentor.team_id]
            number, last_due, last_closes = latest.get(mentor.id, (0, None, None))
            scheduled = next_regular_due(started, last_due, timing, last_closes)
            if scheduled > now:
                mentor.next_selfcheck_at = scheduled
                continue
            window = round_window(scheduled, now, timing)
            _new_round(
                session,
                settings,
                key=f"self:{mentor.id}:{number + 1}",
                kind=RoundKind.MENTOR,
                pair_id=None,
                person=mentor,
                mentor_id=mentor.id,
                number=number + 1,
                window=window,
                now=now,
                report=report,
            )
            mentor.next_selfcheck_at = window[0] + timedelta(days=timing.every_days)
    return len(mentors)


# --- reminders -----------------------------------------------------------------------------


def send_reminders(session: Session, settings: Settings, now: datetime, report: PlanReport) -> int:
    """Queue the one reminder of each round whose reminder is due and still unanswered."""
    query = (
        select(PulseRound)
        .where(PulseRound.reminder_due_at <= now)
        .order_by(PulseRound.reminder_due_at, PulseRound.id)
        .limit(BATCH_SIZE)
    )
    rounds = list(session.scalars(_locked(session, query, PulseRound)))
    for found in rounds:
        found.reminder_due_at = None
        person = session.get(Person, found.person_id)
        if (
            person is None
            or not reachable(person)
            or problem_with(session, found, now)
            or is_answered(session, found)
        ):
            report.add("reminders_not_needed")
            continue
        at = _contact_time(session, settings, person, now)
        if at >= found.closes_at:
            continue
        report.add(
            "reminders",
            int(
                enqueue(
                    session,
                    team_id=found.team_id,
                    kind=REMINDER_KIND,
                    recipient=person.user_id,
                    dedupe_key=f"pulse-remind:{found.team_id}:{found.id}",
                    due_at=at,
                    expires_at=found.closes_at,
                    person_id=person.id,
                    payload={"round_id": found.id},
                )
            ),
        )
    return len(rounds)


# --- invitations that did not go out ---------------------------------------------------------

UNSENT = (DeliveryStatus.CANCELLED, DeliveryStatus.EXPIRED, DeliveryStatus.FAILED)
# An invitation cut off mid-send may have reached the person (the crash window, a lost
# answer): its round is open as if sent. Never resent; its one reminder is safe.
MAY_HAVE_BEEN_SENT = DeliveryStatus.INTERRUPTED


def requeue_held(session: Session, settings: Settings, now: datetime, report: PlanReport) -> int:
    """Settle rounds whose invitation was cancelled, expired or failed before it was sent,
    and open those whose sending was interrupted (it may have arrived: `_open_as_sent`).

    A pause that began after the invitation was queued cancels it (`bot.preferences`);
    it is queued again for the pause's end if the round is still open. A stop or a
    deactivation skips the round; an ended pair or period closes it.
    """
    query = (
        select(PulseRound, Delivery.status)
        .join(Delivery, Delivery.id == PulseRound.delivery_id)
        .where(PulseRound.status == RoundStatus.QUEUED, Delivery.status.in_((*UNSENT, MAY_HAVE_BEEN_SENT)))
        .limit(BATCH_SIZE)
    )
    rows = session.execute(_locked(session, query, PulseRound)).all()
    outcomes: dict[str, int] = defaultdict(int)
    for found, status in rows:
        person = session.get(Person, found.person_id)
        if status == MAY_HAVE_BEEN_SENT:
            _open_as_sent(session, settings, found, person, now)
        elif person is None or not reachable(person) or status == DeliveryStatus.FAILED:
            found.status = RoundStatus.SKIPPED
        elif (
            status == DeliveryStatus.EXPIRED
            or problem_with(session, found, now)
            or found.attempts >= MAX_ATTEMPTS
        ):
            found.status = RoundStatus.CLOSED
        else:
            found.attempts += 1
            queue_invitation(session, settings, found, person, now)
        outcomes[f"held_{found.status}"] += 1
    for what, n in outcomes.items():
        report.add(what, n)
    return len(rows)


def _open_as_sent(
    session: Session, settings: Settings, found: PulseRound, person: Person | None, now: datetime
) -> None:
    """A round whose invitation was interrupted is open, like a sent one (listed in
    `/mentor pulse` and Home), with its reminder armed from now: where the message is, or
    whether it arrived, we cannot know."""
    found.status, found.sent_at = RoundStatus.SENT, now
    zone = zone_for(session, settings, person) if person is not None else ZoneInfo("UTC")
    found.reminder_due_at = add_working_days(now, REMINDER_WORKING_DAYS, zone)
