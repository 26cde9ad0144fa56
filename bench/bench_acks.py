"""Acknowledgement times under load: our app against a bare Bolt app (run by hand).

Both apps are served by the Procfile's `web` line (gunicorn, 2 workers × 4 threads,
gthread, --preload), on the same machine, talking to the same fake Slack Web API. A
client with 20 threads sends signed requests as fast as each is answered:

* `/mentor help` (our app checks who is an admin and builds the help blocks);
* a nudge's **Done** click (our app acks, then records the answer and updates the
  message with `chat.update`; the bare app only acks).

Rounds alternate which app goes first; each round waits until the previous app's
after-ack work (its `chat.update` calls) has finished. The table gives the median over
rounds of each round's p50 and p99, their ratio to the bare app, the slowest request of
all, the median rate, and the resident memory of each gunicorn worker at the end.

    .venv/bin/python bench/bench_acks.py [--rounds 7] [--requests 400] [--concurrency 20]
        [--postgres postgresql://postgres@127.0.0.1:5432/test]   (or TEST_DATABASE_URL)
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shlex
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from bot.app import build_deps  # noqa: E402
from bot.db import make_engine, make_session_factory  # noqa: E402
from bot.migrate import upgrade  # noqa: E402
from bot.nudges.blocks import DONE  # noqa: E402
from bot.slack import make_client  # noqa: E402
from schedules.clock import Clock  # noqa: E402
from tests.conftest import ADMIN, TEST_SECRET_KEY, settings_for  # noqa: E402
from tests.fakes.clock import MovableClock  # noqa: E402
from tests.fakes.slack_api import BOT_TOKEN, TEAM_ID, FakeSlack  # noqa: E402
from tests.fakes.slack_requests import SIGNING_SECRET, sign  # noqa: E402
from tests.nudge_helpers import make_mentor  # noqa: E402

# Tuesday 1 December 2026, 09:30 in London: the default nudge slot.
SLOT = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
OUR_APP = "bot.web:create_wsgi_app()"
BARE_APP = "bench.bare_bolt_app:create_wsgi_app()"


# --- the two servers -------------------------------------------------------------------------


def procfile_web_line() -> list[str]:
    """The Procfile's `web` command, split, with the app path at the end."""
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.startswith("web:"):
            return shlex.split(line.partition(":")[2])
    raise SystemExit("Procfile has no web line")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    """One gunicorn serving one app on a local port."""

    name: str
    port: int
    process: subprocess.Popen[bytes]

    def worker_rss_mib(self) -> list[tuple[float, float]]:
        """(resident, proportional) memory of each gunicorn worker (the master's children).

        With --preload the workers share the pages the master loaded (the privacy name
        lists, the libraries) until they write to them: RSS counts those pages in every
        worker, PSS divides them among the processes sharing them.
        """
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        sizes = []
        for pid in children:
            fields = {}
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
                name, _, value = line.partition(":")
                fields[name] = int(value.split()[0]) / 1024
            sizes.append((fields["Rss"], fields["Pss"]))
        return sizes

    def cpu_seconds(self) -> float:
        """User + system CPU time the gunicorn workers (the master's children) have used."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        ticks = 0
        for pid in children:
            # Fields after the command's closing parenthesis: utime and stime are 12 and 13.
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
            ticks += int(fields[11]) + int(fields[12])
        return ticks / os.sysconf("SC_CLK_TCK")


@contextmanager
def serve(name: str, app_path: str, environ: dict[str, str], log: Path) -> Iterator[Server]:
    """Start gunicorn with the Procfile's flags for `app_path`; stop it afterwards."""
    port = free_port()
    command = [
        part.replace("$PORT", str(port)).replace("0.0.0.0", "127.0.0.1") for part in procfile_web_line()
    ]
    command = [sys.executable, "-m", *command[:-1], app_path]
    with log.open("wb") as output:
        process = subprocess.Popen(
            command, cwd=ROOT, env={**os.environ, **environ}, stdout=output, stderr=output
        )
    server = Server(name, port, process)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise SystemExit(f"{name} did not start; see {log}:\n{log.read_text()[-2000:]}")
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                connection.request("GET", "/healthz")
                if connection.getresponse().status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"{name} did not answer /healthz within 60 s; see {log}")
            time.sleep(0.1)
        yield server
    finally:
        # SIGQUIT is gunicorn's quick shutdown (SIGTERM waits out its graceful timeout).
        # Its workers still finish their after-ack work (bot.gunicorn_hooks), which on a
        # loaded machine can take a while.
        process.send_signal(signal.SIGQUIT)
        process.wait(timeout=90)


# --- requests ----------------------------------------------------------------------------------


def help_body(fake: FakeSlack, user_id: str) -> tuple[str, str]:
    form = {
        "token": "legacy",
        "team_id": TEAM_ID,
        "team_domain": "riverside",
        "channel_id": "C0GENERAL",
        "channel_name": "general",
        "user_id": user_id,
        "user_name": user_id.lower(),
        "command": "/mentor",
        "text": "help",
        "api_app_id": "A0MENTOR1",
        "response_url": fake.response_url("cmd"),
        "trigger_id": f"{uuid.uuid4().hex}.trigger",
    }
    return urlencode(form), "application/x-www-form-urlencoded"


