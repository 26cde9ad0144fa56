"""How much the reflection planner costs per clock tick (run by hand, not by pytest).

    .venv/bin/python bench/bench_reflection_planner.py [--channels 1000] [--database-url URL]

Measures, on a fresh database with N channels set up:
  * an idle tick (nothing due): the price every channel-free minute pays;
  * the tick where every channel's prompt falls due at once (the worst case: all
    channels on the same rule and time), which inserts N prompt rows and N outbox rows.
Prints one Markdown table row per measurement for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bot.config import load_settings
from bot.db import make_engine, make_session_factory, transaction
from bot.deps import Deps
from bot.library.types import PRACTICE_KEYS
from bot.migrate import upgrade
from bot.reflections.service import configure_channel
from bot.reflections.types import ChannelSettings, DayRule
from schedules.reflection_planner import ReflectionPlanner

START = datetime(2027, 1, 1, 12, 0, tzinfo=UTC)
DUE = datetime(2027, 1, 5, 10, 0, tzinfo=UTC)  # first Tuesday, 10:00 London


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--channels", type=int, default=1000)
    parser.add_argument("--database-url", default=None, help="default: a SQLite file in a temp dir")
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    engine = make_engine(url)
    upgrade(engine)
    factory = make_session_factory(engine)
    now = [START]
    settings = load_settings({"DATABASE_URL": url}, dotenv_path=Path("/nonexistent"))
    deps = Deps(settings=settings, session_factory=factory, client=None, clock=lambda: now[0])  # type: ignore[arg-type]

    choices = ChannelSettings(DayRule.decode("first-tue"), 600, "Europe/London", PRACTICE_KEYS)
    with transaction(factory) as session:
        for n in range(args.channels):
            configure_channel(
                session,
                team_id="T0BENCH01",
                channel_id=f"C{n:08d}",
                admin_user_id="U0ADMIN01",
                choices=choices,
                now=START,
            )
    planner = ReflectionPlanner(deps)

    idle = []
    for _ in range(50):
        started = time.perf_counter()
        planner.run_once()
        idle.append((time.perf_counter() - started) * 1000)
    now[0] = DUE
    started = time.perf_counter()
    counts = planner.run_once()
    burst = (time.perf_counter() - started) * 1000
    backend = engine.dialect.name
    idle_ms = statistics.median(idle)
    print(
        f"| reflection planner, idle tick, {args.channels} channels, {backend} | {idle_ms:.1f} ms (median) |"
    )
    print(
        f"| reflection planner, {args.channels} prompts due at once, {backend} | {burst:.0f} ms ({counts}) |"
    )


if __name__ == "__main__":
    main()
