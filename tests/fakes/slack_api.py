"""A fake Slack Web API: a real HTTP server on 127.0.0.1 that answers like Slack.

The app reaches it through `SLACK_API_URL`, exactly as it would reach slack.com, so the
real slack_sdk client, its retry handlers and our error handling are all exercised.

It records every call (method, arguments, decoded blocks, the token that made it),
keeps just enough state to answer consistently (users, channels, messages, views,
files), enforces Block Kit limits and required arguments, and can be told to
misbehave: answer `ok: false`, 429 with Retry-After, 5xx, slowly, or drop the connection.

Several workspaces: each token is a `Grant` for one workspace, or for a whole Enterprise
Grid org (an org-wide install). A token sees only its own workspace's members and
channels (or its org's), so a call made with the wrong workspace's token fails as it
would at Slack. The OAuth side (`oauth.v2.access`: the code exchange of a workspace or
org-wide install, and token rotation's `grant_type=refresh_token`) lives in
`tests/fakes/slack_oauth.py`; the Web API methods themselves in `tests/fakes/slack_methods.py`,
and the HTTP request handler in `tests/fakes/slack_http.py`.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from typing import Any

from tests.fakes.block_limits import message_errors
from tests.fakes.slack_files import FakeFiles
from tests.fakes.slack_http import make_handler
from tests.fakes.slack_methods import SlackMethods
from tests.fakes.slack_oauth import FakeOAuth, Grant

BOT_TOKEN = "xoxb-1111-2222-fakebottoken"
APP_TOKEN = "xapp-1-A111-3333-fakeapptoken"
TEAM_ID = "T0TEST001"
TEAM_NAME = "Riverside Teaching Hospital"
BOT_USER_ID = "U0BOT0001"
BOT_ID = "B0BOT0001"

# Required arguments per method, from Slack's published Web API spec (token aside).
# tests/test_fake_slack.py checks this table against ../shared/slack-api-specs when present.
REQUIRED_ARGS: dict[str, tuple[str, ...]] = {
    "auth.test": (),
    "users.info": ("user",),
    "users.lookupByEmail": ("email",),
    "users.list": (),
    "conversations.open": (),
    "conversations.info": ("channel",),
    "conversations.members": ("channel",),
    "chat.postMessage": ("channel",),
    "chat.update": ("channel", "ts"),
    "chat.postEphemeral": ("channel", "user"),
    "chat.delete": ("channel", "ts"),
    "chat.getPermalink": ("channel", "message_ts"),
    "views.open": ("trigger_id", "view"),
    "views.publish": ("user_id", "view"),
    "views.update": (),
    "views.push": ("trigger_id", "view"),
    "files.info": ("file",),
    # Newer than the 2020 spec (files_upload_v2's steps; see slack_files.py).
    "files.getUploadURLExternal": ("filename", "length"),
    "files.completeUploadExternal": ("files",),
    "apps.connections.open": (),
    # `code` is required by the 2020 spec, but token rotation (2021) exchanges a
    # refresh_token instead; the fake checks one or the other (slack_oauth.py).
    "oauth.v2.access": (),
}
APP_TOKEN_METHODS = {"apps.connections.open"}
# Methods authenticated by the app's client id and secret, not by a token.
CLIENT_CREDENTIAL_METHODS = {"oauth.v2.access"}


@dataclass
class Call:
    """One request the fake received."""

    method: str
    args: dict[str, Any]
    token: str | None
    at: float

    @property
    def blocks(self) -> list[dict[str, Any]] | None:
        """Decoded `blocks` argument, if any."""
        return self.args.get("blocks")

    @property
    def view(self) -> dict[str, Any] | None:
        """Decoded `view` argument, if any."""
        return self.args.get("view")

    def text_of_blocks(self) -> str:
        """All text inside the call's blocks (or view blocks), joined: handy for assertions."""
        blocks = self.blocks if self.blocks is not None else (self.view or {}).get("blocks") or []
        return "\n".join(_texts(blocks))


