"""Shared fixtures: a fake Slack, a fresh database per test, and the app wired to both.

Database tests run on SQLite always, and again on PostgreSQL when TEST_DATABASE_URL is
set (the `engine` fixture is parametrized; the PostgreSQL half is marked `postgres`).
PostgreSQL tests share one throwaway schema per test run and truncate between tests,
so parallel runs on one server do not see each other.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from slack_bolt import App
from sqlalchemy import Engine, text

from bot.app import build_deps, create_app
from bot.config import Settings, load_settings
from bot.db import SessionFactory, make_engine, make_session_factory
from bot.deps import Deps
from bot.models import Base
from bot.slack import make_client
from bot.web import wsgi_app
from tests.fakes.clock import MovableClock
from tests.fakes.slack_api import BOT_TOKEN, FakeSlack
from tests.fakes.slack_requests import SIGNING_SECRET, SlackUser, TrackingExecutor

PG_URL_ENV = "TEST_DATABASE_URL"
# OAuth mode's fixtures (oauth_deps, browser, two_workspaces…), for any test that wants them.
pytest_plugins = ["tests.oauth_helpers"]

# The people most tests need. More can be added per test with fake_slack.add_user().
ADMIN = "U0ADMIN01"
MENTOR = "U0MENTOR1"
MENTEE = "U0MENTEE1"

# Tests never read a developer's own .env file.
_NO_DOTENV = Path("/nonexistent/.env")
# The key that seals check-in answers in tests (bot.pulse.sealing); production sets its own.
TEST_SECRET_KEY = "test-secret-key-for-sealing-answers-0123456789"


def postgres_url() -> str | None:
    """The PostgreSQL URL tests may use, normalised to our driver, or None."""
    raw = os.environ.get(PG_URL_ENV)
    if not raw:
        return None
    from bot.config import normalize_database_url

    return normalize_database_url(raw)


def require_postgres() -> str:
    """Skip the calling test, saying why, unless TEST_DATABASE_URL is set."""
    url = postgres_url()
    if url is None:
        pytest.skip(f"{PG_URL_ENV} is not set; this test needs a PostgreSQL server")
    return url


@pytest.fixture(scope="session")
def pg_schema_engine() -> Iterator[Engine | None]:
    """One engine per test run on a private PostgreSQL schema, tables created once."""
    url = postgres_url()
    if url is None:
        yield None
        return
    schema = f"mn_test_{uuid.uuid4().hex[:10]}"
    admin = make_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    engine = make_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    Base.metadata.create_all(engine)
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def _truncate_all(engine: Engine) -> None:
    tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(
    request: pytest.FixtureRequest, tmp_path: Any, pg_schema_engine: Engine | None
) -> Iterator[Engine]:
    """A fresh, empty database with every table: a SQLite file, or clean PostgreSQL tables."""
    if request.param == "postgres":
        require_postgres()
        assert pg_schema_engine is not None
        _truncate_all(pg_schema_engine)
        yield pg_schema_engine
        return
    engine = make_engine(f"sqlite:///{tmp_path / 'test.db'}")
    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def session_factory(engine: Engine) -> SessionFactory:
    """Sessions on the test database."""
    return make_session_factory(engine)


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    """A running fake Slack Web API with an admin, a mentor and a mentee."""
    with FakeSlack() as fake:
        fake.add_user(ADMIN, "dr.adams", tz="America/New_York", email="adams@riverside.example")
        fake.add_user(MENTOR, "dr.okafor", tz="Europe/London", email="okafor@riverside.example")
        fake.add_user(MENTEE, "sam.lee", tz="America/New_York", email="sam.lee@riverside.example")
        yield fake


def settings_for(fake: FakeSlack, database_url: str, **overrides: str) -> Settings:
    """Settings as the app would read them from the environment, pointed at the fakes."""
    environ = {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": fake.api_url,
        "DATABASE_URL": database_url,
        "ADMIN_USER_IDS": ADMIN,
        "SECRET_KEY": TEST_SECRET_KEY,
        **overrides,
    }
    return load_settings(environ, dotenv_path=_NO_DOTENV)


@pytest.fixture
def settings(fake_slack: FakeSlack, engine: Engine) -> Settings:
    """Validated settings for the fake Slack and the test database."""
    return settings_for(fake_slack, engine.url.render_as_string(hide_password=False))


@pytest.fixture(autouse=True)
def _root_logging_restored() -> Iterator[None]:
    """A command-line entry point under test (`bot.cli.main`) sets up logging on the stderr
    pytest captured for that test; put the root logger back so later tests do not write to
    a closed stream."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture
def clock() -> MovableClock:
    """The app's clock, which tests set and move (override it to start elsewhere)."""
    return MovableClock()


@pytest.fixture
def deps(settings: Settings, session_factory: SessionFactory, clock: MovableClock) -> Deps:
    """Deps with a real slack_sdk client (fast retries) talking to the fake Slack, on `clock`."""
    client = make_client(settings, backoff_factor=0.01)
    return build_deps(settings, client=client, session_factory=session_factory, clock=clock)


@pytest.fixture
def listener_executor() -> Iterator[TrackingExecutor]:
    """Bolt's listener threads, trackable so each request is waited for."""
    executor = TrackingExecutor()
    yield executor
    executor.shutdown(wait=True)


@pytest.fixture
def app(deps: Deps, listener_executor: TrackingExecutor) -> App:
    """The Bolt app exactly as production builds it, around the test deps."""
    return create_app(deps.settings, deps=deps, listener_executor=listener_executor)


@pytest.fixture
def slack(app: App, engine: Engine, fake_slack: FakeSlack, listener_executor: TrackingExecutor) -> SlackUser:
    """Slack's side of the conversation: sends signed requests to the real WSGI app."""
    return SlackUser(wsgi_app(app, engine), fake_slack, listener_executor)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Say once, not per test, why the PostgreSQL half of the suite was skipped."""
    skipped = terminalreporter.stats.get("skipped", [])
    pg = [r for r in skipped if PG_URL_ENV in str(getattr(r, "longrepr", ""))]
    if pg:
        terminalreporter.write_line(
            f"{len(pg)} PostgreSQL test(s) skipped: set {PG_URL_ENV} "
            "(e.g. postgresql://postgres@127.0.0.1/test) to run them"
        )
