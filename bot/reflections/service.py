"""Monthly channel reflections: set-up, the monthly prompt, sharing, reminders, the summary.

Every message goes through the outbox (`bot.outbox`), with dedupe keys that make each
one happen at most once:

* the prompt — `reflection:<team>:<channel>:<month>`
* the month-end summary — `reflection-summary:<team>:<channel>:<month>`
* a mid-month reminder — `reflection-reminder:<team>:<channel>:<month>:<user>`
* notices to the admin — `reflection-problem:…`, `reflection-fixed:…`, `reflection-missed:…`

A prompt Slack refuses for a reason an admin can fix (the app is not in the channel,
the channel is archived, or it is private and the app cannot see it) is *held*, not
failed: the admin is told what to do by DM, and the prompt is re-armed by their "Try
again" button, by `/mentor reflections retry #channel`, or by the hourly daytime retry.
If the month ends first, the prompt is marked `missed` and the admin is told.

Services take `now` (aware UTC) and a session; each call is one transaction.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot import privacy
from bot.config import Settings
from bot.deps import Deps
from bot.library.types import PRACTICE_KEYS, PRACTICES
from bot.models import (
    AuditLog,
    Delivery,
    DeliveryStatus,
    Pair,
    Person,
    PromptStatus,
    Reflection,
    ReflectionChannel,
    ReflectionPrompt,
    Workspace,
)
from bot.outbox import Cancel, DeliveryKind, ErrorOutcome, Message, enqueue, enqueue_message
from bot.people import ensure_person, ensure_workspace, zone_for
from bot.reflections import blocks
from bot.reflections.questions import Question, find_question, pick_question
from bot.reflections.rules import (
    DEFAULT_MINUTE,
    DEFAULT_RULE,
    DayRule,
    first_occurrence_from,
    local_month,
    month_end,
    month_index,
    month_key,
    month_label,
    next_retry_time,
    parse_month_key,
    reminder_time,
    summary_time,
)
from bot.sqlutil import insert_ignoring_conflict
from bot.timing import next_contact_time, parse_minute

log = logging.getLogger(__name__)

PROMPT_KIND = "reflection_prompt"
SUMMARY_KIND = "reflection_summary"
REMINDER_KIND = "reflection_reminder"

# Slack errors on a channel post that an admin can fix; the prompt waits for them.
FIXABLE_ERRORS = frozenset({"not_in_channel", "channel_not_found", "is_archived", "restricted_action"})
# A missed-month notice is no use weeks later.
NOTICE_LIFETIME = timedelta(days=7)


# --- keys ---------------------------------------------------------------------------------


def prompt_key(team_id: str, channel_id: str, month: str) -> str:
    """The outbox dedupe key of a channel's prompt for a month."""
    return f"reflection:{team_id}:{channel_id}:{month}"


def summary_key(team_id: str, channel_id: str, month: str) -> str:
    """The outbox dedupe key of a channel's month-end summary."""
    return f"reflection-summary:{team_id}:{channel_id}:{month}"


def reminder_key(team_id: str, channel_id: str, month: str, user_id: str) -> str:
    """The outbox dedupe key of one person's reminder about one prompt."""
    return f"reflection-reminder:{team_id}:{channel_id}:{month}:{user_id}"


# --- channel settings ---------------------------------------------------------------------


@dataclass(frozen=True)
class ChannelSettings:
    """What an admin chooses for a channel in the set-up modal."""

    day_rule: DayRule
    minute_of_day: int
    timezone: str
    themes: tuple[str, ...]
    allow_anonymous: bool = True
    reminder_enabled: bool = False


def zone_named(name: str) -> ZoneInfo | None:
    """The zone called `name` (case-insensitive for convenience), or None."""
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError):
        pass
    lowered = name.strip().lower()
    match = next((z for z in available_timezones() if z.lower() == lowered), None)
    return ZoneInfo(match) if match else None


def channel_zone(channel: ReflectionChannel) -> ZoneInfo:
    """The channel's zone (validated when it was saved)."""
    return ZoneInfo(channel.timezone)


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


def _state(values: dict[str, Any], block_id: str) -> dict[str, Any]:
    """The one element state inside a block of a submitted view (empty if absent)."""
    block = values.get(block_id) or {}
    return next(iter(block.values()), {}) if block else {}


def settings_from_view(values: dict[str, Any]) -> tuple[ChannelSettings | None, dict[str, str]]:
    """Read the set-up modal's state: (settings, {}) or (None, errors by block id)."""
    errors: dict[str, str] = {}
    day = (_state(values, blocks.DAY_BLOCK).get("selected_option") or {}).get("value")
    try:
        rule = DayRule.decode(day or "")
    except ValueError:
        errors[blocks.DAY_BLOCK] = "Choose a day of the month."
        rule = DEFAULT_RULE
    minute = parse_minute(_state(values, blocks.TIME_BLOCK).get("selected_time") or "")
    if minute is None:
        errors[blocks.TIME_BLOCK] = "Choose a time of day, like 10:00."
    zone_text = (_state(values, blocks.ZONE_BLOCK).get("value") or "").strip()
    zone = zone_named(zone_text) if zone_text else None
    if zone is None:
        errors[blocks.ZONE_BLOCK] = (
            f"I don't know the time zone “{zone_text}”. Use an IANA name, like America/New_York, "
            "Europe/London or Australia/Sydney."
            if zone_text
            else "Give the channel's time zone, like America/New_York."
        )
    themes = tuple(
        option["value"]
        for block_id in blocks.THEME_BLOCKS
        if (option := _state(values, block_id).get("selected_option")) and option.get("value") in PRACTICES
    )
    if not themes:
        errors[blocks.THEME_BLOCKS[0]] = "Choose at least one theme."
    chosen = {o.get("value") for o in _state(values, blocks.OPTIONS_BLOCK).get("selected_options") or []}
    if errors:
        return None, errors
    assert minute is not None and zone is not None
    return (
        ChannelSettings(
            day_rule=rule,
            minute_of_day=minute,
            timezone=zone.key,
            themes=themes,
            allow_anonymous=blocks.OPTION_ANONYMOUS in chosen,
            reminder_enabled=blocks.OPTION_REMINDER in chosen,
        ),
        {},
    )


