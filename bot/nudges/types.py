"""Nudges as values: kinds of outbox row, a nudge card in its current state, a history
line, the refusals a click can meet, and a back-off choice. Nothing else of the feature
is imported here.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.library.types import Followup

NUDGE_KIND = "nudge"
BACKOFF_KIND = "nudge_backoff"


@dataclass(frozen=True)
class NudgeCard:
    """Everything a nudge message shows, before and after it is answered."""

    send_id: int
    text: str
    practice_title: str
    is_reminder: bool = False
    answer: str | None = None
    followup: Followup | None = None
    followup_choice: str | None = None
    has_note: bool = False
    # When the reminder will come, in the mentor's words ("on Wednesday at 09:30").
    remind_when: str | None = None
    # Why the planner leaned toward this practice ("gap", "self"), shown privately.
    reason: str | None = None
    # Where the message is in Slack, once sent (for chat.update).
    channel: str | None = None
    ts: str | None = None


@dataclass(frozen=True)
class HistoryLine:
    """One past nudge in `/mentor history`."""

    when: str
    practice_title: str
    text: str
    answer: str | None
    followup_question: str | None = None
    followup_choice: str | None = None
    note: str | None = None


class NudgeNotFound(LookupError):
    """No nudge with that id in this workspace (an old or forged button)."""


class NotYourNudge(PermissionError):
    """Someone other than the nudge's recipient clicked it."""


class NoteRefused(ValueError):
    """The note looks like it holds a patient identifier; the message says what to do."""


@dataclass(frozen=True)
class PaceChoice:
    """What a mentor chose in the back-off check-in, and the sentence confirming it."""

    choice: str
    message: str
    channel: str | None
    ts: str | None
