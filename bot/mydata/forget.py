"""Forgetting a person: `/mentor forget-me`, and `/mentor forget @person` for admins.

One transaction deletes or empties everything that is about the person
(bot.mydata.inventory says what, column by column), keeping only:

* counts the program's figures need, added to `kept_count` with no one behind them
  (nudges sent and answered per practice and month, meetings, check-ins taken part in);
* another person's own history: an ended pair, the other side's meeting log and
  feedback chats stay, pointing at a bare placeholder row — a random `former-…` id, no
  name, email or zone — and without the forgotten person's words;
* a one-way fingerprint of their member id (`forget_mark`), so the app stays silent if
  they are added again, until they come back and choose `/mentor start`.

Anonymous things are never looked for: a mentee's check-in answers and anonymous
reflections have no link to anyone, and this code does not try to find "theirs".
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Text, cast, delete, exists, or_, select, update
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.models import (
    AuditLog,
    CustomNudge,
    Delivery,
    DeliveryStatus,
    DisabledNudge,
    FeedbackRequest,
    FeedbackStatus,
    ForgetMark,
    MeetingLog,
    NudgeAnswer,
    NudgeSend,
    Pair,
    Person,
    PulseParticipation,
    PulseRound,
    PulseSelfAnswer,
    PulseSettings,
    Reflection,
    ReflectionChannel,
    RosterImport,
    slack_installations,
)
from bot.models.core import FORMER_MEMBER, FORMER_MEMBER_PREFIX
from bot.mydata.export import collect, installation_scope
from bot.mydata.goals_and_rota import forget_goals_and_rota, forget_rota_imports
from bot.mydata.kept import Tally, add_counts, month_of
from bot.mydata.types import ForgetOutcome, ForgetRefused
from bot.nudges.delivery import cancel_nudges_naming
from bot.people import ensure_workspace, forget_fingerprint, is_admin
from bot.pulse.erasure import forget_answers_about
from bot.sqlutil import insert_ignoring_conflict
from bot.timing import mark_for_replanning

AUDIT_ACTION = "person.forget"
NOT_SENT = "not sent: it named someone who asked Mentor Nudge to forget them"


def forget_me(
    session: Session, settings: Settings, *, team_id: str, user_id: str, now: datetime
) -> ForgetOutcome:
    """Forget the person who asked (they confirmed first). Always leaves a forget mark,
    even when nothing was kept, so a later roster import does not message them."""
    return _forget(session, settings, team_id=team_id, user_id=user_id, now=now, successor=None)


def forget_member(
    session: Session, settings: Settings, *, team_id: str, actor: str, user_id: str, now: datetime
) -> ForgetOutcome:
    """An admin forgets someone (who left the program), in the admin's workspace only.

    Refused — nothing changes — unless `actor` is an admin here and something about
    `user_id` is kept here. The audit log gets one row naming the admin and that a
    forget happened; it names nobody else.
    """
    if not is_admin(session, settings, team_id, actor):
        raise ForgetRefused("Only program admins can forget someone else. Nothing was changed.")
    if user_id == actor:
        raise ForgetRefused("To forget yourself, use `/mentor forget-me`. Nothing was changed.")
    if collect(session, team_id, user_id, now).empty:
        raise ForgetRefused(
            f"Mentor Nudge keeps nothing about <@{user_id}> in this workspace, so there is nothing to forget."
        )
    outcome = _forget(session, settings, team_id=team_id, user_id=user_id, now=now, successor=actor)
    session.add(AuditLog(team_id=team_id, actor_user_id=actor, action=AUDIT_ACTION, created_at=now))
    return outcome


def _forget(
    session: Session,
    settings: Settings,
    *,
    team_id: str,
    user_id: str,
    now: datetime,
    successor: str | None,
) -> ForgetOutcome:
    outcome = ForgetOutcome()
    # Locked first: a planner holding the row (queueing a nudge for them) finishes before
    # we look at the outbox, and planners skip it while we work (SKIP LOCKED).
    person = session.scalars(
        select(Person).where(Person.team_id == team_id, Person.user_id == user_id).with_for_update()
    ).first()
    if person is not None:
        pairs = list(
            session.scalars(select(Pair).where(or_(Pair.mentor_id == person.id, Pair.mentee_id == person.id)))
        )
        _end_pairs(session, person, pairs, now, outcome)
        tally: Tally = Tally()
        _drop_nudges(session, person, tally, outcome)
        _drop_meetings(session, person, tally, outcome)
        _close_requests(session, person, outcome)
        _drop_check_ins(session, settings, person, [p.id for p in pairs], tally, outcome)
        forget_goals_and_rota(session, person, tally, outcome)
        add_counts(session, team_id, tally)
    _unname_reflections(session, team_id, user_id, outcome)
    _hand_over_channels(session, settings, team_id, user_id, successor)
    _replace_attribution(session, team_id, user_id)
    _drop_deliveries(session, team_id, user_id, person, outcome)
    email = person.email if person else None
    _drop_unapplied_imports(session, team_id, user_id, email, outcome)
    outcome.note("rota_import", forget_rota_imports(session, team_id, user_id, email))
    if person is not None:
        outcome.placeholder_kept = _retire(session, person, now)
    ensure_workspace(session, team_id)
    insert_ignoring_conflict(
        session,
        ForgetMark,
        {"team_id": team_id, "fingerprint": forget_fingerprint(team_id, user_id)},
        ["team_id", "fingerprint"],
    )
    session.expire_all()  # bulk statements above bypassed the identity map
    return outcome


# --- pairs -------------------------------------------------------------------------------------


def _end_pairs(
    session: Session, person: Person, pairs: Sequence[Pair], now: datetime, outcome: ForgetOutcome
) -> None:
    """Open pairs end now, with no closing check-in (it would be about, or to, no one);
    a mentor left behind stops getting nudges that name the forgotten mentee."""
    for pair in pairs:
        pair.next_pulse_at = None
        if pair.ended_at is not None:
            continue
        pair.ended_at = now
        outcome.pairs_ended += 1
        if pair.mentee_id == person.id:
            mentor = session.get(Person, pair.mentor_id)
            assert mentor is not None
            cancel_nudges_naming(session, mentor.id, person.id, NOT_SENT)
            mark_for_replanning(mentor, now)


# --- their own records: nudges, meetings, feedback chats, check-ins ---------------------------


def _drop_nudges(session: Session, person: Person, tally: Tally, outcome: ForgetOutcome) -> None:
    """Their nudges and answers go, counted by month and practice; nudges of other mentors
    that named them keep the nudge and lose the name."""
    rows = session.execute(
        select(NudgeSend.practice, NudgeSend.sent_at, NudgeAnswer.answer)
        .outerjoin(NudgeAnswer, NudgeAnswer.nudge_send_id == NudgeSend.id)
        .where(NudgeSend.person_id == person.id)
    ).all()
    for practice, sent_at, answer in rows:
        if sent_at is None:
            continue
        tally[(month_of(sent_at), "nudges_sent", practice)] += 1
        if answer:
            tally[(month_of(sent_at), f"nudges_{answer}", practice)] += 1
    outcome.note(
        "nudge_answer", _count(session, delete(NudgeAnswer).where(NudgeAnswer.person_id == person.id))
    )
    session.execute(update(NudgeSend).where(NudgeSend.person_id == person.id).values(reminder_of_id=None))
    outcome.note("nudge_send", _count(session, delete(NudgeSend).where(NudgeSend.person_id == person.id)))
    session.execute(update(NudgeSend).where(NudgeSend.mentee_id == person.id).values(mentee_id=None))


def _drop_meetings(session: Session, person: Person, tally: Tally, outcome: ForgetOutcome) -> None:
    """Meetings they logged as mentor go, counted by month (a mentor's log of meeting
    them stays with that mentor)."""
    logs = session.execute(
        select(MeetingLog.month, MeetingLog.minutes).where(MeetingLog.mentor_id == person.id)
    )
    for month, minutes in logs:
        if minutes:
            tally[(month, "meetings", "")] += 1
            tally[(month, "meeting_minutes", "")] += minutes
        else:
            tally[(month, "meetings_not_yet", "")] += 1
    outcome.note("meeting_log", _count(session, delete(MeetingLog).where(MeetingLog.mentor_id == person.id)))


def _close_requests(session: Session, person: Person, outcome: ForgetOutcome) -> None:
    """Feedback chats stay for the other side without the forgotten person's words.

    One they asked for, still open, is closed here (its DM to the mentor is then never
    sent). One asked *of* them stays open for the feedback step, which closes it on the
    ended pair and tells the mentee, in its own words, as for any ended pairing.
    """
    requests = session.scalars(
        select(FeedbackRequest).where(
            or_(FeedbackRequest.mentee_id == person.id, FeedbackRequest.mentor_id == person.id)
        )
    ).all()
    for request in requests:
        if request.mentee_id == person.id:
            request.topic = None
            if request.status == FeedbackStatus.PENDING:
                request.status, request.closed_reason = FeedbackStatus.ENDED, "the pair ended"
                _cancel(session, request.delivery_id)
        else:
            request.mentor_note, request.channel, request.ts = None, None, None
    outcome.note("feedback_request (words removed)", len(requests))


def _drop_check_ins(
    session: Session,
    settings: Settings,
    person: Person,
    pair_ids: list[int],
    tally: Tally,
    outcome: ForgetOutcome,
) -> None:
    """Check-ins to them, about them, or of their pairs go; counts of check-ins taken
    part in, and of self-checks, are kept per quarter.

    Participation goes with the answers about a forgotten mentor, so the anonymity
    threshold never counts mentees whose answers are no longer there; a mentee's own
    answers have no link to them and stay in their mentors' combined figures.
    """
    if pair_ids:
        for (quarter,) in session.execute(
            select(PulseParticipation.quarter).where(PulseParticipation.pair_id.in_(pair_ids))
        ):
            tally[(quarter, "check_ins_answered", "")] += 1
        outcome.note(
            "pulse_participation",
            _count(session, delete(PulseParticipation).where(PulseParticipation.pair_id.in_(pair_ids))),
        )
    for (quarter,) in session.execute(
        select(PulseSelfAnswer.quarter).where(PulseSelfAnswer.mentor_id == person.id)
    ):
        tally[(quarter, "self_checks", "")] += 1
    outcome.note(
        "pulse_self_answer",
        _count(session, delete(PulseSelfAnswer).where(PulseSelfAnswer.mentor_id == person.id)),
    )
    outcome.note(
        "pulse answers about them", forget_answers_about(session, settings, person.team_id, person.id)
    )
    rounds = or_(PulseRound.person_id == person.id, PulseRound.mentor_id == person.id)
    if pair_ids:
        rounds = or_(rounds, PulseRound.pair_id.in_(pair_ids))
    for delivery_id in session.scalars(select(PulseRound.delivery_id).where(rounds)):
        _cancel(session, delivery_id)
    outcome.note("pulse_round", _count(session, delete(PulseRound).where(rounds)))


# --- what names them by Slack id -----------------------------------------------------------


def _unname_reflections(session: Session, team_id: str, user_id: str, outcome: ForgetOutcome) -> None:
    """Reflections shared under their name lose the name and the text: each still counts
    as shared (month-end counts stay true), by no one."""
    outcome.note(
        "reflection (name and text removed)",
        _count(
            session,
            update(Reflection)
            .where(Reflection.team_id == team_id, Reflection.user_id == user_id)
            .values(user_id=None, text="", source_ts=None),
        ),
    )


def _hand_over_channels(
    session: Session, settings: Settings, team_id: str, user_id: str, successor: str | None
) -> None:
    """Reflection channels they looked after go to the admin who forgot them, or the
    first other admin, so a prompt that cannot be posted is still told to someone."""
    if successor is None:
        granted = session.scalars(
            select(Person.user_id)
            .where(Person.team_id == team_id, Person.is_admin.is_(True), Person.user_id != user_id)
            .order_by(Person.id)
        ).all()
        others = [a for a in (*settings.admin_user_ids, *granted) if a != user_id]
        successor = others[0] if others else FORMER_MEMBER
    session.execute(
        update(ReflectionChannel)
        .where(ReflectionChannel.team_id == team_id, ReflectionChannel.admin_user_id == user_id)
        .values(admin_user_id=successor)
    )


def _replace_attribution(session: Session, team_id: str, user_id: str) -> None:
    """Where they are named as the author of program work, say 'former-member' instead."""
    for column, team_column in (
        (CustomNudge.created_by, CustomNudge.team_id),
        (DisabledNudge.disabled_by, DisabledNudge.team_id),
        (PulseSettings.updated_by, PulseSettings.team_id),
        (Pair.created_by, Pair.team_id),
        (RosterImport.created_by, RosterImport.team_id),
        (RosterImport.applied_by, RosterImport.team_id),
        (AuditLog.actor_user_id, AuditLog.team_id),
    ):
        session.execute(
            update(column.class_)
            .where(team_column == team_id, column == user_id)
            .values({column.key: FORMER_MEMBER})
            .execution_options(synchronize_session=False)
        )
    naming = session.scalars(
        select(AuditLog).where(
            AuditLog.team_id == team_id,
            or_(
                AuditLog.target.contains(user_id, autoescape=True),
                cast(AuditLog.detail, Text).contains(user_id, autoescape=True),
            ),
        )
    ).all()
    for row in naming:
        row.target = _without(row.target, user_id)
        row.detail = _without(row.detail, user_id)
    table = slack_installations
    session.execute(
        update(table)
        .where(installation_scope(session, team_id), table.c.user_id == user_id)
        .values(
            user_id=FORMER_MEMBER,
            user_token=None,
            user_refresh_token=None,
            user_scopes=None,
            user_token_expires_at=None,
        )
    )


def _without(value: Any, user_id: str) -> Any:
    """`value` (text, or JSON made of lists and dicts) with `user_id` replaced everywhere."""
    if isinstance(value, str):
        return value.replace(user_id, FORMER_MEMBER)
    if isinstance(value, list):
        return [_without(v, user_id) for v in value]
    if isinstance(value, dict):
        return {k: _without(v, user_id) for k, v in value.items()}
    return value


def _drop_deliveries(
    session: Session, team_id: str, user_id: str, person: Person | None, outcome: ForgetOutcome
) -> None:
    """Every outbox row addressed to them goes (queued ones are never sent). Rows to
    others that name them keep no trace of it: queued ones are cancelled (a welcome
    listing them, say), and every one's stored text is emptied."""
    to_them = Delivery.recipient == user_id
    if person is not None:
        to_them = or_(to_them, Delivery.person_id == person.id)
    outcome.note("delivery", _count(session, delete(Delivery).where(Delivery.team_id == team_id, to_them)))
    naming = (Delivery.team_id == team_id, cast(Delivery.payload, Text).contains(user_id, autoescape=True))
    session.execute(
        update(Delivery)
        .where(*naming, Delivery.status.in_((DeliveryStatus.PENDING, DeliveryStatus.CLAIMED)))
        .values(status=DeliveryStatus.CANCELLED, error=NOT_SENT, lease_until=None)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(Delivery).where(*naming).values(payload={}).execution_options(synchronize_session=False)
    )


