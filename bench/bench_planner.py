"""How a nudge-planner tick scales: with what is due, not with the roster.

Builds a roster of mentors (each with a mentee and eight weeks of answered history),
makes a chosen number of them due at the same instant, and times one planner pass
(`schedules.nudge_step.plan_due`, which is the clock's "nudges" step; no Slack) and its
peak Python memory (tracemalloc). Runs on a temporary SQLite file, and on PostgreSQL
when a URL is given (a throwaway schema is created and dropped).

    python bench/bench_planner.py                       # SQLite: rosters 1,000 and 10,000
    python bench/bench_planner.py --postgres postgresql://postgres@127.0.0.1:5432/test
    python bench/bench_planner.py --mentors 1000 10000 --due 0 10 1000 --repeat 3

Results are printed as a Markdown table for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import tracemalloc
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, insert, select, text, update

from bot.config import load_settings
from bot.db import make_engine, make_session_factory
from bot.models import Base, Delivery, NudgeAnswer, NudgeSend, Pair, Person, Workspace
from bot.nudges.types import NUDGE_KIND
from schedules.nudge_step import plan_due

TEAM = "TBENCH001"
# Tuesday 1 December 2026, 09:30 UTC: every mentor's default slot (Tuesday 09:30) in UTC.
NOW = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
HISTORY_WEEKS = 8
KEYS = [
    "care.week-really",
    "no_ego.their-plan-first",
    "listen.protected-fifteen",
    "autonomy.lead-one-decision",
]


@dataclass
class Result:
    backend: str
    roster: int
    due: int
    median_ms: float
    # CPU time of this process (time.process_time): on a shared machine the wall time
    # also counts waiting for the cores; CPU is what the tick itself costs us.
    median_cpu_ms: float
    peak_kib: float
    nudges: int


def build_roster(engine: Engine, mentors: int) -> list[int]:
    """Mentors with a mentee each and HISTORY_WEEKS of answered weekly nudges; none due."""
    later = NOW + timedelta(days=7)
    with engine.begin() as conn:
        conn.execute(insert(Workspace).values(team_id=TEAM, created_at=NOW, updated_at=NOW))
        common = {"team_id": TEAM, "tz": "UTC", "created_at": NOW, "updated_at": NOW}
        conn.execute(
            insert(Person),
            [{**common, "user_id": f"U{i:08d}", "next_nudge_at": later} for i in range(mentors)]
            + [{**common, "user_id": f"E{i:08d}", "next_nudge_at": None} for i in range(mentors)],
        )
        ids = dict(conn.execute(select(Person.user_id, Person.id)).all())
        mentor_ids = [ids[f"U{i:08d}"] for i in range(mentors)]
        conn.execute(
            insert(Pair),
            [
                {
                    "team_id": TEAM,
                    "mentor_id": ids[f"U{i:08d}"],
                    "mentee_id": ids[f"E{i:08d}"],
                    "started_at": NOW,
                }
                for i in range(mentors)
            ],
        )
        for week in range(1, HISTORY_WEEKS + 1):
            at = NOW - timedelta(weeks=week)
            conn.execute(
                insert(Delivery),
                [
                    {
                        "team_id": TEAM,
                        "kind": NUDGE_KIND,
                        "recipient": f"U{i:08d}",
                        "person_id": mentor_ids[i],
                        "dedupe_key": f"bench:{i}:{week}",
                        "payload": {},
                        "due_at": at,
                        "next_attempt_at": at,
                        "status": "sent",
                        "attempts": 1,
                        "sent_at": at,
                        "created_at": at,
                        "updated_at": at,
                    }
                    for i in range(mentors)
                ],
            )
            deliveries = dict(
                conn.execute(
                    select(Delivery.person_id, Delivery.id).where(Delivery.dedupe_key.like(f"bench:%:{week}"))
                ).all()
            )
            conn.execute(
                insert(NudgeSend),
                [
                    {
                        "team_id": TEAM,
                        "person_id": m,
                        "delivery_id": deliveries[m],
                        "nudge_key": KEYS[week % len(KEYS)],
                        "practice": KEYS[week % len(KEYS)].split(".")[0],
                        "origin": "scheduled",
                        "planned_for": at,
                        "sent_at": at,
                        "created_at": at,
                    }
                    for m in mentor_ids
                ],
            )
        sends = conn.execute(select(NudgeSend.id, NudgeSend.person_id)).all()
        conn.execute(
            insert(NudgeAnswer),
            [
                {
                    "team_id": TEAM,
                    "nudge_send_id": s,
                    "person_id": p,
                    "answer": "done",
                    "created_at": NOW,
                    "updated_at": NOW,
                }
                for s, p in sends
            ],
        )
    return mentor_ids


def measure(engine: Engine, backend: str, roster: int, due_counts: list[int], repeat: int) -> list[Result]:
    settings = load_settings({"DATABASE_URL": "sqlite://"})
    mentor_ids = build_roster(engine, roster)
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    session_factory = make_session_factory(engine)
    results = []
    fresh = iter(mentor_ids)
    left = roster
    for due in due_counts:
        # Each pass uses mentors not planned before (so every due mentor has real work).
        if due * (repeat + 1) > left:
            continue
        left -= due * (repeat + 1)
        times, cpu, peaks, nudges = [], [], [], 0
        for _ in range(repeat):
            group = [next(fresh) for _ in range(due)]
            with engine.begin() as conn:
                if group:
                    conn.execute(update(Person).where(Person.id.in_(group)).values(next_nudge_at=NOW))
            # Timed without tracemalloc (it slows Python down several-fold)…
            started, started_cpu = time.perf_counter(), time.process_time()
            report = plan_due(session_factory, settings, NOW)
            times.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
            assert report.mentors == due, report
            nudges += report.nudges
        # …and one more pass, for memory only.
        group = [next(fresh) for _ in range(due)]
        with engine.begin() as conn:
            if group:
                conn.execute(update(Person).where(Person.id.in_(group)).values(next_nudge_at=NOW))
        tracemalloc.start()
        plan_due(session_factory, settings, NOW)
        peaks.append(tracemalloc.get_traced_memory()[1] / 1024)
        tracemalloc.stop()
        results.append(
            Result(
                backend,
                roster,
                due,
                statistics.median(times),
                statistics.median(cpu),
                max(peaks),
                nudges // repeat,
            )
        )
    return results


def explain_due_query(engine: Engine) -> str:
    sql = "SELECT id FROM person WHERE next_nudge_at <= :now ORDER BY next_nudge_at, id LIMIT 200"
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            rows = conn.execute(text("EXPLAIN QUERY PLAN " + sql), {"now": NOW.replace(tzinfo=None)}).all()
            return "; ".join(str(r[-1]) for r in rows)
        rows = conn.execute(text("EXPLAIN " + sql), {"now": NOW}).all()
        return "; ".join(r[0].strip() for r in rows)


def run_sqlite(rosters: list[int], due: list[int], repeat: int) -> list[Result]:
    results = []
    for roster in rosters:
        with tempfile.TemporaryDirectory() as folder:
            engine = make_engine(f"sqlite:///{Path(folder) / 'bench.db'}")
            Base.metadata.create_all(engine)
            results += measure(engine, "SQLite", roster, due, repeat)
            print(f"  SQLite due-query plan: {explain_due_query(engine)}", file=sys.stderr)
            engine.dispose()
    return results


def run_postgres(url: str, rosters: list[int], due: list[int], repeat: int) -> list[Result]:
    from bot.config import normalize_database_url

    url = normalize_database_url(url)
    admin = make_engine(url)
    results = []
    for roster in rosters:
        schema = f"mn_bench_{uuid.uuid4().hex[:8]}"
        with admin.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
        engine = make_engine(url, connect_args={"options": f"-csearch_path={schema}"})
        try:
            Base.metadata.create_all(engine)
            results += measure(engine, "PostgreSQL", roster, due, repeat)
            print(f"  PostgreSQL due-query plan: {explain_due_query(engine)}", file=sys.stderr)
        finally:
            engine.dispose()
            with admin.begin() as conn:
                conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--mentors", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--due", type=int, nargs="+", default=[0, 10, 100, 1000, 2000])
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--postgres", metavar="URL", help="also run on this PostgreSQL server")
    args = parser.parse_args()
    results = run_sqlite(args.mentors, args.due, args.repeat)
    if args.postgres:
        results += run_postgres(args.postgres, args.mentors, args.due, args.repeat)
    load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"load average (1 / 5 / 15 min) at the end: {load}")
    print(
        "| backend | roster | due this tick | tick (median) | CPU (median) | per due mentor (wall / CPU)"
        " | peak Python memory |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for r in results:
        per = f"{r.median_ms / r.due:.2f} / {r.median_cpu_ms / r.due:.2f} ms" if r.due else "—"
        memory = f"{r.peak_kib / 1024:,.1f} MiB"
        print(
            f"| {r.backend} | {r.roster:,} | {r.due:,} | {r.median_ms:,.1f} ms | {r.median_cpu_ms:,.1f} ms"
            f" | {per} | {memory} |"
        )


if __name__ == "__main__":
    main()
