"""The HTTP run mode: `POST /slack/events` for Slack, `GET /healthz` for load balancers,
and in OAuth mode Bolt's `GET /slack/install` and `GET /slack/oauth_redirect` (Bolt's WSGI
adapter serves those two whenever the app has an OAuth flow).

Gunicorn builds it with `bot.web:create_wsgi_app()` (see the Procfile), `python -m bot
web` with :func:`run_web`; tests call `wsgi_app()` with their own app and database.
This module sits above `bot.runtime` (it asks runtime to prepare everything), never
below it.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from sqlalchemy import Engine

from bot.collector import freeze_startup_objects
from bot.config import ConfigError
from bot.db import ping
from bot.gunicorn_hooks import worker_exit
from bot.runtime import prepare_web
from handlers.after_ack import ACKS_FIRST

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def wsgi_app(app: App, engine: Engine) -> WsgiApp:
    """Route Slack requests to Bolt and answer health checks from the database."""
    slack = SlackRequestHandler(app, path=EVENTS_PATH)

    def application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == HEALTH_PATH and environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            return _health(engine, start_response)
        # Counted while Bolt answers it, so after-ack work waits its turn (acks first).
        with ACKS_FIRST.answering():
            return slack(environ, start_response)

    return application


def _health(engine: Engine, start_response: StartResponse) -> Iterable[bytes]:
    try:
        ping(engine)
    except Exception as error:  # any failure to reach the database makes us unhealthy
        log.error("health check: database unreachable (%s)", error.__class__.__name__)
        body, status = {"ok": False, "database": "unreachable"}, "503 Service Unavailable"
    else:
        body, status = {"ok": True, "database": "ok"}, "200 OK"
    payload = json.dumps(body).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))])
    return [payload]


def create_wsgi_app() -> WsgiApp:
    """Gunicorn's app factory: read configuration, build everything, serve.

    A configuration problem prints one line and exits with status 2, as the CLI does.
    """
    try:
        app, engine, _settings = prepare_web()
    except ConfigError as error:
        print(f"mentor-nudge: {error}", file=sys.stderr)
        raise SystemExit(2) from None
    freeze_startup_objects()
    return wsgi_app(app, engine)


def run_web(*, workers: int = 2, threads: int = 4) -> None:
    """Serve HTTP with gunicorn (same server as the Procfile's `web` line)."""
    from gunicorn.app.base import BaseApplication

    app, engine, settings = prepare_web()
    freeze_startup_objects()
    application = wsgi_app(app, engine)
    port = settings.port

    class _Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            self.cfg.set("bind", f"0.0.0.0:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("threads", threads)
            self.cfg.set("worker_class", "gthread")
            self.cfg.set("accesslog", None)
            self.cfg.set("worker_exit", worker_exit)

        def load(self):  # type: ignore[no-untyped-def]
            return application

    _Server().run()
