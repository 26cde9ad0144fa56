"""The attention rules, one flag at a time, at their thresholds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.attention.rules import flags_for, weeks_words
from bot.attention.types import (
    IGNORED_NUDGES,
    LONG_PAUSE,
    NO_MEETING_FOR,
    UNANSWERED_PULSES,
    FlagKind,
    PairSignals,
)

NOW = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)


def signals(**fields) -> PairSignals:
    base = {
        "pair_id": 1,
        "mentor_user": "U0MTR",
        "mentee_user": "U0MTE",
        "started_at": NOW - timedelta(days=10),
        "last_meeting_at": NOW - timedelta(days=1),
    }
    return PairSignals(**{**base, **fields})


def kinds(found) -> list[str]:
    return [flag.kind for flag in found]


def test_a_healthy_pair_raises_no_flag():
    assert flags_for(signals(nudges_answered=(True, False, False), pulses_answered=(False, True)), NOW) == ()


def test_no_meeting_counts_from_the_last_meeting_or_else_from_the_start():
    just_under = signals(last_meeting_at=NOW - NO_MEETING_FOR + timedelta(minutes=1))
    at_limit = signals(last_meeting_at=NOW - NO_MEETING_FOR)
    never = signals(last_meeting_at=None, started_at=NOW - timedelta(weeks=9))
    new_pair = signals(last_meeting_at=None, started_at=NOW - timedelta(weeks=2))

    assert flags_for(just_under, NOW) == ()
    assert [f.why for f in flags_for(at_limit, NOW)] == ["no meeting logged for 6 weeks"]
    assert [f.why for f in flags_for(never, NOW)] == ["no meeting logged since the pair started 9 weeks ago"]
    assert flags_for(new_pair, NOW) == ()


def test_the_last_three_nudges_all_unanswered_flag_the_mentor():
    ignored = signals(nudges_answered=(False,) * IGNORED_NUDGES)
    one_answered = signals(nudges_answered=(False, False, True))
    too_few = signals(nudges_answered=(False,) * (IGNORED_NUDGES - 1))

    assert kinds(flags_for(ignored, NOW)) == [FlagKind.IGNORED_NUDGES]
    assert "last 3 nudges" in flags_for(ignored, NOW)[0].why
    assert flags_for(one_answered, NOW) == () and flags_for(too_few, NOW) == ()


def test_a_long_pause_counts_from_when_it_began():
    began_long_ago = signals(
        mentor_paused_at=NOW - LONG_PAUSE - timedelta(days=6),
        mentor_paused_until=NOW + timedelta(days=3),
        last_nudge_at=NOW - timedelta(days=60),
    )
    # A fresh pause that runs for two months, of a mentor not nudged for a while: not yet.
    fresh_but_long = signals(
        mentor_paused_at=NOW - timedelta(days=2),
        mentor_paused_until=NOW + LONG_PAUSE + timedelta(days=30),
        last_nudge_at=NOW - LONG_PAUSE - timedelta(days=10),
        started_at=NOW - timedelta(days=200),
    )
    over = signals(
        mentor_paused_at=NOW - timedelta(days=90),
        mentor_paused_until=NOW - timedelta(days=1),
        last_nudge_at=NOW - timedelta(days=60),
    )
    stopped = signals(mentor_stopped_at=NOW - timedelta(days=40))

    assert [f.why for f in flags_for(began_long_ago, NOW)] == [
        "the mentor has been paused for 5 weeks, until 10 Dec 2026"
    ]
    assert flags_for(fresh_but_long, NOW) == () and flags_for(over, NOW) == ()
    assert flags_for(stopped, NOW)[0].why == "the mentor stopped all messages 5 weeks ago"


def test_a_pause_with_no_known_start_is_flagged_only_after_a_month_without_nudges():
    quiet_long = signals(
        mentor_paused_until=NOW + timedelta(days=3),
        last_nudge_at=NOW - LONG_PAUSE - timedelta(days=1),
        started_at=NOW - timedelta(days=200),
    )
    # Far ahead, but nudged today: its length alone says nothing about when it began.
    long_ahead = signals(mentor_paused_until=NOW + LONG_PAUSE + timedelta(days=1), last_nudge_at=NOW)
    short = signals(mentor_paused_until=NOW + timedelta(days=3), last_nudge_at=NOW - timedelta(days=10))

    assert [f.why for f in flags_for(quiet_long, NOW)] == [
        "the mentor is paused until 10 Dec 2026 and has had no nudge for a month while paused"
    ]
    assert flags_for(long_ahead, NOW) == () and flags_for(short, NOW) == ()


def test_two_unanswered_check_ins_in_a_row_flag_the_pair_and_never_say_more():
    twice = signals(pulses_answered=(False,) * UNANSWERED_PULSES)
    once = signals(pulses_answered=(False, True))

    found = flags_for(twice, NOW)
    assert kinds(found) == [FlagKind.PULSE_UNANSWERED]
    assert found[0].why == "the mentee's last 2 check-ins went unanswered"
    assert flags_for(once, NOW) == ()


def test_several_flags_come_in_a_fixed_order():
    everything = signals(
        last_meeting_at=None,
        started_at=NOW - timedelta(days=100),
        nudges_answered=(False, False, False),
        mentor_stopped_at=NOW - timedelta(days=35),
        pulses_answered=(False, False),
    )
    assert kinds(flags_for(everything, NOW)) == list(FlagKind.ALL)


def test_weeks_in_words():
    assert weeks_words(timedelta(days=6)) == "less than a week"
    assert weeks_words(timedelta(days=7)) == "1 week"
    assert weeks_words(timedelta(days=43)) == "6 weeks"
