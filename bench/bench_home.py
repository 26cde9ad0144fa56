"""What the program view costs: the admin's Home tab and the director digest
(run by hand, not by pytest).

    .venv/bin/python bench/bench_home.py [--pairs 2000] [--nudges 150] [--postgres URL]

On the same program as bench_mydata.py (N pairs whose mentors each have K answered
nudges), with a meeting logged for every other pair: building the admin's Home (the
month's figures, the pairs that need attention, 100 blocks at most), rendering one
digest (two periods' figures and the flagged pairs), and the attention rules alone.
Prints one Markdown table row per measurement for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
from datetime import UTC, timedelta

from bench_mydata import NOW, TEAM, database, populate, timed
from sqlalchemy import insert, select

from bot.attention.service import flagged_pairs
from bot.config import load_settings
from bot.db import make_session_factory, transaction
from bot.home.service import build_home
from bot.models import MeetingLog, Pair, Person
from bot.program.figures import people_now, program_figures, pulse_count

ADMIN = "U0ADMIN01"


def add_meetings_and_admin(session_factory, pairs: int) -> None:
    with transaction(session_factory) as session:
        session.execute(insert(Person).values(team_id=TEAM, user_id=ADMIN, is_admin=True))
        rows = session.execute(select(Pair.id, Pair.mentor_id, Pair.mentee_id).order_by(Pair.id)).all()
        session.execute(
            insert(MeetingLog),
            [
                {
                    "team_id": TEAM,
                    "pair_id": p,
                    "mentor_id": m,
                    "mentee_id": e,
                    "month": "2027-11",
                    "minutes": 30,
                }
                | {"practices": ["care"], "source": "command", "recorded_at": NOW - timedelta(days=10)}
                for p, m, e in rows[::2]
            ],
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=2000)
    parser.add_argument("--nudges", type=int, default=150)
    parser.add_argument("--postgres")
    args = parser.parse_args()
    backend = "PostgreSQL" if args.postgres else "SQLite"
    with database(args.postgres) as engine:
        settings = load_settings(
            {"SLACK_BOT_TOKEN": "xoxb-bench", "DATABASE_URL": "sqlite://", "SECRET_KEY": "b" * 40},
            dotenv_path=None,
        )
        session_factory = make_session_factory(engine)
        populate(session_factory, args.pairs, args.nudges)
        add_meetings_and_admin(session_factory, args.pairs)

        def home() -> int:
            with transaction(session_factory) as session:
                return len(build_home(session, settings, TEAM, ADMIN, NOW)["blocks"])

        def digest() -> int:
            with transaction(session_factory) as session:
                fortnight = timedelta(days=14)
                program_figures(session, TEAM, NOW - fortnight, NOW, UTC)
                program_figures(session, TEAM, NOW - 2 * fortnight, NOW - fortnight, UTC)
                people_now(session, TEAM, NOW)
                pulse_count(session, settings, TEAM, NOW)
                return len(flagged_pairs(session, TEAM, NOW))

        def attention() -> int:
            with transaction(session_factory) as session:
                return len(flagged_pairs(session, TEAM, NOW))

        label = f"{backend}, {args.pairs} pairs × {args.nudges} nudges"
        for _ in range(2):  # the first run warms caches; both are printed
            ms, blocks = timed(home)
            print(f"| {label} | admin Home ({blocks} blocks) | {ms:.0f} ms |")
            ms, flagged = timed(digest)
            print(f"| {label} | one digest's figures and flags ({flagged} flagged) | {ms:.0f} ms |")
            ms, _ = timed(attention)
            print(f"| {label} | pairs that need attention alone | {ms:.0f} ms |")


if __name__ == "__main__":
    main()
