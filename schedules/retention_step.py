"""The daily retention step: free text older than RETENTION_DAYS is emptied (bot.mydata.retention)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.config import Settings
from bot.db import SessionFactory, transaction
from bot.mydata.retention import empty_old_text


def purge_old_text(
    session_factory: SessionFactory, settings: Settings, now: datetime
) -> dict[str, Any] | None:
    """Run the purge in one transaction; the counts per column for the log line (no text)."""
    with transaction(session_factory) as session:
        report = empty_old_text(session, days=settings.retention_days, now=now, settings=settings)
    return report.counts()
