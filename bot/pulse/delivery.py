"""Check-ins in the outbox: the invitation and its one reminder, rendered at send time.

Both re-check at send time that the round still takes answers (its pair may have
ended, its period closed), that it is unanswered and that the mentor it asks about is
still active, and cancel themselves otherwise.
When an invitation reaches Slack its reminder is armed for three working days later
(Monday–Friday in the recipient's zone); the clock's pulse step sends it then, unless
the check-in was answered.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.deps import Deps
from bot.models import Delivery, Person, PulseRound, RoundKind, RoundStatus
from bot.outbox import Cancel, DeliveryKind, Message
from bot.people import zone_for
from bot.pulse.blocks import invitation_blocks, invitation_text
from bot.pulse.rules import REMINDER_WORKING_DAYS, add_working_days
from bot.pulse.service import invitation_for, is_answered, problem_with
from bot.pulse.types import PULSE_KIND, REMINDER_KIND


def _round_of(session: Session, delivery: Delivery) -> PulseRound:
    found = session.get(PulseRound, (delivery.payload or {}).get("round_id"))
    if found is None:
        raise Cancel("its check-in no longer exists")
    return found


def _render(session: Session, delivery: Delivery, deps: Deps, *, reminder: bool) -> Message:
    found = _round_of(session, delivery)
    reason = problem_with(session, found, deps.now())
    if reason is not None:
        raise Cancel("the check-in no longer takes answers (its pair ended or its period closed)")
    if is_answered(session, found):
        raise Cancel("the check-in was answered already")
    mentor = session.get(Person, found.mentor_id)
    if found.kind == RoundKind.MENTEE and (mentor is None or not mentor.is_active):
        raise Cancel("the mentor it asks about is no longer active")
    invitation = invitation_for(session, deps.settings, found, reminder=reminder)
    return Message(text=invitation_text(invitation), blocks=invitation_blocks(invitation))


def _render_invitation(session: Session, delivery: Delivery, deps: Deps) -> Message:
    return _render(session, delivery, deps, reminder=False)


def _render_reminder(session: Session, delivery: Delivery, deps: Deps) -> Message:
    return _render(session, delivery, deps, reminder=True)


def _invitation_sent(session: Session, delivery: Delivery, deps: Deps) -> None:
    found = _round_of(session, delivery)
    person = session.get(Person, found.person_id)
    assert delivery.sent_at is not None and person is not None
    found.status, found.sent_at = RoundStatus.SENT, delivery.sent_at
    found.channel, found.ts = delivery.channel, delivery.ts
    zone = zone_for(session, deps.settings, person)
    found.reminder_due_at = add_working_days(delivery.sent_at, REMINDER_WORKING_DAYS, zone)


def pulse_kinds() -> list[DeliveryKind]:
    """The outbox kinds for check-in invitations and their reminders."""
    return [
        DeliveryKind(name=PULSE_KIND, render=_render_invitation, on_sent=_invitation_sent),
        DeliveryKind(name=REMINDER_KIND, render=_render_reminder),
    ]
