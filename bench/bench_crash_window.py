"""The crash window, measured: kill -9 a sending clock at random moments of a fan-out.

Run by hand (not in the default test run; tests/test_bench_crash_window.py runs it tiny):

    python bench/bench_crash_window.py [--rows 500] [--kills 20] [--seed 7]

It queues N direct messages, then starts a sender process, lets it run for a random
moment (0 to 300 ms after it is ready), kills it with SIGKILL, and starts the next one,
`--kills` times; a last sender then finishes the fan-out. The fake Slack (a real HTTP
server in this process) counts what it really posted, per message. It reports:

* duplicates: messages posted more than once (the promise: 0);
* interrupted: rows found in `sending` after a kill and not resent (at most one a kill,
  because a sender has at most one row in `sending` at a time);
* whether each interrupted message had in fact reached Slack or not;
* rows left open (must be 0: nothing silently dropped).

Paste the output into docs/operations.md.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Run as a script from the repository: the fake Slack lives in tests/fakes.
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

from bot.app import build_deps  # noqa: E402
from bot.config import load_settings  # noqa: E402
from bot.db import make_engine, make_session_factory, transaction  # noqa: E402
from bot.migrate import upgrade  # noqa: E402
from bot.models import Delivery, DeliveryStatus  # noqa: E402
from bot.outbox import enqueue_message  # noqa: E402
from bot.people import ensure_workspace  # noqa: E402
from bot.slack import make_client  # noqa: E402
from schedules.kinds import all_kinds  # noqa: E402
from schedules.pacing import Pacer  # noqa: E402
from schedules.sender import Sender  # noqa: E402
from tests.fakes.slack_api import BOT_TOKEN, TEAM_ID, FakeSlack  # noqa: E402

# A short lease so a killed sender's claims come back within the run (production: 5 min).
LEASE_SECONDS = 1.0
# Each post takes a little while at the fake Slack, as at the real one: kills land
# mid-call often enough to exercise the window.
SLACK_LATENCY_SECONDS = 0.004
READY = "sender ready"


@dataclass
class CrashReport:
    """What a run found; `ok` when every promise held."""

    rows: int
    kills: int
    sent: int = 0
    interrupted: int = 0
    interrupted_delivered: int = 0
    open_rows: int = 0
    duplicates: int = 0
    most_sending_at_a_kill: int = 0
    # Kills that found a row in `sending` (the window itself): a run with none proves little.
    kills_in_window: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """0 duplicates, nothing left open, at most one interrupted message per kill."""
        return (
            self.duplicates == 0
            and self.open_rows == 0
            and self.most_sending_at_a_kill <= 1
            and self.interrupted <= self.kills
            and self.sent + self.interrupted == self.rows
        )


def settings_for(database_url: str, api_url: str):
    """Settings for the bench's sender processes (no .env file is read)."""
    return load_settings(
        {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_API_URL": api_url, "DATABASE_URL": database_url},
        dotenv_path=Path("/nonexistent"),
    )


def child(database_url: str, api_url: str) -> None:
    """One sender process: send until nothing is open (or until it is killed)."""
    settings = settings_for(database_url, api_url)
    engine = make_engine(database_url)
    deps = build_deps(settings, client=make_client(settings), session_factory=make_session_factory(engine))
    # Pacing to Slack's limits (about one post a second after a burst) would leave the
    # sender waiting for a slot most of the time: a kill would rarely land mid-send.
    unpaced = Pacer(per_minute=600_000, conversation_spacing=0.0, workspace_burst=1000)
    sender = Sender(deps, all_kinds(), lease=timedelta(seconds=LEASE_SECONDS), pacer=unpaced)
    print(READY, flush=True)
    open_states = DeliveryStatus.OPEN
    while True:
        report = sender.run_once()
        with deps.session_factory() as session:
            still_open = session.scalar(select(func.count()).where(Delivery.status.in_(open_states)))
        if not still_open:
            return
        if not report.claimed:
            time.sleep(0.1)  # a dead sender's lease has to run out first


def _start_child(database_url: str, api_url: str) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, __file__, "--child", "--database-url", database_url, "--api-url", api_url],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    if READY not in line:
        process.kill()
        raise RuntimeError(f"the sender process did not start: {line!r}")
    return process


