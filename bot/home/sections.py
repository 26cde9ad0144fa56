"""The Home sections of each role, reading what they show (one savepoint each, in
`bot.home.service.build_home`).

Mentor: their own progress. Mentee: their mentors and whether the current check-in is
answered. Admin (in addition): the program at a glance and the pairs that need attention.
Anyone with an agreement: its goals and their state.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import timedelta

from slack_sdk.models.blocks import Block
from sqlalchemy import func, select

from bot.agreements.blocks import goals_blocks
from bot.agreements.service import agreement_summary
from bot.attention.service import flagged_pairs
from bot.feedback.blocks import short_day
from bot.home.screens import admin_blocks, mentee_blocks, mentor_blocks
from bot.home.types import (
    FLAGGED_PAGE_SIZE,
    MENTEES_SHOWN,
    PRACTICE_DAYS,
    RECENT_NUDGES,
    CheckInState,
    HomeContext,
    MenteeMeetings,
    MenteeView,
    NextNudge,
    Page,
)
from bot.meetings.rules import month_name, parse_month_key
from bot.models import (
    MeetingLog,
    NudgeAnswer,
    NudgeAnswerKind,
    NudgeSend,
    Pair,
    Person,
    PulseRound,
    RoundKind,
    RoundStatus,
)
from bot.nudges.planner import next_slot
from bot.nudges.service import recent_history
from bot.people import is_admin
from bot.program.figures import glance
from bot.pulse.results import mentor_results
from bot.pulse.service import invitation_for, is_answered
from bot.rhythm import Rhythm, parse_days, slowed
from bot.rota.service import busy_for_people

# How far ahead the next nudge is looked for (a monthly cadence after back-off fits).
NEXT_NUDGE_HORIZON = timedelta(days=75)


def next_nudge(context: HomeContext) -> NextNudge:
    """The mentor's next nudge in their own time, after any pause and duty on their rota."""
    person, personal, now = context.person, context.personal, context.now
    if personal.is_stopped:
        return NextNudge(None, "you stopped all messages")
    days = parse_days(person.nudge_days)
    if not days:
        return NextNudge(None, "no nudge days are chosen")
    rhythm = slowed(Rhythm(days, person.cadence), person.backoff_level or 0)
    busy = busy_for_people(context.session, context.settings, [person], now, now + NEXT_NUDGE_HORIZON)
    pause_end = person.paused_until if personal.is_paused else None
    slot = next_slot(person, personal.tzinfo, rhythm, now, not_before=pause_end, busy=busy.get(person.id, ()))
    if slot is None:
        return NextNudge(None, "no allowed time in the next weeks")
    local = slot.at.astimezone(personal.tzinfo)
    return NextNudge(f"{short_day(local)} at {local:%H:%M} ({personal.zone})")


def _mentee_meetings(context: HomeContext) -> tuple[list[MenteeMeetings], int]:
    session, person = context.session, context.person
    rows = session.execute(
        select(Pair.id, Person.user_id)
        .join(Person, Person.id == Pair.mentee_id)
        .where(Pair.mentor_id == person.id, Pair.ended_at.is_(None))
        .order_by(Pair.started_at, Pair.id)
    ).all()
    shown = rows[:MENTEES_SHOWN]
    counts = {
        pair_id: (int(count), last)
        for pair_id, count, last in session.execute(
            select(MeetingLog.pair_id, func.count(MeetingLog.id), func.max(MeetingLog.month))
            .where(MeetingLog.pair_id.in_([pair_id for pair_id, _ in shown]), MeetingLog.minutes > 0)
            .group_by(MeetingLog.pair_id)
        )
    }
    meetings = []
    for pair_id, user_id in shown:
        count, last = counts.get(pair_id, (0, None))
        parsed = parse_month_key(last) if last else None
        meetings.append(MenteeMeetings(user_id, count, f"{month_name(last)} {parsed[0]}" if parsed else None))
    return meetings, len(rows)


def _practices(context: HomeContext) -> list[tuple[str, int]]:
    """Practices of nudges marked done and of meetings logged in the last PRACTICE_DAYS."""
    session, person = context.session, context.person
    since = context.now - timedelta(days=PRACTICE_DAYS)
    counted: Counter[str] = Counter(
        session.scalars(
            select(NudgeSend.practice)
            .join(NudgeAnswer, NudgeAnswer.nudge_send_id == NudgeSend.id)
            .where(
                NudgeSend.person_id == person.id,
                NudgeAnswer.answer == NudgeAnswerKind.DONE,
                NudgeAnswer.answered_at >= since,
            )
        )
    )
    for practices in session.scalars(
        select(MeetingLog.practices).where(
            MeetingLog.mentor_id == person.id, MeetingLog.minutes > 0, MeetingLog.recorded_at >= since
        )
    ):
        counted.update(practices or [])
    return counted.most_common()


def mentor_section(context: HomeContext) -> Sequence[Block]:
    """A mentor's next nudge, last nudges, meetings per mentee, practices and released figures."""
    if context.personal.role != "mentor":
        return []
    person = context.person
    meetings, total = _mentee_meetings(context)
    return mentor_blocks(
        next_nudge(context),
        recent_history(
            context.session, context.settings, person.team_id, person.user_id, limit=RECENT_NUDGES
        ),
        meetings,
        total,
        _practices(context),
        mentor_results(context.session, context.settings, person, context.now),
    )


def _check_ins(context: HomeContext) -> tuple[CheckInState, ...]:
    session = context.session
    rounds = session.scalars(
        select(PulseRound)
        .where(
            PulseRound.person_id == context.person.id,
            PulseRound.kind == RoundKind.MENTEE,
            PulseRound.status == RoundStatus.SENT,
            PulseRound.closes_at > context.now,
        )
        .order_by(PulseRound.due_at)
    )
    states = []
    for found in rounds:
        invitation = invitation_for(session, context.settings, found)
        states.append(CheckInState(invitation.mentor_user, is_answered(session, found), invitation.closes_on))
    return tuple(states)


def mentee_section(context: HomeContext) -> Sequence[Block]:
    """The mentee's mentors and their current check-in's state."""
    mentors = context.session.scalars(
        select(Person.user_id)
        .join(Pair, Pair.mentor_id == Person.id)
        .where(Pair.mentee_id == context.person.id, Pair.ended_at.is_(None))
        .order_by(Pair.started_at, Pair.id)
    ).all()
    if not mentors:
        return []
    return mentee_blocks(MenteeView(tuple(mentors), _check_ins(context)))


def agreements_section(context: HomeContext) -> Sequence[Block]:
    """The person's agreements: goals and their state."""
    person = context.person
    return goals_blocks(agreement_summary(context.session, context.settings, person.team_id, person.id))


def page_of(items: Sequence[object], number: int, size: int) -> Page:
    """Page `number` (clamped into range) of `items`, `size` a page."""
    pages = max(1, -(-len(items) // size))
    number = min(max(number, 0), pages - 1)
    return Page(tuple(items[number * size : (number + 1) * size]), number, pages, len(items))


def admin_section(context: HomeContext) -> Sequence[Block]:
    """The program at a glance, the pairs that need attention (paged) and the admin tools."""
    person, session = context.person, context.session
    if not is_admin(session, context.settings, person.team_id, person.user_id):
        return []
    view = glance(session, context.settings, person.team_id, context.now, context.personal.tzinfo)
    flagged = flagged_pairs(session, person.team_id, context.now)
    return admin_blocks(view, page_of(flagged, context.page, FLAGGED_PAGE_SIZE))
