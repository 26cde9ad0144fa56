"""The nudge planner: a pure function of a mentor's state and `now`.

Given one mentor (their settings, time zone, active mentees, recent nudges and answers)
and the current instant, :func:`plan_mentor` says which slots are due, what goes in
each (a nudge, or the one gentle back-off message), and when the mentor's next slot
is. It reads no database and calls no Slack: the tick step (`schedules.nudge_step`)
loads the state and writes the decisions (with `bot.nudges.planning`), and the preview
(`python -m bot preview`) runs the very same code over a throwaway database.

The rules, in one place:

* **Slots.** A mentor picks weekdays (`nudge_days`, Monday=0), a local time
  (`nudge_minute`) and a cadence. *weekly*: every chosen weekday; *biweekly*: the
  chosen weekdays of every other week (weeks counted from Monday 2024-01-01);
  *monthly*: the first occurrence of each chosen weekday in the month. Times are local
  wall-clock times in the mentor's zone (`bot.timing.local_datetime`, so DST is
  right: a time in the spring-forward gap moves forward, a repeated hour happens once).
* **Quiet hours.** A chosen time before the contact window opens moves to the opening
  time that day; a time at or after it closes, or a quiet weekend day, has no slot —
  there is no later allowed time that day, and a nudge a day late is the wrong nudge.
* **Period key.** Each slot has a period (ISO week, two-week block or month) and an
  index (which of the chosen weekdays). The outbox dedupe key
  `nudge:{team}:{user}:{period}#{index}` makes a re-plan a no-op, and the planner also
  skips slot #n when the period already holds more than n scheduled items — so moving
  Tuesday to Thursday mid-week, or switching cadence, never gives a second nudge.
* **Spacing.** After a cadence change (the mentor's, or a back-off step) a slot on the
  same weekday as the previous slot item must be more than half the new period later
  (:data:`MIN_GAP`), so "every other week" never starts one week after the last one.
* **Duty.** A slot that falls in the mentor's duty (a call or night shift from their
  rota, or the post-call day: `bot.rota.rules`) moves to the first allowed moment after
  it that day, or to the usual time (or the first allowed moment after it) on the next
  allowed day, at most :data:`MOVE_DAYS` on; it keeps its period key, and records where
  it came from and why (the preview shows it). Duty lasting all that time empties it.
* **Pause, stop, inactive.** Slots inside a pause are skipped (not postponed); opted
  out or inactive mentors, and mentors without an active mentee, get no slot at all
  (`next_nudge_at` None).
* **Weekly cap.** At most `weekly_cap` scheduled nudges in a mentor's local ISO week.
* **Catch-up.** Slots missed while the clock was down (up to :data:`CATCH_UP_LIMIT`)
  still get rows; those whose contact day is over are created already past their
  expiry so the sender marks them `expired` — visible, never silently dropped, and
  never a pile of stale DMs.
* **Back-off.** When a scheduled nudge is planned, the previous scheduled one counts as
  ignored if it reached Slack and has no answer, note or follow-up by then. After
  :data:`BACKOFF_AFTER` in a row the mentor's pace slows one step (weekly → every two
  weeks → monthly → half the weekdays) and that slot carries one gentle message
  instead of a fourth nudge. Any answer resets the count (`bot.nudges.service`).
* **Choosing.** See :func:`choose_nudge` and :func:`choose_mentee`.
* **Focus.** A mentor's pulse results (`bot.pulse`: their released gap, or before
  release their own self-check) make some practices come back sooner
  (:data:`FOCUS_PULL`), and the nudge records why. Whatever the focus, every practice
  appears at least once in any :data:`STARVE_WINDOW` consecutive scheduled nudges.
"""

from __future__ import annotations

import hashlib
from collections import namedtuple
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import NamedTuple
from zoneinfo import ZoneInfo

from bot.library.types import PRACTICE_KEYS, Nudge
from bot.models import NudgeAnswerKind, NudgeOrigin, Person
from bot.nudges.catalogue import catalogue
from bot.pulse.types import NO_FOCUS, Focus
from bot.rhythm import Rhythm, parse_days, slowed, slowest_level
from bot.timing import (
    Busy,
    after_busy,
    busy_at,
    end_of_contact_day,
    in_contact_window,
    is_contact_day,
    is_paused,
    local_datetime,
)