def _drop_unapplied_imports(
    session: Session, team_id: str, user_id: str, email: str | None, outcome: ForgetOutcome
) -> None:
    """Roster checks nobody applied that list them (by member id or email) are deleted:
    an admin checks the file again. Applied ones keep only counts already."""
    mentions = [cast(RosterImport.plan, Text).contains(user_id, autoescape=True)]
    if email:
        mentions.append(cast(RosterImport.plan, Text).contains(email, autoescape=True))
    outcome.note(
        "roster_import",
        _count(
            session,
            delete(RosterImport).where(
                RosterImport.team_id == team_id, RosterImport.applied_at.is_(None), or_(*mentions)
            ),
        ),
    )


# --- the person row ----------------------------------------------------------------------------


def _retire(session: Session, person: Person, now: datetime) -> bool:
    """Delete the person's row, or — when another person's history still points at it —
    empty it into a placeholder. Returns True for a placeholder."""
    needed = session.scalar(
        select(
            exists().where(or_(Pair.mentor_id == person.id, Pair.mentee_id == person.id))
            | exists().where(
                or_(FeedbackRequest.mentor_id == person.id, FeedbackRequest.mentee_id == person.id)
            )
            | exists().where(or_(MeetingLog.mentor_id == person.id, MeetingLog.mentee_id == person.id))
        )
    )
    if not needed:
        session.delete(person)
        session.flush()
        return False
    defaults = {
        c.key: c.default.arg
        for c in Person.__table__.columns
        if c.default is not None and c.default.is_scalar
    }
    for key, value in defaults.items():
        setattr(person, key, value)
    for key in (
        "enterprise_id",
        "display_name",
        "real_name",
        "email",
        "tz",
        "tz_override",
        "tz_refreshed_at",
        "paused_until",
        "paused_at",
        "pause_reason",
        "welcomed_at",
        "home_page",
        "next_nudge_at",
        "next_selfcheck_at",
    ):
        setattr(person, key, None)
    person.user_id = FORMER_MEMBER_PREFIX + secrets.token_hex(8)
    person.is_active, person.inactive_reason = False, "forgotten"
    person.opted_out_at = person.created_at = now
    session.flush()
    return True


# --- small helpers -----------------------------------------------------------------------------


def _count(session: Session, statement: Any) -> int:
    return int(session.execute(statement.execution_options(synchronize_session=False)).rowcount or 0)


def _cancel(session: Session, delivery_id: int | None) -> None:
    """Cancel one queued outbox row (rows mid-send are left: Slack may have them)."""
    if delivery_id is None:
        return
    session.execute(
        update(Delivery)
        .where(
            Delivery.id == delivery_id, Delivery.status.in_((DeliveryStatus.PENDING, DeliveryStatus.CLAIMED))
        )
        .values(status=DeliveryStatus.CANCELLED, error=NOT_SENT, lease_until=None)
        .execution_options(synchronize_session=False)
    )
