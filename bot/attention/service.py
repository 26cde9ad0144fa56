"""Reading the attention signals of a workspace's active pairs, and flagging them.

A fixed number of queries whatever the program's size (one per signal, window functions
for "the latest few per mentor / per pair"), so the admin Home and the digest stay quick
for a program of thousands of pairs.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session, aliased

from bot.attention.rules import flags_for, judged_before
from bot.attention.types import (
    IGNORED_NUDGES,
    UNANSWERED_PULSES,
    Flag,
    FlaggedPair,
    FlagKind,
    PairSignals,
)
from bot.models import (
    MeetingLog,
    NudgeAnswer,
    NudgeSend,
    Pair,
    Person,
    PulseParticipation,
    PulseRound,
    RoundKind,
    RoundStatus,
)

# Nudges older than this are not read: a mentor whose last three nudges go back further is
# either paused (its own flag) or barely nudged, and reading only recent rows keeps the
# query to a slice of a years-long nudge log.
RECENT_NUDGES = timedelta(days=183)


def _last_meetings(session: Session, team_id: str) -> dict[int, datetime]:
    rows = session.execute(
        select(MeetingLog.pair_id, func.max(MeetingLog.recorded_at))
        .where(MeetingLog.team_id == team_id, MeetingLog.minutes > 0)
        .group_by(MeetingLog.pair_id)
    )
    return {pair_id: last for pair_id, last in rows}


def _latest_nudges(session: Session, team_id: str, now: datetime) -> dict[int, list[tuple[datetime, bool]]]:
    """Each mentor's latest sent nudges old enough to judge: (sent at, answered), newest first."""
    rank = (
        func.row_number()
        .over(partition_by=NudgeSend.person_id, order_by=(NudgeSend.sent_at.desc(), NudgeSend.id.desc()))
        .label("rank")
    )
    ranked = (
        select(NudgeSend.id, NudgeSend.person_id, NudgeSend.sent_at, rank)
        .where(
            NudgeSend.team_id == team_id,
            NudgeSend.sent_at >= now - RECENT_NUDGES,
            NudgeSend.sent_at < judged_before(now),
        )
        .subquery()
    )
    found: dict[int, list[tuple[datetime, bool]]] = defaultdict(list)
    # Answers are looked up for the few latest nudges only, after ranking.
    rows = session.execute(
        select(ranked.c.person_id, ranked.c.sent_at, NudgeAnswer.id)
        .outerjoin(NudgeAnswer, NudgeAnswer.nudge_send_id == ranked.c.id)
        .where(ranked.c.rank <= IGNORED_NUDGES)
        .order_by(ranked.c.person_id, ranked.c.rank)
    )
    # An answer row is an answer, whatever it holds (a note alone, with no button, too).
    for person_id, sent_at, answer_id in rows:
        found[person_id].append((sent_at, answer_id is not None))
    return found


def _last_nudge_sent(session: Session, team_id: str, now: datetime) -> dict[int, datetime]:
    """Each mentor's last nudge within RECENT_NUDGES (older ones count as "none lately")."""
    rows = session.execute(
        select(NudgeSend.person_id, func.max(NudgeSend.sent_at))
        .where(NudgeSend.team_id == team_id, NudgeSend.sent_at >= now - RECENT_NUDGES)
        .group_by(NudgeSend.person_id)
    )
    return {person_id: last for person_id, last in rows}


def _latest_pulses(session: Session, team_id: str, now: datetime) -> dict[int, list[bool]]:
    """Each pair's latest closed check-ins that were sent: answered or not, newest first."""
    rank = (
        func.row_number()
        .over(partition_by=PulseRound.pair_id, order_by=(PulseRound.due_at.desc(), PulseRound.id.desc()))
        .label("rank")
    )
    ranked = (
        select(PulseRound.pair_id, PulseParticipation.pair_id.label("answered"), rank)
        .outerjoin(
            PulseParticipation,
            and_(
                PulseParticipation.pair_id == PulseRound.pair_id,
                PulseParticipation.number == PulseRound.number,
            ),
        )
        .where(
            PulseRound.team_id == team_id,
            PulseRound.kind == RoundKind.MENTEE,
            PulseRound.status == RoundStatus.SENT,
            PulseRound.closes_at <= now,
        )
        .subquery()
    )
    found: dict[int, list[bool]] = defaultdict(list)
    rows = session.execute(
        select(ranked.c.pair_id, ranked.c.answered)
        .where(ranked.c.rank <= UNANSWERED_PULSES)
        .order_by(ranked.c.pair_id, ranked.c.rank)
    )
    for pair_id, answered in rows:
        found[pair_id].append(answered is not None)
    return found