def _texts(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["text"]] if isinstance(node.get("text"), str) else []
        for key, value in node.items():
            if key != "text" or not isinstance(value, str):
                found.extend(_texts(value))
        return found
    if isinstance(node, list):
        return [t for item in node for t in _texts(item)]
    return []


@dataclass
class Fault:
    """A scripted misbehaviour for the next `times` calls of a method."""

    kind: str  # "error" | "status" | "ratelimit" | "delay" | "late" | "drop"
    times: int
    error: str = ""
    status: int = 200
    retry_after: int = 1
    seconds: float = 0.0


@dataclass
class FakeUser:
    """A workspace member as `users.info` describes them."""

    id: str
    name: str
    real_name: str
    tz: str | None = "America/New_York"
    email: str | None = None
    deleted: bool = False
    is_bot: bool = False
    team_id: str = TEAM_ID
    enterprise_id: str | None = None

    def as_slack(self) -> dict[str, Any]:
        user: dict[str, Any] = {
            "id": self.id,
            "team_id": self.team_id,
            "name": self.name,
            "real_name": self.real_name,
            "deleted": self.deleted,
            "is_bot": self.is_bot,
            "profile": {"real_name": self.real_name, "display_name": self.name, "email": self.email},
        }
        if self.tz is not None:
            user.update({"tz": self.tz, "tz_label": self.tz, "tz_offset": 0})
        if self.enterprise_id is not None:
            user["enterprise_user"] = {"enterprise_id": self.enterprise_id, "teams": [self.team_id]}
        return user


@dataclass
class FakeChannel:
    """A channel and whether our bot is in it."""

    id: str
    name: str
    is_member: bool = True
    is_archived: bool = False
    is_private: bool = False
    members: list[str] = field(default_factory=list)
    team_id: str = TEAM_ID
    enterprise_id: str | None = None


