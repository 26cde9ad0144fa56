"""Monthly channel reflections, the requests people make: set-up, the channel list,
re-arming a waiting prompt, sharing through the modal, replies typed into a prompt's
thread, and the counts for the month-end summary.

The clock's side (planning prompts, reminders and summaries) is `bot.reflections.planning`;
what happens at send time, and when Slack refuses a prompt, is `bot.reflections.delivery`.

Services take `now` (aware UTC) and a session; each call is one transaction.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import date, datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.library.types import PRACTICE_KEYS, PRACTICES
from bot.models import (
    AuditLog,
    Delivery,
    DeliveryStatus,
    PromptStatus,
    Reflection,
    ReflectionChannel,
    ReflectionPrompt,
    Workspace,
)
from bot.outbox import adopt_clicked_message, enqueue_message
from bot.people import ensure_person, ensure_workspace
from bot.privacy.workspace import WorkspaceScreen
from bot.reflections import blocks
from bot.reflections.questions import find_question
from bot.reflections.rules import (
    channel_zone,
    clean_practices,
    first_occurrence_from,
    local_month,
    month_index,
    month_label,
    parse_month_key,
    prompt_key,
    reminder_time,
    summary_key,
    summary_time,
    theme_for,
    zone_named,
)
from bot.reflections.types import (
    ANONYMOUS_OFF,
    DEFAULT_MINUTE,
    DEFAULT_RULE,
    ChannelOverview,
    ChannelSettings,
    DayRule,
    Rearmed,
    ShareResult,
    ShareTarget,
)
from bot.sqlutil import insert_ignoring_conflict

log = logging.getLogger(__name__)


# --- channel settings ---------------------------------------------------------------------


def default_timezone(session: Session, settings: Settings, team_id: str) -> str:
    """The program's zone: the workspace's if set, else PROGRAM_TIMEZONE."""
    workspace = session.get(Workspace, team_id)
    if workspace is not None and workspace.timezone and zone_named(workspace.timezone):
        return workspace.timezone
    return settings.program_timezone


def find_channel(session: Session, team_id: str, channel_id: str) -> ReflectionChannel | None:
    """The reflection set-up of a channel, on or off."""
    return session.scalars(
        select(ReflectionChannel).where(
            ReflectionChannel.team_id == team_id, ReflectionChannel.channel_id == channel_id
        )
    ).first()


def settings_for_modal(
    session: Session, settings: Settings, team_id: str, channel_id: str
) -> ChannelSettings:
    """What the set-up modal starts with: the channel's current choices, or the defaults."""
    channel = find_channel(session, team_id, channel_id)
    if channel is None:
        return ChannelSettings(
            day_rule=DEFAULT_RULE,
            minute_of_day=DEFAULT_MINUTE,
            timezone=default_timezone(session, settings, team_id),
            themes=PRACTICE_KEYS,
        )
    return ChannelSettings(
        day_rule=DayRule.decode(channel.day_rule),
        minute_of_day=channel.minute_of_day,
        timezone=channel.timezone,
        themes=tuple(channel.themes),
        allow_anonymous=channel.allow_anonymous,
        reminder_enabled=channel.reminder_enabled,
    )


def _months_with_prompts(session: Session, channel: ReflectionChannel) -> frozenset[str]:
    return frozenset(
        session.scalars(
            select(ReflectionPrompt.month).where(
                ReflectionPrompt.reflection_channel_id == channel.id,
                ReflectionPrompt.status != PromptStatus.CANCELLED,
            )
        )
    )


def _audit(session: Session, team_id: str, actor: str, action: str, target: str, detail: dict) -> None:
    session.add(AuditLog(team_id=team_id, actor_user_id=actor, action=action, target=target, detail=detail))


