"""Benchmark: roster import through the command line, 1,000 / 10,000 / 100,000 pairs.

Run by hand from the project root (not part of the test suite):

    .venv/bin/python bench/bench_roster_import.py
    .venv/bin/python bench/bench_roster_import.py --sizes 1000 10000 100000 --rounds 3
    TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test .venv/bin/python bench/bench_roster_import.py

Each size is measured as `import-roster FILE --apply` does it (`bot.roster.cli.import_roster`:
read, resolve through the fake Slack's `users.list`, plan, apply, on a fresh database) and
as a ratio against a baseline measured in the same run: a plain `executemany` INSERT of
the same number of rows into a table shaped like `pair`, on its own fresh database.
Rounds interleave baseline and import for every size; the table shows medians.

`--steps` gives the older per-step table (dry run, apply, re-import dry run, with peak
Python memory under tracemalloc) for one size.
"""

from __future__ import annotations

import argparse
import io
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
import tracemalloc
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine, text  # noqa: E402

from bot.app import build_deps  # noqa: E402
from bot.config import load_settings, normalize_database_url  # noqa: E402
from bot.db import make_engine, make_session_factory, transaction  # noqa: E402
from bot.deps import Deps  # noqa: E402
from bot.migrate import upgrade  # noqa: E402
from bot.roster.apply import apply_plan  # noqa: E402
from bot.roster.cli import import_roster  # noqa: E402
from bot.roster.plan import check_roster  # noqa: E402
from bot.slack import make_client  # noqa: E402

DOMAIN = "riverside.example"
TEAM_ID = "T0TEST001"  # the fake's workspace


# --- the fake Slack, in its own process ----------------------------------------------------


def _serve_fake(mentors: int, mentees: int, bystanders: int, ready: Any, commands: Any, results: Any) -> None:
    from tests.fakes.slack_api import FakeSlack

    with FakeSlack() as fake:
        for i in range(mentors):
            fake.add_user(f"U1M{i:06d}", f"mentor{i}", tz="America/Chicago", email=f"mentor{i}@{DOMAIN}")
        for i in range(mentees):
            fake.add_user(f"U2E{i:06d}", f"mentee{i}", tz="Europe/Dublin", email=f"mentee{i}@{DOMAIN}")
        for i in range(bystanders):
            fake.add_user(f"U3X{i:06d}", f"staff{i}", email=f"staff{i}@{DOMAIN}")
        ready.put((fake.api_url, len(fake.users)))
        while True:
            command = commands.get()
            if command == "stop":
                return
            if command == "counts":
                results.put(dict(Counter(call.method for call in fake.calls)))
                fake.reset_calls()


class FakeSlackProcess:
    """FakeSlack running in a child process, so its allocations stay out of our measurements."""

    def __init__(self, mentors: int, mentees: int, bystanders: int) -> None:
        context = multiprocessing.get_context("spawn")
        self._ready, self._commands, self._results = context.Queue(), context.Queue(), context.Queue()
        self._process = context.Process(
            target=_serve_fake,
            args=(mentors, mentees, bystanders, self._ready, self._commands, self._results),
            daemon=True,
        )
        self._process.start()
        self.api_url, self.members = self._ready.get(timeout=120)

    def counts(self) -> dict[str, int]:
        """Slack calls since the last time we asked."""
        self._commands.put("counts")
        return self._results.get(timeout=30)

    def stop(self) -> None:
        self._commands.put("stop")
        self._process.join(timeout=10)


# --- databases ---------------------------------------------------------------------------------


@contextmanager
def sqlite_database() -> Iterator[str]:
    with tempfile.TemporaryDirectory() as folder:
        yield f"sqlite:///{Path(folder) / 'bench.db'}"


@contextmanager
def postgres_database(url: str) -> Iterator[str]:
    schema = f"mn_bench_{uuid.uuid4().hex[:8]}"
    admin = make_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    separator = "&" if "?" in url else "?"
    try:
        yield f"{url}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def fresh_deps(database_url: str, api_url: str) -> tuple[Deps, Engine]:
    settings = load_settings(
        {
            "SLACK_BOT_TOKEN": "xoxb-1111-2222-fakebottoken",
            "SLACK_API_URL": api_url,
            "DATABASE_URL": database_url,
        },
        dotenv_path=Path("/nonexistent/.env"),
    )
    engine = make_engine(settings.database_url)
    upgrade(engine)
    deps = build_deps(settings, client=make_client(settings), session_factory=make_session_factory(engine))
    return deps, engine


# --- the measured steps ------------------------------------------------------------------------


