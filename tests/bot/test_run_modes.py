"""Every run mode starts as a user would start it: real processes, fake Slack."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

import pytest
from slack_bolt.adapter.socket_mode import SocketModeHandler
from sqlalchemy import select

from bot import migrate
from bot.db import make_engine, make_session_factory, transaction
from bot.models import Delivery, DeliveryStatus, Workspace
from bot.outbox import enqueue_message
from bot.people import ensure_workspace
from tests.conftest import MENTEE, require_postgres
from tests.fakes.slack_api import APP_TOKEN, BOT_TOKEN, TEAM_ID, FakeSlack
from tests.fakes.slack_oauth import CLIENT_ID, CLIENT_SECRET
from tests.fakes.slack_requests import SIGNING_SECRET, sign
from tests.fakes.socket_mode import FakeSocketModeServer

ROOT = Path(__file__).resolve().parents[2]


def clean_env(**values: str) -> dict[str, str]:
    """A minimal environment: no Slack or database variables unless given."""
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "SYSTEMROOT", "TMPDIR")}
    env.update(values)
    return env


def run_bot(
    *args: str, env: dict[str, str], cwd: Path, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def start_bot(*args: str, env: dict[str, str], cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "bot", *args],
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def stop(process: subprocess.Popen[str], timeout: float = 20) -> str:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
    return output


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def app_env(fake: FakeSlack, database_url: str, **extra: str) -> dict[str, str]:
    values = {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_APP_TOKEN": APP_TOKEN,
        "SLACK_API_URL": fake.api_url,
        "DATABASE_URL": database_url,
    }
    return clean_env(**{**values, **extra})


def help_command_form() -> dict[str, str]:
    return {
        "team_id": TEAM_ID,
        "user_id": MENTEE,
        "command": "/mentor",
        "text": "help",
        "channel_id": "C0GENERAL",
        "trigger_id": "1.2.trigger",
        "response_url": "http://127.0.0.1:9/unused",
    }


def test_help_lists_the_run_modes(tmp_path):
    result = run_bot("--help", env=clean_env(), cwd=tmp_path)

    assert result.returncode == 0
    for mode in ("socket", "web", "clock", "migrate"):
        assert re.search(rf"^\s+{mode}\s", result.stdout, re.M), result.stdout


@pytest.mark.parametrize(
    ("mode", "env", "message"),
    [
        (
            "socket",
            {},
            "SLACK_BOT_TOKEN is not set: find it under OAuth & Permissions → Bot User OAuth Token",
        ),
        ("clock", {}, "SLACK_BOT_TOKEN is not set"),
        (
            "web",
            {"SLACK_BOT_TOKEN": BOT_TOKEN},
            "SLACK_SIGNING_SECRET is not set: find it under Basic Information",
        ),
        ("socket", {"SLACK_BOT_TOKEN": BOT_TOKEN}, "SLACK_APP_TOKEN is not set"),
        ("web", {"PORT": "http"}, "PORT must be a whole number"),
        (
            "socket",
            {
                "SLACK_CLIENT_ID": CLIENT_ID,
                "SLACK_CLIENT_SECRET": CLIENT_SECRET,
                "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            },
            "Socket Mode serves one workspace, with SLACK_BOT_TOKEN",
        ),
        ("web", {"SLACK_CLIENT_ID": CLIENT_ID}, "SLACK_CLIENT_SECRET is not set: OAuth mode"),
        ("migrate", {"DATABASE_URL": "mysql://x@y/z"}, "DATABASE_URL is not a database URL we can use"),
    ],
)
def test_configuration_problems_print_one_line_and_exit_2(tmp_path, mode, env, message):
    result = run_bot(mode, env=clean_env(**env), cwd=tmp_path)

    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines == [lines[0]] and message in lines[0], result.stderr


def test_a_token_slack_refuses_is_reported_plainly(tmp_path, fake_slack):
    env = app_env(fake_slack, f"sqlite:///{tmp_path / 'mn.db'}", SLACK_BOT_TOKEN="xoxb-wrong-token")

    result = run_bot("clock", env=env, cwd=tmp_path)

    assert result.returncode == 2
    assert "SLACK_BOT_TOKEN was refused by Slack (invalid_auth)" in result.stderr
    assert "xoxb-wrong-token" not in result.stderr


def test_an_unreachable_database_is_reported_plainly(tmp_path, fake_slack):
    env = app_env(fake_slack, "postgresql://nobody:secret@127.0.0.1:1/none")

    result = run_bot("clock", env=env, cwd=tmp_path)

    assert result.returncode == 2
    assert "cannot open the database in DATABASE_URL (postgresql+psycopg://nobody:***@127.0.0.1:1/none)" in (
        result.stderr
    )
    assert "secret" not in result.stderr


def test_migrate_creates_the_schema_on_a_fresh_sqlite_file(tmp_path):
    database = tmp_path / "fresh.db"

    result = run_bot("migrate", env=clean_env(DATABASE_URL=f"sqlite:///{database}"), cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    engine = make_engine(f"sqlite:///{database}")
    assert migrate.current_revision(engine) == migrate.head_revision()


@pytest.mark.postgres
def test_migrate_on_postgres(tmp_path):
    url = require_postgres()
    schema = "mn_cli_" + os.urandom(4).hex()
    admin = make_engine(url)
    with admin.begin() as connection:
        connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
    try:
        separator = "&" if "?" in url else "?"
        target = f"{url}{separator}options=-csearch_path%3D{schema}"
        result = run_bot("migrate", env=clean_env(DATABASE_URL=target), cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        assert migrate.current_revision(make_engine(target)) == migrate.head_revision()
    finally:
        with admin.begin() as connection:
            connection.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")


def test_socket_mode_answers_help_and_a_second_clock_is_refused(tmp_path, fake_slack):
    server = FakeSocketModeServer()
    fake_slack.socket_url = server.url
    database_url = f"sqlite:///{tmp_path / 'mn.db'}"
    process = start_bot("socket", env=app_env(fake_slack, database_url), cwd=tmp_path)
    try:
        server.wait_connected(timeout=30)
        server.send(
            {
                "envelope_id": "env-1",
                "type": "slash_commands",
                "accepts_response_payload": True,
                "payload": help_command_form(),
            }
        )
        ack = server.response_to("env-1")
        assert "/mentor help" in json.dumps(ack["payload"]["blocks"])

        second = run_bot("clock", env=app_env(fake_slack, database_url), cwd=tmp_path)
        assert second.returncode == 2
        assert "another clock is already running for the SQLite database" in second.stderr
    finally:
        output = stop(process)
        server.stop()
    assert process.returncode == 0, output
    assert BOT_TOKEN not in output and APP_TOKEN not in output
    # Started on an empty directory: the SQLite database was created and migrated.
    engine = make_engine(database_url)
    assert migrate.current_revision(engine) == migrate.head_revision()


def test_socket_mode_handler_from_the_sdk_drives_our_app(app, fake_slack):
    server = FakeSocketModeServer()
    fake_slack.socket_url = server.url
    handler = SocketModeHandler(app, APP_TOKEN)
    handler.connect()
    try:
        server.send(
            {
                "envelope_id": "env-2",
                "type": "slash_commands",
                "accepts_response_payload": True,
                "payload": {**help_command_form(), "text": "hlep"},
            }
        )
        ack = server.response_to("env-2")
    finally:
        handler.close()
        server.stop()
    assert "did you mean `/mentor help`?" in ack["payload"]["text"]


def procfile_command(name: str) -> str:
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.startswith(f"{name}:"):
            return line.split(":", 1)[1].strip()
    raise AssertionError(f"no {name} line in the Procfile")


def wait_for_http(url: str, timeout: float = 30) -> int:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_procfile_web_line_serves_slack_events_and_healthz(tmp_path, fake_slack):
    port = free_port()
    database_url = f"sqlite:///{tmp_path / 'mn.db'}"
    assert run_bot("migrate", env=clean_env(DATABASE_URL=database_url), cwd=tmp_path).returncode == 0
    command = procfile_command("web").replace("$PORT", str(port))
    env = app_env(fake_slack, database_url, PORT=str(port))
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    process = subprocess.Popen(
        command,
        shell=True,
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        assert wait_for_http(f"http://127.0.0.1:{port}/healthz") == 200
        body = urlencode(help_command_form())
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/slack/events", data=body.encode(), headers=sign(body), method="POST"
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            reply = json.loads(response.read())
        assert "/mentor help" in json.dumps(reply["blocks"])

        forged = urllib.request.Request(
            f"http://127.0.0.1:{port}/slack/events",
            data=body.encode(),
            headers=sign(body, secret="f" * 32),
            method="POST",
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(forged, timeout=10)
        assert refused.value.code == 401
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    assert BOT_TOKEN not in output


def test_procfile_release_line_migrates(tmp_path):
    database_url = f"sqlite:///{tmp_path / 'mn.db'}"
    command = procfile_command("release")
    env = clean_env(
        DATABASE_URL=database_url, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    )

    result = subprocess.run(
        command, shell=True, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60
    )

    assert result.returncode == 0, result.stderr
    engine = make_engine(database_url)
    assert migrate.current_revision(engine) == migrate.head_revision()


def test_clock_process_sends_what_is_due(tmp_path, fake_slack):
    database_url = f"sqlite:///{tmp_path / 'mn.db'}"
    engine = make_engine(database_url)
    migrate.upgrade(engine)
    with transaction(make_session_factory(engine)) as session:
        ensure_workspace(session, TEAM_ID)
        enqueue_message(
            session,
            team_id=TEAM_ID,
            recipient=MENTEE,
            dedupe_key="clock-test",
            due_at=datetime.now(UTC),
            text="Queued before the clock started",
        )
    process = start_bot("clock", env=app_env(fake_slack, database_url), cwd=tmp_path)
    try:
        fake_slack.wait_for("chat.postMessage", timeout=30)
    finally:
        output = stop(process)
    assert process.returncode == 0, output
    with make_session_factory(engine)() as session:
        delivery = session.scalars(select(Delivery)).one()
        assert delivery.status == DeliveryStatus.SENT
        assert session.get(Workspace, TEAM_ID).name == "Riverside Teaching Hospital"


def oauth_env(fake: FakeSlack, database_url: str, **extra: str) -> dict[str, str]:
    """OAuth mode: client credentials and the signing secret, no bot token."""
    values = {
        "SLACK_CLIENT_ID": CLIENT_ID,
        "SLACK_CLIENT_SECRET": CLIENT_SECRET,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": fake.api_url,
        "DATABASE_URL": database_url,
    }
    return clean_env(**{**values, **extra})


def test_procfile_web_line_in_oauth_mode_serves_the_install_page(tmp_path, fake_slack):
    port = free_port()
    database_url = f"sqlite:///{tmp_path / 'mn.db'}"
    assert run_bot("migrate", env=clean_env(DATABASE_URL=database_url), cwd=tmp_path).returncode == 0
    command = procfile_command("web").replace("$PORT", str(port))
    env = oauth_env(fake_slack, database_url, PORT=str(port))
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    process = subprocess.Popen(
        command,
        shell=True,
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        assert wait_for_http(f"http://127.0.0.1:{port}/healthz") == 200
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/slack/install", timeout=10) as response:
            page = response.read().decode()
            cookie = response.headers["Set-Cookie"]
        assert f"client_id={CLIENT_ID}" in page and "scope=commands" in page
        assert cookie.startswith("slack-app-oauth-state=")
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    assert CLIENT_SECRET not in output
    assert fake_slack.calls_to("auth.test") == []  # no token to check at start-up in OAuth mode


def test_clock_process_in_oauth_mode_sends_with_the_installations_token(tmp_path, fake_slack):
    from slack_sdk.oauth.installation_store import Installation
    from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore

    database_url = f"sqlite:///{tmp_path / 'mn.db'}"
    engine = make_engine(database_url)
    migrate.upgrade(engine)
    SQLAlchemyInstallationStore(client_id=CLIENT_ID, engine=engine).save(
        Installation(
            app_id="A0MENTOR1", team_id=TEAM_ID, bot_token=BOT_TOKEN, bot_id="B0BOT0001", user_id=MENTEE
        )
    )
    with transaction(make_session_factory(engine)) as session:
        ensure_workspace(session, TEAM_ID)
        enqueue_message(
            session,
            team_id=TEAM_ID,
            recipient=MENTEE,
            dedupe_key="oauth-clock-test",
            due_at=datetime.now(UTC),
            text="Queued for an installed workspace",
        )
    process = start_bot("clock", env=oauth_env(fake_slack, database_url), cwd=tmp_path)
    try:
        [sent] = fake_slack.wait_for("chat.postMessage", timeout=30)
    finally:
        output = stop(process)
    assert process.returncode == 0, output
    assert sent.token == BOT_TOKEN and BOT_TOKEN not in output
    with make_session_factory(engine)() as session:
        assert session.scalars(select(Delivery)).one().status == DeliveryStatus.SENT


def test_import_roster_in_oauth_mode_asks_which_workspace(tmp_path, fake_slack):
    roster = tmp_path / "roster.csv"
    roster.write_text("mentor,mentee\n")
    env = oauth_env(fake_slack, f"sqlite:///{tmp_path / 'mn.db'}")

    result = run_bot("import-roster", str(roster), env=env, cwd=tmp_path)

    assert result.returncode == 2
    assert "OAuth mode serves several workspaces: say which one with --team" in result.stderr