def configure_channel(
    session: Session,
    *,
    team_id: str,
    channel_id: str,
    admin_user_id: str,
    choices: ChannelSettings,
    now: datetime,
) -> ReflectionChannel:
    """Turn prompts on for a channel (or change its settings) and plan the next prompt.

    The theme rotation starts again from its first theme at the next prompt when the
    order changed (or prompts are new); otherwise it carries on where it was.
    """
    if not choices.themes or any(t not in PRACTICES for t in choices.themes):
        raise ValueError("themes must be practice keys")
    zone = zone_named(choices.timezone)
    if zone is None:
        raise ValueError(f"unknown time zone {choices.timezone!r}")
    ensure_workspace(session, team_id)
    channel = find_channel(session, team_id, channel_id)
    created = channel is None
    taken = _months_with_prompts(session, channel) if channel is not None else frozenset()
    next_at = first_occurrence_from(choices.day_rule, choices.minute_of_day, zone, now, taken=taken)
    if channel is None:
        channel = ReflectionChannel(team_id=team_id, channel_id=channel_id, themes=[])
        session.add(channel)
    if created or list(choices.themes) != list(channel.themes):
        channel.rotation_anchor = month_index(*local_month(next_at, zone))
    channel.day_rule = choices.day_rule.encode()
    channel.minute_of_day = choices.minute_of_day
    channel.timezone = zone.key
    channel.themes = list(choices.themes)
    channel.allow_anonymous = choices.allow_anonymous
    channel.reminder_enabled = choices.reminder_enabled
    channel.admin_user_id = admin_user_id
    channel.enabled = True
    channel.disabled_at = None
    channel.next_prompt_at = next_at
    _audit(
        session,
        team_id,
        admin_user_id,
        "reflections.on" if created else "reflections.update",
        channel_id,
        {
            "day": channel.day_rule,
            "time": choices.minute_of_day,
            "timezone": channel.timezone,
            "themes": channel.themes,
            "anonymous": choices.allow_anonymous,
            "reminder": choices.reminder_enabled,
        },
    )
    return channel


def turn_off(
    session: Session, *, team_id: str, channel_id: str, admin_user_id: str, now: datetime
) -> ReflectionChannel | None:
    """Stop prompts in a channel; keeps every prompt and reflection. None if it was not on."""
    channel = find_channel(session, team_id, channel_id)
    if channel is None or not channel.enabled:
        return None
    channel.enabled = False
    channel.next_prompt_at = None
    channel.disabled_at = now
    open_prompts = session.scalars(
        select(ReflectionPrompt).where(
            ReflectionPrompt.reflection_channel_id == channel.id,
            ReflectionPrompt.status.in_(PromptStatus.OPEN),
        )
    ).all()
    for prompt in open_prompts:
        cancelled = session.execute(
            update(Delivery)
            .where(
                Delivery.dedupe_key == prompt_key(team_id, channel_id, prompt.month),
                Delivery.status.in_((DeliveryStatus.PENDING, DeliveryStatus.CLAIMED)),
            )
            .values(
                status=DeliveryStatus.CANCELLED, error="reflection prompts were turned off", lease_until=None
            )
        ).rowcount
        if cancelled:
            prompt.status = PromptStatus.CANCELLED
    session.execute(
        update(Delivery)
        .where(
            Delivery.dedupe_key.startswith(f"reflection-reminder:{team_id}:{channel_id}:", autoescape=True),
            Delivery.status.in_((DeliveryStatus.PENDING, DeliveryStatus.CLAIMED)),
        )
        .values(status=DeliveryStatus.CANCELLED, error="reflection prompts were turned off", lease_until=None)
    )
    _audit(session, team_id, admin_user_id, "reflections.off", channel_id, {})
    return channel


def overview(session: Session, team_id: str) -> list[ChannelOverview]:
    """Every channel that has (or had) prompts, those that are on first."""
    channels = session.scalars(
        select(ReflectionChannel)
        .where(ReflectionChannel.team_id == team_id)
        .order_by(ReflectionChannel.enabled.desc(), ReflectionChannel.next_prompt_at, ReflectionChannel.id)
    ).all()
    result = []
    for channel in channels:
        latest = session.scalars(
            select(ReflectionPrompt)
            .where(ReflectionPrompt.reflection_channel_id == channel.id)
            .order_by(ReflectionPrompt.month.desc())
            .limit(1)
        ).first()
        next_theme = None
        if channel.enabled and channel.next_prompt_at is not None:
            year, month = local_month(channel.next_prompt_at, channel_zone(channel))
            next_theme = theme_for(channel, year, month)[0]
        result.append(ChannelOverview(channel, latest, next_theme))
    return result


