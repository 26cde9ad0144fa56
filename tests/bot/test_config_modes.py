"""Each run mode checks only the values it uses, and a format guess only warns."""

from __future__ import annotations

from datetime import UTC, datetime

from bot import migrate
from bot.db import make_engine, make_session_factory, transaction
from bot.outbox import enqueue_message
from bot.people import ensure_workspace
from tests.bot.test_run_modes import app_env, clean_env, run_bot, start_bot, stop
from tests.conftest import MENTEE
from tests.fakes.slack_api import TEAM_ID

ODD_LOOKING = {
    "SLACK_SIGNING_SECRET": "not-hex-but-maybe-slacks-new-format!",
    "SLACK_BOT_TOKEN": "xoxe.xoxb-1-rotated-looking-token",
    "SLACK_CLIENT_ID": "my-app",
    "SLACK_CLIENT_SECRET": "secret-not-hex",
    "SECRET_KEY": "short",
}


def test_migrate_runs_with_odd_looking_slack_values_and_says_nothing_about_them(tmp_path):
    database = tmp_path / "fresh.db"

    env = clean_env(DATABASE_URL=f"sqlite:///{database}", **ODD_LOOKING)

    result = run_bot("migrate", env=env, cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert migrate.current_revision(make_engine(f"sqlite:///{database}")) == migrate.head_revision()
    for variable in ODD_LOOKING:
        assert variable not in result.stderr, result.stderr


def test_clock_starts_and_sends_with_a_signing_secret_it_does_not_use(tmp_path, fake_slack):
    database_url = f"sqlite:///{tmp_path / 'mn.db'}"
    engine = make_engine(database_url)
    migrate.upgrade(engine)
    with transaction(make_session_factory(engine)) as session:
        ensure_workspace(session, TEAM_ID)
        enqueue_message(
            session, team_id=TEAM_ID, recipient=MENTEE, dedupe_key="k", due_at=datetime.now(UTC), text="Hi"
        )
    env = app_env(fake_slack, database_url, SLACK_SIGNING_SECRET="not hex at all!")

    process = start_bot("clock", env=env, cwd=tmp_path)
    try:
        fake_slack.wait_for("chat.postMessage", timeout=30)
    finally:
        output = stop(process)

    assert process.returncode == 0, output
    assert "SLACK_SIGNING_SECRET" not in output