def done_body(fake: FakeSlack, nudge: dict[str, str]) -> tuple[str, str]:
    payload = {
        "type": "block_actions",
        "team": {"id": TEAM_ID, "domain": "riverside"},
        "user": {"id": nudge["user"], "username": nudge["user"].lower(), "team_id": TEAM_ID},
        "api_app_id": "A0MENTOR1",
        "trigger_id": f"{uuid.uuid4().hex}.trigger",
        "actions": [{"action_id": DONE, "block_id": "actions", "type": "button", "value": nudge["value"]}],
        "response_url": fake.response_url("action"),
        "container": {"type": "message", "message_ts": nudge["ts"], "channel_id": nudge["channel"]},
        "channel": {"id": nudge["channel"]},
    }
    return urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded"


def post(port: int, body: str, content_type: str) -> tuple[float, int]:
    """One signed POST on a fresh connection, as Slack sends them: (seconds, status)."""
    headers = {"Content-Type": content_type, **sign(body, secret=SIGNING_SECRET)}
    started = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("POST", "/slack/events", body=body.encode(), headers=headers)
        response = connection.getresponse()
        response.read()
        status = response.status
    finally:
        connection.close()
    return time.perf_counter() - started, status


@dataclass
class Burst:
    latencies: list[float]
    seconds: float
    failures: int
    # The workers' CPU time for the burst and the after-ack work it left (until settled).
    cpu: float = 0.0

    def pct(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def burst(port: int, bodies: Callable[[int], tuple[str, str]], count: int, concurrency: int) -> Burst:
    """`count` requests from `concurrency` threads, each sending its next as soon as answered."""
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        results = list(pool.map(lambda i: post(port, *bodies(i)), range(count)))
    return Burst(
        [r[0] for r in results], time.perf_counter() - started, sum(1 for r in results if r[1] != 200)
    )


def settle(fake: FakeSlack, quiet: float = 0.3, limit: float = 60.0) -> None:
    """Wait until the fake Slack has had no call for `quiet` seconds (after-ack work done)."""
    deadline = time.monotonic() + limit
    seen = -1
    while time.monotonic() < deadline:
        count = len(fake.calls)
        if count == seen:
            return
        seen = count
        time.sleep(quiet)


# --- set-up --------------------------------------------------------------------------------------


def seed(fake: FakeSlack, database_url: str, mentors: int) -> list[dict[str, str]]:
    """Mentors who each got a real nudge through the clock: the Done buttons to click."""
    engine = make_engine(database_url)
    upgrade(engine)
    settings = settings_for(fake, database_url)
    clock = MovableClock(SLOT)
    deps = build_deps(
        settings, client=make_client(settings), session_factory=make_session_factory(engine), clock=clock
    )
    users = [f"U0BENCH{i:04d}" for i in range(mentors)]
    for user in users:
        fake.add_user(user, tz="Europe/London")
        make_mentor(deps.session_factory, user, now=SLOT - timedelta(hours=1), tz="Europe/London")
    fake.add_user("U0MENTEE1", tz="Europe/London")
    Clock(deps).tick()
    nudges = []
    for user in users:
        [call] = fake.dms_to(user)
        channel = "D" + user[1:]
        value = next(
            element["value"]
            for block in call.blocks or []
            for element in block.get("elements", [])
            if element.get("action_id") == DONE
        )
        nudges.append(
            {"user": user, "channel": channel, "ts": fake.messages[channel][0]["ts"], "value": value}
        )
    engine.dispose()
    return nudges


@contextmanager
def database(postgres: str | None) -> Iterator[str]:
    """A fresh SQLite file, or a throwaway PostgreSQL schema."""
    if postgres is None:
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{folder}/bench.db"
        return
    schema = f"mn_bench_{uuid.uuid4().hex[:8]}"
    admin = make_engine(postgres)
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    separator = "&" if "?" in postgres else "?"
    try:
        yield f"{postgres}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


# --- the measurement ---------------------------------------------------------------------------


@dataclass
class Row:
    backend: str
    scenario: str
    app: str
    p50: float
    p99: float
    worst: float
    rate: float
    failures: int
    cpu_ms: float = 0.0  # workers' CPU per request, after-ack work included


def measure(
    backend: str,
    postgres: str | None,
    *,
    rounds: int,
    requests: int,
    concurrency: int,
    mentors: int,
    only: str | None = None,
) -> tuple[list[Row], dict[str, list[tuple[float, float]]]]:
    """Both apps on one database, interleaved rounds; returns table rows and worker memory."""
    with FakeSlack() as fake, database(postgres) as url, tempfile.TemporaryDirectory() as logs:
        nudges = seed(fake, url, mentors)
        environ = {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": fake.api_url,
            "DATABASE_URL": url,
            "ADMIN_USER_IDS": ADMIN,
            "SECRET_KEY": TEST_SECRET_KEY,
        }
        scenarios: dict[str, Callable[[int], tuple[str, str]]] = {
            "`/mentor help`": lambda i: help_body(fake, nudges[i % len(nudges)]["user"]),
            "nudge **Done** click": lambda i: done_body(fake, nudges[i % len(nudges)]),
        }
        if only:
            scenarios = {name: body for name, body in scenarios.items() if only.lower() in name.lower()}
        with (
            serve("ours", OUR_APP, environ, Path(logs) / "ours.log") as ours,
            serve("bare", BARE_APP, environ, Path(logs) / "bare.log") as bare,
        ):
            samples = interleaved(fake, [ours, bare], scenarios, rounds, requests, concurrency)
            memory = {server.name: server.worker_rss_mib() for server in (ours, bare)}
    return [
        summarize(backend, scenario, name, bursts) for (scenario, name), bursts in samples.items()
    ], memory


def interleaved(
    fake: FakeSlack,
    servers: list[Server],
    scenarios: dict[str, Callable[[int], tuple[str, str]]],
    rounds: int,
    requests: int,
    concurrency: int,
) -> dict[tuple[str, str], list[Burst]]:
    """Warm both servers up, then the rounds, alternating which app goes first."""
    for server in servers:  # warm up: imports, Bolt's auth.test, connection pools
        for body in scenarios.values():
            burst(server.port, body, 4 * concurrency, concurrency)
    settle(fake)
    samples: dict[tuple[str, str], list[Burst]] = {}
    for round_number in range(rounds):
        order = servers if round_number % 2 == 0 else servers[::-1]
        for scenario, body in scenarios.items():
            for server in order:
                cpu_before = server.cpu_seconds()
                sample = burst(server.port, body, requests, concurrency)
                settle(fake)
                sample.cpu = server.cpu_seconds() - cpu_before
                samples.setdefault((scenario, server.name), []).append(sample)
    return samples


def summarize(backend: str, scenario: str, app: str, bursts: list[Burst]) -> Row:
    """One table row: medians over rounds of p50, p99, rate and CPU per request."""
    return Row(
        backend,
        scenario,
        app,
        statistics.median(b.pct(0.50) for b in bursts) * 1000,
        statistics.median(b.pct(0.99) for b in bursts) * 1000,
        max(max(b.latencies) for b in bursts) * 1000,
        statistics.median(len(b.latencies) / b.seconds for b in bursts),
        sum(b.failures for b in bursts),
        statistics.median(b.cpu / len(b.latencies) for b in bursts) * 1000,
    )


def report(rows: list[Row], memory: dict[str, dict[str, list[tuple[float, float]]]]) -> str:
    """The Markdown table for docs/benchmarks.md."""
    lines = [
        "| database | request | p50 ours / bare | ratio | p99 ours / bare | ratio | slowest (ours) "
        "| requests/s ours / bare | CPU ms/request ours / bare | failed |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    by_key = {(r.backend, r.scenario, r.app): r for r in rows}
    for backend, scenario in dict.fromkeys((r.backend, r.scenario) for r in rows):
        ours, bare = by_key[(backend, scenario, "ours")], by_key[(backend, scenario, "bare")]
        lines.append(
            f"| {backend} | {scenario} | {ours.p50:.1f} / {bare.p50:.1f} ms | {ours.p50 / bare.p50:.2f}× "
            f"| {ours.p99:.1f} / {bare.p99:.1f} ms | {ours.p99 / bare.p99:.2f}× | {ours.worst:.0f} ms "
            f"| {ours.rate:.0f} / {bare.rate:.0f} | {ours.cpu_ms:.2f} / {bare.cpu_ms:.2f} "
            f"| {ours.failures + bare.failures} |"
        )
    lines.append("")
    for backend, apps in memory.items():
        shown = "; ".join(
            f"{name} " + ", ".join(f"{rss:.0f} MiB RSS ({pss:.0f} PSS)" for rss, pss in sizes)
            for name, sizes in apps.items()
        )
        lines.append(f"Gunicorn workers' memory after the run ({backend}): {shown}.")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--requests", type=int, default=400, help="requests per app, scenario and round")
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--mentors", type=int, default=40, help="mentors whose nudges are clicked")
    parser.add_argument("--postgres", default=os.environ.get("TEST_DATABASE_URL"))
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--only", help="run only the request whose name contains this (help, done)")
    args = parser.parse_args(argv)
    backends = ([] if args.no_sqlite else [("SQLite", None)]) + (
        [("PostgreSQL", args.postgres)] if args.postgres else []
    )
    rows, memory = [], {}
    for backend, postgres in backends:
        measured, memory[backend] = measure(
            backend,
            postgres,
            rounds=args.rounds,
            requests=args.requests,
            concurrency=args.concurrency,
            mentors=args.mentors,
            only=args.only,
        )
        rows += measured
    table = report(rows, memory)
    # The machine's load at the end: the ratios are only as steady as it was.
    table += "\nLoad average (1, 5, 15 min) at the end: " + ", ".join(f"{v:.2f}" for v in os.getloadavg())
    print(table)
    return table


if __name__ == "__main__":
    main()