# --- re-arming a waiting prompt -----------------------------------------------------------


def rearm(
    session: Session,
    *,
    team_id: str,
    actor: str,
    now: datetime,
    channel_id: str | None = None,
    prompt_id: int | None = None,
) -> Rearmed:
    """Put a waiting prompt back in the queue now (the admin says the problem is fixed)."""
    if prompt_id is not None:
        prompt = session.get(ReflectionPrompt, prompt_id)
        if prompt is None or prompt.team_id != team_id:
            return Rearmed(None, False, None)
        channel = prompt.channel
    else:
        assert channel_id is not None
        channel = find_channel(session, team_id, channel_id)
        if channel is None:
            return Rearmed(None, False, None)
        prompt = session.scalars(
            select(ReflectionPrompt)
            .where(ReflectionPrompt.reflection_channel_id == channel.id)
            .order_by(ReflectionPrompt.month.desc())
            .limit(1)
        ).first()
    if prompt is None or prompt.status != PromptStatus.WAITING or prompt.closes_at <= now:
        return Rearmed(prompt, False, channel)
    moved = session.execute(
        update(Delivery)
        .where(
            Delivery.dedupe_key == prompt_key(team_id, prompt.channel_id, prompt.month),
            Delivery.status == DeliveryStatus.PENDING,
        )
        .values(next_attempt_at=now, error=f"re-armed by {actor}")
    ).rowcount
    if not moved:
        return Rearmed(prompt, False, channel)
    prompt.status = PromptStatus.SCHEDULED
    prompt.rearm_count += 1
    _audit(session, team_id, actor, "reflections.retry", prompt.channel_id, {"month": prompt.month})
    return Rearmed(prompt, True, channel)


# --- sharing ------------------------------------------------------------------------------


def record_prompt_posted(prompt: ReflectionPrompt, ts: str | None, posted_at: datetime) -> None:
    """The prompt is in its channel at `ts`: open it for sharing and time what follows."""
    year, month = parse_month_key(prompt.month)
    zone = channel_zone(prompt.channel)
    prompt.status = PromptStatus.POSTED
    prompt.ts = ts
    prompt.posted_at = posted_at
    prompt.summary_due_at = summary_time(year, month, zone, posted_at)
    prompt.reminder_due_at = reminder_time(posted_at, prompt.summary_due_at)


def _adopt_clicked_prompt(
    session: Session, prompt: ReflectionPrompt, clicked: tuple[str | None, str | None]
) -> None:
    """A Share click on a prompt we never recorded as posted (its send was interrupted):
    the click's channel and message ts say where it is, so record it now."""
    channel_id, ts = clicked
    if prompt.ts is not None or channel_id != prompt.channel_id or not ts:
        return
    delivery = session.scalars(
        select(Delivery).where(
            Delivery.dedupe_key == prompt_key(prompt.team_id, prompt.channel_id, prompt.month)
        )
    ).first()
    if delivery is not None and adopt_clicked_message(session, delivery, channel_id, ts):
        assert delivery.sent_at is not None
        record_prompt_posted(prompt, ts, delivery.sent_at)
        log.warning(
            "team=%s prompt %s: recorded as posted from a click (its send was interrupted)",
            prompt.team_id,
            prompt.id,
        )


