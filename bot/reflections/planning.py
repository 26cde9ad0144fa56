"""What the clock asks of reflections: plan each month's prompt, close a month that ended
unposted, plan the mid-month reminders and the month-end summary.

Each function is one unit of work inside the caller's transaction; the clock's step
(`schedules/reflection_planner.py`) decides when they run.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.deps import Deps
from bot.models import (
    Delivery,
    DeliveryStatus,
    Pair,
    Person,
    PromptStatus,
    Reflection,
    ReflectionChannel,
    ReflectionPrompt,
)
from bot.outbox import enqueue
from bot.people import zone_for
from bot.reflections import blocks
from bot.reflections.delivery import NOTICE_LIFETIME, tell_admin
from bot.reflections.rules import (
    channel_zone,
    local_month,
    month_end,
    month_key,
    month_label,
    parse_month_key,
    prompt_key,
    reminder_key,
    summary_key,
    theme_for,
)
from bot.reflections.types import PROMPT_KIND, REMINDER_KIND, SUMMARY_KIND
from bot.sqlutil import insert_ignoring_conflict
from bot.timing import next_contact_time


def plan_prompt(session: Session, channel: ReflectionChannel, when: datetime, now: datetime) -> str:
    """Create the prompt for the month of `when` and its outbox row; returns what happened.

    Safe to call twice, from two clocks at once: the prompt row and the outbox row are
    both inserted under unique keys. A month that is already over is recorded as missed
    (the app was not running), never posted late.
    """
    zone = channel_zone(channel)
    year, month = local_month(when, zone)
    key = month_key(year, month)
    closes_at = month_end(year, month, zone)
    theme, question = theme_for(channel, year, month)
    over = closes_at <= now
    insert_ignoring_conflict(
        session,
        ReflectionPrompt,
        {
            "team_id": channel.team_id,
            "reflection_channel_id": channel.id,
            "channel_id": channel.channel_id,
            "month": key,
            "theme": theme,
            "question_key": question.key,
            "planned_at": when,
            "closes_at": closes_at,
            "status": PromptStatus.MISSED if over else PromptStatus.SCHEDULED,
            "note": "the app was not running when this prompt was due" if over else None,
            "rearm_count": 0,
        },
        ["reflection_channel_id", "month"],
    )
    prompt = session.scalars(
        select(ReflectionPrompt).where(
            ReflectionPrompt.reflection_channel_id == channel.id, ReflectionPrompt.month == key
        )
    ).one()
    if over:
        return "missed"
    dedupe_key = prompt_key(channel.team_id, channel.channel_id, key)
    if enqueue(
        session,
        team_id=channel.team_id,
        kind=PROMPT_KIND,
        recipient=channel.channel_id,
        dedupe_key=dedupe_key,
        due_at=when,
        expires_at=closes_at,
        payload={"prompt_id": prompt.id},
    ):
        return "planned"
    if prompt.status == PromptStatus.CANCELLED:
        # Turned off before it went out, and on again within the month: the same outbox
        # row goes back in the queue (it was never sent, so this cannot double-post).
        revived = session.execute(
            update(Delivery)
            .where(Delivery.dedupe_key == dedupe_key, Delivery.status == DeliveryStatus.CANCELLED)
            .values(
                status=DeliveryStatus.PENDING, due_at=when, next_attempt_at=when, error=None, claimed_by=None
            )
        ).rowcount
        if revived:
            # The new settings may have a new day and a new rotation.
            prompt.status, prompt.planned_at = PromptStatus.SCHEDULED, when
            prompt.theme, prompt.question_key = theme, question.key
            return "revived"
    return "exists"


def close_month(session: Session, prompt: ReflectionPrompt, deps: Deps, now: datetime) -> None:
    """Mark a prompt whose month ended unposted as missed, and tell the admin once."""
    delivery = session.scalars(
        select(Delivery).where(
            Delivery.dedupe_key == prompt_key(prompt.team_id, prompt.channel_id, prompt.month)
        )
    ).first()
    reason = prompt.problem or (delivery.error if delivery is not None else None) or "it was not sent"
    prompt.status = PromptStatus.MISSED
    prompt.note = f"not posted before the month ended: {reason}"
    prompt.reminder_due_at = prompt.summary_due_at = None
    if delivery is not None and delivery.status in (DeliveryStatus.PENDING, DeliveryStatus.CLAIMED):
        delivery.status, delivery.error, delivery.lease_until = (
            DeliveryStatus.EXPIRED,
            f"the month ended before it could be posted ({reason})",
            None,
        )
    channel = prompt.channel
    tell_admin(
        session,
        deps,
        channel,
        dedupe_key=f"reflection-missed:{prompt.team_id}:{prompt.channel_id}:{prompt.month}",
        now=now,
        expires_at=now + NOTICE_LIFETIME,
        text=blocks.missed_notice_text(
            channel.channel_id,
            month_label(*parse_month_key(prompt.month)),
            prompt.problem,
            channel.next_prompt_at.astimezone(channel_zone(channel)) if channel.next_prompt_at else None,
        ),
    )


def mentors_to_remind(
    session: Session, team_id: str, prompt: ReflectionPrompt, members: set[str]
) -> list[Person]:
    """Mentors with an active pair who are in the channel and have not shared *by name*.

    Anonymous reflections carry nothing that says who wrote them, so anonymous sharers
    cannot be told apart and are reminded too; the reminder says so, and thanks them.
    """
    named = set(
        session.scalars(
            select(Reflection.user_id).where(
                Reflection.prompt_id == prompt.id, Reflection.user_id.is_not(None)
            )
        )
    )
    mentors = session.scalars(
        select(Person)
        .where(
            Person.team_id == team_id,
            Person.is_active.is_(True),
            Person.opted_out_at.is_(None),
            Person.id.in_(select(Pair.mentor_id).where(Pair.team_id == team_id, Pair.ended_at.is_(None))),
        )
        .order_by(Person.id)
    ).all()
    return [m for m in mentors if m.user_id in members and m.user_id not in named]


def plan_reminders(
    session: Session, deps: Deps, prompt: ReflectionPrompt, members: set[str], now: datetime
) -> int:
    """Queue one reminder DM per mentor who has not shared; each at their next allowed time."""
    queued = 0
    for person in mentors_to_remind(session, prompt.team_id, prompt, members):
        zone = zone_for(session, deps.settings, person)
        try:
            due = next_contact_time(person, zone, now)
        except ValueError:
            continue  # no allowed time within two weeks (a long pause): nothing to send
        if prompt.summary_due_at is not None and due >= prompt.summary_due_at:
            continue
        queued += enqueue(
            session,
            team_id=prompt.team_id,
            kind=REMINDER_KIND,
            recipient=person.user_id,
            dedupe_key=reminder_key(prompt.team_id, prompt.channel_id, prompt.month, person.user_id),
            due_at=due,
            expires_at=prompt.summary_due_at or prompt.closes_at,
            payload={"prompt_id": prompt.id},
            person_id=person.id,
        )
    return queued


def plan_summary(session: Session, prompt: ReflectionPrompt) -> bool:
    """Queue the month-end summary in the prompt's thread (once: dedupe channel + month)."""
    assert prompt.summary_due_at is not None
    return enqueue(
        session,
        team_id=prompt.team_id,
        kind=SUMMARY_KIND,
        recipient=prompt.channel_id,
        dedupe_key=summary_key(prompt.team_id, prompt.channel_id, prompt.month),
        due_at=prompt.summary_due_at,
        expires_at=prompt.closes_at,
        payload={"prompt_id": prompt.id},
    )
