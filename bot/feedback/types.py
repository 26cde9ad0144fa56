"""Feedback-chat requests as values: outbox kinds, limits, a request as its messages show
it, what asking achieved, and the refusals. Nothing else of the feature is imported here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from bot.models import FeedbackSource, FeedbackStatus

# The DM to the mentor, and the answer to the mentee (both rendered at send time).
REQUEST_KIND = "feedback_request"
ANSWER_KIND = "feedback_answer"

# Names handlers use (they never import bot.models).
FROM_COMMAND = FeedbackSource.COMMAND
FROM_HOME = FeedbackSource.HOME
ANSWER_LATER = FeedbackStatus.LATER

# Server-side limits for what people type (the modals hold the same limits).
TOPIC_MAX_CHARS = 300
NOTE_MAX_CHARS = 300

# A second request to the same mentor within this long updates the first one.
MERGE_WINDOW = timedelta(days=1)
# An unanswered request closes after this long, and the mentee is told.
OPEN_FOR = timedelta(days=7)
# The answer waits for the mentee's allowed hours; past this it is no longer news.
ANSWER_LIFETIME = timedelta(days=7)

# What each answer is called on its button and in messages.
ANSWER_LABELS = {
    FeedbackStatus.TALK: "Let's talk this week",
    FeedbackStatus.LATER: "Suggest another time",
    FeedbackStatus.CANT: "Can't right now",
}


@dataclass(frozen=True)
class RequestCard:
    """A request as the mentor's DM and the mentee's Home show it."""

    request_id: int
    mentor_user_id: str
    mentee_user_id: str
    topic: str | None
    status: str
    # When it was asked, in the reader's words ("Tue 1 Dec").
    asked_on: str
    times_asked: int = 1
    note: str | None = None
    # Where the mentor's DM is in Slack, once sent (for chat.update).
    channel: str | None = None
    ts: str | None = None


@dataclass(frozen=True)
class AskOutcome:
    """What a mentee's request did, in words for them, and mentor messages to refresh."""

    message: str
    request_id: int
    mentor_user_id: str
    # The mentor's DMs whose text changed (a merged topic, a superseded request).
    refresh: tuple[RequestCard, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class MentorChoice:
    """One of a mentee's mentors, for the ask modal's menu."""

    user_id: str
    label: str


class AskRefused(ValueError):
    """A request we refuse without changing anything; the message says what to do.

    `about` is "topic" when the topic was the problem, else "mentor" (whom to ask), so a
    modal can show the message beside the right field.
    """

    def __init__(self, message: str, *, about: str = "mentor") -> None:
        super().__init__(message)
        self.about = about

    @property
    def message(self) -> str:
        """The sentence to show the mentee."""
        return str(self.args[0])


class RequestNotFound(LookupError):
    """No request with that id in this workspace (an old or forged button)."""


class NotYourRequest(PermissionError):
    """Someone other than the mentor the request went to clicked it."""


class RequestClosed(ValueError):
    """The request was already answered, replaced or closed; nothing changed.

    Carries the words for the clicker and the request as it now stands, so its message
    can be brought up to date.
    """

    def __init__(self, message: str, card: RequestCard) -> None:
        super().__init__(message)
        self.card = card

    @property
    def message(self) -> str:
        """The sentence to show the mentor."""
        return str(self.args[0])


class NoteRefused(ValueError):
    """A note that is too long or looks like it holds a patient identifier."""

    @property
    def message(self) -> str:
        """The sentence to show beside the field."""
        return str(self.args[0])
