"""What feedback chats and the meeting log cost the clock (run by hand, not by pytest).

    .venv/bin/python bench/bench_conversations.py [--pairs 5000] [--history 20000] [--postgres URL]

On a fresh database with N active pairs:
  * the daily meeting-question planning over the whole roster, before the 20th (nothing
    to queue: the zone check per pair), on the 20th (every pair queued), and run again
    the same day (every question already queued);
  * the per-minute feedback step with H settled requests in the history and 1% of the
    pairs with an open one: it should cost what is open, not the history.
Prints one Markdown table row per measurement for docs/benchmarks.md. Without
`--postgres` it uses a SQLite file in a temp dir; with it, a throwaway schema that is
dropped afterwards.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, insert, select, text

from bot.config import load_settings, normalize_database_url
from bot.db import make_engine, make_session_factory, transaction
from bot.migrate import upgrade
from bot.models import FeedbackRequest, Pair, Person, Workspace
from schedules.feedback_step import settle_feedback
from schedules.meeting_step import plan_meeting_questions

TEAM = "T0BENCH01"
STARTED = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
BEFORE = datetime(2026, 12, 10, 3, 15, tzinfo=UTC)
PLANNING = datetime(2026, 12, 20, 3, 15, tzinfo=UTC)
ZONES = ("Europe/London", "America/New_York", "America/Los_Angeles", "Asia/Kolkata", "Australia/Sydney")


def build(factory, pairs: int, history: int) -> None:
    with transaction(factory) as session:
        session.add(Workspace(team_id=TEAM))
        session.flush()
        people = [
            {"team_id": TEAM, "user_id": f"U{n:09d}", "tz": ZONES[n % len(ZONES)]} for n in range(2 * pairs)
        ]
        session.execute(insert(Person), people)
        ids = dict(session.execute(select(Person.user_id, Person.id)).all())
        session.execute(
            insert(Pair),
            [
                {
                    "team_id": TEAM,
                    "mentor_id": ids[f"U{2 * n:09d}"],
                    "mentee_id": ids[f"U{2 * n + 1:09d}"],
                    "started_at": STARTED,
                }
                for n in range(pairs)
            ],
        )
        pair_rows = session.execute(select(Pair.id, Pair.mentor_id, Pair.mentee_id)).all()
        rows = []
        for n in range(history + pairs // 100):
            pair_id, mentor_id, mentee_id = pair_rows[n % len(pair_rows)]
            open_one = n >= history
            asked = PLANNING - timedelta(days=30 if not open_one else 1)
            rows.append(
                {
                    "team_id": TEAM,
                    "pair_id": pair_id,
                    "mentor_id": mentor_id,
                    "mentee_id": mentee_id,
                    "source": "command",
                    "status": "pending" if open_one else "talk",
                    "requested_at": asked,
                    "last_asked_at": asked,
                    "closes_at": asked + timedelta(days=7),
                    "sent_at": asked,
                }
            )
        session.execute(insert(FeedbackRequest), rows)


def timed(run) -> tuple[float, object]:
    started = time.perf_counter()
    result = run()
    return (time.perf_counter() - started) * 1000, result


@contextmanager
def database(postgres: str | None) -> Iterator[tuple[Engine, str]]:
    """A migrated, empty database: a SQLite file, or a throwaway PostgreSQL schema."""
    if postgres is None:
        url = f"sqlite:///{tempfile.mkdtemp()}/bench.db"
        engine = make_engine(url)
        upgrade(engine)
        yield engine, url
        engine.dispose()
        return
    url = normalize_database_url(postgres)
    admin = make_engine(url)
    schema = f"mn_bench_{uuid.uuid4().hex[:8]}"
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    engine = make_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    try:
        upgrade(engine)
        yield engine, url
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=5000)
    parser.add_argument("--history", type=int, default=20000)
    parser.add_argument("--postgres", default=None, help="a PostgreSQL URL (default: SQLite)")
    args = parser.parse_args()
    with database(args.postgres) as (engine, url):
        measure(engine, url, args.pairs, args.history)


def measure(engine: Engine, url: str, pairs: int, history: int) -> None:
    factory = make_session_factory(engine)
    settings = load_settings({"DATABASE_URL": url}, dotenv_path=Path("/nonexistent"))
    build(factory, pairs, history)
    backend = engine.dialect.name
    for label, when in (("before the 20th", BEFORE), ("on the 20th", PLANNING), ("again that day", PLANNING)):
        ms, counts = timed(lambda when=when: plan_meeting_questions(factory, settings, when))
        print(f"| meeting questions, daily, {pairs} pairs, {label}, {backend} | {ms:.0f} ms ({counts}) |")
    ticks = []
    for _ in range(30):
        ms, _counts = timed(lambda: settle_feedback(factory, settings, PLANNING))
        ticks.append(ms)
    print(
        f"| feedback step, {history} settled + {pairs // 100} open requests, {backend} | "
        f"{statistics.median(ticks):.1f} ms per tick (median) |"
    )


if __name__ == "__main__":
    main()
