"""Start-up for each run mode: read configuration, reach the database and Slack, run.

Each step turns a problem the operator can fix into a `ConfigError` with one plain
sentence; `bot.cli` prints it and exits with status 2.
"""

from __future__ import annotations

import logging
import os
import signal
from types import FrameType

from slack_bolt import App
from slack_sdk import WebClient
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from bot import migrate
from bot.app import build_deps, create_app
from bot.config import ConfigError, Settings, load_settings
from bot.db import is_sqlite, make_engine, make_session_factory, ping, transaction
from bot.deps import Deps
from bot.library.catalogue import builtin_nudges
from bot.library.types import LibraryError
from bot.logging_setup import configure_logging
from bot.people import ensure_workspace, meet_configured_admins
from bot.pulse.sealing import require_key
from bot.slack import BotIdentity, make_client, verify_token

log = logging.getLogger(__name__)


# The variables whose format each mode relies on: only these modes warn about a value
# that does not look the way Slack shows it (bot.config, "format guesses").
WEB_VARIABLES = (
    "SLACK_BOT_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_CLIENT_ID",
    "SLACK_CLIENT_SECRET",
    "SLACK_SCOPES",
    "SLACK_REDIRECT_URI",
    "ADMIN_USER_IDS",
)
SOCKET_VARIABLES = ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "ADMIN_USER_IDS")
CLOCK_VARIABLES = ("SLACK_BOT_TOKEN", "SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET", "ADMIN_USER_IDS")


def load_runtime_settings(uses: tuple[str, ...] = ("SLACK_BOT_TOKEN",)) -> Settings:
    """Read configuration, set up logging, and check the content files load.

    `uses`: the Slack credentials this mode relies on; a format guess about one of them
    is logged as a warning (never a refusal: Slack is the judge of its own secrets), and
    guesses about the others are not this mode's business.
    A broken edit to the nudge library stops start-up with one line naming the entry,
    instead of failing at the first clock tick.
    """
    settings = load_settings()
    configure_logging(settings.log_level)
    for sentence in settings.warnings_for(uses):
        log.warning("%s", sentence)
    if "SLACK_BOT_TOKEN" in uses and settings.slack_bot_token and settings.slack_client_id:
        log.warning(
            "SLACK_BOT_TOKEN is set, so the app runs for that one workspace and SLACK_CLIENT_ID/"
            "SLACK_CLIENT_SECRET are not used; unset SLACK_BOT_TOKEN for OAuth mode (several workspaces)"
        )
    try:
        builtin_nudges()
    except LibraryError as error:
        raise ConfigError(f"the nudge library (bot/content/nudges.yaml) is malformed: {error}") from None
    return settings


def open_database(settings: Settings) -> Engine:
    """Connect, and make sure the schema is current.

    A SQLite file is brought up to date automatically (one machine, one program: the
    two-command install must just work). PostgreSQL is shared by several processes, so
    migrating is an explicit step (`python -m bot migrate`, the Procfile's release).
    """
    engine = make_engine(settings.database_url)
    shown = make_url(settings.database_url).render_as_string(hide_password=True)
    try:
        ping(engine)
        current = migrate.current_revision(engine)
    except SQLAlchemyError as error:
        reason = str(getattr(error, "orig", error)).strip().splitlines()[0][:200]
        raise ConfigError(f"cannot open the database in DATABASE_URL ({shown}): {reason}") from None
    head = migrate.head_revision()
    if current != head:
        if is_sqlite(engine):
            migrate.upgrade(engine)
            log.info("database %s migrated from %s to %s", shown, current or "empty", head)
        else:
            raise ConfigError(
                f"the database schema is at {current or 'nothing yet'} but this version needs {head}: run "
                "`python -m bot migrate` first (the Procfile's release step does this on deploy)"
            )
    # Forked gunicorn workers must not share the parent's pooled connections.
    os.register_at_fork(after_in_child=lambda: engine.dispose(close=False))
    return engine


def connect_slack(settings: Settings, engine: Engine) -> tuple[WebClient, BotIdentity]:
    """Check the bot token with Slack and note the workspace it belongs to."""
    client = make_client(settings)
    identity = verify_token(client)
    with transaction(make_session_factory(engine)) as session:
        workspace = ensure_workspace(
            session,
            identity.team_id,
            enterprise_id=identity.enterprise_id,
            name=identity.team_name,
            bot_user_id=identity.bot_user_id,
        )
        meet_configured_admins(session, settings)
        if workspace.sending_paused_reason:
            # A token that works again (reinstalled app, fixed variable) lifts the hold.
            log.warning(
                "team=%s: token works again; resuming sends (%s)",
                workspace.team_id,
                workspace.sending_paused_reason,
            )
            workspace.sending_paused_reason = None
            workspace.sending_paused_at = None
    log.info("connected to Slack workspace %s (%s)", identity.team_name or "?", identity.team_id)
    return client, identity


