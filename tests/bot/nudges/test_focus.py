"""Nudges aimed at the gap: the planner leans toward a mentor's focus practices, never
starves a practice, records why — and an unreleased mentee answer never moves it."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bot.db import transaction
from bot.library.types import PRACTICE_KEYS, Nudge
from bot.models import NudgeOrigin, Person
from bot.nudges.delivery import record_nudge
from bot.nudges.planner import BACKOFF, STARVE_WINDOW, Mentee, MentorState, PastNudge, plan_mentor
from bot.nudges.planning import load_states
from bot.pulse.types import FOCUS_GAP, FOCUS_SELF, NO_FOCUS, Focus
from schedules.clock import Clock
from tests.conftest import MENTOR
from tests.nudge_helpers import sends
from tests.pulse_helpers import FIRST_DUE, answer_round, answers_of, make_pair, publish, rounds

LONDON = ZoneInfo("Europe/London")
START = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)  # a Tuesday, 09:30 in London
LIBRARY = tuple(
    Nudge(key=f"{p}.{i}", practice=p, text="Do one thing.") for p in PRACTICE_KEYS for i in range(10)
)


def mentor_person() -> Person:
    return Person(
        id=1,
        team_id="T1",
        user_id="U1",
        nudge_days="1",
        nudge_minute=9 * 60 + 30,
        cadence="weekly",
        contact_start=8 * 60,
        contact_end=18 * 60,
        quiet_weekends=True,
        is_active=True,
        backoff_level=0,
        unanswered_streak=0,
        next_nudge_at=START,
    )


def simulate(focus: Focus, outcomes: list[str | None]) -> list[tuple[str, str | None]]:
    """Run the planner slot after slot, the mentor answering each nudge with `outcomes`."""
    person, history, chosen = mentor_person(), [], []
    now = START
    for outcome in outcomes:
        state = MentorState(person, LONDON, (Mentee(2, "U2"),), tuple(history), LIBRARY, 2, focus)
        plan = plan_mentor(state, now)
        for decision in plan.decisions:
            if decision.action == BACKOFF:
                history.append(PastNudge(BACKOFF, decision.slot.at))
                continue
            history.append(
                PastNudge(
                    NudgeOrigin.SCHEDULED,
                    decision.slot.at,
                    decision.nudge_key,
                    decision.practice,
                    live=True,
                    sent=True,
                    answer=outcome,
                    engaged=outcome is not None,
                )
            )
            chosen.append((decision.practice, decision.reason))
        person.next_nudge_at, person.backoff_level = plan.next_nudge_at, plan.backoff_level
        person.unanswered_streak = plan.unanswered_streak
        assert plan.next_nudge_at is not None
        now = plan.next_nudge_at
    return chosen


def test_the_focus_practice_comes_back_more_often_and_says_why():
    plain = simulate(NO_FOCUS, ["done"] * 48)
    leaning = simulate(Focus(FOCUS_GAP, (("listen", 1.0),)), ["done"] * 48)

    assert Counter(p for p, _ in plain)["listen"] == 8  # six practices in turn
    assert Counter(p for p, _ in leaning)["listen"] >= 12
    assert {reason for practice, reason in leaning if practice == "listen"} == {FOCUS_GAP}
    assert {reason for practice, reason in leaning if practice != "listen"} == {None}
    assert {reason for _, reason in plain} == {None}


def test_a_stronger_weight_leans_harder():
    half = simulate(Focus(FOCUS_SELF, (("care", 0.4),)), ["done"] * 48)
    full = simulate(Focus(FOCUS_SELF, (("care", 1.0),)), ["done"] * 48)
    assert Counter(p for p, _ in half)["care"] < Counter(p for p, _ in full)["care"]


def windows_missing_a_practice(chosen: list[tuple[str, str | None]]) -> list[int]:
    practices = [p for p, _ in chosen]
    return [
        start
        for start in range(len(practices) - STARVE_WINDOW + 1)
        if set(practices[start : start + STARVE_WINDOW]) != set(PRACTICE_KEYS)
    ]


@settings(max_examples=60, deadline=None)
@given(
    weights=st.lists(st.floats(min_value=0, max_value=1), min_size=6, max_size=6),
    outcomes=st.lists(st.sampled_from(["done", "skip", "remind", "done", None]), min_size=30, max_size=30),
)
def test_no_practice_is_ever_absent_from_eight_scheduled_nudges(weights, outcomes):
    focus = Focus(FOCUS_GAP, tuple((p, w) for p, w in zip(PRACTICE_KEYS, weights, strict=True) if w > 0))
    chosen = simulate(focus, outcomes)
    assert len(chosen) >= STARVE_WINDOW
    assert windows_missing_a_practice(chosen) == []


def test_even_a_lopsided_focus_keeps_every_practice_in_every_window():
    # Everything pulls toward two practices, and the rest are skipped (which brings them back
    # sooner too): each of the six still appears in every run of eight.
    focus = Focus(FOCUS_GAP, (("listen", 1.0), ("autonomy", 1.0)))
    chosen = simulate(focus, ["skip", "done"] * 30)
    assert windows_missing_a_practice(chosen) == []
    assert Counter(p for p, _ in chosen)["listen"] > len(chosen) / 6


# --- the database side: only released figures steer the choice ------------------------------

MENTEES = [f"U0MENTEE{n}" for n in range(2, 7)]


def _plan_for(deps, mentor_id, at=FIRST_DUE + timedelta(days=6)):  # the Tuesday after
    with deps.session_factory() as session:
        person = session.get(Person, mentor_id)
        person.next_nudge_at = at
        state = load_states(session, deps.settings, [person], person.next_nudge_at)[person.id]
        return state.focus, plan_mentor(state, person.next_nudge_at)


def test_unreleased_mentee_answers_never_change_the_plan_and_released_ones_do(
    deps, clock, fake_slack, session_factory
):
    clock.set(FIRST_DUE)
    for user in MENTEES:
        fake_slack.add_user(user, tz="America/New_York")
        make_pair(session_factory, MENTOR, user)
    Clock(deps).tick()
    [own] = rounds(session_factory, "mentor")
    answer_round(deps, own, answers_of(4, listen=2))  # the mentor rates themself lowest on listening
    mentor_id = own.mentor_id
    mentee_rounds = rounds(session_factory, "mentee")

    before_focus, before_plan = _plan_for(deps, mentor_id)
    assert before_focus.why == FOCUS_SELF and before_focus.weight("listen") > 0
    # Four mentees answer (one short of release), all saying "rarely" on care.
    for found in mentee_rounds[:4]:
        answer_round(deps, found, answers_of(4, care=1))
    after_focus, after_plan = _plan_for(deps, mentor_id)

    assert after_focus == before_focus
    assert after_plan.decisions == before_plan.decisions

    # The fifth answer changes nothing either while the quarter is open…
    answer_round(deps, mentee_rounds[4], answers_of(4, care=1))
    fifth_focus, fifth_plan = _plan_for(deps, mentor_id)
    assert fifth_focus == before_focus and fifth_plan.decisions == before_plan.decisions
    # …and once the quarter is published, the gap (care) steers, and says so.
    publish(deps, clock)
    released_focus, _plan = _plan_for(deps, mentor_id, at=datetime(2027, 4, 6, 8, 30, tzinfo=UTC))
    assert released_focus.why == FOCUS_GAP and released_focus.weight("care") == 1.0


def test_a_nudge_chosen_for_the_gap_or_the_self_check_names_no_mentee():
    # Beside "your mentees' answers suggest more room here", a named mentee would read as
    # the one whose answer it was: such nudges say "your mentee" instead.
    library = tuple(
        Nudge(key=f"{p}.{i}", practice=p, text="Ask {mentee} one thing.")
        for p in PRACTICE_KEYS
        for i in range(3)
    )
    person = mentor_person()
    for why in (FOCUS_GAP, FOCUS_SELF):
        focus = Focus(why, tuple((p, 1.0) for p in PRACTICE_KEYS))
        state = MentorState(person, LONDON, (Mentee(2, "U2"), Mentee(3, "U3")), (), library, 2, focus)
        [decision] = plan_mentor(state, START).decisions
        assert decision.reason == why and decision.mentee_id is None
    state = MentorState(person, LONDON, (Mentee(2, "U2"), Mentee(3, "U3")), (), library, 2, NO_FOCUS)
    [decision] = plan_mentor(state, START).decisions
    assert decision.reason is None and decision.mentee_id == 2


def test_the_dm_says_privately_why_its_practice_was_chosen(deps, clock, fake_slack, session_factory):
    clock.set(FIRST_DUE)
    make_pair(session_factory, MENTOR, "U0MENTEE1")
    with transaction(session_factory) as session:
        mentor = session.scalars(select(Person).where(Person.user_id == MENTOR)).one()
        for n, reason in enumerate((FOCUS_GAP, FOCUS_SELF, None)):
            record_nudge(
                session,
                person=mentor,
                dedupe_key=f"nudge-test:{n}",
                nudge_key="listen.protected-fifteen",
                practice="listen",
                mentee_id=None,
                origin=NudgeOrigin.REQUESTED,
                due_at=clock.now,
                expires_at=None,
                reason=reason,
            )
    Clock(deps).tick()

    texts = [
        c.text_of_blocks() for c in fake_slack.dms_to(MENTOR) if "Mentoring practice" in c.text_of_blocks()
    ]
    assert len(texts) == 3
    assert "Chosen because your mentees' answers suggest more room here" in texts[0]
    assert "your own self-check rated this practice lower" in texts[1]
    assert "Chosen because" not in texts[2]
    assert [s.reason for s in sends(session_factory)] == [FOCUS_GAP, FOCUS_SELF, None]