# A mentor's weekdays and how far their rhythm can slow down, by their settings: a handful
# of distinct values across a roster, asked for by every mentor planned.
_parse_days = lru_cache(maxsize=256)(parse_days)
_slowest_level = lru_cache(maxsize=256)(slowest_level)

# A mentor as the tick reads them: a person row (every column, `Person`'s names) as a named
# tuple. `Person` objects cost the ORM's loading and tens of thousands of instrumented
# attribute reads per busy tick; the planner only reads attributes, so either will do.
PersonRow = namedtuple("PersonRow", [column.key for column in Person.__table__.columns])  # type: ignore[misc]

# Weeks are counted from this Monday for the biweekly cadence ("every other week").
EPOCH_MONDAY = date(2024, 1, 1)
BACKOFF_AFTER = 3
NO_REPEAT = timedelta(weeks=8)
# How far back a late start looks for missed slots (they become visible `expired` rows).
CATCH_UP_LIMIT = timedelta(weeks=8)
# How far ahead to look for the next slot (a monthly slot is at most ~5 weeks away).
SEARCH_DAYS = 75
# How many days a slot may move to get past the mentor's duty.
MOVE_DAYS = 7
# The history item that marks a back-off message (not a nudge, but it used a slot).
BACKOFF = "backoff"
# Least time between two slots on the same weekday, by cadence (see "Spacing").
MIN_GAP = {"weekly": timedelta(0), "biweekly": timedelta(days=8), "monthly": timedelta(days=15)}

# How many slots a practice rests after its last appearance, by what happened to it:
# skipped or ignored practices come back sooner, one just done rests longest. With six
# practices, all done, the order is a plain round robin.
REST_SLOTS = {"skip": 2, "ignored": 3, "neutral": 5, "remind": 5, "done": 7}
# No practice is absent from any this many consecutive scheduled nudges, whatever the focus.
STARVE_WINDOW = 8
# How many slots sooner a practice with full focus weight comes back.
FOCUS_PULL = 4


@dataclass(frozen=True)
class Slot:
    """One moment a mentor's rhythm calls for a nudge."""

    at: datetime  # aware UTC
    local_day: date
    period: str
    index: int
    # Where the rhythm put it, and why it moved (duty), when it did.
    moved_from: datetime | None = None
    moved_why: str | None = None

    def dedupe_key(self, team_id: str, user_id: str) -> str:
        """The outbox key: one row per mentor, period and chosen weekday."""
        return f"nudge:{team_id}:{user_id}:{self.period}#{self.index}"


def _week_index(day: date) -> int:
    return (day - EPOCH_MONDAY).days // 7


