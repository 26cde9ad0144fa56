"""What every handler, service and job is given: settings, database, Slack client, clock."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from datetime import datetime

from slack_sdk import WebClient

from bot.config import Settings
from bot.db import SessionFactory
from bot.installations import Installations
from bot.models import utcnow


@dataclass
class Deps:
    """The app's collaborators, built once by the composition root (`bot.app`)."""

    settings: Settings
    session_factory: SessionFactory
    # Single-workspace mode: the bot token's client. OAuth mode: a token-less template;
    # talk to a workspace through `client_for`.
    client: WebClient
    # Time is a parameter: tests hand in a fixed clock, production reads the real one.
    clock: Callable[[], datetime] = field(default=utcnow)
    # OAuth mode only: where each workspace's token comes from.
    installations: Installations | None = None
    # Where a listener's work after its acknowledgement runs (`handlers.after_ack`): a
    # small pool apart from Bolt's, so a burst of clicks' writes and `chat.update` calls
    # does not hold up the next clicks' acks. None runs it in the listener (tests).
    after_ack: Executor | None = None

    def now(self) -> datetime:
        """The current instant, as an aware UTC datetime."""
        return self.clock()

    def client_for(self, team_id: str, enterprise_id: str | None = None) -> WebClient:
        """The Web API client that speaks for `team_id` (the one client, with one token).

        In OAuth mode this is that workspace's installation (or its org's); it raises
        `bot.installations.NotInstalled` when nothing covers the workspace.
        """
        if self.installations is None:
            return self.client
        return self.installations.client_for(team_id, enterprise_id)
