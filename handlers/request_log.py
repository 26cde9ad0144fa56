"""One log line per Slack request: who (team, user) and what (the action, modal or event).

The line leaves the user out for ids marked unattributed (`bot.blocks.common.
UNATTRIBUTED_PREFIX`): those clicks can lead to an anonymous post.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from bot.blocks.common import UNATTRIBUTED_PREFIX

# The name predates this module; operators filter on it.
log = logging.getLogger("bot.requests")


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


def log_request(body: dict[str, Any], next: Callable[[], None]) -> None:
    """Bolt middleware: one log line for each button, modal and event that arrives."""
    # Bolt runs global middleware before the listener (`next()` only lets the request
    # through), so this line says what arrived; a listener that fails is logged by the
    # safety net with a reference the person is also shown. Slash commands log their
    # own line, because they know which subcommand ran and how it went.
    if "command" not in body:
        team, user, what = describe_request(body)
        log.info("team=%s user=%s %s", team, user, what)
    next()
