"""Mentoring agreements as values: outbox kinds, limits, choices, a version and an
agreement as messages show them, Home's summary, report counts, and the refusals.
Nothing else of the feature is imported here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.models import AgreementStatus, GoalState

INVITE_KIND = "agreement_invite"
PROPOSAL_KIND = "agreement_proposal"
AGREED_KIND = "agreement_agreed"
REVIEW_KIND = "agreement_review"

PROPOSED, AGREED, ENDED = AgreementStatus.PROPOSED, AgreementStatus.AGREED, AgreementStatus.ENDED
MET, WORKING, CHANGED = GoalState.MET, GoalState.WORKING, GoalState.CHANGED
MENTOR, MENTEE = "mentor", "mentee"
MID, END = "mid", "end"

# Server-side limits (the modal holds the same).
MAX_GOALS = 3
GOAL_MAX_CHARS = 200
FIELD_MAX_CHARS = 300
NOTE_MAX_CHARS = 300

# How often to meet: stored keys, shown words.
MEETING_CHOICES = {
    "weekly": "Every week",
    "fortnightly": "Every two weeks",
    "monthly": "Once a month",
    "bimonthly": "Every two months",
    "as_needed": "When either of us asks",
}
STATE_LABELS = {MET: "Met", WORKING: "Still working on it", CHANGED: "Changed"}
STAGE_WORDS = {MID: "halfway", END: "end-of-cycle"}


@dataclass(frozen=True)
class Draft:
    """What someone wrote in the agreement modal, checked and ready to store."""

    goals: tuple[str, ...]
    meet_every: str | None = None
    reach: str | None = None
    feedback: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class VersionView:
    """One version as messages show it."""

    number: int
    author_role: str
    author_user_id: str
    draft: Draft
    written_on: str


@dataclass(frozen=True)
class AgreementCard:
    """An agreement as a message shows it to one reader."""

    agreement_id: int
    mentor_user_id: str
    mentee_user_id: str
    status: str
    latest: VersionView
    agreed: VersionView | None = None
    # Each agreed goal's latest review mark (None: not reviewed yet).
    states: tuple[str | None, ...] = ()

    def other(self, user_id: str) -> str:
        """The other person of the pair."""
        return self.mentee_user_id if user_id == self.mentor_user_id else self.mentor_user_id

    @property
    def awaiting_user_id(self) -> str | None:
        """Who must answer the latest proposal, if one waits."""
        if self.status != PROPOSED:
            return None
        return self.mentee_user_id if self.latest.author_role == MENTOR else self.mentor_user_id


@dataclass(frozen=True)
class DraftContext:
    """What the agreement modal is for: the pair, the version it builds on, who writes."""

    pair_id: int
    role: str
    other_user_id: str
    agreement_id: int | None = None
    base_version: int | None = None
    initial: Draft | None = None


@dataclass(frozen=True)
class CommandOutcome:
    """What `/mentor agreement` does: open the modal, or say something."""

    context: DraftContext | None = None
    message: str | None = None
    card: AgreementCard | None = None


@dataclass(frozen=True)
class GoalLine:
    """One goal with its state, for Home."""

    text: str
    state: str | None


@dataclass(frozen=True)
class AgreementSummary:
    """One of a person's agreements, for the Home tab."""

    other_user_id: str
    role: str
    status: str
    goals: tuple[GoalLine, ...]
    agreed_on: str | None
    next_review: str | None
    waiting_for_you: bool = False


@dataclass(frozen=True)
class AgreementCounts:
    """Program report figures: no goal text, no names."""

    made: int = 0
    goals: int = 0
    goals_met: int = 0
    goals_working: int = 0
    goals_changed: int = 0


@dataclass(frozen=True)
class ReviewCard:
    """A review message: the agreed goals with their marks at this stage."""

    agreement_id: int
    stage: str
    other_user_id: str
    goals: tuple[str, ...]
    states: tuple[str | None, ...] = field(default_factory=tuple)


class DraftRefused(ValueError):
    """A field that is too long or looks like it holds patient information.

    `block` names the modal field the message belongs beside.
    """

    def __init__(self, message: str, *, block: str) -> None:
        super().__init__(message)
        self.block = block

    @property
    def message(self) -> str:
        """The sentence to show beside the field."""
        return str(self.args[0])


class AgreementRefused(ValueError):
    """A request we refuse without changing anything; the message says what to do."""

    @property
    def message(self) -> str:
        """The sentence to show."""
        return str(self.args[0])


class AgreementNotFound(LookupError):
    """No such agreement in this workspace (an old or forged button)."""


class NotYourTurn(PermissionError):
    """Someone clicked who may not answer this (not in the pair, or it's their own proposal)."""

    @property
    def message(self) -> str:
        """The sentence to show."""
        return str(self.args[0]) if self.args else "This isn't yours to answer, so nothing changed."


class Superseded(ValueError):
    """The version clicked is no longer the latest; carries the agreement as it stands."""

    def __init__(self, message: str, card: AgreementCard) -> None:
        super().__init__(message)
        self.card = card

    @property
    def message(self) -> str:
        """The sentence to show."""
        return str(self.args[0])
