"""Size limits on everything people type, checked on our side before any listener runs.

A modal's `max_length` is kept by Slack's client, not by Slack's servers: a crafted
request (or another client) can send a 40,000-character note. This middleware reads
each text input's declared `max_length` from the submitted view itself, and holds every
text value without one to TEXT_LIMIT; a value over its limit is refused with a plain
error under its field, and nothing else runs. Slash-command text has its own limit.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

from slack_bolt import BoltResponse

# The most any of our text fields allows (Slack's own ceiling for a plain_text_input).
TEXT_LIMIT = 3000
# `/mentor` subcommands are a few words and mentions; a roster line or two at most.
COMMAND_TEXT_LIMIT = 2000
TEXT_INPUTS = frozenset({"plain_text_input", "email_text_input", "url_text_input", "number_input"})


def too_long_command(text: object) -> str | None:
    """The reply for `/mentor` text over its limit, or None when it is within it."""
    if isinstance(text, str) and len(text) > COMMAND_TEXT_LIMIT:
        return (
            f"That's {len(text):,} characters — longer than any `/mentor` command needs (at most "
            f"{COMMAND_TEXT_LIMIT:,}), so nothing was done. `/mentor help` lists what you can type."
        )
    return None


def _declared_limits(view: dict[str, Any]) -> dict[tuple[str, str], int]:
    """(block_id, action_id) → the max_length its text input declares."""
    limits: dict[tuple[str, str], int] = {}
    blocks = view.get("blocks")
    for block in blocks if isinstance(blocks, list) else []:
        element = block.get("element") if isinstance(block, dict) else None
        if not isinstance(element, dict) or element.get("type") not in TEXT_INPUTS:
            continue
        limit = element.get("max_length")
        if isinstance(limit, int) and 0 < limit <= TEXT_LIMIT:
            limits[(str(block.get("block_id")), str(element.get("action_id")))] = limit
    return limits


def _typed_values(view: dict[str, Any]) -> Iterator[tuple[str, str, str]]:
    """(block_id, action_id, text) for each string value in the view's state."""
    state = view.get("state")
    values = state.get("values") if isinstance(state, dict) else None
    for block_id, actions in values.items() if isinstance(values, dict) else ():
        for action_id, value in actions.items() if isinstance(actions, dict) else ():
            text = value.get("value") if isinstance(value, dict) else None
            if isinstance(text, str):
                yield str(block_id), str(action_id), text


def over_limit_errors(view: dict[str, Any]) -> dict[str, str]:
    """The modal errors (block id → message) for text values over their limits."""
    limits = _declared_limits(view)
    errors: dict[str, str] = {}
    for block_id, action_id, text in _typed_values(view):
        limit = limits.get((block_id, action_id), TEXT_LIMIT)
        if len(text) > limit:
            errors[block_id] = (
                f"Please keep this to {limit:,} characters or fewer (it has {len(text):,}). "
                "Nothing was saved."
            )
    return errors


def limit_free_text(body: dict[str, Any], next: Callable[[], None]) -> BoltResponse | None:
    """Bolt middleware: refuse an over-long modal value before its listener sees it (the
    modal answer Slack shows as errors under the fields)."""
    if body.get("type") == "view_submission" and isinstance(body.get("view"), dict):
        errors = over_limit_errors(body["view"])
        if errors:
            answer = {"response_action": "errors", "errors": errors}
            return BoltResponse(
                status=200,
                body=json.dumps(answer),
                headers={"content-type": "application/json; charset=utf-8"},
            )
    next()
    return None