def _queue(database_url: str, rows: int) -> None:
    engine = make_engine(database_url)
    upgrade(engine)
    factory = make_session_factory(engine)
    now = datetime.now(UTC)
    with transaction(factory) as session:
        ensure_workspace(session, TEAM_ID)
        for i in range(rows):
            enqueue_message(
                session,
                team_id=TEAM_ID,
                recipient=f"U{i:08d}",
                dedupe_key=f"crash:{i}",
                due_at=now,
                text=f"crash-window message {i}",
            )
    engine.dispose()


def _sending_by(database_url: str, pid: int) -> int:
    """Rows the killed sender process left in `sending` (its worker id is host:pid:…)."""
    engine = make_engine(database_url)
    with make_session_factory(engine)() as session:
        found = session.scalar(
            select(func.count()).where(
                Delivery.status == DeliveryStatus.SENDING, Delivery.claimed_by.like(f"%:{pid}:%")
            )
        )
    engine.dispose()
    return found or 0


def run(
    rows: int = 500,
    kills: int = 20,
    seed: int = 7,
    database_url: str | None = None,
    kill_after: tuple[float, float] = (0.0, 0.3),
) -> CrashReport:
    """Queue `rows` messages, kill `kills` sender processes at random moments (`kill_after`
    seconds after each is ready, uniformly), finish, tally."""
    rng = random.Random(seed)
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp, FakeSlack() as fake:
        url = database_url or f"sqlite:///{tmp}/crash.db"
        for i in range(rows):
            fake.add_user(f"U{i:08d}", f"person{i}")
        fake.slow("chat.postMessage", SLACK_LATENCY_SECONDS, times=rows * 10)
        _queue(url, rows)
        report = CrashReport(rows=rows, kills=kills)
        for _ in range(kills):
            process = _start_child(url, fake.api_url)
            time.sleep(rng.uniform(*kill_after))
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
            left = _sending_by(url, process.pid)
            report.most_sending_at_a_kill = max(report.most_sending_at_a_kill, left)
            report.kills_in_window += 1 if left else 0
        # The last sender takes back the killed senders' leases and finishes the fan-out.
        last = _start_child(url, fake.api_url)
        last.wait(timeout=600)
        _tally(report, url, fake)
    report.seconds = time.monotonic() - started
    return report


def _tally(report: CrashReport, url: str, fake: FakeSlack) -> None:
    posted = Counter(message["text"] for found in fake.messages.values() for message in found)
    report.duplicates = sum(1 for times in posted.values() if times > 1)
    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        rows = session.execute(select(Delivery.dedupe_key, Delivery.status)).all()
    engine.dispose()
    by_status = Counter(status for _key, status in rows)
    report.sent = by_status[DeliveryStatus.SENT]
    report.interrupted = by_status[DeliveryStatus.INTERRUPTED]
    report.open_rows = sum(by_status[s] for s in DeliveryStatus.OPEN)
    report.interrupted_delivered = sum(
        1
        for key, status in rows
        if status == DeliveryStatus.INTERRUPTED and posted[f"crash-window message {key.split(':')[1]}"]
    )


def describe(report: CrashReport) -> str:
    """The report as the lines pasted into docs/operations.md."""
    return "\n".join(
        [
            f"{report.rows} messages, {report.kills} kill -9 at random moments, {report.seconds:.1f} s",
            f"  sent and recorded:          {report.sent}",
            f"  interrupted (not resent):   {report.interrupted} "
            f"({report.interrupted_delivered} had reached Slack, "
            f"{report.interrupted - report.interrupted_delivered} had not)",
            f"  duplicates at Slack:        {report.duplicates}",
            f"  rows left open:             {report.open_rows}",
            f"  most rows in 'sending' at a kill: {report.most_sending_at_a_kill}",
            f"  kills that hit a row in 'sending': {report.kills_in_window} of {report.kills}",
            f"  promises kept:              {'yes' if report.ok else 'NO'}",
        ]
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=500)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database-url", help="PostgreSQL URL (default: a SQLite file)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--api-url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.database_url, args.api_url)
        return 0
    report = run(args.rows, args.kills, args.seed, args.database_url)
    print(describe(report))
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