def roster_csv(pairs: int) -> bytes:
    lines = ["Mentor Email,Mentee Email,Cohort"]
    lines += [f"Mentor{i}@{DOMAIN}, mentee{i}@{DOMAIN} ,IM 2027" for i in range(pairs)]
    return ("\n".join(lines) + "\n").encode("utf-8-sig")


@dataclass
class Step:
    name: str
    seconds: float
    peak_mb: float | None
    slack_calls: dict[str, int]
    outcome: str


def steps(deps: Deps, data: bytes) -> list[tuple[str, Callable[[], str]]]:
    state: dict[str, Any] = {}

    def dry_run() -> str:
        plan = check_roster(
            deps.client,
            deps.session_factory,
            team_id=TEAM_ID,
            data=data,
            source="bench.csv",
            end_missing=False,
            now=deps.now(),
        )
        state["plan"] = plan
        return f"{len(plan.add)} to add, {len(plan.errors)} errors"

    def apply() -> str:
        with transaction(deps.session_factory) as session:
            result = apply_plan(
                session, deps.settings, team_id=TEAM_ID, plan=state["plan"], actor="bench", now=deps.now()
            )
        return f"{result.added} added, {result.welcomed} welcomes queued"

    def reimport() -> str:
        plan = check_roster(
            deps.client,
            deps.session_factory,
            team_id=TEAM_ID,
            data=data,
            source="bench.csv",
            end_missing=True,
            now=deps.now(),
        )
        return f"{plan.change_count} changes, {len(plan.present)} present"

    return [("dry run", dry_run), ("apply", apply), ("re-import dry run", reimport)]


def measure(backend: str, database: Callable[[], Any], fake: FakeSlackProcess, data: bytes) -> list[Step]:
    timed: list[Step] = []
    with database() as url:
        deps, engine = fresh_deps(url, fake.api_url)
        fake.counts()
        for name, step in steps(deps, data):
            started = time.perf_counter()
            outcome = step()
            timed.append(Step(name, time.perf_counter() - started, None, fake.counts(), outcome))
        engine.dispose()
    with database() as url:  # same steps again on a fresh database, under tracemalloc
        deps, engine = fresh_deps(url, fake.api_url)
        for (_name, step), row in zip(steps(deps, data), timed, strict=True):
            tracemalloc.start()
            step()
            row.peak_mb = tracemalloc.get_traced_memory()[1] / 1_048_576
            tracemalloc.stop()
        fake.counts()
        engine.dispose()
    print(f"  {backend}: done", file=sys.stderr)
    return timed


# --- the CLI path against a plain executemany, interleaved ------------------------------------

BASELINE_TABLE = """CREATE TABLE bench_pair (
    id INTEGER PRIMARY KEY, team_id VARCHAR(32) NOT NULL, mentor_id INTEGER NOT NULL,
    mentee_id INTEGER NOT NULL, cohort VARCHAR(80), started_at TIMESTAMP NOT NULL,
    created_by VARCHAR(32) NOT NULL)"""


def baseline_seconds(database_url: str, pairs: int) -> float:
    """A plain executemany of `pairs` rows into a table shaped like `pair`: the floor."""
    engine = make_engine(database_url)
    with engine.begin() as connection:
        connection.execute(text(BASELINE_TABLE))
    rows = [
        {"t": TEAM_ID, "m": 2 * i, "e": 2 * i + 1, "c": "IM 2027", "s": "2026-12-01 12:00:00", "b": "bench"}
        for i in range(pairs)
    ]
    insert = text(
        "INSERT INTO bench_pair (team_id, mentor_id, mentee_id, cohort, started_at, created_by) "
        "VALUES (:t, :m, :e, :c, :s, :b)"
    )
    started = time.perf_counter()
    with engine.begin() as connection:
        connection.execute(insert, rows)
    seconds = time.perf_counter() - started
    engine.dispose()
    return seconds


def cli_seconds(database_url: str, api_url: str, path: Path, pairs: int) -> tuple[float, float]:
    """`import-roster FILE --apply` on a fresh database: (wall, CPU) seconds of this process
    (the fake Slack's own CPU is in its process); checks every pair and welcome arrived."""
    deps, engine = fresh_deps(database_url, api_url)
    out = io.StringIO()
    started, cpu = time.perf_counter(), time.process_time()
    status = import_roster(
        deps, team_id=TEAM_ID, path=path, apply=True, end_missing=False, out=out, confirm=None, actor="bench"
    )
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    with engine.connect() as connection:
        made = connection.execute(text("SELECT count(*) FROM pair")).scalar_one()
        welcomes = connection.execute(
            text("SELECT count(*) FROM delivery WHERE dedupe_key LIKE 'welcome:%'")
        ).scalar_one()
    engine.dispose()
    if status != 0 or made != pairs or welcomes != 2 * pairs:
        raise RuntimeError(f"import of {pairs} pairs: exit {status}, {made} pairs, {welcomes} welcomes")
    return seconds, cpu


