"""When a group's pool of answers may be published (pure rules)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.pulse.items import ITEM_KEYS
from bot.pulse.pools import COHORT_MIN_MENTORS, enough_for_cohort, enough_for_mentor, pool_batch, pools_by
from bot.pulse.types import SealedAnswer


def answer(mentee, mentor=1, quarter="2027-Q1", cohort="A", comment=None, **values):
    items = tuple((key, values.get(key, 3)) for key in ITEM_KEYS)
    return SealedAnswer(mentor, cohort, mentee, quarter, items, comment)


@pytest.mark.parametrize(("mentees", "ready"), [(1, False), (4, False), (5, True), (7, True)])
def test_a_mentor_pool_needs_five_different_mentees(mentees, ready):
    assert enough_for_mentor([answer(m) for m in range(mentees)], 5) is ready


def test_answers_from_one_mentee_count_once():
    # Six answers, but only four people: one mentee answered three times.
    pool = [answer(1), answer(1, quarter="2027-Q2"), answer(1), answer(2), answer(3), answer(4)]
    assert not enough_for_mentor(pool, 5)
    assert pool_batch(pool, 5, "2027-Q2", cohort=False, keys=ITEM_KEYS) is None


def test_an_item_needs_five_different_raters_whatever_the_number_of_ratings():
    # Five mentees answered; only mentee 0 rated who-led, five times over.
    pool = [answer(m, zwisch=None) for m in range(5)] + [answer(0, zwisch=1) for _ in range(5)]
    batch = pool_batch(pool, 5, "2027-Q1", cohort=False, keys=ITEM_KEYS)
    assert batch is not None and batch.mentees == 5 and batch.answers == 10
    assert "zwisch" not in dict(batch.items) and dict(batch.items)["care"] == (30, 10)


@pytest.mark.parametrize(
    ("mentees_per_mentor", "ready"),
    [
        ((5,), False),  # one mentor: a per-mentor figure under another name
        ((5, 5), False),  # two: either mentor could subtract their own
        ((2, 2, 1), False),  # three mentors, five mentees — but without mentor 1 only three remain
        ((5, 1, 1), False),  # mostly one mentor's: without them, two mentees
        ((3, 3, 3), True),  # without any one mentor, six remain
        ((5, 4, 1), True),  # without the first, five remain
    ],
)
def test_a_cohort_pool_needs_three_mentors_and_never_rests_on_one(mentees_per_mentor, ready):
    pool, next_mentee = [], 0
    for mentor, count in enumerate(mentees_per_mentor):
        for _ in range(count):
            pool.append(answer(next_mentee, mentor=mentor))
            next_mentee += 1
    assert COHORT_MIN_MENTORS == 3
    assert enough_for_cohort(pool, 5) is ready


def test_cohort_items_follow_the_cohort_rule_too():
    # Nine mentees of three mentors; only mentor 0's three mentees rated who-led.
    pool = [answer(m, mentor=m // 3, zwisch=2 if m < 3 else None) for m in range(9)]
    batch = pool_batch(pool, 5, "2027-Q1", cohort=True, keys=ITEM_KEYS)
    assert batch is not None and batch.mentors == 3
    assert "zwisch" not in dict(batch.items) and dict(batch.items)["listen"] == (27, 9)
    assert batch.comments == ()  # comments go to the mentor only, never into cohort figures


def test_a_pool_takes_only_quarters_its_group_has_not_published():
    answers = [answer(1, quarter="2027-Q1"), answer(2, quarter="2027-Q2"), answer(3, mentor=2)]
    pools = pools_by(answers, "mentor_id", {1: "2027-Q1"})
    assert [a.mentee for a in pools[1]] == [2] and [a.mentee for a in pools[2]] == [3]


def test_a_batch_keeps_its_comments_and_its_quarters():
    pool = [
        answer(m, quarter=q, comment=c)
        for m, q, c in ((0, "2026-Q3", "Kind."), *((n, "2027-Q1", None) for n in range(1, 5)))
    ]
    batch = pool_batch(pool, 5, "2027-Q1", cohort=False, keys=ITEM_KEYS)
    assert batch is not None
    assert (batch.first_quarter, batch.last_quarter, batch.comments) == ("2026-Q3", "2027-Q1", ("Kind.",))


@given(st.lists(st.tuples(st.integers(0, 8), st.integers(0, 3)), max_size=40))
def test_a_published_cohort_always_has_enough_mentees_without_any_one_mentor(pairs):
    pool = [answer(mentee, mentor=mentor) for mentee, mentor in pairs]
    if enough_for_cohort(pool, 5):
        for left_out in {a.mentor_id for a in pool}:
            assert len({a.mentee for a in pool if a.mentor_id != left_out}) >= 5
