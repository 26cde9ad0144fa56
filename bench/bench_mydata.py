"""What a person's own data costs: the export, forgetting, and the daily retention purge
(run by hand, not by pytest).

    .venv/bin/python bench/bench_mydata.py [--pairs 2000] [--nudges 150] [--postgres URL]

On a fresh database with N pairs whose mentors each have K nudges (with answers, notes
and outbox rows) and an audit row per pair:
  * `/mentor my-data` for one mentor (the walk over every table, and the two files);
  * `/mentor forget-me` for one mentor (its scans of the outbox and audit log for their
    id are over the workspace, so this is the one that grows with the program);
  * the retention purge when every note is old (first run), and again (nothing left).
Prints one Markdown table row per measurement for docs/benchmarks.md. Without
`--postgres` it uses a SQLite file in a temp dir; with it, a throwaway schema.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, insert, select, text

from bot.config import load_settings, normalize_database_url
from bot.db import SessionFactory, make_engine, make_session_factory, transaction
from bot.migrate import upgrade
from bot.models import AuditLog, Delivery, NudgeAnswer, NudgeSend, Pair, Person, Workspace
from bot.mydata.export import collect
from bot.mydata.forget import forget_me
from bot.mydata.retention import empty_old_text
from bot.mydata.summary import to_json, to_markdown

TEAM = "T0BENCH01"
START = datetime(2025, 1, 6, 9, 30, tzinfo=UTC)
NOW = datetime(2027, 12, 1, 14, 0, tzinfo=UTC)


@contextmanager
def database(postgres: str | None) -> Iterator[Engine]:
    if postgres is None:
        with tempfile.TemporaryDirectory() as folder:
            engine = make_engine(f"sqlite:///{Path(folder) / 'bench.db'}")
            upgrade(engine)
            yield engine
            engine.dispose()
        return
    url = normalize_database_url(postgres)
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = make_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    engine = make_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    try:
        upgrade(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def populate(session_factory: SessionFactory, pairs: int, nudges: int) -> None:
    with transaction(session_factory) as session:
        session.execute(insert(Workspace).values(team_id=TEAM))
        people = [
            {"team_id": TEAM, "user_id": f"U{i:09d}", "email": f"p{i}@example.org"} for i in range(2 * pairs)
        ]
        session.execute(insert(Person), people)
        ids = {user_id: pid for user_id, pid in session.execute(select(Person.user_id, Person.id))}
        session.execute(
            insert(Pair),
            [
                {"team_id": TEAM, "mentor_id": ids[f"U{2 * i:09d}"], "mentee_id": ids[f"U{2 * i + 1:09d}"]}
                | {"started_at": START, "next_pulse_at": None}
                for i in range(pairs)
            ],
        )
        for i in range(pairs):
            mentor = f"U{2 * i:09d}"
            deliveries = [
                {
                    "team_id": TEAM,
                    "kind": "nudge",
                    "recipient": mentor,
                    "person_id": ids[mentor],
                    "dedupe_key": f"nudge:{TEAM}:{mentor}:{k}",
                    "payload": {},
                    "due_at": START + timedelta(weeks=k),
                    "next_attempt_at": START + timedelta(weeks=k),
                    "status": "sent",
                }
                for k in range(nudges)
            ]
            session.execute(insert(Delivery), deliveries)
            sends = [
                {
                    "team_id": TEAM,
                    "person_id": ids[mentor],
                    "nudge_key": "care.ask-how",
                    "practice": "care",
                    "origin": "scheduled",
                    "planned_for": START + timedelta(weeks=k),
                    "sent_at": START + timedelta(weeks=k),
                }
                for k in range(nudges)
            ]
            session.execute(insert(NudgeSend), sends)
        send_ids = session.execute(select(NudgeSend.id, NudgeSend.person_id, NudgeSend.sent_at)).all()
        session.execute(
            insert(NudgeAnswer),
            [
                {"team_id": TEAM, "nudge_send_id": s, "person_id": p, "answer": "done", "answered_at": at}
                | {"note": "A short note about how it went.", "note_at": at}
                for s, p, at in send_ids
            ],
        )
        session.execute(
            insert(AuditLog),
            [
                {"team_id": TEAM, "actor_user_id": "U0ADMIN01", "action": "pair.start"}
                | {"target": f"U{2 * i:09d}>U{2 * i + 1:09d}", "detail": {"pair_id": i + 1}}
                for i in range(pairs)
            ],
        )


def timed(what: Callable[[], object]) -> tuple[float, object]:
    started = time.perf_counter()
    result = what()
    return (time.perf_counter() - started) * 1000, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=2000)
    parser.add_argument("--nudges", type=int, default=150)
    parser.add_argument("--postgres")
    args = parser.parse_args()
    settings = load_settings({"SLACK_BOT_TOKEN": "xoxb-bench", "DATABASE_URL": "sqlite://"}, dotenv_path=None)
    backend = "PostgreSQL" if args.postgres else "SQLite"
    with database(args.postgres) as engine:
        session_factory = make_session_factory(engine)
        populate(session_factory, args.pairs, args.nudges)
        mentor = f"U{2 * (args.pairs // 2):09d}"

        def export() -> int:
            with transaction(session_factory) as session:
                data = collect(session, TEAM, mentor, NOW)
            return len(to_json(data)) + len(to_markdown(data))

        def forget() -> object:
            with transaction(session_factory) as session:
                return forget_me(session, settings, team_id=TEAM, user_id=mentor, now=NOW)

        def purge() -> object:
            with transaction(session_factory) as session:
                return empty_old_text(session, days=180, now=NOW).counts()

        label = f"{backend}, {args.pairs} pairs × {args.nudges} nudges"
        ms, size = timed(export)
        print(f"| {label} | `/mentor my-data` for one mentor ({size // 1024} KB of files) | {ms:.0f} ms |")
        ms, _ = timed(forget)
        print(f"| {label} | `/mentor forget-me` for one mentor | {ms:.0f} ms |")
        ms, counts = timed(purge)
        print(f"| {label} | retention purge, first run ({counts}) | {ms:.0f} ms |")
        ms, counts = timed(purge)
        print(f"| {label} | retention purge, again ({counts}) | {ms:.0f} ms |")


if __name__ == "__main__":
    main()
