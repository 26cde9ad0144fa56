"""What every handler, service and job is given: settings, database, Slack client, clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from slack_sdk import WebClient

from bot.config import Settings
from bot.db import SessionFactory
from bot.models import utcnow


@dataclass
class Deps:
    """The app's collaborators, built once by the composition root (`bot.app`)."""

    settings: Settings
    session_factory: SessionFactory
    client: WebClient
    # Time is a parameter: tests hand in a fixed clock, production reads the real one.
    clock: Callable[[], datetime] = field(default=utcnow)

    def now(self) -> datetime:
        """The current instant, as an aware UTC datetime."""
        return self.clock()
