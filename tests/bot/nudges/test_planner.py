"""The pure nudge planner: slots in local time, quiet hours, cadences, back-off, rotation."""

from __future__ import annotations

import itertools
import statistics
from collections import defaultdict
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.library.catalogue import builtin_nudges
from bot.library.types import PRACTICE_KEYS, Nudge
from bot.models import NudgeOrigin, Person
from bot.nudges.planner import (
    BACKOFF,
    NO_REPEAT,
    Mentee,
    MentorState,
    PastNudge,
    Rhythm,
    choose_mentee,
    choose_nudge,
    next_slot,
    period_of,
    plan_mentor,
    slot_on,
    slots_between,
    slowed,
    slowest_level,
)

NEW_YORK = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")
SYDNEY = ZoneInfo("Australia/Sydney")
ST_JOHNS = ZoneInfo("America/St_Johns")


def mentor(**overrides) -> Person:
    values = {
        "id": 1,
        "team_id": "T1",
        "user_id": "U1",
        "nudge_days": "1",
        "nudge_minute": 9 * 60 + 30,
        "cadence": "weekly",
        "contact_start": 8 * 60,
        "contact_end": 18 * 60,
        "quiet_weekends": True,
        "is_active": True,
        "backoff_level": 0,
        "unanswered_streak": 0,
    }
    values.update(overrides)
    return Person(**values)


def library(per_practice: int = 8, *, names_mentee: bool = False) -> tuple[Nudge, ...]:
    text = "Ask {mentee} one thing." if names_mentee else "Do one thing."
    return tuple(
        Nudge(key=f"{p}.{i}", practice=p, text=text) for p in PRACTICE_KEYS for i in range(per_practice)
    )


ONE_MENTEE = (Mentee(2, "U2"),)


def state(person: Person, zone=LONDON, history=(), mentees=ONE_MENTEE, lib=None, cap=2) -> MentorState:
    return MentorState(person, zone, tuple(mentees), tuple(history), lib or library(), cap)


# --- slots -------------------------------------------------------------------------------


def test_weekly_slot_follows_local_time_across_the_us_dst_change():
    person = mentor(nudge_days="0")  # Mondays 09:30
    rhythm = Rhythm((0,), "weekly")

    before = slot_on(person, NEW_YORK, rhythm, date(2026, 3, 2))
    after = slot_on(person, NEW_YORK, rhythm, date(2026, 3, 9))

    assert before.at == datetime(2026, 3, 2, 14, 30, tzinfo=UTC)  # EST
    assert after.at == datetime(2026, 3, 9, 13, 30, tzinfo=UTC)  # EDT
    assert (before.period, before.index) == ("2026-W10", 0)


@pytest.mark.parametrize(
    ("zone", "day", "expected_utc"),
    [
        (SYDNEY, date(2026, 4, 6), datetime(2026, 4, 5, 23, 30, tzinfo=UTC)),  # AEST after AU fall-back
        (SYDNEY, date(2026, 10, 5), datetime(2026, 10, 4, 22, 30, tzinfo=UTC)),  # AEDT after AU spring
        (ST_JOHNS, date(2026, 3, 9), datetime(2026, 3, 9, 12, 0, tzinfo=UTC)),  # NDT, half-hour zone
        (LONDON, date(2026, 3, 30), datetime(2026, 3, 30, 8, 30, tzinfo=UTC)),  # BST
    ],
)
def test_slots_in_other_zones_after_their_dst_change(zone, day, expected_utc):
    slot = slot_on(mentor(nudge_days="0"), zone, Rhythm((0,), "weekly"), day)

    assert slot.at == expected_utc


def test_a_time_in_the_spring_forward_gap_moves_forward_and_a_repeated_time_happens_once():
    owl = mentor(
        nudge_days="6", nudge_minute=2 * 60 + 30, contact_start=0, contact_end=1440, quiet_weekends=False
    )
    rhythm = Rhythm((6,), "weekly")

    spring = slot_on(owl, NEW_YORK, rhythm, date(2026, 3, 8))
    fall = slots_between(
        replace_minute(owl, 90),
        NEW_YORK,
        rhythm,
        datetime(2026, 10, 31, tzinfo=UTC),
        datetime(2026, 11, 2, tzinfo=UTC),
    )

    assert spring.at.astimezone(NEW_YORK).strftime("%H:%M %Z") == "03:30 EDT"
    assert [s.at for s in fall] == [datetime(2026, 11, 1, 5, 30, tzinfo=UTC)]  # 01:30 EDT, the first one


