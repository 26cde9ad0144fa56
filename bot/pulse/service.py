"""Answering check-ins, and the program's pulse timing.

Each public function is one unit of work inside the caller's transaction.

How a mentee's answer is kept from being lined up with the mentee in the database:

* `pulse_participation` gets (pair, pulse number, quarter): enough to stop the reminder
  and refuse a second answer, and no time finer than the quarter.
* `pulse_inbox` gets the answer *sealed* (`bot.pulse.sealing`): a random id, the
  quarter, and a box of one fixed size. Both rows come from one transaction, and a
  database keeps traces of that (PostgreSQL's `xmin` on every row version, live or
  dead; the WAL; SQLite's journal and free pages; backups) — so nothing in the clear in
  that transaction says what was answered, and nothing else is written in it (the
  round is not touched: answered or not is read from participation).
* The answer is opened only by the publishing step once its quarter has closed, and
  shown only as part of a batch of at least `ANONYMITY_MIN` different mentees
  (`bot.pulse.publishing`, `bot.pulse.pools`).
* Nothing here logs who answered; the handler logs "pulse answered" without the user,
  and the request log leaves the user out of the modal's line (its id starts "anon:").

Against whom this holds: someone with the database (and its backups) alone cannot tell
what a mentee answered. Someone with the database *and* the app's secret key can open
answers not yet published; the app never does that outside publishing.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime

from sqlalchemy import exists, insert, select, update
from sqlalchemy.orm import Session

from bot.config import PULSE_EVERY_RANGE, PULSE_FIRST_RANGE, Settings
from bot.models import (
    CLOSE_OUT,
    ITEM_COLUMNS,
    AuditLog,
    Pair,
    Person,
    PulseInbox,
    PulseParticipation,
    PulseRound,
    PulseSelfAnswer,
    PulseSettings,
    RoundKind,
)
from bot.people import ensure_workspace, zone_for
from bot.privacy import check as privacy_check
from bot.pulse.blocks import closing_time
from bot.pulse.publishing import box_context
from bot.pulse.rules import closed_reason, parse_timing, quarter_of
from bot.pulse.sealing import seal
from bot.pulse.types import (
    AlreadyAnswered,
    Answers,
    Invitation,
    NotYourPulse,
    PulseClosed,
    PulseInputError,
    PulseNotFound,
    PulseTiming,
    TimingChange,
)
from bot.sqlutil import insert_ignoring_conflict

log = logging.getLogger(__name__)

# The comment box's limit (the modal enforces it too; a forged request may not).
COMMENT_MAX_CHARS = 500
COMMENT_BLOCK = "comment"


# --- the program's timing ----------------------------------------------------------------


def timing_for(session: Session, settings: Settings, team_id: str) -> PulseTiming:
    """The program's pulse timing: its admins' choice, else the environment's defaults."""
    row = session.get(PulseSettings, team_id)
    if row is None:
        return PulseTiming(settings.pulse_first_days, settings.pulse_every_days)
    return PulseTiming(row.first_days, row.every_days, custom=True)


