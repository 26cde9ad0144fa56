"""Requests as Slack sends them: signed payloads posted to the real WSGI app.

`SlackUser` plays the Slack side of a conversation: it builds slash-command, button,
view-submission and event payloads shaped like Slack's, signs them with the signing
secret (`v0:` timestamp, HMAC-SHA256), calls the app's WSGI callable, and waits until
every listener Bolt started for the request has finished, so tests read a settled
database and a complete record in the fake Slack.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import itertools
import json
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode
from wsgiref.util import setup_testing_defaults

from tests.fakes.slack_api import TEAM_ID, FakeSlack

SIGNING_SECRET = "5b6a1e3f9c2d4e8f7a6b5c4d3e2f1a0b"


def sign(body: str, *, secret: str = SIGNING_SECRET, timestamp: int | None = None) -> dict[str, str]:
    """The two headers Slack adds to every request: timestamp and `v0=` HMAC-SHA256."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


class TrackingExecutor(ThreadPoolExecutor):
    """Bolt's listener pool, remembering unfinished work so tests can wait for it."""

    def __init__(self) -> None:
        super().__init__(max_workers=8, thread_name_prefix="listener")
        self._pending: set[Future[Any]] = set()
        self._lock = threading.Lock()

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
        future = super().submit(fn, *args, **kwargs)
        with self._lock:
            self._pending.add(future)
        future.add_done_callback(self._done)
        return future

    def _done(self, future: Future[Any]) -> None:
        with self._lock:
            self._pending.discard(future)

    def wait_idle(self, timeout: float = 60.0) -> None:
        """Block until every submitted listener has returned.

        The timeout only turns a hung listener into a failure instead of a hung suite; it
        is generous because a loaded 2-core CI machine can be slow, not because any
        listener should take long.
        """
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                if not self._pending:
                    return
            if time.monotonic() > deadline:
                raise AssertionError("listeners still running after the timeout")
            time.sleep(0.005)


