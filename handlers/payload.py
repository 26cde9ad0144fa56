"""Reading who acted from a Bolt payload (a button click, a modal submission…).

Slack puts the workspace in `team.id` for most interactive payloads, but some (for
example a click in a shared channel or an Enterprise Grid org) carry it only as
`user.team_id`. Listeners read both through here so every handler agrees on the answer.
"""

from __future__ import annotations

from typing import Any


def _mapping(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: object) -> str:
    # Ids come from JSON we did not write: anything that is not a string counts as absent.
    return value if isinstance(value, str) else ""


def team_and_user(body: dict[str, Any]) -> tuple[str, str]:
    """The (team_id, user_id) of whoever sent this payload; "" for an id that is missing."""
    user = _mapping(body.get("user"))
    team_id = _text(_mapping(body.get("team")).get("id")) or _text(user.get("team_id"))
    return team_id, _text(user.get("id"))
