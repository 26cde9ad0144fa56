"""The attention rules: pure functions from one pair's signals (and now) to its flags."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.attention.types import (
    ANSWER_GRACE,
    IGNORED_NUDGES,
    LONG_PAUSE,
    NO_MEETING_FOR,
    UNANSWERED_PULSES,
    Flag,
    FlagKind,
    PairSignals,
)


def weeks_words(span: timedelta) -> str:
    """A span in whole weeks, for an admin: "6 weeks", "1 week", "less than a week"."""
    weeks = span.days // 7
    if weeks < 1:
        return "less than a week"
    return "1 week" if weeks == 1 else f"{weeks} weeks"


def _day(moment: datetime) -> str:
    return f"{moment.day} {moment:%b %Y}"


def no_meeting_flag(signals: PairSignals, now: datetime) -> Flag | None:
    """No meeting logged for NO_MEETING_FOR (counting from the pair's start when none ever was)."""
    since = signals.last_meeting_at or signals.started_at
    if now - since < NO_MEETING_FOR:
        return None
    if signals.last_meeting_at is None:
        why = f"no meeting logged since the pair started {weeks_words(now - since)} ago"
    else:
        why = f"no meeting logged for {weeks_words(now - since)}"
    return Flag(FlagKind.NO_MEETING, why)


def ignored_nudges_flag(signals: PairSignals) -> Flag | None:
    """The mentor left their last IGNORED_NUDGES nudges (old enough to judge) unanswered."""
    latest = signals.nudges_answered[:IGNORED_NUDGES]
    if len(latest) < IGNORED_NUDGES or any(latest):
        return None
    return Flag(FlagKind.IGNORED_NUDGES, f"the mentor didn't answer their last {IGNORED_NUDGES} nudges")


def long_pause_flag(signals: PairSignals, now: datetime) -> Flag | None:
    """The mentor stopped messages, or has been paused, for more than LONG_PAUSE.

    A pause counts from when it began (`paused_at`). Pauses made before that was stored
    have no start: for them the old guess stands — no nudge for LONG_PAUSE (since the
    pair started, if never) while paused — and the words say only that.
    """
    stopped = signals.mentor_stopped_at
    if stopped is not None and now - stopped > LONG_PAUSE:
        return Flag(FlagKind.LONG_PAUSE, f"the mentor stopped all messages {weeks_words(now - stopped)} ago")
    until = signals.mentor_paused_until
    if until is None or until <= now:
        return None
    began = signals.mentor_paused_at
    if began is not None:
        if now - began <= LONG_PAUSE:
            return None
        return Flag(
            FlagKind.LONG_PAUSE,
            f"the mentor has been paused for {weeks_words(now - began)}, until {_day(until)}",
        )
    quiet_since = max(signals.last_nudge_at or signals.started_at, signals.started_at)
    if now - quiet_since > LONG_PAUSE:
        return Flag(
            FlagKind.LONG_PAUSE,
            f"the mentor is paused until {_day(until)} and has had no nudge for a month while paused",
        )
    return None


def pulse_flag(signals: PairSignals) -> Flag | None:
    """The mentee's last UNANSWERED_PULSES closed check-ins all went unanswered (never what was said)."""
    latest = signals.pulses_answered[:UNANSWERED_PULSES]
    if len(latest) < UNANSWERED_PULSES or any(latest):
        return None
    return Flag(FlagKind.PULSE_UNANSWERED, f"the mentee's last {UNANSWERED_PULSES} check-ins went unanswered")


def flags_for(signals: PairSignals, now: datetime) -> tuple[Flag, ...]:
    """Every flag this pair raises at `now`, in a fixed order."""
    found = (
        no_meeting_flag(signals, now),
        ignored_nudges_flag(signals),
        long_pause_flag(signals, now),
        pulse_flag(signals),
    )
    return tuple(flag for flag in found if flag is not None)


def judged_before(now: datetime) -> datetime:
    """Nudges sent before this instant are old enough to count as ignored."""
    return now - ANSWER_GRACE
