"""The clock's feedback-chat step: every tick, settle requests nobody can answer any more.

A request whose DM to the mentor was cancelled (a pause, a stop), expired or refused by
Slack, whose pair ended, or that went a week without an answer is closed, and its mentee
is told once — nothing a mentee asked for disappears without a word. The query reads
open requests only (an index on status), so a tick costs what is open.
"""

from __future__ import annotations

from datetime import datetime

from bot.config import Settings
from bot.db import SessionFactory, transaction
from bot.feedback.delivery import settle_requests


def settle_feedback(
    session_factory: SessionFactory, settings: Settings, now: datetime
) -> dict[str, int] | None:
    """One pass in one transaction; counts for the tick's log line, or None when idle."""
    with transaction(session_factory) as session:
        counts = settle_requests(session, settings, now)
    return dict(counts) or None