def replace_minute(person: Person, minute: int) -> Person:
    return mentor(**{**_fields(person), "nudge_minute": minute})


def _fields(person: Person) -> dict:
    return {c: getattr(person, c) for c in ("nudge_days", "contact_start", "contact_end", "quiet_weekends")}


def test_a_time_before_the_contact_window_moves_to_its_opening_and_after_it_has_no_slot():
    early = slot_on(mentor(nudge_minute=6 * 60), LONDON, Rhythm((1,), "weekly"), date(2026, 12, 1))
    late = slot_on(mentor(nudge_minute=19 * 60), LONDON, Rhythm((1,), "weekly"), date(2026, 12, 1))

    assert early.at == datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    assert late is None


def test_quiet_weekends_have_no_slot_unless_weekends_are_allowed():
    saturday = date(2026, 12, 5)
    rhythm = Rhythm((5,), "weekly")

    assert slot_on(mentor(nudge_days="5"), LONDON, rhythm, saturday) is None
    assert slot_on(mentor(nudge_days="5", quiet_weekends=False), LONDON, rhythm, saturday) is not None


def test_cadences_pick_every_week_every_other_week_or_the_first_of_the_month():
    start, end = datetime(2026, 11, 30, tzinfo=UTC), datetime(2027, 1, 31, tzinfo=UTC)

    def days(cadence):
        rhythm = Rhythm((1, 3), cadence)
        return [s.local_day for s in slots_between(mentor(nudge_days="1,3"), LONDON, rhythm, start, end)]

    assert len(days("weekly")) == 18
    biweekly = days("biweekly")
    assert len(biweekly) == 10
    assert all((b - a).days in (2, 12) for a, b in itertools.pairwise(biweekly))
    assert days("monthly") == [date(2026, 12, 1), date(2026, 12, 3), date(2027, 1, 5), date(2027, 1, 7)]


def test_periods_are_iso_weeks_two_week_blocks_and_months():
    monday, sunday = date(2026, 11, 30), date(2026, 12, 6)
    assert period_of(monday, "weekly") == period_of(sunday, "weekly") == "2026-W49"
    assert period_of(monday, "biweekly") == period_of(monday + timedelta(days=13), "biweekly")
    assert period_of(monday, "biweekly") != period_of(monday + timedelta(days=14), "biweekly")
    assert period_of(sunday, "monthly") == "2026-12"


def test_backoff_halves_the_pace_step_by_step():
    base = Rhythm((0, 3), "weekly")

    assert [slowed(base, level) for level in range(5)] == [
        base,
        Rhythm((0, 3), "biweekly"),
        Rhythm((0, 3), "monthly"),
        Rhythm((0,), "monthly"),
        Rhythm((0,), "monthly"),
    ]
    assert slowest_level(base) == 3
    assert slowest_level(Rhythm((2,), "monthly")) == 0


def test_next_slot_waits_for_a_pause_to_end():
    person = mentor()
    now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)  # Tuesday, after the slot

    plain = next_slot(person, LONDON, Rhythm((1,), "weekly"), now)
    paused = next_slot(person, LONDON, Rhythm((1,), "weekly"), now, not_before=now + timedelta(days=10))

    assert plain.at == datetime(2026, 12, 8, 9, 30, tzinfo=UTC)
    assert paused.at == datetime(2026, 12, 15, 9, 30, tzinfo=UTC)


# --- plan_mentor -------------------------------------------------------------------------

TUESDAY_SLOT = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


def test_a_due_slot_becomes_one_decision_and_the_next_slot_is_stored():
    person = mentor(next_nudge_at=TUESDAY_SLOT)

    plan = plan_mentor(state(person), TUESDAY_SLOT)

    [decision] = plan.decisions
    assert decision.slot.at == TUESDAY_SLOT and decision.action == "nudge" and decision.live
    assert decision.expires_at == datetime(2026, 12, 1, 18, 0, tzinfo=UTC)
    assert decision.slot.dedupe_key("T1", "U1") == "nudge:T1:U1:2026-W49#0"
    assert plan.next_nudge_at == TUESDAY_SLOT + timedelta(weeks=1)


def test_a_replan_before_the_slot_only_stores_it():
    person = mentor(next_nudge_at=TUESDAY_SLOT - timedelta(hours=3))

    plan = plan_mentor(state(person), TUESDAY_SLOT - timedelta(hours=2))

    assert plan.decisions == () and plan.next_nudge_at == TUESDAY_SLOT


