"""Reading who acted from a Bolt payload (a button click, a modal submission…).

Slack puts the workspace in `team.id` for most interactive payloads, but some (for
example a click in a shared channel or an Enterprise Grid org) carry it only as
`user.team_id`. Listeners read both through here so every handler agrees on the answer.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, TypeVar

Card = TypeVar("Card")


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


def clicked_message(body: dict[str, Any]) -> tuple[str | None, str | None]:
    """(channel id, message ts) of the message a button was in; (None, None) for a button
    in a modal, the Home tab or an ephemeral message, or when either is malformed."""
    container = _mapping(body.get("container"))
    if container.get("type") != "message" or container.get("is_ephemeral"):
        return None, None
    channel = _text(container.get("channel_id")) or _text(_mapping(body.get("channel")).get("id"))
    ts = _text(container.get("message_ts")) or _text(_mapping(body.get("message")).get("ts"))
    return (channel or None), (ts or None)


def where_clicked(card: Card, body: dict[str, Any]) -> Card:
    """`card` (a frozen dataclass with `channel` and `ts`) placed at the clicked message
    when we have no record of where it was posted (its send was interrupted): a click on
    a message we posted is proof enough, so the answer still updates that message."""
    if card is None or (getattr(card, "channel", None) and getattr(card, "ts", None)):
        return card
    channel, ts = clicked_message(body)
    if not channel or not ts:
        return card
    return replace(card, channel=channel, ts=ts)  # type: ignore[type-var]
