"""A person's own data as values: the export, what forgetting did, what the retention
purge emptied, and the refusals. Nothing else of the feature is imported here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

# The export's format name and version, in the JSON file (bump on incompatible change).
EXPORT_FORMAT = "mentor-nudge/my-data"
EXPORT_VERSION = 1

# A forget confirmation button works this long after it was shown: an old message
# scrolled back to days later should not delete anything without a fresh look.
CONFIRM_FOR = timedelta(hours=1)

# Where the JSON says something was left out of a row (a token, another admin's plan).
LEFT_OUT = "left out"


@dataclass(frozen=True)
class MyData:
    """Everything kept about one person in one workspace, table by table.

    `sections` maps a table name to its rows about the person, each row a dict of every
    column (times as ISO 8601 text), plus the Slack ids of the other people a row is
    about (`mentor_user_id`, `mentee_user_id`) and, for pairs, the person's role.
    """

    team_id: str
    user_id: str
    generated_at: datetime
    sections: dict[str, list[dict[str, Any]]]

    def count(self, section: str) -> int:
        """How many rows a section holds (0 when absent)."""
        return len(self.sections.get(section, []))

    @property
    def empty(self) -> bool:
        """True when nothing at all is kept about them."""
        return not any(self.sections.values())


@dataclass(frozen=True)
class Confirmation:
    """What a forget button carries: whose data, and when the button was shown."""

    user_id: str
    shown_at: datetime

    def expired(self, now: datetime) -> bool:
        """True once the button is older than CONFIRM_FOR (or from the future: forged)."""
        return not (self.shown_at - timedelta(minutes=5) <= now <= self.shown_at + CONFIRM_FOR)


@dataclass
class ForgetOutcome:
    """What forgetting someone did, in counts (no content): for the reply and the log."""

    pairs_ended: int = 0
    deleted: dict[str, int] = field(default_factory=dict)
    # True when an ended pair, a meeting log or a request of someone else still points
    # at a bare placeholder row (no name, no Slack id) instead of the person.
    placeholder_kept: bool = False

    def note(self, what: str, count: int) -> None:
        """Add `count` rows of `what` to the tally (zeros are left out)."""
        if count:
            self.deleted[what] = self.deleted.get(what, 0) + count


@dataclass(frozen=True)
class PurgeReport:
    """How many free texts the retention purge emptied, per column ("nudge_answer.note")."""

    emptied: dict[str, int]

    def counts(self) -> dict[str, int] | None:
        """The clock's log line: only columns that lost something, or None."""
        said = {k: v for k, v in self.emptied.items() if v}
        return said or None


class ForgetRefused(Exception):
    """A forget that must not happen; the message says why, for the person who asked."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