def change_timing(
    session: Session, settings: Settings, team_id: str, actor: str, words: list[str], now: datetime
) -> TimingChange:
    """`/mentor pulse every N first N` (admins): store the timing and re-plan every pair.

    Raises ValueError with a sentence for the admin when the words are not a timing.
    Check-ins already sent keep the period they were sent with.
    """
    first, every = parse_timing(words, PULSE_FIRST_RANGE, PULSE_EVERY_RANGE)
    before = timing_for(session, settings, team_id)
    after = PulseTiming(first or before.first_days, every or before.every_days, custom=True)
    row = session.get(PulseSettings, team_id)
    if row is None:
        ensure_workspace(session, team_id)
        row = PulseSettings(team_id=team_id)
        session.add(row)
    row.first_days, row.every_days, row.updated_by, row.updated_at = (
        after.first_days,
        after.every_days,
        actor,
        now,
    )
    session.add(
        AuditLog(
            team_id=team_id,
            actor_user_id=actor,
            action="pulse.timing",
            detail={"first_days": after.first_days, "every_days": after.every_days},
            created_at=now,
        )
    )
    # The pulse step's contract: a due `next_*_at` means "work out this one's next check-in".
    replanned = session.execute(
        update(Pair)
        .where(Pair.team_id == team_id, Pair.ended_at.is_(None))
        .values(next_pulse_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.execute(
        update(Person)
        .where(Person.team_id == team_id, Person.next_selfcheck_at.is_not(None))
        .values(next_selfcheck_at=now)
        .execution_options(synchronize_session=False)
    )
    return TimingChange(before, after, int(replanned or 0), now)


def mark_pair_ended(pair: Pair, now: datetime) -> None:
    """Ask the pulse step to look at a pair that just ended (it plans the close-out).

    Roster calls this from `end_pair`, so `/mentor unpair` and the CSV import's "end
    pairs not in this file" both lead to one close-out.
    """
    pair.next_pulse_at = now


# --- reading a check-in ------------------------------------------------------------------


def own_round(session: Session, team_id: str, user_id: str, round_id: int) -> tuple[PulseRound, Person]:
    """The round behind a button, and its recipient; refuses other workspaces and people."""
    found = session.get(PulseRound, round_id)
    if found is None or found.team_id != team_id:
        raise PulseNotFound(round_id)
    person = session.get(Person, found.person_id)
    if person is None or person.user_id != user_id:
        raise NotYourPulse(round_id)
    return found, person


def problem_with(session: Session, found: PulseRound, now: datetime) -> str | None:
    """Why this round takes no answers now, or None."""
    pair = session.get(Pair, found.pair_id) if found.pair_id is not None else None
    return closed_reason(
        status=found.status,
        closes_at=found.closes_at,
        now=now,
        close_out=found.number == CLOSE_OUT and found.kind == RoundKind.MENTEE,
        pair_ended=pair is not None and pair.ended_at is not None,
    )


def is_answered(session: Session, found: PulseRound) -> bool:
    """Whether the round has its answer (participation for mentees, the row for mentors)."""
    if found.kind == RoundKind.MENTOR:
        query = exists().where(PulseSelfAnswer.round_id == found.id)
    else:
        query = exists().where(
            PulseParticipation.pair_id == found.pair_id, PulseParticipation.number == found.number
        )
    return bool(session.scalar(select(query)))


def invitation_for(
    session: Session, settings: Settings, found: PulseRound, *, reminder: bool = False
) -> Invitation:
    """What the round's message and modal show."""
    person = session.get(Person, found.person_id)
    mentor = session.get(Person, found.mentor_id)
    assert person is not None and mentor is not None
    zone = zone_for(session, settings, person)
    return Invitation(
        round_id=found.id,
        kind=found.kind,
        mentor_user=mentor.user_id,
        close_out=found.number == CLOSE_OUT and found.kind == RoundKind.MENTEE,
        closes_on=closing_time(found.closes_at.astimezone(zone)),
        anonymity_min=settings.anonymity_min,
        reminder=reminder,
    )


def open_check_in(
    session: Session, settings: Settings, team_id: str, user_id: str, round_id: int, now: datetime
) -> Invitation:
    """The check-in a button opens, if its clicker may answer it now.

    Raises PulseNotFound, NotYourPulse, PulseClosed or AlreadyAnswered.
    """
    found, _person = own_round(session, team_id, user_id, round_id)
    reason = problem_with(session, found, now)
    if reason is not None:
        raise PulseClosed(reason)
    if is_answered(session, found):
        raise AlreadyAnswered(round_id)
    return invitation_for(session, settings, found)


# --- answering ---------------------------------------------------------------------------


def _screen_comment(answers: Answers) -> str | None:
    comment = (answers.comment or "").strip()
    if not comment:
        return None
    if len(comment) > COMMENT_MAX_CHARS:
        raise PulseInputError(
            {COMMENT_BLOCK: f"Please keep it under {COMMENT_MAX_CHARS} characters ({len(comment)} now)."}
        )
    refusal = privacy_check(comment, ask="say how the mentoring feels")
    if refusal:
        raise PulseInputError({COMMENT_BLOCK: refusal})
    return comment


def _checked(answers: Answers, *, with_comment: bool) -> dict[str, int | None]:
    values = answers.as_dict()
    if set(values) != set(ITEM_COLUMNS) or any(v is not None and not 1 <= v <= 4 for v in values.values()):
        # The modal requires every item; only a forged or outdated form gets here.
        raise PulseInputError(
            {f"item_{ITEM_COLUMNS[0]}": "Please answer every question (or choose “Doesn't apply”)."}
        )
    if answers.comment and not with_comment:
        raise PulseInputError({COMMENT_BLOCK: "A self-check takes no comment."})
    return values


def record_answers(
    session: Session,
    settings: Settings,
    team_id: str,
    user_id: str,
    round_id: int,
    answers: Answers,
    now: datetime,
) -> Invitation:
    """Store a mentee's check-in: participation, and the answer sealed (see the module doc).

    Raises PulseInputError (a comment with a patient identifier, or a malformed form:
    nothing is stored), PulseNotFound, NotYourPulse, PulseClosed, AlreadyAnswered.
    """
    found, person = own_round(session, team_id, user_id, round_id)
    if found.kind != RoundKind.MENTEE:
        raise PulseNotFound(round_id)
    values = _checked(answers, with_comment=True)
    comment = _screen_comment(answers)
    reason = problem_with(session, found, now)
    if reason is not None:
        raise PulseClosed(reason)
    quarter = quarter_of(now)
    if not insert_ignoring_conflict(
        session,
        PulseParticipation,
        {"pair_id": found.pair_id, "number": found.number, "team_id": team_id, "quarter": quarter},
        ["pair_id", "number"],
    ):
        raise AlreadyAnswered(round_id)
    pair = session.get(Pair, found.pair_id)
    assert pair is not None
    content = {
        "mentor": found.mentor_id,
        "cohort": pair.cohort,
        "mentee": person.id,
        "items": values,
        "comment": comment,
    }
    box = seal(settings, content, box_context(team_id, quarter))
    session.execute(
        insert(PulseInbox).values(id=uuid.uuid4().hex, team_id=team_id, quarter=quarter, sealed=box)
    )
    return invitation_for(session, settings, found)


def record_self_check(
    session: Session,
    settings: Settings,
    team_id: str,
    user_id: str,
    round_id: int,
    answers: Answers,
    now: datetime,
) -> Invitation:
    """Store a mentor's self-check (their own data, linked to them)."""
    found, person = own_round(session, team_id, user_id, round_id)
    if found.kind != RoundKind.MENTOR:
        raise PulseNotFound(round_id)
    values = _checked(answers, with_comment=False)
    reason = problem_with(session, found, now)
    if reason is not None:
        raise PulseClosed(reason)
    if not insert_ignoring_conflict(
        session,
        PulseSelfAnswer,
        {
            **values,
            "team_id": team_id,
            "round_id": found.id,
            "mentor_id": person.id,
            "quarter": quarter_of(now),
            "answered_at": now,
        },
        ["round_id"],
    ):
        raise AlreadyAnswered(round_id)
    return invitation_for(session, settings, found)