def period_of(day: date, cadence: str) -> str:
    """The period a local day belongs to: ISO week, two-week block, or month."""
    if cadence == "monthly":
        return f"{day.year}-{day.month:02d}"
    if cadence == "biweekly":
        block_start = EPOCH_MONDAY + timedelta(weeks=_week_index(day) // 2 * 2)
        return f"{block_start.isoformat()}+2w"
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


# The same few dates and instants come up for every mentor of a tick (this week's slots,
# their history's weeks): each one's period, ISO week and local day is worked out once,
# not per history item per mentor (~20,000 conversions with 1,000 due). Pure functions.
_period_of = lru_cache(maxsize=4096)(period_of)
_iso_week = lru_cache(maxsize=4096)(lambda day: day.isocalendar()[:2])
_local_day = lru_cache(maxsize=16384)(lambda moment, zone: moment.astimezone(zone).date())


def _on_cadence(day: date, cadence: str) -> bool:
    if cadence == "monthly":
        return day.day <= 7
    if cadence == "biweekly":
        return _week_index(day) % 2 == 0
    return True


def slot_on(person: Person, zone: ZoneInfo, rhythm: Rhythm, day: date) -> Slot | None:
    """The slot on local `day`, or None when the rhythm or quiet hours leave it empty."""
    if day.weekday() not in rhythm.days or not _on_cadence(day, rhythm.cadence):
        return None
    if not is_contact_day(person, day):
        return None
    minute = max(person.nudge_minute, person.contact_start)
    if minute >= person.contact_end:
        return None
    at = local_datetime(day, minute, zone)
    # A time pushed forward by a spring-forward gap may land past the window's end.
    if not in_contact_window(person, at, zone):
        return None
    return Slot(at, day, _period_of(day, rhythm.cadence), rhythm.days.index(day.weekday()))


def _allowed_on(
    person: Person, zone: ZoneInfo, day: date, moment: datetime, busy: Sequence[Busy]
) -> datetime | None:
    """The first moment at or after `moment` on local `day` inside the mentor's hours and
    off duty, or None when the day has none left."""
    if not is_contact_day(person, day):
        return None
    free = after_busy(max(moment, local_datetime(day, person.contact_start, zone)), busy)
    if free.astimezone(zone).date() != day or not in_contact_window(person, free, zone):
        return None
    return free


def place(person: Person, zone: ZoneInfo, slot: Slot, busy: Sequence[Busy]) -> Slot | None:
    """The slot moved past the mentor's duty (see "Duty"); itself when it is off duty,
    None when duty lasts :data:`MOVE_DAYS` days."""
    covering = busy_at(slot.at, busy)
    if covering is None:
        return slot
    minute = max(person.nudge_minute, person.contact_start)
    for offset in range(MOVE_DAYS + 1):
        day = slot.local_day + timedelta(days=offset)
        start = slot.at if offset == 0 else local_datetime(day, minute, zone)
        free = _allowed_on(person, zone, day, start, busy)
        if free is not None:
            return replace(slot, at=free, moved_from=slot.at, moved_why=covering.why)
    return None


def slots_between(
    person: Person,
    zone: ZoneInfo,
    rhythm: Rhythm,
    start: datetime,
    end: datetime,
    busy: Sequence[Busy] = (),
) -> list[Slot]:
    """Every slot (after any move past duty) with `start <= at <= end`, oldest first."""
    # A slot from a few days before `start` may have moved into the window.
    day = start.astimezone(zone).date() - timedelta(days=MOVE_DAYS if busy else 0)
    last = end.astimezone(zone).date()
    found = []
    while day <= last:
        slot = slot_on(person, zone, rhythm, day)
        placed = place(person, zone, slot, busy) if slot is not None else None
        if placed is not None and start <= placed.at <= end:
            found.append(placed)
        day += timedelta(days=1)
    return sorted(found, key=lambda s: s.at)


def next_slot(
    person: Person,
    zone: ZoneInfo,
    rhythm: Rhythm,
    after: datetime,
    *,
    not_before: datetime | None = None,
    busy: Sequence[Busy] = (),
) -> Slot | None:
    """The first slot (after any move past duty) later than `after`, and not before
    `not_before` (e.g. a pause's end)."""
    floor = max(after, not_before) if not_before else after
    day = floor.astimezone(zone).date() - timedelta(days=MOVE_DAYS if busy else 0)
    best: Slot | None = None
    for _ in range(SEARCH_DAYS + (MOVE_DAYS if busy else 0)):
        slot = slot_on(person, zone, rhythm, day)
        day += timedelta(days=1)
        if slot is None:
            continue
        if best is not None and slot.at >= best.at:
            break  # a move only ever goes later: nothing from here on can come first
        placed = place(person, zone, slot, busy)
        if placed is not None and placed.at > after and (not_before is None or placed.at >= not_before):
            best = placed if best is None or placed.at < best.at else best
            if not busy:
                break  # nothing moves: the slots come in order, so the first one is the one
    return best


# --- state in, decisions out -------------------------------------------------------------


class PastNudge(NamedTuple):
    """Something already planned in a mentor's slots or sent on request, oldest first.

    `live` means it reached Slack or still may (not expired, cancelled or failed);
    `engaged` means the mentor answered it, added a note or answered its follow-up.
    Back-off messages appear with `origin` BACKOFF and no key.

    A named tuple, not a frozen dataclass: a busy tick builds one per history row (nine
    per mentor in the benchmark), and a frozen dataclass's constructor was several
    times slower. Read-only all the same.
    """

    origin: str
    planned_for: datetime
    key: str | None = None
    practice: str | None = None
    mentee_id: int | None = None
    live: bool = True
    sent: bool = False
    answer: str | None = None
    engaged: bool = False


@dataclass(frozen=True)
class Mentee:
    """An active mentee a nudge may name."""

    person_id: int
    user_id: str


@dataclass(frozen=True)
class MentorState:
    """Everything the planner knows about one mentor. `person` is only read."""

    person: Person | PersonRow
    zone: ZoneInfo
    mentees: tuple[Mentee, ...]
    history: tuple[PastNudge, ...]
    library: tuple[Nudge, ...]
    weekly_cap: int
    # Where the mentor's nudges lean (from released pulse figures and their self-check).
    focus: Focus = NO_FOCUS
    # Their duty from the rota (shifts and post-call rest): slots move past it.
    busy: tuple[Busy, ...] = ()


@dataclass(frozen=True)
class Decision:
    """One slot filled: a nudge (key, practice, mentee) or the back-off message."""

    slot: Slot
    action: str  # "nudge" or BACKOFF
    expires_at: datetime
    # False for a missed slot whose day is already over: its row is created only so the
    # sender marks it expired.
    live: bool = True
    nudge_key: str | None = None
    practice: str | None = None
    mentee_id: int | None = None
    # For the back-off message: the pace before and after.
    old_rhythm: Rhythm | None = None
    new_rhythm: Rhythm | None = None
    # Why the focus chose this practice ("gap" or "self"), None for the plain rotation.
    reason: str | None = None


@dataclass(frozen=True)
class MentorPlan:
    """What to write for one mentor: new rows, and the mentor's new planning state."""

    decisions: tuple[Decision, ...]
    next_nudge_at: datetime | None
    unanswered_streak: int
    backoff_level: int
    # (slot, why) for slots left empty: "paused", "period used", "too soon", "cap", "no nudge".
    skipped: tuple[tuple[Slot, str], ...] = field(default_factory=tuple)


def is_schedulable(state: MentorState) -> bool:
    """Only active, opted-in mentors with an active mentee and a weekday get slots."""
    person = state.person
    return (
        bool(person.is_active)
        and person.opted_out_at is None
        and bool(state.mentees)
        and bool(_parse_days(person.nudge_days))
    )


def plan_mentor(state: MentorState, now: datetime) -> MentorPlan:
    """Decide what is due for one mentor at `now`, and when to look at them next.

    Slots from the mentor's `next_nudge_at` (bounded by :data:`CATCH_UP_LIMIT`) up to
    `now` are considered; see the module docstring for the rules.
    """
    person = state.person
    level, streak = person.backoff_level or 0, person.unanswered_streak or 0
    if not is_schedulable(state):
        return MentorPlan((), None, streak, level)
    base = Rhythm(_parse_days(person.nudge_days), person.cadence)
    slowest = _slowest_level(base)
    level = min(level, slowest)
    history = list(state.history)
    decisions: list[Decision] = []
    skipped: list[tuple[Slot, str]] = []
    start = max(person.next_nudge_at or now, now - CATCH_UP_LIMIT)
    rhythm = slowed(base, level)
    for slot in slots_between(person, state.zone, rhythm, start, now, state.busy):
        reason = _why_empty(state, rhythm, history, slot)
        if reason:
            skipped.append((slot, reason))
            continue
        expires_at = end_of_contact_day(person, state.zone, slot.at)
        live = expires_at > now
        if live:
            streak += _ignored_before(history)
            if streak >= BACKOFF_AFTER:
                streak = 0
                if level < slowest:
                    old, level = rhythm, level + 1
                    rhythm = slowed(base, level)
                    decisions.append(Decision(slot, BACKOFF, expires_at, old_rhythm=old, new_rhythm=rhythm))
                    history.append(PastNudge(BACKOFF, slot.at))
                    continue
        nudge = choose_nudge(state.library, history, person.user_id, slot.at, state.focus)
        if nudge is None:
            skipped.append((slot, "no nudge"))
            continue
        reason = state.focus.why if state.focus.weight(nudge.practice) > 0 else None
        # Never name a mentee beside "chosen because of your mentees' answers" (or your
        # self-check): it would read as that mentee's answer. "Your mentee" instead.
        mentee_id = None if reason else choose_mentee(nudge, state.mentees, history)
        decisions.append(
            Decision(slot, "nudge", expires_at, live, nudge.key, nudge.practice, mentee_id, reason=reason)
        )
        history.append(
            PastNudge(NudgeOrigin.SCHEDULED, slot.at, nudge.key, nudge.practice, mentee_id, live=live)
        )
    upcoming = next_slot(person, state.zone, rhythm, now, not_before=_pause_end(person, now), busy=state.busy)
    return MentorPlan(tuple(decisions), upcoming.at if upcoming else None, streak, level, tuple(skipped))


def _pause_end(person: Person, now: datetime) -> datetime | None:
    return person.paused_until if is_paused(person, now) else None


def _why_empty(state: MentorState, rhythm: Rhythm, history: Sequence[PastNudge], slot: Slot) -> str | None:
    """Why `slot` stays empty ("paused", "period used", "too soon", "cap"), or None to fill it."""
    if is_paused(state.person, slot.at):
        return "paused"
    # Back-off messages use a slot too, so they count for the period and the spacing.
    # Each item's local day is worked out once here, not once per check (the zone
    # conversions were most of the cost of these checks).
    zone = state.zone
    in_slots = [(h, _local_day(h.planned_for, zone)) for h in history if h.origin in _IN_SLOTS]
    if _period_used(in_slots, slot, rhythm.cadence):
        return "period used"
    if _too_soon(in_slots, slot, rhythm.cadence):
        return "too soon"
    if _weekly_cap_reached(in_slots, slot, state.weekly_cap):
        return "cap"
    return None


# Origins of the history items that used one of the mentor's slots.
_IN_SLOTS = (NudgeOrigin.SCHEDULED, BACKOFF)


def _period_used(in_slots: Sequence[tuple[PastNudge, date]], slot: Slot, cadence: str) -> bool:
    """Slot #n is used when its period already holds more than n items (see "Period key")."""
    same_period = [h for h, day in in_slots if _period_of(day, cadence) == slot.period]
    return len(same_period) > slot.index


def _too_soon(in_slots: Sequence[tuple[PastNudge, date]], slot: Slot, cadence: str) -> bool:
    """Closer than :data:`MIN_GAP` to the last item on the same weekday (see "Spacing")."""
    weekday = slot.local_day.weekday()
    same_weekday = [h for h, day in in_slots if day.weekday() == weekday]
    return bool(same_weekday) and slot.at - same_weekday[-1].planned_for < MIN_GAP.get(cadence, timedelta(0))


def _weekly_cap_reached(in_slots: Sequence[tuple[PastNudge, date]], slot: Slot, cap: int) -> bool:
    """The slot's local ISO week already has `cap` live scheduled nudges (see "Weekly cap")."""
    week = _iso_week(slot.local_day)
    this_week = [
        h for h, day in in_slots if h.origin == NudgeOrigin.SCHEDULED and h.live and _iso_week(day) == week
    ]
    return len(this_week) >= cap


def _ignored_before(history: Sequence[PastNudge]) -> int:
    """1 when the previous slot's nudge reached the mentor and drew no answer at all."""
    previous = next((h for h in reversed(history) if h.origin in (NudgeOrigin.SCHEDULED, BACKOFF)), None)
    return int(
        previous is not None
        and previous.origin == NudgeOrigin.SCHEDULED
        and previous.sent
        and not previous.engaged
    )


# --- which nudge, which mentee -----------------------------------------------------------


def _stable_rank(*parts: str) -> int:
    """A fixed pseudo-random number per input, so ties break differently per mentor."""
    return int.from_bytes(hashlib.blake2b(":".join(parts).encode(), digest_size=8).digest(), "big")


def _outcome(item: PastNudge) -> str:
    if item.answer == NudgeAnswerKind.SKIP:
        return "skip"
    if item.answer == NudgeAnswerKind.DONE:
        return "done"
    if item.answer == NudgeAnswerKind.REMIND:
        return "remind"
    if item.sent and not item.engaged:
        return "ignored"
    return "neutral"


def practice_order(
    library: Iterable[Nudge], history: Sequence[PastNudge], user_id: str, focus: Focus = NO_FOCUS
) -> list[str]:
    """Practices, most due first.

    A practice is due `REST_SLOTS[outcome]` slots after it last appeared (outcome of its
    latest nudge: skipped, ignored, done…), and up to :data:`FOCUS_PULL` slots sooner by
    its focus weight; never-shown practices come first (focused ones first among them).
    Ties go to the practice shown longest ago, then to a per-mentor fixed order (so
    mentors do not all start with the same practice).
    """
    present = catalogue(library).practices
    shown = [h for h in history if h.live and h.practice]
    last_index: dict[str, int] = {}
    last_outcome: dict[str, str] = {}
    for index, item in enumerate(shown):
        assert item.practice is not None
        last_index[item.practice] = index
        last_outcome[item.practice] = _outcome(item)
    offset = _stable_rank(user_id) % len(PRACTICE_KEYS)
    base = {key: (i - offset) % len(PRACTICE_KEYS) for i, key in enumerate(PRACTICE_KEYS)}

    def due(practice: str) -> tuple[float, int, int]:
        pull = FOCUS_PULL * focus.weight(practice)
        if practice not in last_index:
            return (-1 - pull, -1, base.get(practice, 99))
        return (
            last_index[practice] + REST_SLOTS[last_outcome[practice]] - pull,
            last_index[practice],
            base.get(practice, 99),
        )

    return sorted(present, key=due)


def allowed_practices(order: Sequence[str], history: Sequence[PastNudge]) -> list[str]:
    """The practices (in `order`) the next scheduled nudge may be about without leaving
    any practice out of :data:`STARVE_WINDOW` consecutive scheduled nudges.

    Each practice has a deadline: the scheduled nudge by which it must appear again
    (its last appearance + the window). A choice is allowed when the others can still
    meet theirs, earliest deadline first — one new nudge per deadline. If none is (a
    history from before this rule), the most overdue practice is the only one allowed.
    """
    scheduled = [h.practice for h in history if h.origin == NudgeOrigin.SCHEDULED and h.live and h.practice]
    upcoming = len(scheduled)
    last = dict.fromkeys(order, -1)
    for index, practice in enumerate(scheduled):
        if practice in last:
            last[practice] = index
    deadline = {practice: index + STARVE_WINDOW for practice, index in last.items()}

    # Sorted once; leaving one practice out of a sorted list keeps it sorted.
    by_deadline = sorted((d, practice) for practice, d in deadline.items())

    def keeps_all_fed(choice: str) -> bool:
        others = [d for d, practice in by_deadline if practice != choice]
        return all(d >= upcoming + 1 + i for i, d in enumerate(others))

    allowed = [practice for practice in order if keeps_all_fed(practice)]
    return allowed or [min(order, key=lambda practice: deadline[practice])]


def choose_nudge(
    library: Sequence[Nudge],
    history: Sequence[PastNudge],
    user_id: str,
    now: datetime,
    focus: Focus = NO_FOCUS,
) -> Nudge | None:
    """The next nudge for a mentor: deterministic given the same inputs.

    The most due practice (see :func:`practice_order`) that keeps every practice in the
    rotation (:func:`allowed_practices`) and still has a nudge not seen in the last
    eight weeks; within it, the nudge seen longest ago (never seen first), ties broken
    per mentor. If every such nudge was seen in the last eight weeks (a library too
    small for the cadence), the allowed nudge seen longest ago is repeated rather than
    skipping the slot.
    """
    if not library:
        return None
    seen = [h for h in history if h.live and h.key]
    recent = {h.key for h in seen if h.planned_for > now - NO_REPEAT}
    last_seen = {h.key: i for i, h in enumerate(seen)}

    def freshest(nudges: list[Nudge]) -> Nudge:
        # The nudge seen longest ago; the per-mentor rank (a hash) only breaks ties, so
        # it is worked out for the tied ones alone — same choice as ranking them all.
        oldest = min(last_seen.get(n.key, -1) for n in nudges)
        tied = [n for n in nudges if last_seen.get(n.key, -1) == oldest]
        return tied[0] if len(tied) == 1 else min(tied, key=lambda n: _stable_rank(user_id, n.key))

    by_practice = catalogue(library).by_practice
    allowed = allowed_practices(practice_order(library, history, user_id, focus), history)
    for practice in allowed:
        fresh = [n for n in by_practice.get(practice, ()) if n.key not in recent]
        if fresh:
            return freshest(fresh)
    return freshest([n for n in library if n.practice in allowed])


def choose_mentee(nudge: Nudge, mentees: Sequence[Mentee], history: Sequence[PastNudge]) -> int | None:
    """The mentee to name: the one named longest ago (never named first), if the text names one."""
    if not nudge.names_mentee or not mentees:
        return None
    last_named: dict[int, datetime] = {}
    for item in history:
        if item.mentee_id is not None and item.live:
            last_named[item.mentee_id] = item.planned_for
    never = datetime.min.replace(tzinfo=UTC)
    return min(mentees, key=lambda m: (last_named.get(m.person_id, never), m.person_id)).person_id
