"""Helpers shared by the reflection tests: set up a channel, read what happened, run the clock."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from bot.db import transaction
from bot.deps import Deps
from bot.library.types import PRACTICE_KEYS
from bot.models import Delivery, DeliveryStatus, PromptStatus, Reflection, ReflectionChannel, ReflectionPrompt
from bot.reflections.service import configure_channel
from bot.reflections.types import ChannelSettings, DayRule
from tests.conftest import ADMIN
from tests.fakes.slack_api import TEAM_ID


def configure(
    deps: Deps,
    channel_id: str,
    *,
    rule: str = "first-tue",
    minute: int = 10 * 60,
    tz: str = "Europe/London",
    themes: tuple[str, ...] = PRACTICE_KEYS,
    anonymous: bool = True,
    reminder: bool = False,
    admin: str = ADMIN,
) -> None:
    """Turn prompts on for `channel_id` through the service, as the set-up modal does."""
    with transaction(deps.session_factory) as session:
        configure_channel(
            session,
            team_id=TEAM_ID,
            channel_id=channel_id,
            admin_user_id=admin,
            choices=ChannelSettings(DayRule.decode(rule), minute, tz, tuple(themes), anonymous, reminder),
            now=deps.now(),
        )


def prompts(deps: Deps, channel_id: str | None = None) -> list[ReflectionPrompt]:
    """Prompt rows, oldest month first."""
    with deps.session_factory() as session:
        query = select(ReflectionPrompt).order_by(ReflectionPrompt.channel_id, ReflectionPrompt.month)
        if channel_id is not None:
            query = query.where(ReflectionPrompt.channel_id == channel_id)
        return list(session.scalars(query))


def deliveries(deps: Deps, kind: str | None = None, recipient: str | None = None) -> list[Delivery]:
    """Outbox rows, in insertion order."""
    with deps.session_factory() as session:
        query = select(Delivery).order_by(Delivery.id)
        if kind is not None:
            query = query.where(Delivery.kind == kind)
        if recipient is not None:
            query = query.where(Delivery.recipient == recipient)
        return list(session.scalars(query))


def reflection_rows(deps: Deps) -> list[Reflection]:
    """Every stored reflection."""
    with deps.session_factory() as session:
        return list(session.scalars(select(Reflection).order_by(Reflection.id)))


def next_event(deps: Deps, after: datetime) -> datetime | None:
    """The next instant something reflection-related is due: the simulation jumps there."""
    with deps.session_factory() as session:
        candidates = [
            session.scalar(
                select(func.min(ReflectionChannel.next_prompt_at)).where(ReflectionChannel.enabled.is_(True))
            ),
            session.scalar(select(func.min(ReflectionPrompt.summary_due_at))),
            session.scalar(select(func.min(ReflectionPrompt.reminder_due_at))),
            session.scalar(
                select(func.min(ReflectionPrompt.closes_at)).where(
                    ReflectionPrompt.status.in_(PromptStatus.OPEN)
                )
            ),
            session.scalar(
                select(func.min(Delivery.next_attempt_at)).where(Delivery.status == DeliveryStatus.PENDING)
            ),
        ]
    due = [c for c in candidates if c is not None]
    return max(min(due), after) if due else None