def share_from_view(values: dict[str, Any]) -> tuple[str, list[str], bool]:
    """(text, practice keys, anonymous?) from the share modal's state."""
    text = (_state(values, blocks.TEXT_BLOCK).get("value") or "").strip()
    practices = [o.get("value") for o in _state(values, blocks.PRACTICES_BLOCK).get("selected_options") or []]
    anonymous = bool(_state(values, blocks.ANONYMOUS_BLOCK).get("selected_options"))
    return text, clean_practices([p for p in practices if p]), anonymous


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


@dataclass(frozen=True)
class ChannelOverview:
    """One channel in `/mentor reflections`: its set-up and its latest prompt."""

    channel: ReflectionChannel
    latest: ReflectionPrompt | None
    next_theme: str | None


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


# --- themes and questions -----------------------------------------------------------------


def theme_for(channel: ReflectionChannel, year: int, month: int) -> tuple[str, Question]:
    """The month's theme in this channel's rotation, and the question to ask about it."""
    themes = list(channel.themes)
    offset = month_index(year, month) - channel.rotation_anchor
    position = offset % len(themes)
    theme = themes[position]
    # How many times this theme came up before in the rotation (themes may repeat).
    round_number = (offset // len(themes)) * themes.count(theme) + themes[:position].count(theme)
    return theme, pick_question(theme, round_number)


# --- planning (called by schedules/reflection_planner.py) ----------------------------------


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
    _tell_admin(
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


# --- admin notices and re-arming ----------------------------------------------------------


def _tell_admin(
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
    return _tell_admin(
        session,
        deps,
        prompt.channel,
        dedupe_key=f"reflection-members:{prompt.team_id}:{prompt.channel_id}:{prompt.month}",
        now=now,
        expires_at=prompt.closes_at,
        text=blocks.members_problem_text(prompt.channel_id, problem),
    )


@dataclass(frozen=True)
class Rearmed:
    """What a retry request found: the prompt (if any) and whether it was re-armed."""

    prompt: ReflectionPrompt | None
    rearmed: bool
    channel: ReflectionChannel | None


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


@dataclass(frozen=True)
class ShareTarget:
    """Where a reflection on a prompt goes, and what the share modal should offer."""

    prompt_id: int
    channel_id: str
    thread_ts: str
    theme: str
    question: str
    month: str
    allow_anonymous: bool
    closed_reason: str | None


def share_target(session: Session, team_id: str, prompt_id: int, now: datetime) -> ShareTarget | None:
    """The prompt a Share button belongs to, or None if there is no such posted prompt."""
    prompt = session.get(ReflectionPrompt, prompt_id)
    if prompt is None or prompt.team_id != team_id or prompt.ts is None:
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


def clean_practices(practices: list[str] | tuple[str, ...]) -> list[str]:
    """Known practice keys, once each, in the library's order."""
    chosen = set(practices)
    return [key for key in PRACTICE_KEYS if key in chosen]


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

    The text must already have passed `bot.privacy.check` (checked again here). Only
    the local day is kept, never the time, and nothing else is written in the same
    transaction, so an anonymous row has nothing beside it that names its writer.
    """
    if privacy.check(text) is not None:
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
) -> str:
    """Record (or update) a reply typed into a prompt's thread.

    Returns "recorded", "updated", "refused" (looks like patient information: not stored,
    and an earlier stored version is removed), "closed" or "ignored" (not a prompt thread).
    """
    prompt = prompt_for_thread(session, team_id, channel_id, thread_ts)
    if prompt is None:
        return "ignored"
    existing = session.scalars(
        select(Reflection).where(Reflection.prompt_id == prompt.id, Reflection.source_ts == ts)
    ).first()
    if privacy.check(text) is not None:
        if existing is not None:
            session.delete(existing)
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


def practice_counts(session: Session, prompt_id: int) -> tuple[int, dict[str, int]]:
    """How many reflections a prompt got, and how many touched each practice."""
    tags = session.scalars(select(Reflection.practices).where(Reflection.prompt_id == prompt_id)).all()
    counts: Counter[str] = Counter(key for practices in tags for key in practices or [])
    return len(tags), {key: counts[key] for key in PRACTICE_KEYS if counts[key]}


# --- delivery kinds -----------------------------------------------------------------------


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
    year, month = parse_month_key(prompt.month)
    zone = channel_zone(prompt.channel)
    prompt.status = PromptStatus.POSTED
    prompt.ts = delivery.ts
    prompt.posted_at = delivery.sent_at
    prompt.summary_due_at = summary_time(year, month, zone, delivery.sent_at)
    prompt.reminder_due_at = reminder_time(delivery.sent_at, prompt.summary_due_at)
    if prompt.problem is not None:
        _tell_admin(
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
    _tell_admin(
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
    """The outbox kinds this feature adds (registered in bot/delivery_kinds.py)."""
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
