"""Reflections as values: the outbox kinds, a channel's settings, what a retry or a share
click found. Nothing else of the feature is imported here.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.models import (
    ReflectionChannel,
    ReflectionPrompt,
)
from bot.reflections.rules import (
    DayRule,
)

PROMPT_KIND = "reflection_prompt"

SUMMARY_KIND = "reflection_summary"

REMINDER_KIND = "reflection_reminder"


@dataclass(frozen=True)
class ChannelSettings:
    """What an admin chooses for a channel in the set-up modal."""

    day_rule: DayRule
    minute_of_day: int
    timezone: str
    themes: tuple[str, ...]
    allow_anonymous: bool = True
    reminder_enabled: bool = False


@dataclass(frozen=True)
class ChannelOverview:
    """One channel in `/mentor reflections`: its set-up and its latest prompt."""

    channel: ReflectionChannel
    latest: ReflectionPrompt | None
    next_theme: str | None


@dataclass(frozen=True)
class Rearmed:
    """What a retry request found: the prompt (if any) and whether it was re-armed."""

    prompt: ReflectionPrompt | None
    rearmed: bool
    channel: ReflectionChannel | None


@dataclass(frozen=True)
class ShareTarget:
    """Where a reflection on a prompt goes, and what the share modal should offer."""

    prompt_id: int
    channel_id: str
    thread_ts: str
    theme: str
    question: str
    month: str
    allow_anonymous: bool
    closed_reason: str | None