@dataclass
class SizeResult:
    pairs: int
    cli: list[float]
    baseline: list[float]
    cpu: list[float] = field(default_factory=list)
    load: list[float] = field(default_factory=list)  # 1-minute load average after each import

    @property
    def ratio(self) -> float:
        return statistics.median(self.cli) / statistics.median(self.baseline)


def measure_sizes(
    backend: str, database: Callable[[], Any], fakes: dict[int, FakeSlackProcess], rounds: int
) -> list[SizeResult]:
    """Interleaved rounds: in each, every size's baseline then its import, each on a fresh database.

    Each size has its own fake workspace (its people and a few bystanders), so the
    `users.list` sweep grows with the file, as it would for a program that size.
    """
    sizes = sorted(fakes)
    results = {n: SizeResult(n, [], []) for n in sizes}
    with tempfile.TemporaryDirectory() as folder:
        files = {n: Path(folder) / f"roster-{n}.csv" for n in sizes}
        for n, path in files.items():
            path.write_bytes(roster_csv(n))
        for round_number in range(rounds):
            for n in sizes:
                with database() as url:
                    results[n].baseline.append(baseline_seconds(url, n))
                with database() as url:
                    wall, cpu = cli_seconds(url, fakes[n].api_url, files[n], n)
                results[n].cli.append(wall)
                results[n].cpu.append(cpu)
                results[n].load.append(os.getloadavg()[0])
                print(
                    f"  {backend}: round {round_number + 1}, {n:,} pairs: {wall:.2f} s, {cpu:.2f} s CPU, "
                    f"load {results[n].load[-1]:.1f}",
                    file=sys.stderr,
                )
    return list(results.values())


def size_report(results: dict[str, list[SizeResult]], bystanders: int) -> str:
    lines = [
        f"### Roster import through the CLI (workspace: the file's people and {bystanders:,} others)\n",
        "| database | pairs | `import-roster --apply` (median) | its CPU time (median) "
        "| plain executemany (median) | ratio | per pair | load average | rounds |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for backend, rows in results.items():
        for row in rows:
            cli, floor = statistics.median(row.cli), statistics.median(row.baseline)
            loads = f"{min(row.load):.1f}–{max(row.load):.1f}" if len(row.load) > 1 else f"{row.load[0]:.1f}"
            lines.append(
                f"| {backend} | {row.pairs:,} | {cli:.2f} s | {statistics.median(row.cpu):.2f} s "
                f"| {floor * 1000:.0f} ms | {row.ratio:.0f}× | {cli / row.pairs * 1000:.2f} ms | {loads} "
                f"| {len(row.cli)} |"
            )
    return "\n".join(lines)


def backends() -> list[tuple[str, Callable[[], Any]]]:
    found: list[tuple[str, Callable[[], Any]]] = [("SQLite", sqlite_database)]
    pg = os.environ.get("TEST_DATABASE_URL")
    if pg:
        pg_url = normalize_database_url(pg)
        found.append(("PostgreSQL", lambda: postgres_database(pg_url)))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--bystanders", type=int, default=100, help="other workspace members (users.list pages)"
    )
    parser.add_argument("--steps", type=int, metavar="PAIRS", help="the per-step table for this many pairs")
    args = parser.parse_args()
    if args.steps:
        fake = FakeSlackProcess(args.steps, args.steps, args.bystanders)
        try:
            data = roster_csv(args.steps)
            steps_results = {name: measure(name, database, fake, data) for name, database in backends()}
            print(steps_report(steps_results, args.steps, fake.members, data))
        finally:
            fake.stop()
        return
    fakes = {n: FakeSlackProcess(n, n, args.bystanders) for n in set(args.sizes)}
    try:
        size_results = {name: measure_sizes(name, db, fakes, args.rounds) for name, db in backends()}
        print(size_report(size_results, args.bystanders))
    finally:
        for fake in fakes.values():
            fake.stop()


def steps_report(results: dict[str, list[Step]], pairs: int, members: int, data: bytes) -> str:
    lines = [
        f"\n### Roster import: {pairs} pairs, {2 * pairs:,} people, "
        f"{members:,} workspace members ({len(data) / 1024:.0f} kB CSV)\n",
        "| database | step | wall time | peak Python memory | Slack calls | outcome |",
        "|---|---|---:|---:|---|---|",
    ]
    for backend, rows in results.items():
        for row in rows:
            calls = ", ".join(f"{m} ×{n}" for m, n in sorted(row.slack_calls.items())) or "none"
            cells = [backend, row.name, f"{row.seconds:.2f} s", f"{row.peak_mb:.1f} MB", calls, row.outcome]
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
