"""What the rota tests share: a calendar feed served over real HTTP, and settings that
let the app fetch it from 127.0.0.1."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.conftest import settings_for

FEED = b"""BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Riverside Scheduling//EN
BEGIN:VEVENT
UID:n1
DTSTART;TZID=Europe/London:20270302T190000
DTEND;TZID=Europe/London:20270303T070000
SUMMARY:Night shift
END:VEVENT
END:VCALENDAR
"""


class CalendarServer:
    """A real HTTP server on 127.0.0.1 whose answer a test can change."""

    def __init__(self) -> None:
        self.status, self.body, self.requests = 200, FEED, 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                server.requests += 1
                self.send_response(server.status)
                self.send_header("Content-Type", "text/calendar")
                self.end_headers()
                self.wfile.write(server.body if server.status == 200 else b"nope")

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/feeds/secret-token-9f3a"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def calendar_server() -> Iterator[CalendarServer]:
    server = CalendarServer()
    yield server
    server.close()


@pytest.fixture
def settings(fake_slack, engine):
    return settings_for(
        fake_slack, engine.url.render_as_string(hide_password=False), ROTA_FEED_ALLOW_LOCAL_HTTP="true"
    )