def share_target(
    session: Session,
    team_id: str,
    prompt_id: int,
    now: datetime,
    clicked: tuple[str | None, str | None] = (None, None),
) -> ShareTarget | None:
    """The prompt a Share button belongs to, or None if there is no such posted prompt.

    `clicked`: the (channel, message ts) the button was in. A click on the prompt itself
    proves it was posted even when our record of that was lost mid-send.
    """
    prompt = session.get(ReflectionPrompt, prompt_id)
    if prompt is None or prompt.team_id != team_id:
        return None
    _adopt_clicked_prompt(session, prompt, clicked)
    if prompt.ts is None:
        return None
    channel = prompt.channel
    closed = None
    if prompt.closes_at <= now:
        closed = "month_over"
    elif not channel.enabled:
        closed = "turned_off"
    elif session.scalars(
        select(Delivery.id).where(
            Delivery.dedupe_key == summary_key(team_id, prompt.channel_id, prompt.month),
            Delivery.status == DeliveryStatus.SENT,
        )
    ).first():
        closed = "summarised"
    question = find_question(prompt.question_key)
    return ShareTarget(
        prompt_id=prompt.id,
        channel_id=prompt.channel_id,
        thread_ts=prompt.ts,
        theme=prompt.theme,
        question=question.text if question else "",
        month=month_label(*parse_month_key(prompt.month)),
        allow_anonymous=channel.allow_anonymous,
        closed_reason=closed,
    )


def share_reflection(
    session: Session,
    *,
    team_id: str,
    prompt_id: int,
    text: str,
    practices: list[str],
    user_id: str | None,
    now: datetime,
) -> ShareResult:
    """Record a reflection from the share modal if its prompt still takes it; `user_id`
    None shares it anonymously.

    Sharing may have closed, or anonymous sharing been turned off, while the modal was
    open: then nothing is recorded and `refused` says why. The check and the record are
    in one transaction, and the row is flushed so its id can un-record it
    (`withdraw_reflection`) if the post fails.
    """
    target = share_target(session, team_id, prompt_id, now)
    if target is None or target.closed_reason:
        return ShareResult(target, refused=target.closed_reason if target else "missing")
    if user_id is None and not target.allow_anonymous:
        return ShareResult(target, refused=ANONYMOUS_OFF)
    screened = WorkspaceScreen(session, team_id).assess(text, today=now.date())
    if not screened.fine:
        return ShareResult(target, screened=screened)
    reflection = record_reflection(
        session,
        team_id=team_id,
        prompt_id=target.prompt_id,
        text=text,
        practices=practices,
        user_id=user_id,
        now=now,
    )
    session.flush()
    return ShareResult(target, reflection.id)


def _local_day(prompt: ReflectionPrompt, now: datetime) -> date:
    return now.astimezone(channel_zone(prompt.channel)).date()


def record_reflection(
    session: Session,
    *,
    team_id: str,
    prompt_id: int,
    text: str,
    practices: list[str],
    user_id: str | None,
    now: datetime,
) -> Reflection:
    """Store a reflection shared through the modal; `user_id` None stores it anonymously.

    The text must already have passed the privacy screen (checked again here). Only
    the local day is kept, never the time, and nothing else is written in the same
    transaction, so an anonymous row has nothing beside it that names its writer.
    """
    if WorkspaceScreen(session, team_id).check(text, today=now.date()) is not None:
        raise ValueError("refusing to store text that failed the privacy check")
    prompt = session.get(ReflectionPrompt, prompt_id)
    if prompt is None or prompt.team_id != team_id:
        raise LookupError(f"no prompt {prompt_id} in {team_id}")
    reflection = Reflection(
        team_id=team_id,
        prompt_id=prompt.id,
        text=text,
        practices=clean_practices(practices),
        user_id=user_id,
        source="modal",
        shared_on=_local_day(prompt, now),
    )
    session.add(reflection)
    return reflection


def withdraw_reflection(session: Session, *, team_id: str, reflection_id: int) -> bool:
    """Remove a reflection shared through the modal whose post never reached the thread.

    Sharing records first and posts second, so a database failure can never leave a
    post the month-end count misses; this undoes the record when the post fails.
    """
    reflection = session.get(Reflection, reflection_id)
    if reflection is None or reflection.team_id != team_id or reflection.source != "modal":
        return False
    session.delete(reflection)
    return True


# --- replies typed into a prompt's thread -------------------------------------------------


