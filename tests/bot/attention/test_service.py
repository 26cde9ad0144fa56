"""Pairs that need attention, read from a seeded program: each signal from its own table."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.attention.blocks import flagged_line
from bot.attention.service import flagged_pairs
from bot.attention.types import FlagKind
from bot.db import transaction
from bot.models import NudgeAnswer
from tests.fakes.slack_api import TEAM_ID
from tests.program_world import check_in, meeting, nudge, pair, person

NOW = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)
LONG_AGO = NOW - timedelta(days=120)


def flags_by_mentee(session_factory) -> dict[str, list[str]]:
    with session_factory() as session:
        return {f.mentee_user: [flag.kind for flag in f.flags] for f in flagged_pairs(session, TEAM_ID, NOW)}


def test_each_signal_flags_its_pair_and_healthy_pairs_are_left_out(session_factory):
    with transaction(session_factory) as session:
        healthy = pair(session, "U0M1", "U0E1", started_at=LONG_AGO)
        meeting(session, healthy, recorded_at=NOW - timedelta(days=5))
        nudge(session, person(session, "U0M1"), sent_at=NOW - timedelta(days=7), answer="done")
        check_in(session, healthy, 1, due_at=NOW - timedelta(days=60), answered=False)
        check_in(session, healthy, 2, due_at=NOW - timedelta(days=30), answered=True)

        quiet = pair(session, "U0M2", "U0E2", started_at=LONG_AGO)
        meeting(session, quiet, recorded_at=NOW - timedelta(days=50))
        meeting(session, quiet, recorded_at=NOW - timedelta(days=2), minutes=0)  # a "not yet"

        ignoring = pair(session, "U0M3", "U0E3", started_at=LONG_AGO)
        meeting(session, ignoring, recorded_at=NOW - timedelta(days=3))
        mentor3 = person(session, "U0M3")
        nudge(session, mentor3, sent_at=NOW - timedelta(days=40), answer="done")
        for days in (21, 14, 7):
            nudge(session, mentor3, sent_at=NOW - timedelta(days=days))
        # This morning's nudge is not "ignored" yet, so it does not hide the three before it.
        nudge(session, mentor3, sent_at=NOW - timedelta(hours=3))

        paused = pair(session, "U0M4", "U0E4", started_at=LONG_AGO)
        meeting(session, paused, recorded_at=NOW - timedelta(days=3))
        person(session, "U0M4", paused_until=NOW + timedelta(days=45))

        silent = pair(session, "U0M5", "U0E5", started_at=LONG_AGO)
        meeting(session, silent, recorded_at=NOW - timedelta(days=3))
        check_in(session, silent, 1, due_at=NOW - timedelta(days=90), answered=True)
        check_in(session, silent, 2, due_at=NOW - timedelta(days=60), answered=False)
        check_in(session, silent, 3, due_at=NOW - timedelta(days=30), answered=False)
        # Still open: not counted either way.
        check_in(session, silent, 4, due_at=NOW - timedelta(days=2), answered=False)

        ended = pair(session, "U0M6", "U0E6", started_at=LONG_AGO, ended_at=NOW - timedelta(days=1))
        assert ended.id

    assert flags_by_mentee(session_factory) == {
        "U0E2": [FlagKind.NO_MEETING],
        "U0E3": [FlagKind.IGNORED_NUDGES],
        "U0E4": [FlagKind.LONG_PAUSE],
        "U0E5": [FlagKind.PULSE_UNANSWERED],
    }


def test_pairs_with_most_flags_come_first_and_each_flag_says_why(session_factory):
    with transaction(session_factory) as session:
        one = pair(session, "U0MA", "U0EA", started_at=LONG_AGO)
        two = pair(session, "U0MB", "U0EB", started_at=LONG_AGO)
        person(session, "U0MB", opted_out_at=NOW - timedelta(days=50))
        assert one.id < two.id

    with session_factory() as session:
        found = flagged_pairs(session, TEAM_ID, NOW)

    assert [f.mentee_user for f in found] == ["U0EB", "U0EA"]
    assert [flag.why for flag in found[0].flags] == [
        "no meeting logged since the pair started 17 weeks ago",
        "the mentor stopped all messages 7 weeks ago",
    ]


def test_a_pause_is_judged_from_when_it_began(session_factory):
    """A mentor rarely nudged who paused two days ago for two months is not flagged; one
    paused six weeks ago is."""
    with transaction(session_factory) as session:
        for mentor, mentee, began in (("U0MP1", "U0EP1", 2), ("U0MP2", "U0EP2", 42)):
            paused = pair(session, mentor, mentee, started_at=LONG_AGO)
            meeting(session, paused, recorded_at=NOW - timedelta(days=3))
            person(
                session,
                mentor,
                paused_at=NOW - timedelta(days=began),
                paused_until=NOW + timedelta(days=60),
            )

    assert flags_by_mentee(session_factory) == {"U0EP2": [FlagKind.LONG_PAUSE]}


def test_a_nudge_answered_with_only_a_note_is_not_ignored(session_factory):
    with transaction(session_factory) as session:
        noted = pair(session, "U0MN", "U0EN", started_at=LONG_AGO)
        meeting(session, noted, recorded_at=NOW - timedelta(days=3))
        mentor = person(session, "U0MN")
        sends = [nudge(session, mentor, sent_at=NOW - timedelta(days=days)) for days in (21, 14, 7)]
        session.add(
            NudgeAnswer(
                team_id=TEAM_ID,
                nudge_send_id=sends[-1].id,
                person_id=mentor.id,
                answer=None,
                note="We met on the ward instead.",
                note_at=NOW - timedelta(days=6),
            )
        )

    assert flags_by_mentee(session_factory) == {}


def test_a_mentor_who_ignores_nudges_is_listed_once_with_their_mentees_counted(session_factory):
    with transaction(session_factory) as session:
        for mentee in ("U0EX1", "U0EX2", "U0EX3"):
            met = pair(session, "U0MX", mentee, started_at=LONG_AGO)
            if mentee != "U0EX3":
                meeting(session, met, recorded_at=NOW - timedelta(days=3))
        mentor = person(session, "U0MX")
        for days in (21, 14, 7):
            nudge(session, mentor, sent_at=NOW - timedelta(days=days))

    with session_factory() as session:
        found = flagged_pairs(session, TEAM_ID, NOW)

    assert [(f.mentee_user, [flag.kind for flag in f.flags]) for f in found] == [
        (None, [FlagKind.IGNORED_NUDGES]),
        ("U0EX3", [FlagKind.NO_MEETING]),
    ]
    assert flagged_line(found[0]) == "• <@U0MX> (3 mentees) — the mentor didn't answer their last 3 nudges"
