"""`/mentor nudge`: one nudge now, for a mentor who asked for it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.library.types import PRACTICES
from bot.models import NudgeOrigin, NudgeSend, Person
from bot.nudges.blocks import long_day
from bot.nudges.delivery import record_nudge
from bot.nudges.planner import choose_mentee, choose_nudge
from bot.nudges.planning import load_states
from bot.timing import end_of_contact_day, is_paused

# `/mentor nudge`: an explicit request is allowed past the weekly cap, but not twice
# in a few minutes (a double tap, or an impatient retry, must not give two).
REQUEST_COOLDOWN = timedelta(minutes=10)
# A requested nudge lives to the end of the mentor's contact day, and at least this
# long: it can be asked for (and sent) after hours, when that day is already over.
REQUEST_LIFETIME = timedelta(hours=1)

NOT_A_MENTOR = (
    "Nudges are for mentors, and you don't have an active mentee yet. Once your program director pairs "
    "you with someone, your nudges start on their own."
)


@dataclass(frozen=True)
class RequestOutcome:
    """What happened to a mentor's request for a nudge now, in words for them."""

    queued: bool
    message: str


def request_nudge(
    session: Session, settings: Settings, team_id: str, user_id: str, now: datetime
) -> RequestOutcome:
    """Queue one nudge for a mentor who asked for it (`/mentor nudge`).

    It goes through the outbox like every nudge and is sent by the clock's next tick
    (within a minute). It is allowed past the weekly cap and outside the usual hours
    (they asked, now), not while they are paused or have stopped messages, and not
    twice within REQUEST_COOLDOWN. It counts for rotation and the no-repeat rule, not
    for the cap or back-off.
    """
    # Lock the mentor as the planner does (PostgreSQL; SQLite has one writer at a time):
    # a request at the very moment their slot is planned waits for it, then sees the
    # planner's nudge in the history and picks another, instead of the same one twice.
    person = session.scalars(
        select(Person)
        .where(Person.team_id == team_id, Person.user_id == user_id)
        .with_for_update(of=Person)
        .execution_options(populate_existing=True)
    ).first()
    if person is None:
        return RequestOutcome(False, NOT_A_MENTOR)
    state = load_states(session, settings, [person], now)[person.id]
    if not state.mentees:
        return RequestOutcome(False, NOT_A_MENTOR)
    if person.opted_out_at is not None:
        return RequestOutcome(
            False,
            "You've turned Mentor Nudge messages off, so I can't send one. Type `/mentor start` to turn "
            "them back on, then ask again.",
        )
    if is_paused(person, now):
        assert person.paused_until is not None
        until = long_day(person.paused_until.astimezone(state.zone))
        return RequestOutcome(
            False,
            f"Your nudges are paused until {until}. Type `/mentor resume` to end the pause, then ask again.",
        )
    recent = session.scalar(
        select(func.count(NudgeSend.id)).where(
            NudgeSend.person_id == person.id,
            NudgeSend.origin == NudgeOrigin.REQUESTED,
            NudgeSend.planned_for > now - REQUEST_COOLDOWN,
        )
    )
    if recent:
        return RequestOutcome(
            False, "One is already on its way from a few minutes ago — check your DMs from Mentor Nudge."
        )
    nudge = choose_nudge(state.library, state.history, person.user_id, now, state.focus)
    if nudge is None:
        return RequestOutcome(False, "There are no nudges in the library right now. Please tell your admin.")
    send = record_nudge(
        session,
        person=person,
        dedupe_key=f"nudge-ask:{team_id}:{user_id}:{now:%Y%m%dT%H%M}",
        nudge_key=nudge.key,
        practice=nudge.practice,
        mentee_id=choose_mentee(nudge, state.mentees, state.history),
        origin=NudgeOrigin.REQUESTED,
        due_at=now,
        expires_at=max(end_of_contact_day(person, state.zone, now), now + REQUEST_LIFETIME),
        reason=state.focus.why if state.focus.weight(nudge.practice) > 0 else None,
    )
    if send is None:
        return RequestOutcome(False, "One is already on its way — check your DMs from Mentor Nudge.")
    title = PRACTICES[nudge.practice].title
    return RequestOutcome(
        True, f"On its way: a nudge about *{title}* will arrive in your DMs within a minute."
    )
