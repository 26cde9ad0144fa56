"""Publishing and what it shows: figures change only by whole batches of enough different
mentees, so comparing views never uncovers one answer (the reviewer's scenarios: a
mentor comparing before and after a known mentee's check-in; the whole program minus a
cohort; an item rated by one mentee many times; a cohort renamed; a one-mentor cohort)."""

from __future__ import annotations

import dataclasses
import logging
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from bot.db import transaction
from bot.models import BatchScope, Pair, Person, RoundKind
from bot.pulse.results import mentor_results, program_overview
from schedules.clock import Clock
from tests.conftest import MENTOR, settings_for
from tests.fakes.clock import MovableClock
from tests.fakes.slack_api import TEAM_ID
from tests.pulse_helpers import (
    FIRST_DUE,
    answer_round,
    answers_of,
    batches,
    inbox,
    make_pair,
    publish,
    rounds,
)

APRIL = datetime(2027, 4, 1, 3, 0, tzinfo=UTC)  # 2027-Q2 has begun


@pytest.fixture
def clock():
    return MovableClock(FIRST_DUE)


def _person(session, user):
    return session.scalars(select(Person).where(Person.team_id == TEAM_ID, Person.user_id == user)).one()


def results_of(deps, user=MENTOR):
    with transaction(deps.session_factory) as session:
        return mentor_results(session, deps.settings, _person(session, user), deps.now())


def overview(deps):
    with transaction(deps.session_factory) as session:
        return program_overview(session, deps.settings, TEAM_ID, deps.now())


def pairs_of(session_factory, fake_slack, mentor, count, prefix, cohort=None):
    for n in range(count):
        user = f"U0{prefix}{n:04d}"
        fake_slack.add_user(user, tz="America/New_York")
        make_pair(session_factory, mentor, user, cohort=cohort)


def test_a_known_mentees_check_in_never_changes_what_the_mentor_sees(
    deps, clock, session_factory, fake_slack
):
    pairs_of(session_factory, fake_slack, MENTOR, 6, "SIX")
    Clock(deps).tick()
    first_five, sixth = (
        rounds(session_factory, RoundKind.MENTEE)[:5],
        rounds(session_factory, RoundKind.MENTEE)[5],
    )
    for found in first_five:
        answer_round(deps, found, answers_of(3, comment=None))
    publish(deps, clock, at=APRIL)
    before = results_of(deps)
    assert before.released and {f.key: f.mentees for f in before.items}["care"] == 3.0

    # The sixth mentee answers (in the new quarter, their check-in still open): nothing moves…
    answer_round(deps, sixth, answers_of(1, comment="only the sixth wrote this"))
    assert results_of(deps) == before
    # …nor once that quarter closes: one mentee is no batch.
    publish(deps, clock)
    after = results_of(deps)
    assert after.items == before.items and after.comments == before.comments == ()
    assert [b.first_quarter for b in batches(session_factory, BatchScope.MENTOR)] == ["2027-Q1"]


def test_figures_change_only_by_a_whole_new_batch(deps, clock, session_factory, fake_slack):
    pairs_of(session_factory, fake_slack, MENTOR, 10, "TEN")
    Clock(deps).tick()
    found = rounds(session_factory, RoundKind.MENTEE)
    for r in found[:5]:
        answer_round(deps, r, answers_of(4))
    publish(deps, clock, at=APRIL)
    first = {f.key: f.mentees for f in results_of(deps).items}
    assert first["care"] == 4.0
    for r in found[5:]:
        answer_round(deps, r, answers_of(2))  # five more, still open in April
    assert {f.key: f.mentees for f in results_of(deps).items} == first
    publish(deps, clock)
    # Now the five newcomers' batch joins: the change rests on five different mentees.
    assert {f.key: f.mentees for f in results_of(deps).items}["care"] == 3.0
    assert [b.mentees for b in batches(session_factory, BatchScope.MENTOR)] == [5, 5]


def test_figures_leave_with_their_quarters_and_unpublished_answers_are_deleted(
    deps, clock, session_factory, fake_slack
):
    pairs_of(session_factory, fake_slack, MENTOR, 5, "OLD")
    Clock(deps).tick()
    for r in rounds(session_factory, RoundKind.MENTEE):
        answer_round(deps, r, answers_of(3, comment="From early 2027."))
    publish(deps, clock, at=APRIL)
    assert results_of(deps).released and len(inbox(session_factory)) == 5  # waiting for a cohort

    publish(deps, clock, at=datetime(2028, 1, 1, 3, tzinfo=UTC))  # 2027-Q1 still within 12 months
    assert results_of(deps).released
    publish(deps, clock, at=datetime(2028, 4, 1, 3, tzinfo=UTC))  # now it is not
    gone = results_of(deps)
    assert not gone.released and gone.comments == () and {f.mentees for f in gone.items} == {None}
    assert inbox(session_factory) == []  # never published for a cohort, and now never will be


def test_the_reviewers_cohorts_show_nothing_to_subtract(deps, clock, session_factory, fake_slack):
    # Five mentees of one mentor in A, one lone mentee of another in B: neither is a
    # cohort figure (A is one mentor's), so there is no program line to subtract A from.
    pairs_of(session_factory, fake_slack, MENTOR, 5, "CA", cohort="A")
    pairs_of(session_factory, fake_slack, "U0MENTOR2", 1, "CB", cohort="B")
    Clock(deps).tick()
    for r in rounds(session_factory, RoundKind.MENTEE):
        answer_round(deps, r, answers_of(3))
    publish(deps, clock, at=APRIL)

    seen = overview(deps)
    assert not seen.program.released and not [c for c in seen.cohorts if c.released]
    assert batches(session_factory, BatchScope.COHORT) == []


