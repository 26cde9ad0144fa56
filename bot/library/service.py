"""The nudges a workspace may use: the built-in catalogue minus what its admins switched
off, plus their own. Each function reads inside the caller's transaction.
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.library.catalogue import builtin_nudges
from bot.library.types import CUSTOM_PREFIX, Followup, Nudge
from bot.models import CustomNudge, DisabledNudge


def custom_nudge(row: CustomNudge) -> Nudge:
    """A database row as a Nudge."""
    followup = None
    if row.followup_question and row.followup_choices:
        followup = Followup(row.followup_question, tuple(row.followup_choices))
    return Nudge(
        key=row.key,
        practice=row.practice,
        text=row.text,
        followup=followup,
        custom=True,
        retired=not row.enabled,
    )


def disabled_builtin_keys(session: Session, team_id: str) -> set[str]:
    """Built-in keys this workspace's admins have switched off for their program."""
    return set(session.scalars(select(DisabledNudge.key).where(DisabledNudge.team_id == team_id)))


def active_nudges(session: Session, team_id: str) -> list[Nudge]:
    """Nudges the planner may choose for this workspace: built-ins the program has not
    switched off, plus its enabled custom ones (oldest first)."""
    off = disabled_builtin_keys(session, team_id)
    rows = session.scalars(
        select(CustomNudge)
        .where(CustomNudge.team_id == team_id, CustomNudge.enabled.is_(True))
        .order_by(CustomNudge.id)
    )
    return [n for n in builtin_nudges() if not n.retired and n.key not in off] + [
        custom_nudge(r) for r in rows
    ]


def find_nudge(session: Session, team_id: str, key: str) -> Nudge | None:
    """Any nudge by key — retired and disabled ones too, so old records still render.

    `retired` on the result means "not offered to this workspace now": retired from
    the library, or switched off by the program.
    """
    if key.startswith(CUSTOM_PREFIX):
        row = session.scalars(
            select(CustomNudge).where(CustomNudge.team_id == team_id, CustomNudge.key == key)
        ).first()
        return custom_nudge(row) if row else None
    nudge = next((n for n in builtin_nudges() if n.key == key), None)
    if nudge is None or nudge.retired:
        return nudge
    switched_off = session.get(DisabledNudge, (team_id, key)) is not None
    return replace(nudge, retired=True) if switched_off else nudge
