"""The sender's small types: what one pass did, and where a row stands (their own
module so the sender's helpers can use them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from bot.outbox import DeliveryKind, Message


@dataclass
class SendReport:
    """What one pass of the sender did, for the tick's log line and for tests."""

    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    cancelled: int = 0
    expired: int = 0
    recovered: int = 0
    interrupted: int = 0
    deferred: int = 0
    # Handed back unsent: their pacing slot was too far off for this pass.
    paced: int = 0
    errors: list[str] = field(default_factory=list)


class Prepared(NamedTuple):
    """A row marked `sending`, rendered, ready to post."""

    team_id: str
    recipient: str
    kind: DeliveryKind
    message: Message


class SlotWait(NamedTuple):
    """A row whose pacing slot is `seconds` away (the slot is reserved)."""

    team_id: str
    recipient: str
    seconds: float
