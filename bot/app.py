"""The composition root: the one place the Bolt app and its collaborators are built.

Nothing here runs at import time, so tests can build an app around a fake Slack and a
fresh database, and the run modes (`bot.cli`) can build exactly what they need.

Single-workspace mode gives Bolt the bot token's client. OAuth mode gives it Bolt's own
OAuth pieces instead — `OAuthSettings` with slack_sdk's SQLAlchemy installation and state
stores (`bot.installations`) — so Bolt serves `/slack/install` and
`/slack/oauth_redirect`, and authorizes each request with its workspace's token.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from datetime import datetime
from typing import Any
from urllib.parse import urljoin

from slack_bolt import App, BoltContext, BoltRequest, BoltResponse
from slack_bolt.listener import Listener
from slack_bolt.listener.thread_runner import ThreadListenerRunner
from slack_bolt.oauth.callback_options import CallbackOptions, FailureArgs, SuccessArgs
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.config import OAUTH_INSTALL_PATH, OAUTH_REDIRECT_PATH, Settings
from bot.db import SessionFactory, make_engine, make_session_factory
from bot.deps import Deps
from bot.installations import (
    REFRESH_MINUTES_BEFORE_EXPIRY,
    STATE_EXPIRY_SECONDS,
    Installations,
    InstallRefused,
    RotatingAuthorize,
)
from bot.models import utcnow
from bot.slack import make_client
from handlers import register_all
from handlers.after_ack import AfterAckPool, runs_in_place

log = logging.getLogger(__name__)

# Threads Bolt runs listeners on (its default is 5). A listener acks first and then
# works — a database write, a `chat.update` — and a new request's ack cannot start
# until a thread is free, so with 5 threads a burst of clicks queued its acks behind
# earlier clicks' after-ack work (bench/bench_acks.py). The work is I/O-bound, so
# threads are cheap; the SQLite writer gate (`bot.db`) keeps their writes orderly.
LISTENER_THREADS = 16
# Threads for the work the busiest clicks do after acking (`Deps.after_ack`). Few on
# purpose: Python runs one thread at a time, and every thread doing after-ack work is
# one more the next ack waits behind; two still overlap one's wait for Slack.
AFTER_ACK_THREADS = 2

# What someone installing from a workspace this deployment does not serve sees.
INSTALL_NOT_ALLOWED_PAGE = (
    "<!doctype html><html><head><meta charset='utf-8'><title>Mentor Nudge</title></head><body>"
    "<h1>Mentor Nudge can't be installed here</h1>"
    "<p>This Mentor Nudge server serves only the workspaces its administrators listed, and this "
    "workspace isn't one of them. Nothing was installed. If your program should use it, ask whoever "
    "runs the server to add your workspace.</p></body></html>"
)
# What someone sees when their workspace's installation is gone (uninstalled, revoked).
NOT_INSTALLED_MESSAGE = (
    "Mentor Nudge isn't installed in this workspace any more, so it can't answer. "
    "Ask a Slack admin to install it again."
)


def build_deps(
    settings: Settings,
    *,
    client: WebClient | None = None,
    session_factory: SessionFactory | None = None,
    clock: Callable[[], datetime] | None = None,
) -> Deps:
    """Make the shared collaborators, using the given ones where supplied."""
    if session_factory is None:
        session_factory = make_session_factory(make_engine(settings.database_url))
    client = client if client is not None else make_client(settings)
    return Deps(
        settings=settings,
        session_factory=session_factory,
        client=client,
        clock=clock or utcnow,
        installations=(
            Installations(settings, session_factory, template=client) if settings.oauth_enabled else None
        ),
    )


def create_app(
    settings: Settings,
    *,
    client: WebClient | None = None,
    session_factory: SessionFactory | None = None,
    deps: Deps | None = None,
    listener_executor: Executor | None = None,
) -> App:
    """Build the Bolt app and register every listener.

    `listener_executor` lets tests wait for listeners Bolt runs after acknowledging.
    """
    deps = deps or build_deps(settings, client=client, session_factory=session_factory)
    if listener_executor is None and deps.after_ack is None:
        # Tests hand in their own listener pool and wait on it: for them after-ack work
        # stays inside the listener, where that wait covers it.
        deps.after_ack = AfterAckPool(AFTER_ACK_THREADS)
    app = App(
        client=deps.client,
        # Socket Mode requests arrive over an authenticated socket and carry no signature.
        signing_secret=settings.slack_signing_secret or "",
        # verify_token() already called auth.test once at start-up with a clearer message.
        token_verification_enabled=False,
        logger=logging.getLogger("slack_bolt"),
        listener_executor=listener_executor
        or ThreadPoolExecutor(max_workers=LISTENER_THREADS, thread_name_prefix="listener"),
        **(_oauth_options(deps) if deps.installations is not None else {}),
    )
    if deps.installations is not None:
        app.use(_remember_workspace(deps.installations))
    register_all(app, deps)
    _run_marked_listeners_in_place(app)
    return app


class InPlaceRunner(ThreadListenerRunner):
    """Bolt's listener runner, except that a listener marked `handlers.after_ack.in_place`
    runs in the thread that received the request, as Bolt runs every listener when
    `process_before_response` is set.

    Bolt otherwise submits each listener to its pool and has the request's thread check
    for the ack every 10 ms: a thread hop plus, on average, 5 ms of waiting before the
    answer leaves, and under a burst each hop waits for Python's lock again. A marked
    listener acks at once and leaves any further work to the after-ack pool, so running
    it in place costs the request nothing after its ack.
    """

    def __init__(self, pooled: ThreadListenerRunner) -> None:
        super().__init__(
            logger=pooled.logger,
            process_before_response=pooled.process_before_response,
            listener_error_handler=pooled.listener_error_handler,
            listener_start_handler=pooled.listener_start_handler,
            listener_completion_handler=pooled.listener_completion_handler,
            listener_executor=pooled.listener_executor,
            lazy_listener_runner=pooled.lazy_listener_runner,
        )
        self._in_place = ThreadListenerRunner(
            logger=pooled.logger,
            process_before_response=True,
            listener_error_handler=pooled.listener_error_handler,
            listener_start_handler=pooled.listener_start_handler,
            listener_completion_handler=pooled.listener_completion_handler,
            listener_executor=pooled.listener_executor,
            lazy_listener_runner=pooled.lazy_listener_runner,
        )

    def run(
        self,
        request: BoltRequest,
        response: BoltResponse,
        listener_name: str,
        listener: Listener,
        starting_time: float | None = None,
    ) -> BoltResponse | None:
        """Run `listener` in place when it is marked for this request, else on the pool."""
        if not request.lazy_only and runs_in_place(listener.ack_function, request.body):
            # `app.error()` replaces the handler on this runner after it is built.
            self._in_place.listener_error_handler = self.listener_error_handler
            return self._in_place.run(request, response, listener_name, listener, starting_time)
        return super().run(request, response, listener_name, listener, starting_time)


def _run_marked_listeners_in_place(app: App) -> None:
    """Give `app` the `InPlaceRunner` (a Bolt without the attribute keeps its own)."""
    pooled = getattr(app, "_listener_runner", None)
    if isinstance(pooled, ThreadListenerRunner) and not pooled.process_before_response:
        app._listener_runner = InPlaceRunner(pooled)


def _oauth_options(deps: Deps) -> dict[str, Any]:
    """Bolt's OAuth flow and per-request authorization, on our database's stores."""
    settings, installations = deps.settings, deps.installations
    assert installations is not None and settings.slack_client_id and settings.slack_client_secret
    oauth_settings = OAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret,
        scopes=list(settings.slack_scopes),
        user_scopes=[],  # the app acts as its bot only; it never asks for people's tokens
        redirect_uri=settings.slack_redirect_uri,
        install_path=OAUTH_INSTALL_PATH,
        redirect_uri_path=OAUTH_REDIRECT_PATH,
        # GovSlack's authorize page sits beside its API, as slack.com's does.
        authorization_url=urljoin(settings.slack_api_url, "../oauth/v2/authorize"),
        installation_store=installations.store,
        state_store=installations.state_store,
        state_expiration_seconds=STATE_EXPIRY_SECONDS,
        token_rotation_expiration_minutes=REFRESH_MINUTES_BEFORE_EXPIRY,
        callback_options=CallbackOptions(success=_installed(deps), failure=_install_failed(deps)),
        logger=logging.getLogger("slack_bolt.oauth"),
    )
    # Built here rather than by OAuthSettings so that token refreshes go through our
    # client (SLACK_API_URL) and `Installations.refresh` (one process at a time), and so
    # a token's auth.test answer is remembered instead of asked again before every
    # acknowledgement.
    authorize = RotatingAuthorize(
        installations,
        logger=logging.getLogger("slack_bolt.authorize"),
        installation_store=installations.store,
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret,
        token_rotation_expiration_minutes=REFRESH_MINUTES_BEFORE_EXPIRY,
        cache_enabled=True,
        client=deps.client,
    )
    return {
        "oauth_settings": oauth_settings,
        "authorize": authorize,
        "user_facing_authorize_error_message": NOT_INSTALLED_MESSAGE,
    }


def _installed(deps: Deps) -> Callable[[SuccessArgs], BoltResponse]:
    def success(args: SuccessArgs) -> BoltResponse:
        assert deps.installations is not None
        deps.installations.record_install(args.installation, deps.now())
        return args.default.success(args)

    return success


def _install_failed(deps: Deps) -> Callable[[FailureArgs], BoltResponse]:
    def failure(args: FailureArgs) -> BoltResponse:
        if isinstance(args.error, InstallRefused):
            return _refuse_install(deps, args.error)
        # A forged or replayed state, a cancelled approval, a bad code: say why in the log.
        log.warning("install refused: %s", args.reason)
        return args.default.failure(args)

    return failure


def _refuse_install(deps: Deps, refused: InstallRefused) -> BoltResponse:
    """A workspace SLACK_ALLOWED_TEAMS leaves out: give back the token Slack just issued
    (so the app is not left installed there, answering nobody) and say why."""
    installation = refused.installation
    log.warning(
        "install refused: team=%s enterprise=%s is not in SLACK_ALLOWED_TEAMS",
        installation.team_id,
        installation.enterprise_id,
    )
    try:
        deps.client.auth_revoke(token=installation.bot_token)
    except (SlackApiError, OSError) as error:
        log.warning("install refused: could not give the token back (%s)", error.__class__.__name__)
    return BoltResponse(
        status=403,
        headers={"Content-Type": "text/html; charset=utf-8"},
        body=INSTALL_NOT_ALLOWED_PAGE,
    )


def _remember_workspace(installations: Installations) -> Callable[..., Any]:
    """Global middleware: note each workspace's org the first time it is seen (see
    `Installations.remember_workspace`), lift a hold on a workspace the app can reach
    again (`Installations.seen_working`), then carry on."""

    def remember(context: BoltContext, next: Callable[[], Any]) -> Any:
        if context.team_id:
            installations.remember_workspace(context.team_id, context.enterprise_id)
            if context.authorize_result is not None:
                installations.seen_working(context.team_id)
        return next()

    return remember
