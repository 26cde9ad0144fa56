"""The meeting log as values: the outbox kind, the monthly question's answers and timing,
a logged meeting as its messages show it, a mentor's months, and the refusals. Nothing
else of the feature is imported here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

# The monthly "did you meet?" DM to a mentor, one per active pair.
QUESTION_KIND = "meeting_question"

# The question's answers: minutes as stored (0 is "not yet") and their button labels.
ANSWER_LABELS = {15: "Yes, ~15 min", 30: "~30 min", 60: "An hour or more", 0: "Not yet"}

# The question goes on the mentor's first nudge weekday on or after this day of the month…
QUESTION_DAY = 22
# …and is planned (put in the outbox, due then) from this local day on.
PLAN_FROM_DAY = 20
# A pair younger than this at question time is not asked yet (it has barely begun).
MIN_PAIR_AGE = timedelta(days=14)

# What `/mentor met` accepts: at least a few minutes, at most a long day.
MIN_MINUTES = 5
MAX_MINUTES = 8 * 60

# `/mentor meetings`: this many months, the current one included.
OVERVIEW_MONTHS = 3

MET_USAGE = (
    "Log a meeting with `/mentor met @mentee 30m` (or `15m`, `45 min`, `1h`, `90m`). The mentee can be left "
    "out when you have just one."
)


@dataclass(frozen=True)
class MeetingCard:
    """A logged meeting (or the question, before it is answered) as its message shows it."""

    mentee_user_id: str
    # "2026-12": the month in the mentor's zone.
    month: str
    # None while the question is unanswered; 0 for "not yet".
    minutes: int | None = None
    practices: tuple[str, ...] = ()
    # The monthly question's outbox id (its buttons carry it); None for `/mentor met`.
    question_id: int | None = None
    log_id: int | None = None
    # Where the question is in Slack, once sent (for chat.update).
    channel: str | None = None
    ts: str | None = None


@dataclass(frozen=True)
class MonthLine:
    """One month of one pair in `/mentor meetings`."""

    month: str
    meetings: int = 0
    minutes: int = 0
    not_yet: bool = False
    practices: tuple[str, ...] = ()


@dataclass(frozen=True)
class MenteeMeetings:
    """A mentor's log for one mentee over the last few months, newest month first."""

    mentee_user_id: str
    active: bool
    months: tuple[MonthLine, ...] = field(default_factory=tuple)


class MeetingNotFound(LookupError):
    """No question or log with that id in this workspace (an old or forged button)."""


class NotYourMeeting(PermissionError):
    """Someone other than the mentor clicked a question or a log."""


class MetRefused(ValueError):
    """`/mentor met` we refuse without changing anything; the message says what to do."""

    @property
    def message(self) -> str:
        """The sentence to show the mentor."""
        return str(self.args[0])
