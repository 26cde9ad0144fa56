"""Downloading a shared file: the bot token goes to Slack and nowhere else."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bot.files import FileProblem, _trusted, download_shared_file

API = "http://127.0.0.1:5000/api/"


@pytest.mark.parametrize(
    ("url", "trusted"),
    [
        ("https://files.slack.com/files-pri/T1-F1/download/roster.csv", True),
        ("https://files.slack-gov.com/files-pri/T1-F1/roster.csv", True),
        ("http://files.slack.com/files-pri/T1-F1/roster.csv", False),  # not over https
        ("https://slack.com.evil.example/roster.csv", False),
        ("https://evil.example/?slack.com", False),
        ("http://127.0.0.1:5000/files/F1", True),  # the configured API host itself
        ("https://127.0.0.1:5000/files/F1", False),  # same host, other scheme
        ("http://127.0.0.1:5001/files/F1", False),  # same host, other port
    ],
)
def test_only_slack_and_the_configured_api_host_get_the_token(url, trusted):
    assert _trusted(url, API) is trusted


class _Recorder(BaseHTTPRequestHandler):
    seen: list[str | None]
    redirect_to: str | None = None

    def log_message(self, *args):
        pass

    def do_GET(self):
        type(self).seen.append(self.headers.get("Authorization"))
        if self.redirect_to:
            self.send_response(302)
            self.send_header("Location", self.redirect_to)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = b"mentor,mentee\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def _serve(handler):
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
    return server


def test_a_redirect_away_from_slack_does_not_carry_the_token():
    elsewhere = type("Elsewhere", (_Recorder,), {"seen": []})
    other = _serve(elsewhere)
    slack = type(
        "Slack", (_Recorder,), {"seen": [], "redirect_to": f"http://127.0.0.1:{other.server_port}/cdn/F1"}
    )
    home = _serve(slack)
    try:
        api_url = f"http://127.0.0.1:{home.server_port}/api/"
        content = download_shared_file(
            {"url_private_download": f"http://127.0.0.1:{home.server_port}/files/F1"},
            token="xoxb-secret-token",
            api_url=api_url,
            max_bytes=1000,
        )
    finally:
        home.shutdown()
        other.shutdown()

    assert content == b"mentor,mentee\n"
    assert slack.seen == ["Bearer xoxb-secret-token"]
    assert elsewhere.seen == [None]


def test_a_link_that_is_not_slacks_is_refused_before_any_request():
    with pytest.raises(FileProblem, match="didn't give me a download link"):
        download_shared_file(
            {"url_private_download": "https://evil.example/roster.csv"},
            token="xoxb-t",
            api_url=API,
            max_bytes=10,
        )
