"""Pairs that need attention as values: the thresholds, one pair's signals, and its flags.

Only signals that are not anonymous feed a flag: meetings the mentor logged, whether the
mentor answered their nudges, their pause, and whether a pulse was answered at all (the
participation row, never what was answered).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

# A pair with no meeting logged for this long is flagged.
NO_MEETING_FOR = timedelta(weeks=6)
# A mentor who left this many of their latest nudges unanswered is flagged...
IGNORED_NUDGES = 3
# ...counting only nudges older than this (a nudge sent this morning is not ignored yet).
ANSWER_GRACE = timedelta(days=2)
# A mentor paused (or stopped) for longer than this is flagged.
LONG_PAUSE = timedelta(days=30)
# A pair whose mentee left this many closed check-ins in a row unanswered is flagged.
UNANSWERED_PULSES = 2


class FlagKind:
    """Why a pair is flagged."""

    NO_MEETING = "no_meeting"
    IGNORED_NUDGES = "ignored_nudges"
    LONG_PAUSE = "long_pause"
    PULSE_UNANSWERED = "pulse_unanswered"

    ALL = (NO_MEETING, IGNORED_NUDGES, LONG_PAUSE, PULSE_UNANSWERED)
    # About the mentor, whichever mentee: shown once per mentor, not once per pair.
    MENTOR = (IGNORED_NUDGES, LONG_PAUSE)


@dataclass(frozen=True)
class Flag:
    """One reason a pair needs attention, in plain words for an admin."""

    kind: str
    why: str


@dataclass(frozen=True)
class PairSignals:
    """What the rules read about one active pair.

    `nudges_answered`: the mentor's latest nudges old enough to judge, newest first, True
    where answered. `pulses_answered`: the pair's latest closed check-ins, newest first,
    True where the mentee answered (participation only).
    """

    pair_id: int
    mentor_user: str
    mentee_user: str
    started_at: datetime
    last_meeting_at: datetime | None = None
    nudges_answered: tuple[bool, ...] = ()
    mentor_paused_until: datetime | None = None
    mentor_paused_at: datetime | None = None
    mentor_stopped_at: datetime | None = None
    last_nudge_at: datetime | None = None
    pulses_answered: tuple[bool, ...] = ()


@dataclass(frozen=True)
class FlaggedPair:
    """An active pair with at least one flag — or, with `mentee_user` None, a mentor of
    `mentees` active pairs whose own flags (FlagKind.MENTOR) hold for all of them."""

    pair_id: int
    mentor_user: str
    mentee_user: str | None
    flags: tuple[Flag, ...]
    mentees: int = 1
