"""The composition root: the one place the Bolt app and its collaborators are built.

Nothing here runs at import time, so tests can build an app around a fake Slack and a
fresh database, and the run modes (`bot.cli`) can build exactly what they need.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Executor
from datetime import datetime

from slack_bolt import App
from slack_sdk import WebClient

from bot.config import Settings
from bot.db import SessionFactory, make_engine, make_session_factory
from bot.deps import Deps
from bot.models import utcnow
from bot.slack import make_client
from handlers import register_all


def build_deps(
    settings: Settings,
    *,
    client: WebClient | None = None,
    session_factory: SessionFactory | None = None,
    clock: Callable[[], datetime] | None = None,
) -> Deps:
    """Make the shared collaborators, using the given ones where supplied."""
    if session_factory is None:
        session_factory = make_session_factory(make_engine(settings.database_url))
    return Deps(
        settings=settings,
        session_factory=session_factory,
        client=client if client is not None else make_client(settings),
        clock=clock or utcnow,
    )


def create_app(
    settings: Settings,
    *,
    client: WebClient | None = None,
    session_factory: SessionFactory | None = None,
    deps: Deps | None = None,
    listener_executor: Executor | None = None,
) -> App:
    """Build the Bolt app and register every listener.

    `listener_executor` lets tests wait for listeners Bolt runs after acknowledging.
    """
    deps = deps or build_deps(settings, client=client, session_factory=session_factory)
    app = App(
        client=deps.client,
        # Socket Mode requests arrive over an authenticated socket and carry no signature.
        signing_secret=settings.slack_signing_secret or "",
        # verify_token() already called auth.test once at start-up with a clearer message.
        token_verification_enabled=False,
        logger=logging.getLogger("slack_bolt"),
        listener_executor=listener_executor,
    )
    register_all(app, deps)
    return app
