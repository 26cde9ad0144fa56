"""Fan-out through Slack's rate limits: how close the clock gets to the allowed rate
(run by hand).

A fake Slack that enforces the limits Slack publishes for `chat.postMessage` — one post a
second per conversation (after a burst of three) and a workspace-wide budget per minute
(600 by default) — answers 429 with `Retry-After` beyond them. The outbox holds
`--messages` direct messages, all due now; each clock process sends as the scheduler
runs it (`Clock.send_loop`: passes back to back, beside the minute's planners), until
every row is settled. Reported, per setting:

* the achieved rate as a share of the allowed rate (the baseline: the workspace budget),
  measured from the first post to the last;
* 429s, rows lost (not sent) and doubled (two posts to one person); ticks skipped is
  always 0 now that sending runs outside the tick (kept for the before rows);
* on PostgreSQL, two clock processes against one, run back to back on the same data;
  they share one pacing schedule per workspace (`send_pace`, schedules/pacing.py);
* the clock processes' CPU time and the load average, the machine being shared.

    .venv/bin/python bench/bench_fanout.py [--messages 1200] [--per-minute 600]
        [--tick-seconds 60] [--postgres postgresql://postgres@127.0.0.1:5432/test]
        [--settings sqlite pg1 pg2 pg2-apart]
"""

from __future__ import annotations

import argparse
import collections
import itertools
import multiprocessing
import os
import resource
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, select, text

from bot.app import build_deps
from bot.config import load_settings
from bot.db import make_engine, make_session_factory, transaction
from bot.migrate import upgrade
from bot.models import Delivery, DeliveryStatus, utcnow
from bot.outbox import enqueue_message
from bot.people import ensure_workspace
from bot.slack import REQUEST_TIMEOUT_SECONDS, make_client
from schedules.clock import SEND_PASS_SECONDS, TICK_INTERVAL_SECONDS, Clock
from schedules.kinds import all_kinds
from schedules.pacing import PACED_SHARE, pacer_for
from schedules.sender import Sender
from tests.fakes.slack_api import BOT_TOKEN, TEAM_ID, FakeSlack

CONVERSATION_BURST = 3


class LimitedSlack(FakeSlack):
    """The fake Slack with `chat.postMessage`'s published limits enforced."""

    def __init__(self, per_minute: int) -> None:
        super().__init__()
        self.per_minute = per_minute
        self.window: dict[str, collections.deque[float]] = collections.defaultdict(collections.deque)
        self.channel_next: dict[str, float] = {}
        self.limited = 0
        self.posted_at: list[float] = []
        self._limits = threading.Lock()

    def handle(self, method: str, args: dict[str, Any], token: str | None) -> tuple[int, dict[str, str], Any]:
        if method == "chat.postMessage":
            wait = self._admit(str(args.get("channel")))
            if wait is not None:
                return 429, {"Retry-After": str(wait)}, {"ok": False, "error": "ratelimited"}
        return super().handle(method, args, token)

    def _admit(self, channel: str) -> int | None:
        """None when the post may go (and it is counted), else seconds to wait."""
        with self._limits:
            now = time.monotonic()
            window = self.window[TEAM_ID]
            while window and window[0] <= now - 60:
                window.popleft()
            free_at = self.channel_next.get(channel, now)
            if len(window) >= self.per_minute or free_at > now + CONVERSATION_BURST - 1:
                self.limited += 1
                later = max(window[0] + 60 - now if len(window) >= self.per_minute else 0, free_at - now)
                return max(1, round(later))
            window.append(now)
            self.channel_next[channel] = max(free_at, now) + 1.0
            self.posted_at.append(now)
            return None


# --- data ------------------------------------------------------------------------------------------


@contextmanager
def database(postgres: str | None) -> Iterator[str]:
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


