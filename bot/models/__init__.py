"""All tables. Import models from here so Alembic and the app see the same metadata."""

from bot.models.base import Base, UtcDateTime, utcnow
from bot.models.core import (
    CADENCES,
    AuditLog,
    Delivery,
    DeliveryStatus,
    Pair,
    Person,
    Workspace,
)
from bot.models.library import CustomNudge
from bot.models.nudges import NudgeAnswer, NudgeAnswerKind, NudgeOrigin, NudgeSend

__all__ = [
    "CADENCES",
    "AuditLog",
    "Base",
    "CustomNudge",
    "Delivery",
    "DeliveryStatus",
    "NudgeAnswer",
    "NudgeAnswerKind",
    "NudgeOrigin",
    "NudgeSend",
    "Pair",
    "Person",
    "UtcDateTime",
    "Workspace",
    "utcnow",
]