class FakeSlack(SlackMethods):
    """The fake Web API server. Use as a context manager or call `start()`/`stop()`."""

    def __init__(self, *, bot_token: str = BOT_TOKEN, app_token: str = APP_TOKEN) -> None:
        self.bot_token = bot_token
        self.app_token = app_token
        self.revoked = False
        # Every bot token Slack has issued, by token; the classic one is the first.
        self.grants: dict[str, Grant] = {
            bot_token: Grant(bot_token, TEAM_ID, TEAM_NAME, bot_user_id=BOT_USER_ID, bot_id=BOT_ID)
        }
        self.oauth = FakeOAuth(self)
        self.uploads = FakeFiles(self)
        self._grant: Grant | None = None  # the caller's, while a method runs (lock held)
        self.calls: list[Call] = []
        self.users: dict[str, FakeUser] = {}
        self.channels: dict[str, FakeChannel] = {}
        self.messages: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.views: dict[str, dict[str, Any]] = {}
        self.home_views: dict[str, dict[str, Any]] = {}
        self.files: dict[str, tuple[str, bytes]] = {}
        self.expired_triggers: set[str] = set()
        self.socket_url: str | None = None
        self._faults: dict[str, list[Fault]] = defaultdict(list)
        self._lock = threading.RLock()
        self._ts = itertools.count(1)
        self._ids = itertools.count(1)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._methods: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "auth.test": self._auth_test,
            "users.info": self._users_info,
            "users.lookupByEmail": self._users_lookup_by_email,
            "users.list": self._users_list,
            "conversations.open": self._conversations_open,
            "conversations.info": self._conversations_info,
            "conversations.members": self._conversations_members,
            "chat.postMessage": self._chat_post_message,
            "chat.update": self._chat_update,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.delete": self._chat_delete,
            "chat.getPermalink": self._chat_get_permalink,
            "views.open": self._views_open,
            "views.push": self._views_open,
            "views.update": self._views_update,
            "views.publish": self._views_publish,
            "files.info": self._files_info,
            "files.getUploadURLExternal": self.uploads.get_upload_url,
            "files.completeUploadExternal": self.uploads.complete,
            "apps.connections.open": self._apps_connections_open,
            "oauth.v2.access": self.oauth.access,
            "auth.revoke": self._auth_revoke,
        }

    def _auth_revoke(self, args: dict[str, Any]) -> dict[str, Any]:
        """The calling token stops working (a bot token: the app leaves the workspace)."""
        assert self._grant is not None
        self._grant.revoked = True
        return {"ok": True, "revoked": True}

    # --- lifecycle ------------------------------------------------------------------

    def start(self) -> FakeSlack:
        """Listen on a free port on 127.0.0.1."""
        handler = make_handler(self)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, name="fake-slack", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Shut the server down."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base(self) -> str:
        """http://127.0.0.1:PORT (no trailing slash)."""
        assert self._server is not None, "start() the fake first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def api_url(self) -> str:
        """What to put in SLACK_API_URL."""
        return self.base + "/api/"

    def response_url(self, name: str = "r1") -> str:
        """A response_url the fake will accept and record (as method `response_url`)."""
        return f"{self.base}/response/{name}"

    # --- set-up helpers -------------------------------------------------------------

    def add_user(
        self,
        user_id: str,
        name: str | None = None,
        *,
        tz: str | None = "America/New_York",
        email: str | None = None,
        real_name: str | None = None,
        deleted: bool = False,
        is_bot: bool = False,
        team_id: str = TEAM_ID,
        enterprise_id: str | None = None,
    ) -> FakeUser:
        """Put a member in a workspace (by default the classic test workspace)."""
        name = name or user_id.lower()
        user = FakeUser(
            user_id, name, real_name or name.title(), tz, email, deleted, is_bot, team_id, enterprise_id
        )
        with self._lock:
            self.users[user_id] = user
        return user

    def add_channel(self, channel_id: str, name: str, **flags: Any) -> FakeChannel:
        """Create a channel; flags: is_member, is_archived, is_private, members."""
        channel = FakeChannel(channel_id, name, **flags)
        with self._lock:
            self.channels[channel_id] = channel
        return channel

    def add_file(self, file_id: str, name: str, content: bytes) -> dict[str, Any]:
        """Store an uploaded file; returns the file object a view submission carries."""
        with self._lock:
            self.files[file_id] = (name, content)
        return {
            "id": file_id,
            "name": name,
            "title": name,
            "mimetype": "text/csv",
            "filetype": "csv",
            "size": len(content),
            "url_private": f"{self.base}/files/{file_id}",
            "url_private_download": f"{self.base}/files/{file_id}/download",
        }

    # --- scripted faults ------------------------------------------------------------

    def fail(self, method: str, error: str, *, times: int = 1) -> None:
        """Answer the next `times` calls with `{"ok": false, "error": error}`."""
        self._add_fault(method, Fault("error", times, error=error))

    def http_error(self, method: str, status: int = 500, *, times: int = 1) -> None:
        """Answer the next calls with an HTTP error status (5xx)."""
        self._add_fault(method, Fault("status", times, status=status))

    def rate_limit(self, method: str, *, retry_after: int = 1, times: int = 1) -> None:
        """Answer the next calls with 429 and a Retry-After header."""
        self._add_fault(method, Fault("ratelimit", times, retry_after=retry_after))

    def slow(self, method: str, seconds: float, *, times: int = 1) -> None:
        """Answer the next calls only after `seconds`."""
        self._add_fault(method, Fault("delay", times, seconds=seconds))

    def answer_late(self, method: str, seconds: float, *, times: int = 1) -> None:
        """Do the work of the next calls at once (post the message…) but answer only after
        `seconds`: a client with a shorter timeout never learns that it worked."""
        self._add_fault(method, Fault("late", times, seconds=seconds))

    def drop(self, method: str, *, times: int = 1) -> None:
        """Close the connection without answering (a network failure)."""
        self._add_fault(method, Fault("drop", times))

    def revoke_token(self, token: str | None = None) -> None:
        """From now on calls with `token` (default: the classic bot token) answer `token_revoked`."""
        if token is None:
            self.revoked = True
        else:
            with self._lock:
                self.grants[token].revoked = True

    def expire(self, token: str) -> None:
        """Make a rotating token run out now: calls with it answer `token_expired`."""
        with self._lock:
            self.grants[token].expires_at = time.time() - 1

    def add_grant(self, grant: Grant) -> Grant:
        """Issue a bot token (an install); see also `oauth.approve` for the real flow."""
        with self._lock:
            self.grants[grant.token] = grant
        return grant

    def _add_fault(self, method: str, fault: Fault) -> None:
        with self._lock:
            self._faults[method].append(fault)

    def _next_fault(self, method: str) -> Fault | None:
        with self._lock:
            queue = self._faults.get(method)
            if not queue:
                return None
            fault = queue[0]
            fault.times -= 1
            if fault.times <= 0:
                queue.pop(0)
            return fault

    # --- reading the record ---------------------------------------------------------

    def calls_to(self, method: str) -> list[Call]:
        """Every recorded call of `method`, oldest first."""
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def last(self, method: str) -> Call:
        """The most recent call of `method` (fails the test if there was none)."""
        calls = self.calls_to(method)
        assert calls, f"no call to {method}; calls were: {[c.method for c in self.calls]}"
        return calls[-1]

    def wait_for(self, method: str, count: int = 1, timeout: float = 5.0) -> list[Call]:
        """Wait until `method` has been called `count` times; return those calls."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            calls = self.calls_to(method)
            if len(calls) >= count:
                return calls
            time.sleep(0.01)
        raise AssertionError(f"expected {count} call(s) to {method}, saw {len(self.calls_to(method))}")

    def reset_calls(self) -> None:
        """Forget recorded calls (state such as users and messages is kept)."""
        with self._lock:
            self.calls.clear()

    def dms_to(self, user_id: str) -> list[Call]:
        """chat.postMessage calls addressed to a user (a direct message)."""
        return [c for c in self.calls_to("chat.postMessage") if c.args.get("channel") == user_id]

    def calls_by_token(self, method: str | None = None) -> dict[str | None, int]:
        """How many calls (of `method`, or of any method) each token made."""
        counts: dict[str | None, int] = defaultdict(int)
        with self._lock:
            for call in self.calls:
                if method is None or call.method == method:
                    counts[call.token] += 1
        return dict(counts)

    def team_of(self, token: str) -> str | None:
        """The workspace a token belongs to (the org's id for an org-wide token)."""
        grant = self.grants[token]
        return grant.team_id or grant.enterprise_id

    # --- request handling -----------------------------------------------------------

    def handle(self, method: str, args: dict[str, Any], token: str | None) -> tuple[int, dict[str, str], Any]:
        """Produce (status, headers, body) for one API call; records it first."""
        args = {k: _decode_json_arg(k, v) for k, v in args.items()}
        with self._lock:
            self.calls.append(Call(method, args, token, time.time()))
        fault = self._next_fault(method)
        if fault is not None and fault.kind == "late":
            answer = self._answer(method, args, token)
            time.sleep(fault.seconds)
            return answer
        scripted = self._misbehave(fault) if fault is not None else None
        if scripted is not None:
            return scripted
        return self._answer(method, args, token)

    def _answer(
        self, method: str, args: dict[str, Any], token: str | None
    ) -> tuple[int, dict[str, str], Any]:
        """Slack's answer to a well-behaved call (after any scripted fault)."""
        implementation = self._methods.get(method)
        if implementation is None:
            return 200, {}, {"ok": False, "error": "unknown_method"}
        auth_error = None if method in CLIENT_CREDENTIAL_METHODS else self._check_token(method, token)
        if auth_error:
            return 200, {}, {"ok": False, "error": auth_error}
        missing = [name for name in REQUIRED_ARGS.get(method, ()) if args.get(name) in (None, "")]
        if missing:
            return (
                200,
                {},
                {
                    "ok": False,
                    "error": "invalid_arguments",
                    "response_metadata": {
                        "messages": [f"[ERROR] missing required field: {name}" for name in missing]
                    },
                },
            )
        with self._lock:
            self._grant = self.grants.get(token or "")
            try:
                return 200, {}, implementation(args)
            finally:
                self._grant = None

    @staticmethod
    def _misbehave(fault: Fault) -> tuple[int, dict[str, str], Any] | None:
        """The scripted answer for `fault`, or None to answer normally (after a delay)."""
        if fault.kind == "delay":
            time.sleep(fault.seconds)
            return None
        if fault.kind == "error":
            return 200, {}, {"ok": False, "error": fault.error}
        if fault.kind == "status":
            # Slack answers an outage with 503 service_unavailable (nothing done) and
            # other failures with internal_error (perhaps after doing the work).
            error = fault.error or ("service_unavailable" if fault.status == 503 else "internal_error")
            return fault.status, {}, {"ok": False, "error": error}
        if fault.kind == "ratelimit":
            return 429, {"Retry-After": str(fault.retry_after)}, {"ok": False, "error": "ratelimited"}
        return -1, {}, None  # "drop"

    def _check_token(self, method: str, token: str | None) -> str | None:
        if not token:
            return "not_authed"
        if method in APP_TOKEN_METHODS:
            return None if token == self.app_token else "invalid_auth"
        with self._lock:
            grant = self.grants.get(token)
            if grant is None:
                return "invalid_auth"
            if grant.revoked or (self.revoked and token == self.bot_token):
                return "token_revoked"
            if grant.expires_at is not None and grant.expires_at <= time.time():
                return "token_expired"
        return None

    def _sees(self, team_id: str, enterprise_id: str | None) -> bool:
        """Whether the calling token may see a member or channel of this workspace."""
        return self._grant is not None and self._grant.sees(team_id, enterprise_id)

    def _user(self, user_id: str) -> FakeUser | None:
        """The member, if the calling token's workspace (or org) has them."""
        user = self.users.get(user_id)
        return user if user is not None and self._sees(user.team_id, user.enterprise_id) else None

    def _channel(self, channel_id: str) -> FakeChannel | None:
        """The channel, if it is in the calling token's workspace (or org)."""
        channel = self.channels.get(channel_id)
        return channel if channel is not None and self._sees(channel.team_id, channel.enterprise_id) else None

    def handle_response_url(self, name: str, body: dict[str, Any]) -> tuple[int, Any]:
        """Record a POST to a response_url and check its blocks."""
        with self._lock:
            self.calls.append(Call("response_url", {**body, "_name": name}, None, time.time()))
        fault = self._next_fault("response_url")
        if fault is not None and fault.kind == "delay":  # `slow("response_url", …)`
            time.sleep(fault.seconds)
        errors = message_errors(body.get("text"), body.get("blocks"))
        if errors:
            return 400, {"ok": False, "error": "invalid_blocks", "errors": errors}
        return 200, {"ok": True}

    def download(self, file_id: str, token: str | None) -> tuple[int, bytes]:
        """Serve a stored file to a caller holding a working bot token."""
        if token is None or self._check_token("files.download", token) is not None:
            return 403, b"forbidden"
        with self._lock:
            stored = self.files.get(file_id)
            self.calls.append(Call("files.download", {"file": file_id}, token, time.time()))
        if stored is None:
            return 404, b"not found"
        return 200, stored[1]


def _decode_json_arg(name: str, value: Any) -> Any:
    # slack_sdk sends blocks/view/metadata as JSON strings in form posts.
    if name in ("blocks", "view", "attachments", "metadata") and isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value
