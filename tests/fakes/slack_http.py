"""The fake Slack's HTTP side: the request handler that turns requests into `FakeSlack` calls."""

from __future__ import annotations

import base64
import json
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

if TYPE_CHECKING:
    from tests.fakes.slack_api import FakeSlack


def _basic(header: str | None) -> dict[str, str]:
    if not header or not header.lower().startswith("basic "):
        return {}
    client_id, _, secret = base64.b64decode(header[6:].strip()).decode().partition(":")
    return {"client_id": client_id, "client_secret": secret}


def _bearer(header: str | None) -> str | None:
    if header and header.lower().startswith("bearer "):
        return header[7:].strip()
    return None


def make_handler(fake: FakeSlack) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
            pass

        def _body(self) -> bytes:
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
            if status == -1:
                self.close_connection = True
                self.connection.close()
                return
            raw = body if isinstance(body, bytes) else json.dumps(body).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(raw)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(raw)
            except (BrokenPipeError, ConnectionResetError):
                # The client gave up waiting (its timeout is shorter than a `slow` fault).
                self.close_connection = True

        def _api(self, method: str, args: dict[str, Any]) -> None:
            token = _bearer(self.headers.get("Authorization")) or args.pop("token", None)
            args.pop("token", None)
            # oauth.v2.access authenticates the app with HTTP Basic client_id:client_secret.
            for name, value in _basic(self.headers.get("Authorization")).items():
                args.setdefault(name, value)
            status, headers, body = fake.handle(method, args, token)
            self._send(status, body, headers)

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            if parts.path.startswith("/api/"):
                args = {k: v[-1] for k, v in parse_qs(parts.query).items()}
                self._api(parts.path[len("/api/") :], args)
            elif parts.path.startswith("/files/"):
                file_id = parts.path.split("/")[2]
                status, content = fake.download(file_id, _bearer(self.headers.get("Authorization")))
                self._send(status, content)
            else:
                self._send(404, {"ok": False, "error": "not_found"})

        def do_POST(self) -> None:
            parts = urlsplit(self.path)
            raw = self._body()
            if parts.path.startswith("/upload/"):
                # files_upload_v2's second step: the raw bytes, no token (the URL is the key).
                status, text = fake.uploads.receive(parts.path.split("/")[2], raw)
                self._send(status, text.encode())
                return
            content_type = self.headers.get("Content-Type") or ""
            if "json" in content_type:
                args = json.loads(raw or b"{}")
            else:
                args = {k: v[-1] for k, v in parse_qs(raw.decode()).items()}
            args.update({k: v[-1] for k, v in parse_qs(parts.query).items()})
            if parts.path.startswith("/api/"):
                self._api(parts.path[len("/api/") :], args)
            elif parts.path.startswith("/response/"):
                status, body = fake.handle_response_url(parts.path.split("/")[2], args)
                self._send(status, body)
            else:
                self._send(404, {"ok": False, "error": "not_found"})

    return Handler