def prompt_for_thread(
    session: Session, team_id: str, channel_id: str, thread_ts: str
) -> ReflectionPrompt | None:
    """The posted prompt whose thread this is, if any."""
    return session.scalars(
        select(ReflectionPrompt).where(
            ReflectionPrompt.team_id == team_id,
            ReflectionPrompt.channel_id == channel_id,
            ReflectionPrompt.ts == thread_ts,
        )
    ).first()


def record_thread_reply(
    session: Session,
    *,
    team_id: str,
    channel_id: str,
    thread_ts: str,
    ts: str,
    user_id: str,
    text: str,
    now: datetime,
    max_length: int | None = None,
) -> str:
    """Record (or update) a reply typed into a prompt's thread.

    Returns "recorded", "updated", "refused" (longer than `max_length`, or looks like
    patient information: not stored, an earlier stored version is removed, and the writer
    is told by DM), "closed" or "ignored" (not a prompt thread).
    """
    prompt = prompt_for_thread(session, team_id, channel_id, thread_ts)
    if prompt is None:
        return "ignored"
    existing = session.scalars(
        select(Reflection).where(Reflection.prompt_id == prompt.id, Reflection.source_ts == ts)
    ).first()
    # Outside a form there is nobody to ask "is Maria a colleague?": unplaced names are
    # refused with the advice to @mention colleagues.
    refusal = _too_long(text, max_length) or WorkspaceScreen(session, team_id).check(text, today=now.date())
    if refusal is not None:
        if existing is not None:
            session.delete(existing)
        _tell_writer_not_recorded(session, team_id, channel_id, ts, user_id, refusal, now)
        return "refused"
    if existing is not None:
        existing.text = text
        return "updated"
    if prompt.closes_at <= now:
        return "closed"
    inserted = insert_ignoring_conflict(
        session,
        Reflection,
        {
            "team_id": team_id,
            "prompt_id": prompt.id,
            "text": text,
            "practices": [prompt.theme],
            "user_id": user_id,
            "source": "thread",
            "source_ts": ts,
            "shared_on": _local_day(prompt, now),
        },
        ["prompt_id", "source_ts"],
    )
    return "recorded" if inserted else "updated"


def _too_long(text: str, max_length: int | None) -> str | None:
    """Why a reply over `max_length` is not stored (Slack lets a message run to 40,000
    characters; a form's reflection may have far fewer), or None. Checked before the
    screen, which need not read 40,000 characters to refuse them."""
    if max_length is None or len(text) <= max_length:
        return None
    return (
        f"it is {len(text):,} characters long, and a reflection may have at most {max_length:,}. "
        "A shorter reply (or *Share a reflection*) is recorded."
    )


def _tell_writer_not_recorded(
    session: Session, team_id: str, channel_id: str, ts: str, user_id: str, refusal: str, now: datetime
) -> None:
    """DM the writer of a screened-out thread reply why it was not recorded (once per reply)."""
    person = ensure_person(session, team_id, user_id)
    enqueue_message(
        session,
        team_id=team_id,
        recipient=user_id,
        dedupe_key=f"reflection-refused:{team_id}:{channel_id}:{ts}",
        due_at=now,
        text=blocks.thread_reply_refused_text(channel_id, refusal),
        person_id=person.id,
    )


def forget_thread_reply(session: Session, *, team_id: str, channel_id: str, thread_ts: str, ts: str) -> bool:
    """Remove a recorded thread reply its writer deleted in Slack."""
    prompt = prompt_for_thread(session, team_id, channel_id, thread_ts)
    if prompt is None:
        return False
    existing = session.scalars(
        select(Reflection).where(Reflection.prompt_id == prompt.id, Reflection.source_ts == ts)
    ).first()
    if existing is None:
        return False
    session.delete(existing)
    return True


# --- the month-end summary ----------------------------------------------------------------


def practice_counts(session: Session, prompt_id: int) -> tuple[int, dict[str, int]]:
    """How many reflections a prompt got, and how many touched each practice."""
    tags = session.scalars(select(Reflection.practices).where(Reflection.prompt_id == prompt_id)).all()
    counts: Counter[str] = Counter(key for practices in tags for key in practices or [])
    return len(tags), {key: counts[key] for key in PRACTICE_KEYS if counts[key]}
