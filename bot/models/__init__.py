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

__all__ = [
    "CADENCES",
    "AuditLog",
    "Base",
    "CustomNudge",
    "Delivery",
    "DeliveryStatus",
    "DisabledNudge",
    "Pair",
    "Person",
    "UtcDateTime",
    "Workspace",
    "utcnow",
]
