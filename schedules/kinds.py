"""Every kind of outbox row the sender knows how to deliver."""

from __future__ import annotations

from bot.agreements.delivery import agreement_kinds
from bot.feedback.delivery import feedback_kinds
from bot.meetings.delivery import meeting_kinds
from bot.nudges.delivery import nudge_kinds
from bot.outbox import DeliveryKind, message_kind
from bot.program.delivery import digest_kinds
from bot.pulse.delivery import pulse_kinds
from bot.reflections.delivery import reflection_kinds
from bot.reports.delivery import report_kinds
from bot.rota.delivery import rota_kinds


def all_kinds() -> dict[str, DeliveryKind]:
    """Kinds by name. A row of an unknown kind fails with a clear error, never silently."""
    kinds = [
        message_kind(),
        *nudge_kinds(),
        *reflection_kinds(),
        *pulse_kinds(),
        *feedback_kinds(),
        *meeting_kinds(),
        *rota_kinds(),
        *agreement_kinds(),
        *report_kinds(),
        *digest_kinds(),
    ]
    return {kind.name: kind for kind in kinds}
