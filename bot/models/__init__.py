"""All tables. Import models from here so Alembic and the app see the same metadata."""

from bot.models.agreements import Agreement, AgreementStatus, AgreementVersion, GoalReview, GoalState
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
from bot.models.installations import slack_bots, slack_installations, slack_oauth_states
from bot.models.library import CustomNudge, DisabledNudge
from bot.models.meetings import (
    FeedbackRequest,
    FeedbackSource,
    FeedbackStatus,
    MeetingLog,
    MeetingSource,
)
from bot.models.mydata import ForgetMark, KeptCount
from bot.models.nudges import NudgeAnswer, NudgeAnswerKind, NudgeOrigin, NudgeSend
from bot.models.pacing import SendPace
from bot.models.privacy import ColleagueName
from bot.models.pulse import (
    CLOSE_OUT,
    ITEM_COLUMNS,
    BatchScope,
    PulseBatch,
    PulseInbox,
    PulseParticipation,
    PulsePublication,
    PulseRound,
    PulseSelfAnswer,
    PulseSettings,
    RoundKind,
    RoundStatus,
)
from bot.models.reflections import PromptStatus, Reflection, ReflectionChannel, ReflectionPrompt
from bot.models.roster import RosterImport
from bot.models.rota import RotaFeed, RotaImport, RotaShift, RotationReflection, ShiftKind, ShiftSource

__all__ = [
    "CADENCES",
    "CLOSE_OUT",
    "ITEM_COLUMNS",
    "Agreement",
    "AgreementStatus",
    "AgreementVersion",
    "AuditLog",
    "Base",
    "BatchScope",
    "ColleagueName",
    "CustomNudge",
    "Delivery",
    "DeliveryStatus",
    "DisabledNudge",
    "FeedbackRequest",
    "FeedbackSource",
    "FeedbackStatus",
    "ForgetMark",
    "GoalReview",
    "GoalState",
    "KeptCount",
    "MeetingLog",
    "MeetingSource",
    "NudgeAnswer",
    "NudgeAnswerKind",
    "NudgeOrigin",
    "NudgeSend",
    "Pair",
    "Person",
    "PromptStatus",
    "PulseBatch",
    "PulseInbox",
    "PulseParticipation",
    "PulsePublication",
    "PulseRound",
    "PulseSelfAnswer",
    "PulseSettings",
    "Reflection",
    "ReflectionChannel",
    "ReflectionPrompt",
    "RosterImport",
    "RotaFeed",
    "RotaImport",
    "RotaShift",
    "RotationReflection",
    "RoundKind",
    "RoundStatus",
    "SendPace",
    "ShiftKind",
    "ShiftSource",
    "UtcDateTime",
    "Workspace",
    "slack_bots",
    "slack_installations",
    "slack_oauth_states",
    "utcnow",
]
