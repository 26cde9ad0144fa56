"""One safety net for buttons and modals: a failure is logged with a reference and the
person is told, instead of a click that silently does nothing.

`/mentor` has its own net (`handlers.commands.dispatch`). Buttons and modals acknowledge
first and then work, so an exception after `ack()` (database down, a constraint, a bug)
used to reach only Bolt's log. This is Bolt's app-wide error handler, so it covers every
`@app.action` and `@app.view` listener, including ones added later:

* a modal submission not yet acknowledged keeps the modal open, with the message under
  its first input (what they typed is still there);
* a button in a message is answered through its `response_url`, visible only to them;
* anything else (Home tab buttons, modals already closed) gets a direct message.

The log line names the user except for ids marked unattributed (anonymous sharing, see
`handlers.request_log.describe_request`).
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltRequest, BoltResponse
from slack_sdk.errors import SlackApiError

from bot.deps import Deps
from bot.installations import NotInstalled
from handlers.request_log import describe_request
from handlers.router import CommandRouter

log = logging.getLogger(__name__)

INTERACTIVE = ("block_actions", "view_submission")


def didnt_save(reference: str) -> str:
    """What the person is told, with the reference an admin can find in the log."""
    return (
        f"That didn't save — please try again (ref `{reference}`). "
        "If it keeps happening, tell your program admin and quote the ref."
    )


def register(app: App, deps: Deps, router: CommandRouter) -> None:
    """Install the safety net as the app's error handler."""
    app.error(error_handler(deps))


def error_handler(deps: Deps) -> Callable[..., BoltResponse | None]:
    """Bolt's error handler for this app (see the module docstring)."""

    def handle_error(
        error: Exception, request: BoltRequest, response: BoltResponse | None, body: dict[str, Any]
    ) -> BoltResponse | None:
        reference = uuid.uuid4().hex[:8]
        team, user, what = describe_request(body)
        log.error("team=%s user=%s %s: failed (ref %s)", team, user, what, reference, exc_info=error)
        kind = body.get("type")
        if kind not in INTERACTIVE:
            return None  # events are retried by Slack; commands have their own net
        user_id = (body.get("user") or {}).get("id") or ""
        # Bolt passes a response only while Slack still waits for the acknowledgement.
        acknowledged = response is None or request.context.ack.response is not None
        if kind == "view_submission" and not acknowledged:
            block_id = _first_input(body.get("view") or {})
            if block_id is not None:
                # The modal stays open with what they typed; the reason sits under its first field.
                errors = {"response_action": "errors", "errors": {block_id: didnt_save(reference)}}
                return BoltResponse(
                    status=200,
                    body=json.dumps(errors),
                    headers={"content-type": "application/json;charset=utf-8"},
                )
        if response is not None and not acknowledged:
            # Answer Slack before telling the person: telling is an HTTP call of its own,
            # and Bolt stops waiting for an acknowledgement after 3 seconds. Bolt's
            # waiting thread returns `response` (which it set to 500) the moment ack() is
            # called, so it is made a plain 200 first.
            response.status, response.body = 200, ""
            request.context.ack()
        _tell(deps, request, body, user_id, didnt_save(reference))
        # The same 200 again: Bolt copies what this returns onto `response`.
        return None if acknowledged else BoltResponse(status=200, body="")

    return handle_error


def _first_input(view: dict[str, Any]) -> str | None:
    for block in view.get("blocks") or []:
        if block.get("type") == "input" and block.get("block_id"):
            return str(block["block_id"])
    return None


def _tell(deps: Deps, request: BoltRequest, body: dict[str, Any], user_id: str, text: str) -> None:
    """Ephemerally through the response_url of a message, else by DM (Home, modals)."""
    respond = request.context.respond
    in_message = (body.get("container") or {}).get("type") != "view" and bool(body.get("response_url"))
    try:
        if in_message and respond is not None:
            respond(text=text, response_type="ephemeral", replace_original=False)
        elif user_id:
            client = deps.client_for(request.context.team_id or "", request.context.enterprise_id)
            client.chat_postMessage(channel=user_id, text=text)
    except (SlackApiError, OSError, NotInstalled) as failure:
        log.warning("could not tell the person about the failure either (%s)", failure.__class__.__name__)
