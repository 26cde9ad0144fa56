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
    kind = body.get("type") or ("command" if "command" in body else "unknown")
    what = _what_arrived(kind, body)
    unattributed = what.partition(" ")[2].startswith(UNATTRIBUTED_PREFIX)
    return _team_of(body), "-" if unattributed else _user_of(kind, body), what


def _team_of(body: dict[str, Any]) -> str:
    return body.get("team_id") or (body.get("team") or {}).get("id") or "-"


def _user_of(kind: str, body: dict[str, Any]) -> str:
    user = body.get("user_id") or (body.get("user") or {}).get("id") or "-"
    if kind == "event_callback":
        # An event has its user inside it, as an id (some events carry a whole user object).
        event_user = (body.get("event") or {}).get("user")
        user = event_user if isinstance(event_user, str) else user
    return user or "-"


def _what_arrived(kind: str, body: dict[str, Any]) -> str:
    """The action, modal or event a request is about, e.g. "action nudge_done"."""
    if kind == "block_actions":
        actions = body.get("actions") or [{}]
        return f"action {actions[0].get('action_id', '?')}"
    if kind in ("view_submission", "view_closed"):
        return f"{kind} {(body.get('view') or {}).get('callback_id', '?')}"
    if kind == "event_callback":
        return f"event {(body.get('event') or {}).get('type', '?')}"
    return kind


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