@pytest.mark.parametrize(
    "change",
    [
        {"is_active": False},
        {"opted_out_at": TUESDAY_SLOT},
        {"nudge_days": ""},
    ],
)
def test_inactive_stopped_or_dayless_mentors_get_no_slot(change):
    plan = plan_mentor(state(mentor(next_nudge_at=TUESDAY_SLOT, **change)), TUESDAY_SLOT)

    assert plan.decisions == () and plan.next_nudge_at is None


def test_mentors_without_an_active_mentee_get_no_slot():
    plan = plan_mentor(state(mentor(next_nudge_at=TUESDAY_SLOT), mentees=()), TUESDAY_SLOT)

    assert plan.decisions == () and plan.next_nudge_at is None


def test_moving_the_day_later_in_the_week_does_not_give_a_second_nudge():
    sent_tuesday = PastNudge(NudgeOrigin.SCHEDULED, TUESDAY_SLOT, "care.0", "care", sent=True, engaged=True)
    thursday = TUESDAY_SLOT + timedelta(days=2)
    person = mentor(nudge_days="3", next_nudge_at=thursday - timedelta(days=1))

    plan = plan_mentor(state(person, history=[sent_tuesday]), thursday)

    assert plan.decisions == ()
    assert [why for _slot, why in plan.skipped] == ["period used"]
    assert plan.next_nudge_at == thursday + timedelta(weeks=1)


def test_adding_a_second_day_mid_week_does_give_the_second_nudge():
    sent_tuesday = PastNudge(NudgeOrigin.SCHEDULED, TUESDAY_SLOT, "care.0", "care", sent=True, engaged=True)
    thursday = TUESDAY_SLOT + timedelta(days=2)
    person = mentor(nudge_days="1,3", next_nudge_at=thursday - timedelta(days=1))

    plan = plan_mentor(state(person, history=[sent_tuesday]), thursday)

    assert [d.slot.dedupe_key("T1", "U1") for d in plan.decisions] == ["nudge:T1:U1:2026-W49#1"]


def test_the_weekly_cap_holds_even_with_more_days_chosen():
    person = mentor(nudge_days="0,1,2,3,4")
    week_start = datetime(2026, 11, 30, 0, 0, tzinfo=UTC)
    history: list[PastNudge] = []
    sent = []
    now = week_start
    person.next_nudge_at = week_start
    for _ in range(10):
        plan = plan_mentor(state(person, history=history), now)
        for d in plan.decisions:
            sent.append(d.slot.at)
            history.append(
                PastNudge(NudgeOrigin.SCHEDULED, d.slot.at, d.nudge_key, d.practice, sent=True, engaged=True)
            )
        person.next_nudge_at = plan.next_nudge_at
        now = plan.next_nudge_at
    weeks = defaultdict(int)
    for at in sent:
        weeks[at.isocalendar()[:2]] += 1
    assert set(weeks.values()) == {2}
    assert [at.weekday() for at in sent[:4]] == [0, 1, 0, 1]


def test_slots_inside_a_pause_are_skipped_and_the_next_slot_is_after_it():
    person = mentor(next_nudge_at=TUESDAY_SLOT, paused_until=TUESDAY_SLOT + timedelta(days=9))

    plan = plan_mentor(state(person), TUESDAY_SLOT)

    assert plan.decisions == () and [why for _s, why in plan.skipped] == ["paused"]
    assert plan.next_nudge_at == TUESDAY_SLOT + timedelta(weeks=2)


def test_after_an_outage_missed_slots_get_rows_that_will_expire_and_todays_is_live():
    person = mentor(nudge_days="0,3", next_nudge_at=datetime(2026, 11, 30, 9, 30, tzinfo=UTC))
    restart = datetime(2026, 12, 10, 12, 0, tzinfo=UTC)  # Thursday noon, ten days later

    plan = plan_mentor(state(person), restart)

    assert [(d.slot.at.day, d.live) for d in plan.decisions] == [
        (30, False),
        (3, False),
        (7, False),
        (10, True),
    ]
    assert all(d.expires_at <= restart for d in plan.decisions if not d.live)


def test_three_ignored_nudges_bring_one_gentle_message_and_a_slower_pace():
    history = [
        PastNudge(NudgeOrigin.SCHEDULED, TUESDAY_SLOT - timedelta(weeks=w), f"care.{w}", "care", sent=True)
        for w in (3, 2, 1)
    ]
    person = mentor(next_nudge_at=TUESDAY_SLOT, unanswered_streak=2)

    plan = plan_mentor(state(person, history=history), TUESDAY_SLOT)

    [decision] = plan.decisions
    assert decision.action == BACKOFF
    assert decision.old_rhythm == Rhythm((1,), "weekly") and decision.new_rhythm == Rhythm((1,), "biweekly")
    assert (plan.backoff_level, plan.unanswered_streak) == (1, 0)