def test_program_minus_cohort_uncovers_nothing(deps, clock, session_factory, fake_slack):
    for mentor in (MENTOR, "U0MENTOR3", "U0MENTOR4"):
        pairs_of(session_factory, fake_slack, mentor, 3, f"A{mentor[-1]}", cohort="A")
    pairs_of(session_factory, fake_slack, "U0MENTOR2", 1, "LONE", cohort="B")
    Clock(deps).tick()
    with session_factory() as session:
        lone_mentor = _person(session, "U0MENTOR2").id
    for r in rounds(session_factory, RoundKind.MENTEE):
        answer_round(deps, r, answers_of(1 if r.mentor_id == lone_mentor else 3))
    publish(deps, clock, at=APRIL)

    seen = overview(deps)
    a = next(c for c in seen.cohorts if c.cohort == "A")
    b = next(c for c in seen.cohorts if c.cohort == "B")
    assert a.released and not b.released
    # The whole program's line is cohort A's, exactly: subtracting A leaves nothing of B.
    assert seen.program.averages == a.averages and seen.program.answered == a.answered == 9
    assert dict(seen.program.averages)["care"] == 3.0


def test_an_item_one_mentee_rated_many_times_stays_hidden(deps, clock, session_factory, fake_slack):
    pairs_of(session_factory, fake_slack, MENTOR, 5, "ITEM")
    Clock(deps).tick()
    first = rounds(session_factory, RoundKind.MENTEE)
    lone_pair = first[0].pair_id
    for r in first:
        answer_round(deps, r, answers_of(3, zwisch=1 if r.pair_id == lone_pair else None))
    # Four more check-ins for the first pair only (the others let theirs pass).
    for _ in range(4):
        clock.advance(days=60)
        Clock(deps).tick()
        r = [x for x in rounds(session_factory, RoundKind.MENTEE) if x.pair_id == lone_pair][-1]
        answer_round(deps, r, answers_of(3, zwisch=1))
    publish(deps, clock)

    shown = results_of(deps)
    assert shown.released
    assert {f.key: f.mentees for f in shown.items}["zwisch"] is None
    assert {f.key: f.mentees for f in shown.items}["care"] == 3.0


def test_a_cohort_is_counted_and_averaged_under_the_cohort_each_answer_was_given_in(
    deps, clock, session_factory, fake_slack
):
    for mentor in (MENTOR, "U0MENTOR3", "U0MENTOR4"):
        pairs_of(session_factory, fake_slack, mentor, 3, f"M{mentor[-1]}", cohort="IM 2027")
    Clock(deps).tick()
    for r in rounds(session_factory, RoundKind.MENTEE):
        answer_round(deps, r, answers_of(2))
    # A roster import moves every pair to another cohort before the quarter closes.
    with transaction(session_factory) as session:
        session.execute(update(Pair).values(cohort="IM 2027 (PGY2)"))
    publish(deps, clock, at=APRIL)

    seen = overview(deps)
    by_name = {c.cohort: c for c in seen.cohorts}
    assert by_name["IM 2027"].released and by_name["IM 2027"].mentees == 9
    assert dict(by_name["IM 2027"].averages)["care"] == 2.0
    assert not by_name["IM 2027 (PGY2)"].released


def test_publishing_runs_once_per_quarter_and_skips_a_removed_mentor(
    deps, clock, session_factory, fake_slack
):
    pairs_of(session_factory, fake_slack, MENTOR, 5, "ONCE")
    pairs_of(session_factory, fake_slack, "U0GONE001", 5, "GONE")
    Clock(deps).tick()
    for r in rounds(session_factory, RoundKind.MENTEE):
        answer_round(deps, r, answers_of(3))
    with transaction(session_factory) as session:
        session.delete(_person(session, "U0GONE001"))  # the record removed on request

    first = publish(deps, clock, at=APRIL)
    second = publish(deps, clock, at=APRIL + timedelta(hours=5))
    assert first.get("published_workspaces") == 1 and first.get("mentor_batches") == 1
    assert "published_workspaces" not in second
    [batch] = batches(session_factory, BatchScope.MENTOR)
    with session_factory() as session:
        assert batch.mentor_id == _person(session, MENTOR).id


def test_answers_sealed_with_another_key_are_kept_and_reported(
    deps, clock, session_factory, fake_slack, caplog
):
    pairs_of(session_factory, fake_slack, MENTOR, 5, "KEY")
    Clock(deps).tick()
    for r in rounds(session_factory, RoundKind.MENTEE):
        answer_round(deps, r, answers_of(3, comment="Sealed with the first key."))
    caplog.set_level(logging.INFO)
    other = settings_for(
        fake_slack, deps.settings.database_url, SECRET_KEY="a-different-key-after-a-mistake-0000000"
    )
    swapped = dataclasses.replace(deps, settings=other)

    counts = publish(swapped, clock, at=APRIL)

    assert counts.get("answers_unreadable") == 5 and batches(session_factory) == []
    assert len(inbox(session_factory)) == 5
    warning = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("could not be opened" in line and "SECRET_KEY" in line for line in warning)
    assert not [line for line in warning if "Sealed with" in line]
