"""Personal settings as values: what a person chose, what a change did, what the form sent.

Dataclasses and field names only; they import nothing else of the feature.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.timing import pause_end_instant

# Why someone is paused; "break" is what `/mentor pause` records.
PAUSE_REASONS = {"nights": "on nights", "leave": "on leave", "break": "taking a break"}
NOT_PAUSED = "none"
AUTO_ZONE = "auto"

# Form fields (the settings modal uses these as block ids, so errors land beside them).
NUDGE_DAYS = "nudge_days"
NUDGE_TIME = "nudge_time"
CADENCE = "cadence"
CONTACT_START = "contact_start"
CONTACT_END = "contact_end"
WEEKENDS = "weekends"
TIMEZONE = "timezone"
PAUSE_KIND = "pause_kind"
PAUSE_UNTIL = "pause_until"


class PreferenceError(ValueError):
    """A request we refuse without changing anything; the message says what to do."""

    @property
    def message(self) -> str:
        """The sentence to show the person."""
        return str(self.args[0])


class FormErrors(ValueError):
    """The settings form has problems: field name → message. Nothing was saved."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(errors)
        self.errors = errors


@dataclass(frozen=True)
class PersonalSettings:
    """A person's settings as of `now`, ready to describe or render (no session needed)."""

    team_id: str
    user_id: str
    # "mentor" (has an active pair as mentor), "mentee" (only as mentee) or "none".
    role: str
    nudge_days: tuple[int, ...]
    nudge_minute: int
    cadence: str
    contact_start: int
    contact_end: int
    quiet_weekends: bool
    zone: str
    zone_source: str
    slack_tz: str | None
    tz_override: str | None
    paused_until: datetime | None
    pause_reason: str | None
    opted_out_at: datetime | None
    is_active: bool
    now: datetime
    # Back-off steps taken after unanswered nudges (0: the chosen pace).
    backoff_level: int = 0

    @property
    def tzinfo(self) -> ZoneInfo:
        """The zone as a ZoneInfo."""
        return ZoneInfo(self.zone)

    @property
    def local_now(self) -> datetime:
        """`now` on the person's wall clock."""
        return self.now.astimezone(self.tzinfo)

    @property
    def today(self) -> date:
        """The person's local date."""
        return self.local_now.date()

    @property
    def shows_nudges(self) -> bool:
        """Nudge settings matter to mentors, and to people not in a pair yet (they may be soon)."""
        return self.role != "mentee"

    @property
    def is_paused(self) -> bool:
        """True while a pause is in force."""
        return self.paused_until is not None and self.paused_until > self.now

    @property
    def is_stopped(self) -> bool:
        """True after `/mentor stop` until they start again."""
        return self.opted_out_at is not None

    @property
    def resume_local(self) -> datetime | None:
        """When the pause ends, on the person's wall clock."""
        return self.paused_until.astimezone(self.tzinfo) if self.is_paused and self.paused_until else None

    @property
    def pause_ends_at_day_start(self) -> bool:
        """True for the usual pause, which ends at the start of a local day."""
        resume = self.resume_local
        if resume is None:
            return False
        return pause_end_instant(resume.date() - timedelta(days=1), self.tzinfo) == self.paused_until

    @property
    def pause_last_day(self) -> date | None:
        """The last local day of the pause (inclusive)."""
        resume = self.resume_local
        if resume is None:
            return None
        return resume.date() - timedelta(days=1) if self.pause_ends_at_day_start else resume.date()


@dataclass(frozen=True)
class PauseOutcome:
    """What `pause` did."""

    settings: PersonalSettings
    previous_until: datetime | None
    cancelled: int


@dataclass(frozen=True)
class ResumeOutcome:
    """What `resume` did: whether there was a pause (and a stop) to end."""

    settings: PersonalSettings
    was_paused: bool
    was_stopped: bool


@dataclass(frozen=True)
class StopOutcome:
    """What `stop` did."""

    settings: PersonalSettings
    already_stopped: bool
    cancelled: int


@dataclass(frozen=True)
class StartOutcome:
    """What `start` did."""

    settings: PersonalSettings
    was_stopped: bool


@dataclass(frozen=True)
class ZoneOutcome:
    """What `set_timezone` did."""

    settings: PersonalSettings
    previous_zone: str
    changed: bool


@dataclass(frozen=True)
class SettingsForm:
    """What the settings modal submitted, already turned into our units.

    `nudge_*` and `cadence` are None when the form did not show them (mentees). A
    field Slack sent without a usable value is None too, and reported by validation.
    """

    nudge_days: tuple[int, ...] | None
    nudge_minute: int | None
    cadence: str | None
    contact_start: int | None
    contact_end: int | None
    quiet_weekends: bool
    timezone: str | None
    pause_kind: str
    pause_last_day: date | None

    @property
    def shows_nudges(self) -> bool:
        """Whether the submitted form had the nudge fields (days come back even when none is ticked)."""
        return self.nudge_days is not None
