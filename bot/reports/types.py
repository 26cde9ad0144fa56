"""The report and export as values: figures, charts and CSV files. Nothing else of the
feature is imported here."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

# The outbox kind of the monthly report's covering message (the charts follow it).
REPORT_KIND = "monthly_report"
# How many months the trend charts show (the report's month and the five before it).
TREND_MONTHS = 6


class ReportProblem(Exception):
    """Something the person asking can fix (a bad month, a bad date range); `message` says how."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class PracticeNudges:
    """One practice's nudges in a month: sent (reached Slack), answered (a button, a follow-up
    choice or a note alone),
    done (the "done" button), expired (never sent: the slot's day ran out) and
    interrupted (the send was cut off mid-call: it may or may not have reached Slack)."""

    practice: str
    title: str
    sent: int = 0
    answered: int = 0
    done: int = 0
    expired: int = 0
    interrupted: int = 0

    @property
    def rate(self) -> float | None:
        """Answered ÷ sent, or None when nothing was sent."""
        return self.answered / self.sent if self.sent else None


@dataclass(frozen=True)
class MonthRates:
    """Response rate per practice in one month (None where nothing was sent)."""

    month: str
    rates: tuple[tuple[str, float | None], ...]


@dataclass(frozen=True)
class MeetingMonth:
    """Meetings in one month: pairs active in it, meetings logged (not "not yet"), and how
    many pairs logged at least one."""

    month: str
    active_pairs: int
    meetings: int
    pairs_met: int

    @property
    def per_pair(self) -> float | None:
        """Meetings per active pair, or None with no active pair."""
        return self.meetings / self.active_pairs if self.active_pairs else None


@dataclass(frozen=True)
class ItemComparison:
    """One pulse item at program level: mentors' own average and their mentees' — each
    None unless released (published batches; enough mentors behind the self-ratings)."""

    key: str
    title: str
    mentors: float | None
    mentees: float | None


@dataclass(frozen=True)
class PulseFigures:
    """Released pulse figures only: answers in published batches, the lower bound of
    different mentees behind them, and the item comparison."""

    released: bool
    anonymity_min: int
    answers: int = 0
    mentees: int = 0
    self_released: bool = False
    items: tuple[ItemComparison, ...] = ()


@dataclass(frozen=True)
class Agreements:
    """Agreements first agreed in the month, and goals marked (by their latest mark)."""

    made: int = 0
    goals_marked: int = 0
    goals_met: int = 0


@dataclass(frozen=True)
class ReportFigures:
    """Everything a monthly report shows. Counts only: no names, no free text."""

    team_id: str
    month: str
    zone: str
    practices: tuple[PracticeNudges, ...]
    trend: tuple[MonthRates, ...]
    meetings: tuple[MeetingMonth, ...]
    reflections: int
    reflections_named: int
    pulse: PulseFigures
    agreements: Agreements

    @property
    def sent(self) -> int:
        """Nudges sent in the month, all practices."""
        return sum(p.sent for p in self.practices)

    @property
    def answered(self) -> int:
        """Nudges answered, all practices."""
        return sum(p.answered for p in self.practices)

    @property
    def expired(self) -> int:
        """Nudges that expired unsent, all practices."""
        return sum(p.expired for p in self.practices)

    @property
    def interrupted(self) -> int:
        """Nudges whose send was interrupted (may have reached the person), all practices."""
        return sum(p.interrupted for p in self.practices)

    @property
    def this_month(self) -> MeetingMonth:
        """The report month's meetings (the last of the trend)."""
        return self.meetings[-1]

    @property
    def empty(self) -> bool:
        """True when the month holds nothing at all to show (released check-in figures count)."""
        return not (
            self.sent
            or self.expired
            or self.interrupted
            or self.this_month.meetings
            or self.reflections
            or self.agreements.made
            or self.agreements.goals_marked
            or self.pulse.released
            or self.pulse.self_released
        )


@dataclass(frozen=True)
class Chart:
    """One rendered chart: a file name, a title for Slack, and the PNG bytes."""

    filename: str
    title: str
    png: bytes


@dataclass(frozen=True)
class ExportOptions:
    """What an export covers: the days [first, last] (the program's zone), whether Slack
    ids become pseudonyms (and all free text is dropped), and whether free text is kept."""

    first: date
    last: date
    deidentify: bool = False
    include_text: bool = False

    @property
    def with_text(self) -> bool:
        """Free text is written only when asked for, and never in a de-identified export."""
        return self.include_text and not self.deidentify


@dataclass(frozen=True)
class CsvTable:
    """One CSV file of an export: its name, its header and its rows (already safe to write)."""

    filename: str
    columns: tuple[str, ...]
    rows: list[tuple[object, ...]] = field(default_factory=list)