@dataclass
class Reply:
    """The app's HTTP answer to one request."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        """The body as JSON (Bolt answers slash commands and view submissions in JSON)."""
        return json.loads(self.body or b"{}")

    @property
    def text(self) -> str:
        """The body as text."""
        return self.body.decode()


class SlackUser:
    """Sends Slack-shaped, signed requests to a WSGI app on behalf of workspace members."""

    def __init__(
        self,
        wsgi: Any,
        fake: FakeSlack,
        executor: TrackingExecutor | None = None,
        *,
        team_id: str = TEAM_ID,
        secret: str = SIGNING_SECRET,
        enterprise_id: str | None = None,
        org_wide: bool = False,
    ) -> None:
        self.wsgi = wsgi
        self.fake = fake
        self.executor = executor
        self.team_id = team_id
        self.secret = secret
        # Enterprise Grid: the org this workspace belongs to, and whether the app was
        # installed org-wide (payloads then say is_enterprise_install and may omit `team`).
        self.enterprise_id = enterprise_id
        self.org_wide = org_wide
        self._triggers = itertools.count(1)

    # --- raw HTTP ---------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        body: str = "",
        *,
        content_type: str = "application/x-www-form-urlencoded",
        headers: dict[str, str] | None = None,
        query: str = "",
    ) -> Reply:
        """Call the WSGI app once, as a web server would."""
        raw = body.encode()
        environ: dict[str, Any] = {
            "REQUEST_METHOD": method,
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "CONTENT_TYPE": content_type,
            "CONTENT_LENGTH": str(len(raw)),
            "wsgi.input": io.BytesIO(raw),
        }
        for name, value in (headers or {}).items():
            environ["HTTP_" + name.upper().replace("-", "_")] = value
        setup_testing_defaults(environ)
        captured: dict[str, Any] = {}

        def start_response(
            status: str, response_headers: list[tuple[str, str]], exc_info: Any = None
        ) -> None:
            captured["status"] = int(status.split()[0])
            captured["headers"] = {k.lower(): v for k, v in response_headers}

        chunks = self.wsgi(environ, start_response)
        content = b"".join(chunks)
        if self.executor is not None:
            self.executor.wait_idle()
        return Reply(captured["status"], captured["headers"], content)

    def post_signed(
        self,
        body: str,
        *,
        content_type: str = "application/x-www-form-urlencoded",
        timestamp: int | None = None,
        secret: str | None = None,
        signature: str | None = None,
    ) -> Reply:
        """POST to /slack/events with Slack's signature headers (optionally wrong on purpose)."""
        headers = sign(body, secret=secret or self.secret, timestamp=timestamp)
        if signature is not None:
            headers["X-Slack-Signature"] = signature
        return self.request("POST", "/slack/events", body, content_type=content_type, headers=headers)

    # --- Slack payloads ---------------------------------------------------------------

    def trigger_id(self) -> str:
        """A fresh trigger id, as Slack puts in interactive payloads."""
        return f"{next(self._triggers)}.{int(time.time())}.trigger"

    def command(
        self,
        text: str,
        *,
        user_id: str = "U0ADMIN01",
        command: str = "/mentor",
        channel_id: str = "C0GENERAL",
        response_url: str | None = None,
        **signing: Any,
    ) -> Reply:
        """Type `/mentor <text>` as `user_id`."""
        form = {
            "token": "legacy-verification-token",
            "team_id": self.team_id,
            "team_domain": "riverside",
            "channel_id": channel_id,
            "channel_name": "general",
            "user_id": user_id,
            "user_name": user_id.lower(),
            "command": command,
            "text": text,
            "api_app_id": "A0MENTOR1",
            "is_enterprise_install": "true" if self.org_wide else "false",
            "response_url": response_url or self.fake.response_url("cmd"),
            "trigger_id": self.trigger_id(),
        }
        if self.enterprise_id:
            form.update({"enterprise_id": self.enterprise_id, "enterprise_name": "University Health"})
        return self.post_signed(urlencode(form), **signing)

    def _grid(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Add what Slack adds to an interactive payload in an Enterprise Grid org."""
        if self.enterprise_id:
            payload["enterprise"] = {"id": self.enterprise_id, "name": "University Health"}
            payload["is_enterprise_install"] = self.org_wide
            if self.org_wide:
                # Org-wide installs may send `team: null`; the workspace is in user.team_id.
                payload["team"] = None
        return payload

    def _interactive(self, payload: dict[str, Any]) -> Reply:
        return self.post_signed(urlencode({"payload": json.dumps(payload)}))

    def click(
        self,
        action_id: str,
        *,
        user_id: str,
        value: str | None = None,
        block_id: str = "actions",
        message: dict[str, Any] | None = None,
        channel_id: str | None = None,
        view: dict[str, Any] | None = None,
        selected_option: dict[str, Any] | None = None,
        action_type: str = "button",
        selected_conversation: str | None = None,
    ) -> Reply:
        """Click a button (or pick an option) in a message, App Home or modal."""
        action: dict[str, Any] = {
            "action_id": action_id,
            "block_id": block_id,
            "type": action_type,
            "action_ts": f"{time.time():.6f}",
        }
        if value is not None:
            action["value"] = value
        if selected_option is not None:
            action["selected_option"] = selected_option
        if selected_conversation is not None:
            action["selected_conversation"] = selected_conversation
        payload: dict[str, Any] = {
            "type": "block_actions",
            "team": {"id": self.team_id, "domain": "riverside"},
            "user": {"id": user_id, "username": user_id.lower(), "team_id": self.team_id},
            "api_app_id": "A0MENTOR1",
            "trigger_id": self.trigger_id(),
            "actions": [action],
            "response_url": self.fake.response_url("action"),
        }
        if message is not None:
            payload["container"] = {
                "type": "message",
                "message_ts": message["ts"],
                "channel_id": channel_id,
                "is_ephemeral": False,
            }
            payload["message"] = message
            payload["channel"] = {"id": channel_id}
        if view is not None:
            payload["container"] = {"type": "view", "view_id": view.get("id")}
            payload["view"] = view
        return self._interactive(self._grid(payload))

    def submit(
        self,
        view: dict[str, Any],
        values: dict[str, dict[str, Any]],
        *,
        user_id: str,
    ) -> Reply:
        """Submit a modal the app opened, with `values` as Slack's view state.

        `values` maps block_id → action_id → state value, e.g.
        `{"note": {"note": {"type": "plain_text_input", "value": "…"}}}`.
        """
        submitted = {**view, "state": {"values": values}}
        submitted.setdefault("id", "V00000000")
        payload = {
            "type": "view_submission",
            "team": {"id": self.team_id, "domain": "riverside"},
            "user": {"id": user_id, "username": user_id.lower(), "team_id": self.team_id},
            "api_app_id": "A0MENTOR1",
            "trigger_id": self.trigger_id(),
            "view": submitted,
        }
        return self._interactive(self._grid(payload))

    def event(self, event: dict[str, Any]) -> Reply:
        """Deliver an Events API callback (JSON body, as Slack sends events)."""
        body = {
            "token": "legacy-verification-token",
            "team_id": self.team_id,
            "api_app_id": "A0MENTOR1",
            "event": event,
            "type": "event_callback",
            "event_id": f"Ev{next(self._triggers):08d}",
            "event_time": int(time.time()),
        }
        if self.enterprise_id:
            body["enterprise_id"] = self.enterprise_id
            body["is_ext_shared_channel"] = False
            body["authorizations"] = [
                {
                    "enterprise_id": self.enterprise_id,
                    "team_id": None if self.org_wide else self.team_id,
                    "user_id": "U0BOT0001",
                    "is_bot": True,
                    "is_enterprise_install": self.org_wide,
                }
            ]
        return self.post_signed(json.dumps(body), content_type="application/json")

    def get(self, path: str, query: str = "", *, cookie: str | None = None) -> Reply:
        """A browser's GET (the install page, the OAuth redirect), with its cookie if any."""
        headers = {"Cookie": cookie} if cookie else {}
        return self.request("GET", path, query=query, headers=headers)
