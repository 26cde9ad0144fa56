"""Rotas as values: a line read from a file, a shift resolved to UTC, a checked upload,
a feed's state, the refusals. Nothing else of the feature is imported here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.models import ShiftKind, ShiftSource

CALL, NIGHT, DAY, ROTATION = ShiftKind.CALL, ShiftKind.NIGHT, ShiftKind.DAY, ShiftKind.ROTATION
DUTY_KINDS = ShiftKind.DUTY
FROM_UPLOAD, FROM_FEED = ShiftSource.UPLOAD, ShiftSource.FEED

# The outbox kind of the rotation check-ins (a mentor's day-1 and mid-rotation nudges,
# the mentee's end-of-rotation prompt).
CHECKIN_KIND = "rotation_checkin"
START, MIDDLE, END = "start", "mid", "end"
STAGES = (START, MIDDLE, END)

# Limits: a rotation name, a reflection line, a file, a feed.
LABEL_MAX_CHARS = 80
REFLECTION_MAX_CHARS = 200
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_DATA_ROWS = 20000
MAX_FEED_BYTES = 2 * 1024 * 1024
FEED_TIMEOUT_SECONDS = 15
URL_MAX_CHARS = 2000
# How far a calendar is read: a little back (today's night shift began yesterday) and
# twelve weeks ahead; a daily refresh keeps the window moving.
FEED_PAST = timedelta(days=2)
FEED_AHEAD = timedelta(weeks=12)
# A feed's saved link sealed under a key the app no longer has (SECRET_KEY changed).
UNREADABLE_LINK = (
    "the saved link can no longer be read (the app's key changed): "
    "set it again with `/mentor rota feed <link>`"
)
# A shift longer than this is not a shift (a typo in an end date); rotations may be long.
MAX_SHIFT = timedelta(hours=36)
MAX_ROTATION = timedelta(days=366)


class RotaFileError(ValueError):
    """The file as a whole cannot be used; the message says what to do."""


class FeedRefused(ValueError):
    """A feed URL we will not fetch (not https, a private address…); the message says why."""


class FeedProblem(Exception):
    """Fetching or reading a feed failed; the message is for the feed's owner (no URL in it)."""


@dataclass(frozen=True)
class ShiftRow:
    """One line of a rota file (or one calendar event), before its person is resolved.

    `starts` and `ends` are naive wall-clock times in the person's zone, or aware when
    the file said which zone (an ICS `TZID`, a `Z`, an offset). All-day rows hold
    midnights, `ends` exclusive.
    """

    line: int
    who: str | None  # a lower-case email or Slack member id; None in a personal calendar
    starts: datetime
    ends: datetime
    kind: str
    label: str | None = None
    all_day: bool = False


@dataclass(frozen=True)
class RowError:
    """A line that could not be read, and why (the cell itself is never repeated)."""

    line: int
    reason: str


@dataclass
class ParsedRota:
    """What a file held: good rows, bad lines, and notes about how it was read."""

    rows: list[ShiftRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Shift:
    """A row resolved to UTC instants, as stored."""

    kind: str
    starts_at: datetime
    ends_at: datetime
    label: str | None = None
    all_day: bool = False


@dataclass
class RotaPlan:
    """A checked upload: shifts per person (by Slack id), bad lines, and what it covers."""

    shifts: dict[str, list[Shift]] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        """How many shifts of each kind, for the dry run and the log line."""
        found: dict[str, int] = {}
        for shifts in self.shifts.values():
            for shift in shifts:
                found[shift.kind] = found.get(shift.kind, 0) + 1
        return found


@dataclass(frozen=True)
class RotaSummary:
    """What `/mentor rota` shows a person: their coming duty, rotations and feed."""

    user_id: str
    duty: tuple[str, ...]  # lines like "Tue 3 Mar 19:00 – Wed 08:00 · night shift"
    rotations: tuple[str, ...]
    feed: str | None  # the masked URL
    feed_problem: str | None = None
    post_call_rest: bool = True


@dataclass(frozen=True)
class FeedOutcome:
    """What a refresh found (for the owner's reply and the clock's counts)."""

    ok: bool
    shifts: int = 0
    problem: str | None = None
