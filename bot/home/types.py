"""The Home tab as values: what each section may read, and what each role's sections show."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from slack_sdk.models.blocks import Block
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.models import Person
from bot.preferences.types import PersonalSettings

# Flagged pairs per page of the admin Home (each a line of one section).
FLAGGED_PAGE_SIZE = 10
# Mentees listed with their meeting counts on a mentor's Home.
MENTEES_SHOWN = 15
# Practices worked on: this many days back.
PRACTICE_DAYS = 90
# Last nudges listed on a mentor's Home.
RECENT_NUDGES = 3


@dataclass(frozen=True)
class HomeContext:
    """What a section may read: an open session, the person, their settings, now, and the
    page of a paged list they asked for."""

    session: Session
    settings: Settings
    person: Person
    personal: PersonalSettings
    now: datetime
    page: int = 0


HomeSection = Callable[[HomeContext], Sequence[Block]]


@dataclass(frozen=True)
class MenteeMeetings:
    """Meetings a mentor logged for one active mentee."""

    mentee_user: str
    meetings: int
    last_month: str | None


@dataclass(frozen=True)
class NextNudge:
    """When the mentor's next nudge is due, in their words, or why none is coming."""

    when: str | None
    why_none: str | None = None


@dataclass(frozen=True)
class CheckInState:
    """A mentee's current check-in about one mentor: answered or not — never the answer."""

    mentor_user: str
    answered: bool
    closes_on: str


@dataclass(frozen=True)
class MenteeView:
    """The mentee's own Home: their mentors, and their open check-ins."""

    mentors: tuple[str, ...]
    check_ins: tuple[CheckInState, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Page:
    """One page of a paged list: its items, its number (from 0) and how many pages there are."""

    items: tuple[object, ...]
    number: int
    pages: int
    total: int
