"""The composition root: the one place the Bolt app and its collaborators are built.

Nothing here runs at import time, so tests can build an app around a fake Slack and a
fresh database, and the run modes (`bot.cli`) can build exactly what they need.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Executor
from datetime import datetime
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.config import Settings
from bot.db import SessionFactory, make_engine, make_session_factory
from bot.deps import Deps
from bot.models import utcnow
from bot.slack import make_client

log = logging.getLogger("bot.requests")

# Buttons and modals whose action or callback id starts with this can lead to an
# anonymous post, so their log line leaves the user out: "user U clicked at 10:03:12"
# beside a channel message "A colleague shared:" at 10:03:13 would undo the anonymity.
UNATTRIBUTED_PREFIX = "anon:"


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
    from handlers import register_all  # handlers import Bolt; keep `bot` importable without it

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
    app.middleware(_log_request)
    register_all(app, deps)
    return app


def describe_request(body: dict[str, Any]) -> tuple[str, str, str]:
    """(team, user, what) for a log line, from any kind of Slack request body."""
    team = body.get("team_id") or (body.get("team") or {}).get("id") or "-"
    user = body.get("user_id") or (body.get("user") or {}).get("id") or "-"
    kind = body.get("type") or ("command" if "command" in body else "unknown")
    if kind == "block_actions":
        actions = body.get("actions") or [{}]
        what = f"action {actions[0].get('action_id', '?')}"
    elif kind in ("view_submission", "view_closed"):
        what = f"{kind} {(body.get('view') or {}).get('callback_id', '?')}"
    elif kind == "event_callback":
        event = body.get("event") or {}
        what = f"event {event.get('type', '?')}"
        user = event.get("user") if isinstance(event.get("user"), str) else user
    else:
        what = kind
    if what.partition(" ")[2].startswith(UNATTRIBUTED_PREFIX):
        user = "-"
    return team, user or "-", what


def _log_request(body: dict[str, Any], next: Callable[[], None]) -> None:
    # Bolt runs global middleware before the listener (`next()` only lets the request
    # through), so this line says what arrived; a listener that fails is logged by the
    # safety net with a reference the person is also shown. Slash commands log their
    # own line, because they know which subcommand ran and how it went.
    if "command" not in body:
        team, user, what = describe_request(body)
        log.info("team=%s user=%s %s", team, user, what)
    next()
