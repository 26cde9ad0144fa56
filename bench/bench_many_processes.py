"""Many processes, one truth: gunicorn workers and several clocks on one PostgreSQL.

Run by hand (not in the default test run; PostgreSQL needed):

    python bench/bench_many_processes.py --database-url postgresql://postgres@127.0.0.1/test \
        [--pairs 1000] [--days 14] [--clocks 2] [--workers 3]

It pairs N mentors with N mentees (welcomes are queued), turns reflection prompts on in
a few channels, then starts `--clocks` clock processes and a gunicorn with `--workers`
workers serving `bot.web:create_wsgi_app()`. Time is fast-forwarded: the clocks read
"now" from a shared file that this script moves on, step by step, over `--days` days;
at each step both clocks tick (housekeeping too, once a day). Meanwhile mentors answer
some of their nudges through gunicorn (Done, or Remind me tomorrow, which queues a
reminder the clocks must send once).

At the end every message the fake Slack received is matched to the outbox: each posted
message must be exactly one `sent` row (its channel and ts), and no row may be posted
twice. Paste the output into docs/operations.md.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import select, text  # noqa: E402

from bot.config import load_settings, normalize_database_url  # noqa: E402
from bot.db import make_engine, make_session_factory, transaction  # noqa: E402
from bot.directory import Profile  # noqa: E402
from bot.migrate import upgrade  # noqa: E402
from bot.models import Delivery, DeliveryStatus  # noqa: E402
from bot.people import ensure_workspace  # noqa: E402
from bot.reflections.service import configure_channel  # noqa: E402
from bot.reflections.types import ChannelSettings, DayRule  # noqa: E402
from bot.roster.service import pair_people  # noqa: E402
from tests.fakes.slack_api import BOT_TOKEN, TEAM_ID, FakeSlack  # noqa: E402
from tests.fakes.slack_requests import SIGNING_SECRET, sign  # noqa: E402

ADMIN = "U0ADMIN01"
ZONES = ("Europe/London", "America/New_York", "America/Chicago", "Asia/Kolkata", "Australia/Sydney")
CHANNELS = ("C0WARDA01", "C0WARDB01", "C0WARDC01")
SECRET_KEY = "bench-secret-key-0123456789abcdefghijkl"
STOP = "stop"


def _env(database_url: str, api_url: str, port: int | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR")}
    env.update(
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=api_url,
        DATABASE_URL=database_url,
        SECRET_KEY=SECRET_KEY,
        ADMIN_USER_IDS=ADMIN,
        LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
    )
    if port is not None:
        env["PORT"] = str(port)
    return env


# --- a clock process on the shared, fast-forwarded time ------------------------------------


def clock_child(time_file: Path, ack_file: Path) -> None:
    """Tick whenever the shared time moves; run housekeeping once per fake day."""
    from bot.app import build_deps
    from bot.slack import make_client
    from schedules.clock import Clock

    settings = load_settings(dotenv_path=Path("/nonexistent"))
    engine = make_engine(settings.database_url)
    state = {"now": datetime.now(UTC)}
    deps = build_deps(
        settings,
        client=make_client(settings),
        session_factory=make_session_factory(engine),
        clock=lambda: state["now"],
    )
    clock = Clock(deps)
    # The daily profile refresh paces itself to Slack's rate limits (minutes for 2,000
    # people) and sends nothing: left out, so a fast-forwarded day stays short.
    clock.daily_steps = [(name, step) for name, step in clock.daily_steps if name != "profile_refresh"]
    seen, last_day = "", None
    while True:
        current = time_file.read_text().strip() if time_file.exists() else ""
        if current == STOP:
            return
        if not current or current == seen:
            time.sleep(0.005)
            continue
        seen = current
        state["now"] = datetime.fromisoformat(current)
        clock.tick()
        if last_day != state["now"].date() and state["now"].hour >= 3:
            last_day = state["now"].date()
            clock.housekeeping()
        ack_file.write_text(current)


# --- the orchestra --------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _seed(url: str, fake: FakeSlack, pairs: int, start: datetime) -> None:
    from bot.config import Settings  # noqa: F401  (settings below)

    settings = load_settings(_env(url, fake.api_url), dotenv_path=Path("/nonexistent"))
    factory = make_session_factory(make_engine(url))
    rng = random.Random(11)
    fake.add_user(ADMIN, "admin")
    for i in range(pairs):
        fake.add_user(f"U0MR{i:05d}", f"mentor{i}", tz=rng.choice(ZONES))
        fake.add_user(f"U0ME{i:05d}", f"mentee{i}", tz=rng.choice(ZONES))
    for channel in CHANNELS:
        fake.add_channel(channel, channel.lower())
    with transaction(factory) as session:
        ensure_workspace(session, TEAM_ID)
        for i in range(pairs):
            mentor = Profile.from_slack(fake.users[f"U0MR{i:05d}"].as_slack())
            mentee = Profile.from_slack(fake.users[f"U0ME{i:05d}"].as_slack())
            pair_people(
                session,
                settings,
                team_id=TEAM_ID,
                actor=ADMIN,
                mentor=mentor,
                mentee=mentee,
                cohort=None,
                now=start,
            )
        for channel in CHANNELS:
            rule = DayRule.decode("first-mon")
            choices = ChannelSettings(rule, 600, "Europe/London", ("listen", "care"), True, True)
            configure_channel(
                session, team_id=TEAM_ID, channel_id=channel, admin_user_id=ADMIN, choices=choices, now=start
            )


def _click(port: int, user: str, action_id: str, value: str, channel: str, message: dict) -> int:
    payload = {
        "type": "block_actions",
        "team": {"id": TEAM_ID, "domain": "bench"},
        "user": {"id": user, "username": user.lower(), "team_id": TEAM_ID},
        "api_app_id": "A0MENTOR1",
        "trigger_id": f"{uuid.uuid4().int % 10**9}.trigger",
        "actions": [{"action_id": action_id, "block_id": "actions", "type": "button", "value": value}],
        "container": {
            "type": "message",
            "message_ts": message["ts"],
            "channel_id": channel,
            "is_ephemeral": False,
        },
        "channel": {"id": channel},
        "message": message,
    }
    body = urlencode({"payload": json.dumps(payload)})
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/slack/events",
        data=body.encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded", **sign(body)},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status


def _answer_some(port: int, fake: FakeSlack, answered: set[str], rng: random.Random) -> int:
    """Mentors answer about a third of the nudges they have not answered yet."""
    clicks = 0
    for channel, messages in list(fake.messages.items()):
        if not channel.startswith("D0MR"):
            continue
        for message in list(messages):
            if message["ts"] in answered:
                continue
            answered.add(message["ts"])
            buttons = [
                e
                for b in message.get("blocks") or []
                for e in b.get("elements", [])
                if e.get("action_id") in ("nudge_done", "nudge_remind")
            ]
            if not buttons or rng.random() > 0.33:
                continue
            button = rng.choice(buttons)
            _click(port, "U" + channel[1:], button["action_id"], button["value"], channel, message)
            clicks += 1
    return clicks


def run(database_url: str, pairs: int, days: int, clocks: int, workers: int, step_minutes: int) -> dict:
    """Seed, run the processes over the fast-forwarded days, tally; returns the numbers."""
    base = normalize_database_url(database_url)
    schema = f"mn_many_{uuid.uuid4().hex[:8]}"
    admin = make_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    separator = "&" if "?" in database_url else "?"
    url = f"{database_url}{separator}options=-csearch_path%3D{schema}"
    url = normalize_database_url(url)
    processes: list[subprocess.Popen] = []
    started = time.monotonic()
    try:
        upgrade(make_engine(url))
        start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
        with FakeSlack() as fake, tempfile.TemporaryDirectory() as tmp:
            _seed(url, fake, pairs, start)
            time_file = Path(tmp) / "now"
            acks = [Path(tmp) / f"ack{i}" for i in range(clocks)]
            env = _env(url, fake.api_url)
            for ack in acks:
                processes.append(
                    subprocess.Popen(
                        [sys.executable, __file__, "--clock-child", str(time_file), str(ack)],
                        env=env,
                        cwd=ROOT,
                    )
                )
            port = _free_port()
            processes.append(
                subprocess.Popen(
                    [
                        str(Path(sys.executable).with_name("gunicorn")),
                        "--bind",
                        f"127.0.0.1:{port}",
                        "--workers",
                        str(workers),
                        "bot.web:create_wsgi_app()",
                    ],
                    env=_env(url, fake.api_url, port),
                    cwd=ROOT,
                    stderr=subprocess.DEVNULL,
                )
            )
            _wait_for_web(port)
            rng, answered, clicks = random.Random(5), set(), 0
            now = start
            while now < start + timedelta(days=days):
                stamp = now.isoformat()
                time_file.write_text(stamp)
                _wait_for_acks(acks, stamp, processes)
                clicks += _answer_some(port, fake, answered, rng)
                now += timedelta(minutes=step_minutes)
            time_file.write_text(STOP)
            result = _tally(url, fake)
            result.update(clicks=clicks, seconds=round(time.monotonic() - started, 1), pairs=pairs, days=days)
            return result
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))


def _wait_for_web(port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not start")


def _wait_for_acks(acks: list[Path], stamp: str, processes: list[subprocess.Popen]) -> None:
    deadline = time.monotonic() + 900
    while not all(a.exists() and a.read_text() == stamp for a in acks):
        if any(p.poll() is not None for p in processes):
            raise RuntimeError("a process died")
        if time.monotonic() > deadline:
            raise RuntimeError(f"the clocks did not finish the tick at {stamp}")
        time.sleep(0.005)


def _tally(url: str, fake: FakeSlack) -> dict:
    """Match every posted message to the outbox."""
    posted = [
        (channel, m["ts"])
        for channel, found in fake.messages.items()
        for m in found
        if not m.get("thread_ts")
    ]
    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        rows = session.execute(select(Delivery.kind, Delivery.status, Delivery.channel, Delivery.ts)).all()
    sent = Counter((row.channel, row.ts) for row in rows if row.status == DeliveryStatus.SENT)
    unmatched = [place for place in posted if place not in sent]
    twice = [place for place, times in sent.items() if times > 1]
    by_kind = Counter(row.kind for row in rows if row.status == DeliveryStatus.SENT)
    states = Counter(row.status for row in rows)
    return {
        "messages_posted": len(posted),
        "sent_rows": sum(sent.values()),
        "posted_without_a_sent_row": len(unmatched),
        "rows_recorded_twice": len(twice),
        "interrupted": states[DeliveryStatus.INTERRUPTED],
        "by_kind": dict(sorted(by_kind.items())),
        "states": dict(sorted(states.items())),
        "exactly_once": not unmatched and not twice and len(posted) == sum(sent.values()),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="PostgreSQL (a throwaway schema is used)")
    parser.add_argument("--pairs", type=int, default=1000)
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--clocks", type=int, default=2)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--step-minutes", type=int, default=30)
    parser.add_argument("--clock-child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.clock_child:
        clock_child(Path(args.clock_child[0]), Path(args.clock_child[1]))
        return 0
    if not args.database_url:
        parser.error("--database-url (PostgreSQL) is required")
    result = run(args.database_url, args.pairs, args.days, args.clocks, args.workers, args.step_minutes)
    print(json.dumps(result, indent=2))
    return 0 if result["exactly_once"] else 1


if __name__ == "__main__":
    sys.exit(main())
