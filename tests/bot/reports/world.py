"""A seeded November 2026 in a New York program, with every figure of the report
computed by hand in the comments beside the rows that make it.

Month bounds in America/New_York: 2026-11-01 04:00 UTC (EDT) to 2026-12-01 05:00 UTC (EST).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from bot.db import SessionFactory, transaction
from bot.models import (
    Agreement,
    AgreementVersion,
    BatchScope,
    Delivery,
    DeliveryStatus,
    GoalReview,
    MeetingLog,
    NudgeAnswer,
    NudgeSend,
    Pair,
    PulseBatch,
    PulsePublication,
    PulseRound,
    PulseSelfAnswer,
    Reflection,
    ReflectionChannel,
    ReflectionPrompt,
    Workspace,
)
from bot.people import ensure_person
from tests.conftest import ADMIN
from tests.fakes.slack_api import TEAM_ID

MONTH = "2026-11"
ZONE = "America/New_York"
CHANNEL = "C0REFLECT1"
MENTORS = tuple(f"U0MENTR{i}0" for i in range(1, 6))
MENTEES = tuple(f"U0MENTE{i}0" for i in range(1, 6))
NOTE = "note-text-handover-went-well"
REFLECTION_TEXT = "reflection-text-about-feedback"
GOAL_TEXT = "goal-text-lead-a-family-meeting"
COHORT = "PGY1 Surgery"


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


@dataclass
class World:
    pairs: list[int]


def _nudge(session, person, practice, *, sent=None, planned=None, answer=None, note=None, status=None):
    delivery_id = None
    if status is not None:
        row = Delivery(
            team_id=TEAM_ID,
            kind="nudge",
            recipient=person.user_id,
            person_id=person.id,
            dedupe_key=f"test-nudge:{person.id}:{planned or sent}:{practice}",
            payload={},
            due_at=planned or sent,
            next_attempt_at=planned or sent,
            status=status,
        )
        session.add(row)
        session.flush()
        delivery_id = row.id
    send = NudgeSend(
        team_id=TEAM_ID,
        person_id=person.id,
        delivery_id=delivery_id,
        nudge_key=f"{practice}-1",
        practice=practice,
        origin="scheduled",
        planned_for=planned or sent,
        sent_at=sent,
    )
    session.add(send)
    session.flush()
    if answer is not None or note is not None:
        session.add(
            NudgeAnswer(
                team_id=TEAM_ID,
                nudge_send_id=send.id,
                person_id=person.id,
                answer=answer,
                first_answered_at=sent if answer else None,
                answered_at=sent if answer else None,
                note=note,
            )
        )


def build_world(session_factory: SessionFactory) -> World:
    """Seed the month (and a little of October, and of December, which must not count)."""
    with transaction(session_factory) as session:
        admin = ensure_person(session, TEAM_ID, ADMIN)
        session.get(Workspace, TEAM_ID).timezone = ZONE
        mentors = [ensure_person(session, TEAM_ID, u) for u in MENTORS]
        mentees = [ensure_person(session, TEAM_ID, u) for u in MENTEES]
        # Pairs active in November: P1..P5 (since September) and P6 (from 20 Nov) = 6.
        # P7 ended on 15 October: active in October (with P1..P5: 6), not in November.
        pairs = []
        for mentor, mentee, started, ended in [
            *[(mentors[i], mentees[i], utc(2026, 9, 1), None) for i in range(5)],
            (mentors[0], mentees[1], utc(2026, 11, 20), None),
            (mentors[1], mentees[0], utc(2026, 8, 1), utc(2026, 10, 15)),
        ]:
            pair = Pair(
                team_id=TEAM_ID,
                mentor_id=mentor.id,
                mentee_id=mentee.id,
                cohort=COHORT,
                started_at=started,
                ended_at=ended,
            )
            session.add(pair)
            session.flush()
            pair.next_pulse_at = None
            pairs.append(pair)
        m1, m2 = mentors[0], mentors[1]
        # November nudges. care: sent 4 (one at 22:00 on 30 Nov New York time), answered 3, done 1.
        _nudge(session, m1, "care", sent=utc(2026, 11, 3, 14), answer="done", note=NOTE)
        _nudge(session, m1, "care", sent=utc(2026, 11, 10, 14), answer="skip")
        _nudge(session, m2, "care", sent=utc(2026, 11, 17, 14))
        _nudge(session, m2, "care", sent=utc(2026, 12, 1, 3), answer="remind")
        # listen: sent 1, answered 1, done 1; one more expired unsent; one on 1 Dec (December).
        _nudge(session, m1, "listen", sent=utc(2026, 11, 5, 14), answer="done")
        _nudge(session, m1, "listen", planned=utc(2026, 11, 12, 14), status=DeliveryStatus.EXPIRED)
        _nudge(session, m1, "listen", sent=utc(2026, 12, 1, 6), answer="done")
        # autonomy: sent 1, a note only (no button): not answered.
        _nudge(session, m2, "autonomy", sent=utc(2026, 11, 20, 14), note="just a note")
        # October: care sent 2, answered 1 → 50%.
        _nudge(session, m1, "care", sent=utc(2026, 10, 10, 14), answer="done")
        _nudge(session, m1, "care", sent=utc(2026, 10, 11, 14))
        # Meetings in November: P1 twice, P2 once, P3 "not yet" → 3 meetings, 2 pairs met.
        # October: P7 once.
        for pair, month, minutes in [
            (pairs[0], MONTH, 30),
            (pairs[0], MONTH, 45),
            (pairs[1], MONTH, 20),
            (pairs[2], MONTH, 0),
            (pairs[6], "2026-10", 25),
        ]:
            session.add(
                MeetingLog(
                    team_id=TEAM_ID,
                    pair_id=pair.id,
                    mentor_id=pair.mentor_id,
                    mentee_id=pair.mentee_id,
                    month=month,
                    minutes=minutes,
                    practices=["care"],
                    source="command",
                    recorded_at=utc(int(month[:4]), int(month[5:]), 15, 15),
                )
            )
        # Reflections: November's prompt has 3 (2 named, 1 anonymous); October's has 1.
        channel = ReflectionChannel(
            team_id=TEAM_ID,
            channel_id=CHANNEL,
            day_rule="first-tue",
            minute_of_day=600,
            timezone=ZONE,
            themes=["care"],
            rotation_anchor=0,
            admin_user_id=ADMIN,
        )
        session.add(channel)
        session.flush()
        for month, authors in [(MONTH, [MENTORS[0], MENTEES[0], None]), ("2026-10", [MENTORS[1]])]:
            prompt = ReflectionPrompt(
                team_id=TEAM_ID,
                reflection_channel_id=channel.id,
                channel_id=CHANNEL,
                month=month,
                theme="care",
                question_key="care-1",
                planned_at=utc(int(month[:4]), int(month[5:]), 3, 15),
                closes_at=utc(int(month[:4]), int(month[5:]), 28),
                status="posted",
            )
            session.add(prompt)
            session.flush()
            for index, author in enumerate(authors):
                session.add(
                    Reflection(
                        team_id=TEAM_ID,
                        prompt_id=prompt.id,
                        text=f"{REFLECTION_TEXT}-{index}",
                        practices=["care"],
                        user_id=author,
                        source="modal",
                        shared_on=date(int(month[:4]), int(month[5:]), 10),
                    )
                )
        # Agreements: one first agreed in November (one in October); in November goal 0 is
        # marked working at midpoint then met at the end (latest: met), goal 1 working
        # → 1 made, 2 goals marked, 1 met.
        for pair, started in [(pairs[0], utc(2026, 11, 2, 15)), (pairs[1], utc(2026, 10, 2, 15))]:
            agreement = add_agreed(session, pair, started, by="mentee", goals=[GOAL_TEXT, '=HYPERLINK("x")'])
            if started.month == 11:
                for goal, stage, state, at in [
                    (0, "mid", "working", utc(2026, 11, 10, 15)),
                    (0, "end", "met", utc(2026, 11, 20, 15)),
                    (1, "end", "working", utc(2026, 11, 21, 15)),
                ]:
                    session.add(
                        GoalReview(
                            team_id=TEAM_ID,
                            agreement_id=agreement.id,
                            version=1,
                            goal_index=goal,
                            stage=stage,
                            state=state,
                            marked_at=at,
                        )
                    )
        # Pulse: one published cohort batch for 2026-Q3 (in the window as of 1 Dec):
        # care 36/12 = 3.0, listen 25/10 = 2.5; 12 answers, at least 6 mentees.
        session.add(
            PulseBatch(
                team_id=TEAM_ID,
                scope=BatchScope.COHORT,
                cohort=COHORT,
                first_quarter="2026-Q3",
                last_quarter="2026-Q3",
                answers=12,
                mentees=6,
                mentors=3,
                items={"care": [36, 12], "listen": [25, 10]},
            )
        )
        # Publishing has run through 2026-Q3 (as the clock does soon after 1 October).
        session.add(PulsePublication(team_id=TEAM_ID, through_quarter="2026-Q3", updated_at=utc(2026, 10, 8)))
        # Self-checks in 2026-Q3 from all 5 mentors: care 4 each (4.0); listen 3, 3, 3, 2, 2 (2.6).
        # One from 2026-Q4 (care 1) is outside the published window.
        for index, (mentor, listen, quarter) in enumerate(
            [*zip(mentors, (3, 3, 3, 2, 2), ["2026-Q3"] * 5, strict=True), (mentors[0], 1, "2026-Q4")]
        ):
            round_ = PulseRound(
                team_id=TEAM_ID,
                key=f"self:{mentor.id}:{index}",
                kind="mentor",
                person_id=mentor.id,
                mentor_id=mentor.id,
                number=index + 1,
                due_at=utc(2026, 8, 1),
                closes_at=utc(2026, 9, 1),
                status="sent",
            )
            session.add(round_)
            session.flush()
            session.add(
                PulseSelfAnswer(
                    team_id=TEAM_ID,
                    round_id=round_.id,
                    mentor_id=mentor.id,
                    quarter=quarter,
                    care=1 if quarter == "2026-Q4" else 4,
                    listen=listen,
                )
            )
        assert admin.id
        return World([p.id for p in pairs])


def add_agreed(session, pair, started, *, by: str, goals: list[str]) -> Agreement:
    """An agreement `pair` agreed at `started`, its one version written by `by`."""
    agreement = Agreement(
        team_id=TEAM_ID,
        pair_id=pair.id,
        mentor_id=pair.mentor_id,
        mentee_id=pair.mentee_id,
        status="agreed",
        latest_version=1,
        proposed_by=by,
        agreed_version=1,
        agreed_at=started,
        cycle_started_at=started,
        created_at=started,
    )
    session.add(agreement)
    session.flush()
    author = pair.mentor_id if by == "mentor" else pair.mentee_id
    session.add(
        AgreementVersion(agreement_id=agreement.id, number=1, author_id=author, author_role=by, goals=goals)
    )
    return agreement
