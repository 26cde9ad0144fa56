"""What the nudge chooser asks of a library on every call, worked out once per library.

A planner tick plans a whole batch of mentors against one library tuple per workspace
(`bot.nudges.planning.load_states`); the chooser (`bot.nudges.planner.choose_nudge`)
used to regroup that library by practice for every mentor, which was a noticeable part
of a busy tick. The facts are kept here by the tuple's identity.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.library.types import Nudge


@dataclass(frozen=True)
class Catalogue:
    """A library's practices, and its nudges grouped by practice."""

    practices: set[str]
    by_practice: dict[str, tuple[Nudge, ...]]  # each in library order


# Kept with the tuple itself, so its id cannot be reused by another object meanwhile.
_KEPT: dict[int, tuple[Sequence[Nudge], Catalogue]] = {}
# A few workspaces' libraries at a time (a tick's batch; the preview's throwaway one).
_KEEP_AT_MOST = 16


def catalogue(library: Sequence[Nudge]) -> Catalogue:
    """The facts for `library` (cached when it is a tuple, which cannot change)."""
    cached = _KEPT.get(id(library))
    if cached is not None and cached[0] is library:
        return cached[1]
    by_practice: dict[str, list[Nudge]] = {}
    for nudge in library:
        by_practice.setdefault(nudge.practice, []).append(nudge)
    # Built as the chooser always built it, so the set's order (for ties) is unchanged.
    practices = {n.practice for n in library}
    found = Catalogue(practices, {key: tuple(nudges) for key, nudges in by_practice.items()})
    # A list could change under the same identity: only tuples are kept.
    if isinstance(library, tuple):
        if len(_KEPT) >= _KEEP_AT_MOST:
            _KEPT.clear()
        _KEPT[id(library)] = (library, found)
    return found
