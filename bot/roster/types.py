"""The roster as values: pairs, pages of pairs, admins, and a roster import's plan.

Dataclasses only; nothing else of the feature is imported here, so the blocks, the
services and the command line share them without cycles.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from bot.directory import Profile


class Refusal(Exception):
    """A request we will not carry out. `str(refusal)` is the message for the person."""


@dataclass(frozen=True)
class AdminEntry:
    """One program admin, and whether configuration (not the app) made them one."""

    user_id: str
    from_config: bool


@dataclass(frozen=True)
class PairOutcome:
    """What `/mentor pair` did."""

    mentor: str
    mentee: str
    status: str  # "added" | "exists" | "cohort_changed"
    cohort: str | None
    previous_cohort: str | None = None
    since: datetime | None = None
    welcomed: tuple[str, ...] = ()
    # People in the pair who will hear nothing for now (messages off, paused…).
    quiet: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class PairLine:
    """One active pair as the roster shows it, with anything worth flagging."""

    pair_id: int
    mentor: str
    mentee: str
    cohort: str | None
    started_at: datetime
    mentor_flag: str | None = None
    mentee_flag: str | None = None


@dataclass(frozen=True)
class ProgramPage:
    """One page of the whole program's pairs, with totals for the header."""

    lines: list[PairLine]
    page: int
    pages: int
    total: int
    mentors: int
    mentees: int
    flagged_people: int


@dataclass(frozen=True)
class PersonPairs:
    """One person's active pairs, from both sides."""

    user_id: str
    as_mentor: list[PairLine] = field(default_factory=list)
    as_mentee: list[PairLine] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        """True when they are in no active pair."""
        return not self.as_mentor and not self.as_mentee


@dataclass(frozen=True)
class RosterRow:
    """One active pair as `export-roster` writes it."""

    mentor: str  # email, or the Slack id when we have no email
    mentee: str
    cohort: str | None
    started_at: datetime


# Kept instead of a file name that does not pass the privacy check.
UNNAMED_SOURCE = "uploaded file"

# Said instead of a reason that would repeat what looks like patient information.
HIDDEN_REASON = (
    "this line can't be imported, and what it says isn't shown because it may hold patient information"
)


class RosterFileError(Exception):
    """The file as a whole cannot be used; the message says why and what to do."""


@dataclass(frozen=True)
class RowError:
    """A line that cannot be imported, and why."""

    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


@dataclass(frozen=True)
class Row:
    """One mentor–mentee line: normalised addresses (lower-case email or Slack id)."""

    line: int
    mentor: str
    mentee: str
    cohort: str | None


@dataclass(frozen=True)
class Duplicate:
    """A line repeating an earlier pair; it is imported once."""

    line: int
    first_line: int
    note: str | None = None

    def __str__(self) -> str:
        extra = f" ({self.note})" if self.note else ""
        return f"line {self.line}: same pair as line {self.first_line}{extra}"


@dataclass
class ParsedRoster:
    """What the file says, before anyone is looked up."""

    rows: list[Row]
    errors: list[RowError]
    header: list[str] | None
    delimiter: str
    data_rows: int
    # Valid addresses on lines with errors: pairs of these people are never ended by
    # "end pairs not in this file", since their line may have meant to keep them.
    addresses_on_error_lines: set[str] = field(default_factory=set)
    duplicates: list[Duplicate] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def addresses(self) -> set[str]:
        """Every address to resolve."""
        found = {a for row in self.rows for a in (row.mentor, row.mentee)}
        return found | self.addresses_on_error_lines


@dataclass
class Resolution:
    """Who each address is in Slack, or why we could not tell."""

    members: dict[str, Profile]
    problems: dict[str, str]
    # Addresses answered from our own person table (no Slack call).
    cached: set[str] = field(default_factory=set)
    # The profile behind each problem (None: nobody has that address), so a plan can say
    # which column it was when the address itself is not repeated.
    rejected: dict[str, Profile | None] = field(default_factory=dict)
    lookups: int = 0
    swept: bool = False
    swept_members: int = 0


@dataclass
class PlannedPair:
    """A pair named in the file, by Slack id, with the addresses as the file gave them."""

    line: int
    mentor: str
    mentee: str
    mentor_address: str
    mentee_address: str
    cohort: str | None


@dataclass
class CohortChange:
    """An existing pair whose cohort the file renames."""

    line: int
    pair_id: int
    mentor: str
    mentee: str
    old: str | None
    new: str


@dataclass
class PlannedEnd:
    """An active pair the file does not mention."""

    pair_id: int
    mentor: str
    mentee: str
    cohort: str | None
    started: str
    # Email (or Slack id when we have none), for reports outside Slack.
    mentor_label: str = ""
    mentee_label: str = ""


@dataclass
class ImportPlan:
    """The dry run: everything an import would do, and everything it cannot."""

    source: str
    end_missing: bool
    data_rows: int
    add: list[PlannedPair] = field(default_factory=list)
    present: list[PlannedPair] = field(default_factory=list)
    cohort_changes: list[CohortChange] = field(default_factory=list)
    end: list[PlannedEnd] = field(default_factory=list)
    # Would be ended, but a line with an error names one of the two people.
    kept: list[PlannedEnd] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    duplicates: list[Duplicate] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # Profiles fresh from Slack, by user id, copied onto person rows when applied.
    profiles: dict[str, Profile] = field(default_factory=dict)
    # Active pairs the file does not mention (ended only with end_missing).
    not_in_file: int = 0
    # People in new pairs who will not hear from the app for now, and why.
    quiet: dict[str, str] = field(default_factory=dict)
    header: list[str] | None = None
    delimiter: str = ","
    lookups: int = 0
    swept: bool = False

    @property
    def change_count(self) -> int:
        """How many changes applying would make."""
        return len(self.add) + len(self.cohort_changes) + len(self.end)

    def to_json(self) -> dict[str, Any]:
        """A JSON-able dict (stored between the dry run and the confirm)."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ImportPlan:
        """Rebuild a plan stored with :meth:`to_json`."""
        values = dict(data)
        values["add"] = [PlannedPair(**p) for p in data.get("add", [])]
        values["present"] = [PlannedPair(**p) for p in data.get("present", [])]
        values["cohort_changes"] = [CohortChange(**c) for c in data.get("cohort_changes", [])]
        values["end"] = [PlannedEnd(**e) for e in data.get("end", [])]
        values["kept"] = [PlannedEnd(**e) for e in data.get("kept", [])]
        values["errors"] = [RowError(**e) for e in data.get("errors", [])]
        values["duplicates"] = [Duplicate(**d) for d in data.get("duplicates", [])]
        values["profiles"] = {k: Profile(**p) for k, p in data.get("profiles", {}).items()}
        return cls(**values)


@dataclass
class ImportResult:
    """What applying a plan changed."""

    added: int = 0
    already_present: int = 0
    cohort_changed: int = 0
    ended: int = 0
    # Planned changes someone else made (or undid) between the dry run and now.
    skipped: int = 0
    welcomed: int = 0
    errors: int = 0
    duplicates: int = 0

    @property
    def changed(self) -> int:
        """Pairs added, renamed or ended."""
        return self.added + self.cohort_changed + self.ended


@dataclass(frozen=True)
class ImportForm:
    """What the import modal submitted: an uploaded file, pasted rows, or (wrongly) both."""

    files: list[dict[str, Any]]
    pasted: str
    end_missing: bool
