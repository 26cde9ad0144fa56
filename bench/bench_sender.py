"""Outbox sender throughput: how long 1,000 due direct messages take to go out.

Run by hand (not in pytest):

    python bench/bench_sender.py [--rows 1000] [--postgres postgresql://postgres@127.0.0.1/test]

It queues N messages, runs the real sender against the fake Slack Web API (a real HTTP
server on 127.0.0.1, so every send is a real HTTP round trip), and reports wall time,
messages per second and peak Python memory. Paste the output into docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import tracemalloc
import uuid
from datetime import UTC, datetime
from pathlib import Path

# Run as a script from the repository: the fake Slack lives in tests/fakes.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, select, text

from bot.app import build_deps
from bot.config import load_settings
from bot.db import make_engine, make_session_factory, transaction
from bot.models import Base, Delivery, DeliveryStatus
from bot.outbox import enqueue_message
from bot.people import ensure_workspace
from bot.slack import make_client
from schedules.kinds import all_kinds
from schedules.sender import Sender
from tests.fakes.slack_api import BOT_TOKEN, TEAM_ID, FakeSlack


def run(database_url: str, rows: int, connect_args: dict[str, str] | None = None) -> dict[str, float]:
    """Queue `rows` DMs and send them all; returns timings."""
    engine = make_engine(database_url, connect_args=connect_args or {})
    Base.metadata.create_all(engine)
    with FakeSlack() as fake:
        for i in range(rows):
            fake.add_user(f"U{i:08d}", f"person{i}")
        settings = load_settings(
            {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_API_URL": fake.api_url, "DATABASE_URL": database_url},
            dotenv_path=Path("/nonexistent"),
        )
        deps = build_deps(
            settings, client=make_client(settings), session_factory=make_session_factory(engine)
        )
        now = datetime.now(UTC)
        with transaction(deps.session_factory) as session:
            ensure_workspace(session, TEAM_ID)
            for i in range(rows):
                enqueue_message(
                    session,
                    team_id=TEAM_ID,
                    recipient=f"U{i:08d}",
                    dedupe_key=f"bench:{i}",
                    due_at=now,
                    text="A short nudge, for the benchmark.",
                )
        sender = Sender(deps, all_kinds())
        tracemalloc.start()
        started = time.perf_counter()
        while sender.run_once().claimed:
            pass
        elapsed = time.perf_counter() - started
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        with deps.session_factory() as session:
            sent = session.scalar(select(func.count()).where(Delivery.status == DeliveryStatus.SENT))
        assert sent == rows == len(fake.calls_to("chat.postMessage")), (sent, rows)
    engine.dispose()
    return {"rows": rows, "seconds": elapsed, "per_second": rows / elapsed, "peak_mib": peak / 2**20}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--postgres", help="also run on this PostgreSQL URL (a throwaway schema is used)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        result = run(f"sqlite:///{tmp}/bench.db", args.rows)
        print(
            f"SQLite:     {result['rows']} DMs in {result['seconds']:.2f} s "
            f"({result['per_second']:.0f}/s), peak Python memory {result['peak_mib']:.1f} MiB"
        )
    if args.postgres:
        from bot.config import normalize_database_url

        url = normalize_database_url(args.postgres)
        schema = f"mn_bench_{uuid.uuid4().hex[:8]}"
        admin = make_engine(url)
        with admin.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
        try:
            result = run(url, args.rows, {"options": f"-csearch_path={schema}"})
            print(
                f"PostgreSQL: {result['rows']} DMs in {result['seconds']:.2f} s "
                f"({result['per_second']:.0f}/s), peak Python memory {result['peak_mib']:.1f} MiB"
            )
        finally:
            with admin.begin() as conn:
                conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))


if __name__ == "__main__":
    main()
