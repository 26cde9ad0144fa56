"""The baseline for `bench/bench_acks.py`: a bare Bolt app whose `/mentor` command and
buttons only acknowledge.

Served by the same gunicorn line as the Procfile's `web` (only the app path differs),
it shows what Bolt, gunicorn and the machine cost on their own, so our app's ack times
are read as a ratio against it. It reads the same environment variables as the real app
(`SLACK_BOT_TOKEN`, `SLACK_SIGNING_SECRET`, `SLACK_API_URL`) and answers `GET /healthz`
so the benchmark can wait for it to be up.

    gunicorn … 'bench.bare_bolt_app:create_wsgi_app()'
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import Ack, App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient


def create_app() -> App:
    """A Bolt app with the same token, secret and API URL as ours, and ack-only listeners."""
    client = WebClient(token=os.environ["SLACK_BOT_TOKEN"], base_url=os.environ["SLACK_API_URL"])
    app = App(
        client=client, signing_secret=os.environ["SLACK_SIGNING_SECRET"], token_verification_enabled=False
    )

    @app.command("/mentor")
    def mentor(ack: Ack) -> None:
        ack(text="help", response_type="ephemeral")

    @app.action(re.compile(".*"))
    def any_button(ack: Ack) -> None:
        ack()

    return app


def create_wsgi_app() -> Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]:
    """Gunicorn's app factory."""
    slack = SlackRequestHandler(create_app(), path="/slack/events")

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/healthz":
            start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
            return [b"ok"]
        return slack(environ, start_response)

    return application
