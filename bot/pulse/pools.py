"""When a group's answers may be published, as pure functions.

Answers wait, sealed, until their quarter has closed. Then each group — one mentor's
mentees, one cohort — gathers its *pool*: the answers from closed quarters within the
window that no published batch of that group holds yet. The pool is published as one
batch when:

* **a mentor's pool**: at least `minimum` different mentees answered in it;
* **a cohort's pool**: at least `minimum` different mentees, about at least
  :data:`COHORT_MIN_MENTORS` different mentors, and — setting aside any one mentor's
  mentees — still at least `minimum` (so a cohort figure is never mostly one mentor's,
  and an admin who mentors in the cohort cannot subtract their own figures to see a
  few others'),

and an item (question) of a batch carries figures only when the mentees who rated it
meet the same rule (the others said "doesn't apply"); otherwise that item's ratings in
the batch are never shown. A pool that is not ready waits for the next quarter.

Why batches: everything shown is a sum of whole batches, and batches never overlap, so
comparing any two views (before and after a check-in, a cohort against the program)
can uncover at most a whole batch — at least `minimum` different mentees.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence

from bot.pulse.types import Batch, SealedAnswer

# A cohort figure needs answers about at least this many different mentors.
COHORT_MIN_MENTORS = 3


def enough_for_mentor(answers: Iterable[SealedAnswer], minimum: int) -> bool:
    """At least `minimum` different mentees among `answers`."""
    return len({a.mentee for a in answers}) >= minimum


def enough_for_cohort(answers: Iterable[SealedAnswer], minimum: int) -> bool:
    """The cohort rule: `minimum` different mentees about COHORT_MIN_MENTORS mentors, and
    `minimum` different mentees left whichever one mentor is set aside."""
    mentees_by_mentor: dict[int, set[int]] = defaultdict(set)
    for answer in answers:
        mentees_by_mentor[answer.mentor_id].add(answer.mentee)
    if len(mentees_by_mentor) < COHORT_MIN_MENTORS:
        return False
    everyone = set().union(*mentees_by_mentor.values())
    if len(everyone) < minimum:
        return False
    for mentor in mentees_by_mentor:
        others = set().union(*(m for key, m in mentees_by_mentor.items() if key != mentor))
        if len(others) < minimum:
            return False
    return True


def pool_batch(
    pool: Sequence[SealedAnswer], minimum: int, last_quarter: str, *, cohort: bool, keys: Sequence[str]
) -> Batch | None:
    """The batch `pool` publishes (covering quarters up to `last_quarter`), or None while
    it is not ready. Comments go with mentor batches only."""
    enough = enough_for_cohort if cohort else enough_for_mentor
    if not pool or not enough(pool, minimum):
        return None
    items = tuple(
        (key, figures) for key in keys if (figures := _item_sums(pool, key, enough, minimum)) is not None
    )
    comments = () if cohort else tuple(a.comment for a in pool if a.comment)
    return Batch(
        first_quarter=min(a.quarter for a in pool),
        last_quarter=last_quarter,
        answers=len(pool),
        mentees=len({a.mentee for a in pool}),
        mentors=len({a.mentor_id for a in pool}),
        items=items,
        comments=comments,
    )


def _item_sums(
    pool: Sequence[SealedAnswer],
    key: str,
    enough: Callable[[Sequence[SealedAnswer], int], bool],
    minimum: int,
) -> tuple[int, int] | None:
    """(sum, count) of one item's ratings in `pool`, or None when its raters fail the rule."""
    rated = [(a, dict(a.values).get(key)) for a in pool]
    raters = [a for a, value in rated if value is not None]
    if not raters or not enough(raters, minimum):
        return None
    values = [int(value) for _a, value in rated if value is not None]
    return sum(values), len(values)


def pools_by(
    answers: Iterable[SealedAnswer], group: str, published_through: dict[object, str]
) -> dict[object, list[SealedAnswer]]:
    """Answers grouped by `group` ("mentor_id" or "cohort"), leaving out each group's
    answers from quarters its published batches already cover."""
    pools: dict[object, list[SealedAnswer]] = defaultdict(list)
    for answer in answers:
        key = getattr(answer, group)
        if answer.quarter > published_through.get(key, ""):
            pools[key].append(answer)
    return dict(pools)
