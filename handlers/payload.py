"""Reading who acted from a Bolt payload (a button click, a modal submission…).

Slack puts the workspace in `team.id` for most interactive payloads, but some (for
example a click in a shared channel or an Enterprise Grid org) carry it only as
`user.team_id`. Listeners read both through here so every handler agrees on the answer.

It is also the edge where a payload's types are checked (`refuse_malformed`, a global
middleware): a button value or modal field of the wrong type never reaches a listener.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import replace
from typing import Any, TypeVar

from slack_bolt import BoltResponse

log = logging.getLogger(__name__)

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


# --- types at the edge -------------------------------------------------------------------

# Fields of an action or a modal value that hold one string, a list of strings, one
# option ({"value": "…"}) or a list of options. Slack always sends these types; anything
# else is a forged or corrupted payload and stops here, before any listener reads it.
STRING_FIELDS = frozenset(
    {
        "action_id",
        "block_id",
        "value",
        "selected_date",
        "selected_time",
        "selected_user",
        "selected_channel",
        "selected_conversation",
        "initial_user",
        "timezone",
        "type",
    }
)
INT_FIELDS = frozenset({"selected_date_time"})
STRING_LIST_FIELDS = frozenset({"selected_users", "selected_channels", "selected_conversations"})
OPTION_FIELDS = frozenset({"selected_option"})
OPTION_LIST_FIELDS = frozenset({"selected_options"})


def _is_option(value: object) -> bool:
    return isinstance(value, dict) and isinstance(value.get("value", ""), str)


def _field_ok(name: str, value: object) -> bool:
    """Whether one field of an action or modal value has the type Slack gives it."""
    if value is None:
        return name != "action_id"
    if name in STRING_FIELDS:
        return isinstance(value, str)
    if name in INT_FIELDS:
        return isinstance(value, int) and not isinstance(value, bool)
    if name in STRING_LIST_FIELDS:
        return isinstance(value, list) and all(isinstance(item, str) for item in value)
    if name in OPTION_FIELDS:
        return _is_option(value)
    if name in OPTION_LIST_FIELDS:
        return isinstance(value, list) and all(_is_option(item) for item in value)
    return True  # fields we never read


def _element_ok(element: object) -> bool:
    return isinstance(element, dict) and all(_field_ok(str(k), v) for k, v in element.items())


def _view_malformed(view: object) -> str | None:
    if not isinstance(view, dict) or not isinstance(view.get("private_metadata", ""), str):
        return "view"
    values = _mapping(view.get("state")).get("values", {})
    if not isinstance(values, dict):
        return "view"
    for block_id, actions in values.items():
        if not isinstance(actions, dict) or not all(_element_ok(v) for v in actions.values()):
            return str(block_id)
    return None


def malformed_part(body: dict[str, Any]) -> str | None:
    """What in a button click or modal submission has the wrong type, or None if all is well.

    For a modal, the answer is the block id to show the error under when there is one.
    """
    user = body.get("user", {})
    if not isinstance(user, dict) or not isinstance(user.get("id", ""), str):
        return "user"
    kind = body.get("type")
    if kind == "block_actions":
        actions = body.get("actions")
        valid = isinstance(actions, list) and bool(actions) and all(_element_ok(a) for a in actions)
        return None if valid else "actions"
    if kind == "view_submission":
        return _view_malformed(body.get("view"))
    return None


def refuse_malformed(body: dict[str, Any], next: Callable[[], None]) -> BoltResponse | None:
    """Bolt middleware: a click or a modal whose fields have the wrong types goes no further.

    Slack never sends such payloads, so nobody can fix one by trying again: it is logged
    and answered without touching anything. A modal shows the error under the block.
    """
    part = malformed_part(body)
    if part is None:
        next()
        return None
    team_id, user_id = team_and_user(body) if part != "user" else ("", "")
    log.warning(
        "team=%s user=%s: %s payload with wrong types in %r; ignored",
        team_id,
        user_id,
        body.get("type"),
        part,
    )
    if body.get("type") == "view_submission" and part != "view":
        errors = {part: "I couldn't read this field. Please fill it in again."}
        answer = json.dumps({"response_action": "errors", "errors": errors})
        return BoltResponse(
            status=200, body=answer, headers={"content-type": "application/json; charset=utf-8"}
        )
    return BoltResponse(status=200, body="")