def prepare_deps(settings: Settings, engine: Engine) -> Deps:
    """Deps for a process that talks to Slack.

    Single-workspace mode checks the bot token with Slack first. OAuth mode has no token
    to check: each workspace's comes from its installation when it is needed. Either way
    the key that seals check-in answers must be there (SECRET_KEY, or SQLite's key file).
    """
    require_key(settings)
    if settings.oauth_enabled:
        deps = build_deps(settings, session_factory=make_session_factory(engine))
        log.info("OAuth mode: tokens come from the installations in the database (install at /slack/install)")
        return deps
    client, _identity = connect_slack(settings, engine)
    return build_deps(settings, client=client, session_factory=make_session_factory(engine))


def require_slack_credentials(settings: Settings) -> None:
    """A bot token (one workspace), or OAuth credentials (several): one of the two."""
    if not settings.oauth_enabled:
        settings.require_bot_token()


def prepare_web() -> tuple[App, Engine, Settings]:
    """Everything the HTTP process needs, checked: (Bolt app, engine, settings)."""
    settings = load_runtime_settings(WEB_VARIABLES)
    settings.require_signing_secret()
    require_slack_credentials(settings)
    engine = open_database(settings)
    deps = prepare_deps(settings, engine)
    return create_app(settings, deps=deps), engine, settings


def run_socket() -> None:
    """Socket Mode and the scheduler in one process: the small-program default."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    from schedules.clock import Clock, build_scheduler
    from schedules.lock import clock_lock

    settings = load_runtime_settings(SOCKET_VARIABLES)
    if settings.oauth_enabled:
        raise ConfigError(
            "Socket Mode serves one workspace, with SLACK_BOT_TOKEN; SLACK_CLIENT_ID is set without one. "
            "For several workspaces or an Enterprise Grid org run `web` and `clock` (OAuth over HTTP); "
            "for one workspace set SLACK_BOT_TOKEN (README: 'One workspace or many?')"
        )
    settings.require_bot_token()
    app_token = settings.require_app_token()
    engine = open_database(settings)
    deps = prepare_deps(settings, engine)
    app = create_app(settings, deps=deps)
    with clock_lock(settings.database_url):
        clock = Clock(deps)
        scheduler = build_scheduler(clock, background=True)
        scheduler.start()
        handler = SocketModeHandler(app, app_token, logger=logging.getLogger("slack_bolt.socket_mode"))
        _stop_on_sigterm()
        log.info("Socket Mode: connecting; the scheduler is running. Ctrl-C stops both.")
        try:
            handler.start()
        except KeyboardInterrupt:
            log.info("stopping")
        finally:
            # Inside the lock: no second clock may start while this one still sends.
            clock.stop()
            scheduler.shutdown(wait=True)
            handler.close()
            if deps.after_ack is not None:  # records the answers already acked, says how many
                deps.after_ack.shutdown(wait=True)


def run_clock() -> None:
    """The scheduler alone, for deployments with a separate `web` process."""
    from schedules.clock import Clock, build_scheduler
    from schedules.lock import clock_lock

    settings = load_runtime_settings(CLOCK_VARIABLES)
    require_slack_credentials(settings)
    engine = open_database(settings)
    deps = prepare_deps(settings, engine)
    with clock_lock(settings.database_url):
        clock = Clock(deps)
        scheduler = build_scheduler(clock, background=False)
        _stop_on_sigterm()
        log.info("clock: running (every minute; housekeeping daily at 03:15 UTC). Ctrl-C stops it.")
        try:
            scheduler.start()
        except KeyboardInterrupt:
            log.info("clock: stopping")
        finally:
            # Inside the lock: the running tick hands back what it has not sent, and no
            # second clock may start on this SQLite file until it has.
            clock.stop()
            if scheduler.running:
                scheduler.shutdown(wait=True)


def run_migrate() -> str | None:
    """Upgrade the database to the newest schema; returns the revision now in place."""
    settings = load_runtime_settings(uses=())
    engine = make_engine(settings.database_url)
    shown = make_url(settings.database_url).render_as_string(hide_password=True)
    try:
        before = migrate.current_revision(engine)
        migrate.upgrade(engine)
        after = migrate.current_revision(engine)
    except SQLAlchemyError as error:
        reason = str(getattr(error, "orig", error)).strip().splitlines()[0][:200]
        raise ConfigError(f"cannot migrate the database in DATABASE_URL ({shown}): {reason}") from None
    if before == after:
        log.info("database %s is already at the newest schema (%s)", shown, after)
    else:
        log.info("database %s migrated from %s to %s", shown, before or "empty", after)
    return after


def _stop_on_sigterm() -> None:
    # Platforms stop processes with SIGTERM; turn it into the same clean stop as Ctrl-C
    # so the scheduler finishes the row it is sending instead of dying mid-call.
    def _handler(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _handler)
