"""Reflections in the outbox: render the prompt, the summary and the reminders at send
time, note where the prompt landed, and turn Slack's refusals into a held prompt and a
notice to the admin who can fix them.

Every message goes through the outbox (`bot.outbox`), with dedupe keys that make each
one happen at most once:

* the prompt — `reflection:<team>:<channel>:<month>`
* the month-end summary — `reflection-summary:<team>:<channel>:<month>`
* a mid-month reminder — `reflection-reminder:<team>:<channel>:<month>:<user>`
* notices to the admin — `reflection-problem:…`, `reflection-fixed:…`, `reflection-missed:…`,
  `reflection-members:…`

A prompt Slack refuses for a reason an admin can fix (the app is not in the channel,
the channel is archived, or it is private and the app cannot see it) is *held*, not
failed: the admin is told what to do by DM, and the prompt is re-armed by their "Try
again" button, by `/mentor reflections retry #channel`, or by the hourly daytime retry.
If the month ends first, the prompt is marked `missed` and the admin is told.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.deps import Deps
from bot.models import Delivery, PromptStatus, Reflection, ReflectionChannel, ReflectionPrompt
from bot.outbox import Cancel, DeliveryKind, ErrorOutcome, Message, enqueue_message
from bot.people import ensure_person, zone_for
from bot.reflections import blocks
from bot.reflections.questions import find_question
from bot.reflections.rules import (
    channel_zone,
    month_label,
    next_retry_time,
    parse_month_key,
)
from bot.reflections.service import practice_counts, record_prompt_posted
from bot.reflections.types import PROMPT_KIND, REMINDER_KIND, SUMMARY_KIND
from bot.timing import next_contact_time

# Slack errors on a channel post that an admin can fix; the prompt waits for them.
FIXABLE_ERRORS = frozenset({"not_in_channel", "channel_not_found", "is_archived", "restricted_action"})

# A missed-month notice is no use weeks later.
NOTICE_LIFETIME = timedelta(days=7)


def tell_admin(
    session: Session,
    deps: Deps,
    channel: ReflectionChannel,
    *,
    dedupe_key: str,
    now: datetime,
    text: str,
    blocks_: list[dict] | None = None,
    expires_at: datetime | None = None,
) -> bool:
    """Queue a DM to the channel's admin at their next allowed time; False if `dedupe_key`
    is already in the outbox.

    When `next_contact_time` finds no allowed time (it looks two weeks ahead), the DM is
    queued for `now`.
    """
    admin = ensure_person(session, channel.team_id, channel.admin_user_id)
    try:
        due = next_contact_time(admin, zone_for(session, deps.settings, admin), now)
    except ValueError:
        due = now
    return enqueue_message(
        session,
        team_id=channel.team_id,
        recipient=admin.user_id,
        dedupe_key=dedupe_key,
        due_at=due,
        text=text,
        blocks=blocks_,
        person_id=admin.id,
        expires_at=expires_at,
    )


def tell_admin_about_members(
    session: Session, deps: Deps, prompt: ReflectionPrompt, problem: str | None, now: datetime
) -> bool:
    """Tell the admin, once per month, that reminders cannot go out and what would fix it."""
    return tell_admin(
        session,
        deps,
        prompt.channel,
        dedupe_key=f"reflection-members:{prompt.team_id}:{prompt.channel_id}:{prompt.month}",
        now=now,
        expires_at=prompt.closes_at,
        text=blocks.members_problem_text(prompt.channel_id, problem),
    )


def _prompt_of(session: Session, delivery: Delivery) -> ReflectionPrompt:
    prompt = session.get(ReflectionPrompt, (delivery.payload or {}).get("prompt_id"))
    if prompt is None:
        raise Cancel("its reflection prompt no longer exists")
    return prompt


def _render_prompt(session: Session, delivery: Delivery, _deps: Deps) -> Message:
    prompt = _prompt_of(session, delivery)
    channel = prompt.channel
    if not channel.enabled:
        prompt.status = PromptStatus.CANCELLED
        raise Cancel("reflection prompts were turned off for this channel")
    question = find_question(prompt.question_key)
    year, month = parse_month_key(prompt.month)
    return Message(
        text=blocks.prompt_text(prompt.theme, question.text if question else ""),
        blocks=blocks.prompt_blocks(
            prompt_id=prompt.id,
            theme=prompt.theme,
            question=question.text if question else "",
            month=month_label(year, month),
            allow_anonymous=channel.allow_anonymous,
        ),
    )


def _prompt_sent(session: Session, delivery: Delivery, deps: Deps) -> None:
    prompt = _prompt_of(session, delivery)
    assert delivery.sent_at is not None
    record_prompt_posted(prompt, delivery.ts, delivery.sent_at)
    if prompt.problem is not None:
        year, month = parse_month_key(prompt.month)
        tell_admin(
            session,
            deps,
            prompt.channel,
            dedupe_key=f"reflection-fixed:{prompt.team_id}:{prompt.channel_id}:{prompt.month}",
            now=delivery.sent_at,
            expires_at=prompt.closes_at,
            text=blocks.fixed_notice_text(prompt.channel_id, month_label(year, month)),
        )


def _prompt_error(session: Session, delivery: Delivery, code: str, deps: Deps) -> ErrorOutcome | None:
    if code not in FIXABLE_ERRORS:
        return None
    prompt = _prompt_of(session, delivery)
    channel = prompt.channel
    now = deps.now()
    prompt.status = PromptStatus.WAITING
    prompt.problem = code
    label = month_label(*parse_month_key(prompt.month))
    text, notice_blocks = blocks.problem_notice(code, channel.channel_id, label, prompt.id)
    tell_admin(
        session,
        deps,
        channel,
        # Once per problem and per manual retry: hourly retries never repeat the message,
        # but an admin who pressed "Try again" hears if it still did not work.
        dedupe_key=f"reflection-problem:{prompt.team_id}:{prompt.channel_id}:{prompt.month}:{code}:"
        f"{prompt.rearm_count}",
        now=now,
        expires_at=prompt.closes_at,
        text=text,
        blocks_=notice_blocks,
    )
    retry_at = next_retry_time(now, channel_zone(channel), prompt.closes_at)
    return ErrorOutcome(
        note=f"held: {code}; the admin was told; next try {retry_at:%Y-%m-%d %H:%M} UTC",
        retry_at=retry_at,
        hold=True,
    )


def _render_summary(session: Session, delivery: Delivery, _deps: Deps) -> Message:
    prompt = _prompt_of(session, delivery)
    if prompt.ts is None:
        raise Cancel("the prompt was never posted, so there is no thread to summarise")
    total, counts = practice_counts(session, prompt.id)
    if total == 0:
        raise Cancel("nobody shared this month; no summary, so nobody feels told off")
    return Message(
        text=blocks.summary_text(total, counts),
        blocks=blocks.summary_blocks(total, counts),
        thread_ts=prompt.ts,
    )


def _summary_error(session: Session, delivery: Delivery, code: str, _deps: Deps) -> ErrorOutcome | None:
    if code not in FIXABLE_ERRORS and code != "thread_not_found":
        return None
    prompt = _prompt_of(session, delivery)
    prompt.note = f"the month-end summary could not be posted ({code})"
    return ErrorOutcome(note=f"summary not posted: {code}")


def _render_reminder(session: Session, delivery: Delivery, _deps: Deps) -> Message:
    prompt = _prompt_of(session, delivery)
    if not prompt.channel.enabled or not prompt.channel.reminder_enabled:
        raise Cancel("reminders were turned off for this channel")
    if prompt.ts is None:
        raise Cancel("the prompt was not posted")
    shared = session.scalars(
        select(Reflection.id).where(
            Reflection.prompt_id == prompt.id, Reflection.user_id == delivery.recipient
        )
    ).first()
    if shared is not None:
        raise Cancel("they have shared a reflection since")
    question = find_question(prompt.question_key)
    return Message(
        text=blocks.reminder_text(prompt.channel_id, prompt.theme),
        blocks=blocks.reminder_blocks(
            prompt_id=prompt.id,
            channel_id=prompt.channel_id,
            theme=prompt.theme,
            question=question.text if question else "",
            allow_anonymous=prompt.channel.allow_anonymous,
        ),
    )


def reflection_kinds() -> list[DeliveryKind]:
    """The outbox kinds this feature adds (registered in schedules/kinds.py)."""
    return [
        DeliveryKind(
            name=PROMPT_KIND,
            render=_render_prompt,
            on_sent=_prompt_sent,
            on_error=_prompt_error,
            to_person=False,
        ),
        DeliveryKind(name=SUMMARY_KIND, render=_render_summary, on_error=_summary_error, to_person=False),
        DeliveryKind(name=REMINDER_KIND, render=_render_reminder),
    ]
