"""How long the settings surfaces take to build, and how big they are (run by hand).

`/mentor settings` must open its modal inside Slack's 3-second trigger window, and the
modal carries every time zone (about 420 options), so this measures:

* building the modal (the zone menu included) and its JSON size;
* the whole `/mentor settings` request through the real WSGI app, the fake Slack
  answering `views.open` over HTTP on 127.0.0.1, until Slack would get our ack;
* building the Home tab.

    .venv/bin/python bench/bench_settings_latency.py [--runs 200]

Prints a Markdown table for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.app import build_deps, create_app
from bot.db import make_engine, make_session_factory, transaction
from bot.home.service import build_home
from bot.models import Base
from bot.preferences.blocks import settings_modal
from bot.preferences.service import load
from bot.slack import make_client
from bot.web import wsgi_app
from tests.conftest import settings_for
from tests.fakes.slack_api import TEAM_ID, FakeSlack
from tests.fakes.slack_requests import SlackUser, TrackingExecutor

NOW = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)


def percentiles(samples: list[float]) -> tuple[float, float, float]:
    """Median, 95th percentile and maximum, in milliseconds."""
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return statistics.median(ordered) * 1000, p95 * 1000, ordered[-1] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    runs = parser.parse_args().runs

    with FakeSlack() as fake, tempfile.TemporaryDirectory() as tmp:
        fake.add_user("U0BENCH01", tz="Europe/London")
        engine = make_engine(f"sqlite:///{tmp}/bench.db")
        Base.metadata.create_all(engine)
        settings = settings_for(fake, str(engine.url))
        deps = build_deps(
            settings, client=make_client(settings), session_factory=make_session_factory(engine)
        )

        with transaction(deps.session_factory) as session:
            personal = load(session, settings, TEAM_ID, "U0BENCH01", NOW)
        build, size = [], 0
        for _ in range(runs):
            started = time.perf_counter()
            view = settings_modal(personal)
            build.append(time.perf_counter() - started)
            size = len(json.dumps(view))

        homes = []
        for _ in range(runs):
            started = time.perf_counter()
            with transaction(deps.session_factory) as session:
                build_home(session, settings, TEAM_ID, "U0BENCH01", NOW)
            homes.append(time.perf_counter() - started)

        executor = TrackingExecutor()
        slack = SlackUser(wsgi_app(create_app(settings, deps=deps, listener_executor=executor), engine), fake)
        slack.command("help", user_id="U0BENCH01")  # Bolt's one-off auth.test
        requests = []
        for _ in range(runs):
            started = time.perf_counter()
            reply = slack.command("settings", user_id="U0BENCH01")
            requests.append(time.perf_counter() - started)
            assert reply.status == 200
        executor.wait_idle()
        executor.shutdown()
        opened = len(fake.calls_to("views.open"))

    print(
        f"| settings surface ({runs} runs, SQLite, fake Slack on 127.0.0.1) | median ms | p95 ms | max ms |"
    )
    print("|---|---|---|---|")
    for name, samples in (
        (f"build the settings modal ({size / 1024:.0f} KiB JSON)", build),
        ("`/mentor settings` request → ack, incl. `views.open`", requests),
        ("build the Home tab (one DB transaction)", homes),
    ):
        median, p95, worst = percentiles(samples)
        print(f"| {name} | {median:.1f} | {p95:.1f} | {worst:.1f} |")
    print(f"\nviews.open calls: {opened} of {runs}")


if __name__ == "__main__":
    main()