def environ(url: str, api_url: str) -> dict[str, str]:
    return {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_API_URL": api_url, "DATABASE_URL": url}


def queue_messages(url: str, fake: FakeSlack, messages: int, tag: str) -> None:
    """`messages` direct messages to distinct people, all due now."""
    engine = make_engine(url)
    upgrade(engine)
    factory = make_session_factory(engine)
    now = utcnow()
    with transaction(factory) as session:
        ensure_workspace(session, TEAM_ID)
        for i in range(messages):
            user = f"U{tag}{i:06d}"
            fake.add_user(user, tz="UTC")
            enqueue_message(
                session, team_id=TEAM_ID, recipient=user, dedupe_key=f"{tag}:{i}", due_at=now, text="Fan-out"
            )
    engine.dispose()


def open_rows(url: str) -> int:
    engine = make_engine(url)
    with engine.connect() as connection:
        count = connection.execute(
            select(func.count()).select_from(Delivery).where(Delivery.status.in_(DeliveryStatus.OPEN))
        ).scalar_one()
    engine.dispose()
    return int(count)


# --- clocks -----------------------------------------------------------------------------------------


def run_clock(
    url: str,
    api_url: str,
    per_minute: int,
    tick_seconds: float,
    deadline: float,
    out: Any,
    start_after: float,
) -> None:
    """One clock process sending as the scheduler runs it (`Clock.send_loop`, passes
    back to back beside the minute's planners) until nothing is open (or the deadline),
    starting `start_after` seconds after the start."""
    settings = load_settings(environ(url, api_url), dotenv_path=Path("/nonexistent/.env"))
    engine = make_engine(url)
    deps = build_deps(settings, client=make_client(settings), session_factory=make_session_factory(engine))
    # The production pacer, scaled when the fake's budget is not Slack's 600 a minute.
    # Its worst post is scaled with the tick too: the production 10 s (the posting client's
    # timeout) would not fit a shortened tick at all.
    worst_post = min(REQUEST_TIMEOUT_SECONDS, tick_seconds / 6)
    # On PostgreSQL the clocks share one schedule per workspace in the database.
    pacer = pacer_for(deps.session_factory, per_minute=int(per_minute * PACED_SHARE))
    sender = Sender(deps, all_kinds(), pacer=pacer, post_seconds=worst_post)
    clock = Clock(deps, sender=sender, tick_seconds=tick_seconds)
    clock.pass_seconds = SEND_PASS_SECONDS * tick_seconds / TICK_INTERVAL_SECONDS
    time.sleep(start_after)
    loop = threading.Thread(target=clock.send_loop)
    loop.start()
    while time.monotonic() < deadline and open_rows(url) > 0:
        time.sleep(0.5)
    clock.stop()
    loop.join()
    # Sending no longer runs inside the minute's tick, so no tick is ever skipped for it.
    ticks, skipped = 0, 0
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out.put({"ticks": ticks, "skipped": skipped, "peak_mib": peak_mib, "cpu_s": time.process_time()})


@dataclass
class Result:
    label: str
    messages: int
    seconds: float
    share: float
    limited: int
    skipped: int
    lost: int
    doubled: int
    clock_mib: float
    # CPU seconds of the clock processes, summed (the machine is shared: wall time alone
    # says little about what the clocks themselves cost).
    clock_cpu: float
    load: float
    # Time between posts spent in pauses over 2 s: where no clock was sending at all.
    idle: float


def idle_seconds(posts: list[float], longer_than: float = 2.0) -> float:
    """Time spent in pauses between posts longer than `longer_than`: nobody was sending."""
    pauses = (later - earlier for earlier, later in itertools.pairwise(posts))
    return sum(pause for pause in pauses if pause > longer_than)


def measure(
    label: str,
    postgres: str | None,
    *,
    clocks: int,
    messages: int,
    per_minute: int,
    tick_seconds: float,
    stagger: float = 0.0,
) -> Result:
    """One setting: `clocks` clock processes, each starting `stagger` seconds after the last."""
    fake = LimitedSlack(per_minute).start()
    try:
        with database(postgres) as url:
            queue_messages(url, fake, messages, uuid.uuid4().hex[:4].upper())
            context = multiprocessing.get_context("spawn")
            out = context.Queue()
            deadline = time.monotonic() + 3 * 60 * messages / per_minute + 120
            processes = [
                context.Process(
                    target=run_clock,
                    args=(url, fake.api_url, per_minute, tick_seconds, deadline, out, index * stagger),
                )
                for index in range(clocks)
            ]
            for process in processes:
                process.start()
            reports = [out.get(timeout=max(1.0, deadline - time.monotonic() + 60)) for _ in processes]
            for process in processes:
                process.join()
            lost = open_rows(url)
    finally:
        fake.stop()
    posts = sorted(fake.posted_at)
    doubled = sum(len(sent) - 1 for sent in fake.messages.values() if len(sent) > 1)
    span = posts[-1] - posts[0] if len(posts) > 1 else 0.0
    # The allowed rate: the workspace budget, after the burst Slack lets through at once.
    allowed = (len(posts) - 1) / (per_minute / 60) if len(posts) > 1 else 0.0
    return Result(
        label,
        len(posts),
        span,
        allowed / span if span else 0.0,
        fake.limited,
        sum(r["skipped"] for r in reports),
        lost,
        doubled,
        max(r["peak_mib"] for r in reports),
        sum(r["cpu_s"] for r in reports),
        os.getloadavg()[0],
        idle_seconds(posts),
    )


def report(results: list[Result], per_minute: int) -> str:
    lines = [
        f"| setting | sent | first → last post | share of {per_minute}/min | 429s "
        "| ticks skipped | lost | doubled | clock peak RSS | clocks' CPU | load (1 min) "
        "| idle (pauses > 2 s) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r.label} | {r.messages} | {r.seconds:.1f} s | {r.share:.1%} | {r.limited} | {r.skipped} "
            f"| {r.lost} | {r.doubled} | {r.clock_mib:.0f} MiB | {r.clock_cpu:.1f} s | {r.load:.1f} "
            f"| {r.idle:.1f} s |"
        )
    return "\n".join(lines)


# Settings by name: label, clock processes, and how far apart they start (in ticks).
SETTINGS = {
    "sqlite": ("SQLite, one clock", 1, 0.0),
    "pg1": ("PostgreSQL, one clock", 1, 0.0),
    "pg2": ("PostgreSQL, two clocks", 2, 0.0),
    "pg2-apart": ("PostgreSQL, two clocks half a tick apart", 2, 0.5),
}


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1200)
    parser.add_argument("--per-minute", type=int, default=600)
    parser.add_argument("--tick-seconds", type=float, default=60.0)
    parser.add_argument("--postgres", default=os.environ.get("TEST_DATABASE_URL"))
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument(
        "--settings",
        nargs="+",
        choices=SETTINGS,
        default=["sqlite", "pg1", "pg2"],
        help="pg2-apart: two clocks started half a tick apart, as processes started separately",
    )
    args = parser.parse_args(argv)
    options = {"messages": args.messages, "per_minute": args.per_minute, "tick_seconds": args.tick_seconds}
    results = []
    for name in args.settings:
        label, clocks, stagger = SETTINGS[name]
        postgres = None if name == "sqlite" else args.postgres
        if (name == "sqlite" and args.no_sqlite) or (name != "sqlite" and not postgres):
            continue
        stagger_seconds = stagger * args.tick_seconds
        results.append(measure(label, postgres, clocks=clocks, stagger=stagger_seconds, **options))
    table = report(results, args.per_minute)
    print(table)
    return table


if __name__ == "__main__":
    main()
