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
from bot.models.library import CustomNudge, DisabledNudge
from bot.models.nudges import NudgeAnswer, NudgeAnswerKind, NudgeOrigin, NudgeSend
from bot.models.privacy import ColleagueName
from bot.models.reflections import PromptStatus, Reflection, ReflectionChannel, ReflectionPrompt
from bot.models.roster import RosterImport

__all__ = [
    "CADENCES",
    "AuditLog",
    "Base",
    "ColleagueName",
    "CustomNudge",
    "Delivery",
    "DeliveryStatus",
    "DisabledNudge",
    "NudgeAnswer",
    "NudgeAnswerKind",
    "NudgeOrigin",
    "NudgeSend",
    "Pair",
    "Person",
    "PromptStatus",
    "Reflection",
    "ReflectionChannel",
    "ReflectionPrompt",
    "RosterImport",
    "UtcDateTime",
    "Workspace",
    "utcnow",
]