def test_an_answered_previous_nudge_does_not_count_toward_back_off():
    answered = PastNudge(
        NudgeOrigin.SCHEDULED, TUESDAY_SLOT - timedelta(weeks=1), "care.1", "care", sent=True, engaged=True
    )
    person = mentor(next_nudge_at=TUESDAY_SLOT, unanswered_streak=2)

    plan = plan_mentor(state(person, history=[answered]), TUESDAY_SLOT)

    assert plan.decisions[0].action == "nudge" and plan.unanswered_streak == 2


def test_an_expired_or_requested_nudge_is_not_counted_as_ignored():
    expired = PastNudge(
        NudgeOrigin.SCHEDULED, TUESDAY_SLOT - timedelta(weeks=1), "care.1", "care", live=False
    )
    asked = PastNudge(NudgeOrigin.REQUESTED, TUESDAY_SLOT - timedelta(days=1), "care.2", "care", sent=True)
    person = mentor(next_nudge_at=TUESDAY_SLOT, unanswered_streak=2)

    plan = plan_mentor(state(person, history=[expired, asked]), TUESDAY_SLOT)

    assert plan.decisions[0].action == "nudge" and plan.unanswered_streak == 2


def test_at_the_slowest_pace_no_further_message_is_sent():
    history = [
        PastNudge(NudgeOrigin.SCHEDULED, TUESDAY_SLOT - timedelta(weeks=5), "care.1", "care", sent=True)
    ]
    first_tuesday = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
    person = mentor(next_nudge_at=first_tuesday, backoff_level=2, unanswered_streak=2)

    plan = plan_mentor(state(person, history=history), first_tuesday)

    assert plan.decisions[0].action == "nudge"
    assert (plan.backoff_level, plan.unanswered_streak) == (2, 0)


def test_planning_is_deterministic():
    person = mentor(next_nudge_at=TUESDAY_SLOT)
    history = [
        PastNudge(NudgeOrigin.SCHEDULED, TUESDAY_SLOT - timedelta(weeks=1), "care.3", "care", sent=True)
    ]

    assert plan_mentor(state(person, history=history), TUESDAY_SLOT) == plan_mentor(
        state(person, history=history), TUESDAY_SLOT
    )


# --- rotation over six months ------------------------------------------------------------


def simulate(policy, *, days="1,3", lib=None, weeks=26, mentees=ONE_MENTEE):
    """Run the planner slot by slot, answering each nudge as `policy(practice)` says."""
    person = mentor(nudge_days=days, next_nudge_at=datetime(2026, 1, 5, tzinfo=UTC))
    history: list[PastNudge] = []
    now = person.next_nudge_at
    end = now + timedelta(weeks=weeks)
    while now < end:
        plan = plan_mentor(state(person, history=history, lib=lib, mentees=mentees), now)
        person.next_nudge_at, person.unanswered_streak = plan.next_nudge_at, plan.unanswered_streak
        person.backoff_level = plan.backoff_level
        for d in plan.decisions:
            if d.action == BACKOFF:
                history.append(PastNudge(BACKOFF, d.slot.at))
                continue
            answer = policy(d.practice)
            if answer is not None:
                person.unanswered_streak = 0  # what bot.nudges does when an answer arrives
            history.append(
                PastNudge(
                    NudgeOrigin.SCHEDULED,
                    d.slot.at,
                    d.nudge_key,
                    d.practice,
                    d.mentee_id,
                    sent=True,
                    answer=answer,
                    engaged=answer is not None,
                )
            )
        now = plan.next_nudge_at
    return [item for item in history if item.origin != BACKOFF]


def gaps_by_practice(history):
    positions = defaultdict(list)
    for i, item in enumerate(history):
        positions[item.practice].append(i)
    return {p: statistics.mean(b - a for a, b in itertools.pairwise(pos)) for p, pos in positions.items()}


def assert_no_repeat_within_eight_weeks(history):
    last_seen: dict[str, datetime] = {}
    for item in history:
        if item.key in last_seen:
            assert item.planned_for - last_seen[item.key] >= NO_REPEAT, item.key
        last_seen[item.key] = item.planned_for


def test_six_months_of_done_nudges_rotate_evenly_through_every_practice():
    history = simulate(lambda practice: "done")

    assert len(history) == 52
    counts = defaultdict(int)
    for item in history:
        counts[item.practice] += 1
    assert set(counts) == set(PRACTICE_KEYS)
    assert max(counts.values()) - min(counts.values()) <= 1
    assert_no_repeat_within_eight_weeks(history)


