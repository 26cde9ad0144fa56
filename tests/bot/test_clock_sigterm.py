"""SIGTERM to the clock: it stops claiming at once, finishes the send in hand, exits 0."""

from __future__ import annotations

import signal
import time
from collections import Counter
from datetime import UTC, datetime

from sqlalchemy import select

from bot import migrate
from bot.db import make_engine, make_session_factory, transaction
from bot.models import Delivery, DeliveryStatus
from bot.outbox import enqueue_message
from bot.people import ensure_workspace
from tests.bot.test_run_modes import app_env, start_bot
from tests.conftest import MENTEE
from tests.fakes.slack_api import TEAM_ID

ROWS = 60
# Each post takes this long at the fake Slack: the whole fan-out would take 30 s.
SLACK_LATENCY = 0.5
EXIT_WITHIN = 25.0


def test_sigterm_stops_claiming_finishes_the_send_in_hand_and_exits_0(tmp_path, fake_slack):
    database_url = f"sqlite:///{tmp_path / 'mn.db'}"
    engine = make_engine(database_url)
    migrate.upgrade(engine)
    with transaction(make_session_factory(engine)) as session:
        ensure_workspace(session, TEAM_ID)
        for i in range(ROWS):
            enqueue_message(
                session,
                team_id=TEAM_ID,
                recipient=MENTEE,
                dedupe_key=f"sigterm:{i}",
                due_at=datetime.now(UTC),
                text=f"message {i}",
            )
    fake_slack.slow("chat.postMessage", SLACK_LATENCY, times=ROWS)
    process = start_bot("clock", env=app_env(fake_slack, database_url), cwd=tmp_path)
    try:
        fake_slack.wait_for("chat.postMessage", count=3, timeout=30)
        time.sleep(SLACK_LATENCY / 2)  # mid-call
        process.send_signal(signal.SIGTERM)
        signalled = time.monotonic()
        output, _ = process.communicate(timeout=EXIT_WITHIN + 5)
        took = time.monotonic() - signalled
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()

    assert process.returncode == 0, output
    assert took < EXIT_WITHIN, took
    assert "Traceback" not in output
    with make_session_factory(engine)() as session:
        states = Counter(session.scalars(select(Delivery.status)).all())
    posted = len(fake_slack.calls_to("chat.postMessage"))
    # Every call that went out was finished and recorded; nothing was left mid-send or
    # claimed; the rest wait, unsent, for the next clock.
    assert states[DeliveryStatus.SENT] == posted
    assert states[DeliveryStatus.SENDING] == states[DeliveryStatus.CLAIMED] == 0
    assert states[DeliveryStatus.INTERRUPTED] == 0
    assert states[DeliveryStatus.PENDING] == ROWS - posted > 0
    assert posted <= 3 + 2  # it stopped claiming at once: at most the call in hand went on