def pair_signals(session: Session, team_id: str, now: datetime) -> list[PairSignals]:
    """The signals of every active pair in the workspace, in pair order."""
    mentor, mentee = aliased(Person), aliased(Person)
    # Columns, not whole people: a program of thousands of pairs loads no ORM objects here.
    pairs = session.execute(
        select(
            Pair.id,
            Pair.started_at,
            mentor.id,
            mentor.user_id,
            mentor.paused_until,
            mentor.paused_at,
            mentor.opted_out_at,
            mentee.user_id,
        )
        .join(mentor, mentor.id == Pair.mentor_id)
        .join(mentee, mentee.id == Pair.mentee_id)
        .where(Pair.team_id == team_id, Pair.ended_at.is_(None), Pair.started_at <= now)
        .order_by(Pair.id)
    ).all()
    if not pairs:
        return []
    meetings = _last_meetings(session, team_id)
    nudges = _latest_nudges(session, team_id, now)
    last_nudge = _last_nudge_sent(session, team_id, now)
    pulses = _latest_pulses(session, team_id, now)
    return [
        PairSignals(
            pair_id=pair_id,
            mentor_user=mentor_user,
            mentee_user=mentee_user,
            started_at=started_at,
            last_meeting_at=meetings.get(pair_id),
            nudges_answered=tuple(answered for _, answered in nudges.get(mentor_id, ())),
            mentor_paused_until=until,
            mentor_paused_at=began,
            mentor_stopped_at=stopped_at,
            last_nudge_at=last_nudge.get(mentor_id),
            pulses_answered=tuple(pulses.get(pair_id, ())),
        )
        for pair_id, started_at, mentor_id, mentor_user, until, began, stopped_at, mentee_user in pairs
    ]


def _mentor_entries(mentor_pairs: list[PairSignals], now: datetime) -> list[FlaggedPair]:
    """One mentor's flagged entries: their own flags once (naming how many mentees), then
    each pair's own flags. A mentor of one pair gets the single combined line."""
    flagged = [(signals, flags_for(signals, now)) for signals in mentor_pairs]
    first = mentor_pairs[0]
    if len(mentor_pairs) == 1:
        flags = flagged[0][1]
        return [FlaggedPair(first.pair_id, first.mentor_user, first.mentee_user, flags)] if flags else []
    own: dict[str, Flag] = {}
    for _signals, flags in flagged:
        for flag in flags:
            if flag.kind in FlagKind.MENTOR:
                own.setdefault(flag.kind, flag)
    entries = []
    if own:
        mentor_flags = tuple(own[kind] for kind in FlagKind.ALL if kind in own)
        entries.append(FlaggedPair(first.pair_id, first.mentor_user, None, mentor_flags, len(mentor_pairs)))
    for signals, flags in flagged:
        pair_flags = tuple(flag for flag in flags if flag.kind not in FlagKind.MENTOR)
        if pair_flags:
            entries.append(FlaggedPair(signals.pair_id, signals.mentor_user, signals.mentee_user, pair_flags))
    return entries


def flagged_pairs(session: Session, team_id: str, now: datetime) -> list[FlaggedPair]:
    """The workspace's active pairs that need attention, most flags first, then oldest pair.

    A mentor's own flags (ignored nudges, a long pause) come once per mentor, not once per
    mentee, so one mentor with many mentees does not fill the list.
    """
    by_mentor: dict[str, list[PairSignals]] = defaultdict(list)
    for signals in pair_signals(session, team_id, now):
        by_mentor[signals.mentor_user].append(signals)
    flagged = [entry for pairs in by_mentor.values() for entry in _mentor_entries(pairs, now)]
    return sorted(flagged, key=lambda f: (-len(f.flags), f.pair_id, f.mentee_user is not None))