def test_a_skipped_practice_comes_back_sooner_and_done_ones_rest_longer():
    history = simulate(lambda practice: "skip" if practice == "own_errors" else "done")

    gaps = gaps_by_practice(history)
    assert set(gaps) == set(PRACTICE_KEYS)  # every practice still appears
    others = [g for p, g in gaps.items() if p != "own_errors"]
    assert gaps["own_errors"] < min(others)
    assert_no_repeat_within_eight_weeks(history)


def test_an_ignored_practice_comes_back_sooner_than_done_ones():
    history = simulate(lambda practice: None if practice == "listen" else "done", days="1")

    gaps = gaps_by_practice(history)
    assert gaps["listen"] < min(g for p, g in gaps.items() if p != "listen")


def test_the_real_library_never_repeats_a_nudge_within_eight_weeks_at_one_a_week():
    real = tuple(n for n in builtin_nudges() if not n.retired)

    history = simulate(lambda practice: "done", days="1", lib=real)

    assert {item.practice for item in history} == set(PRACTICE_KEYS)
    assert_no_repeat_within_eight_weeks(history)


def test_mentees_are_named_in_rotation_least_recently_named_first():
    mentees = (Mentee(7, "U7"), Mentee(3, "U3"), Mentee(5, "U5"))

    history = simulate(lambda p: "done", days="1", lib=library(names_mentee=True), weeks=7, mentees=mentees)

    assert [item.mentee_id for item in history] == [3, 5, 7, 3, 5, 7, 3]


def test_a_nudge_that_names_nobody_names_no_mentee():
    nudge = Nudge(key="care.x", practice="care", text="Do one thing.")

    assert choose_mentee(nudge, (Mentee(1, "U1"),), ()) is None


def test_different_mentors_start_the_rotation_in_different_places():
    firsts = {choose_nudge(library(), (), f"U{i}", TUESDAY_SLOT).practice for i in range(40)}

    assert len(firsts) >= 4


def test_a_tiny_library_repeats_the_least_recent_nudge_rather_than_skipping_the_slot():
    lib = (Nudge("care.a", "care", "A."), Nudge("care.b", "care", "B."))
    history = [
        PastNudge(NudgeOrigin.SCHEDULED, TUESDAY_SLOT - timedelta(weeks=2), "care.b", "care", sent=True),
        PastNudge(NudgeOrigin.SCHEDULED, TUESDAY_SLOT - timedelta(weeks=1), "care.a", "care", sent=True),
    ]

    assert choose_nudge(lib, history, "U1", TUESDAY_SLOT).key == "care.b"


def test_expired_nudges_do_not_count_as_seen():
    lib = (Nudge("care.a", "care", "A."), Nudge("care.b", "care", "B."))
    never_seen = PastNudge(
        NudgeOrigin.SCHEDULED, TUESDAY_SLOT - timedelta(weeks=1), "care.a", "care", live=False
    )
    seen = PastNudge(NudgeOrigin.SCHEDULED, TUESDAY_SLOT - timedelta(weeks=2), "care.b", "care", sent=True)

    assert choose_nudge(lib, [seen, never_seen], "U1", TUESDAY_SLOT).key == "care.a"


def test_plan_state_is_not_mutated():
    person = mentor(next_nudge_at=TUESDAY_SLOT)
    before = (person.next_nudge_at, person.unanswered_streak, person.backoff_level)
    history = (PastNudge(NudgeOrigin.SCHEDULED, TUESDAY_SLOT - timedelta(weeks=1), "care.1", "care"),)
    mentor_state = state(person, history=history)

    plan_mentor(mentor_state, TUESDAY_SLOT)

    assert (person.next_nudge_at, person.unanswered_streak, person.backoff_level) == before
    assert mentor_state.history == history
    assert replace(mentor_state) == mentor_state


def test_every_other_week_starts_two_weeks_after_the_last_slot_not_one():
    check_in = PastNudge(BACKOFF, datetime(2026, 12, 22, 9, 30, tzinfo=UTC))
    person = mentor(
        cadence="weekly", backoff_level=1, next_nudge_at=datetime(2026, 12, 29, 9, 30, tzinfo=UTC)
    )

    plan = plan_mentor(state(person, history=[check_in]), datetime(2026, 12, 29, 9, 30, tzinfo=UTC))

    assert plan.decisions == () and [why for _s, why in plan.skipped] == ["too soon"]
    assert plan.next_nudge_at == datetime(2027, 1, 12, 9, 30, tzinfo=UTC)
