"""Smoke run of bench/bench_crash_window.py: kill -9 senders mid fan-out, tiny sizes.

The full run (500 messages, 20 kills) is by hand; its numbers are in docs/operations.md.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench" / "bench_crash_window.py"
# Runs with new random moments, at most, until a kill lands in the window.
MAX_RUNS = 3


def load_bench():
    spec = importlib.util.spec_from_file_location("bench_crash_window", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_killed_senders_never_post_twice_and_lose_at_most_one_message_each():
    """Kill moments are random: a run whose kills all missed the window (no row in
    `sending`) proves nothing about it, so new moments are drawn until one hits. With
    200 rows the fan-out outlasts the kills and the bench's senders are not paced (a paced
    sender mostly waits for its slot), so a miss is rare and one run is usual."""
    bench = load_bench()

    for seed in range(3, 3 + MAX_RUNS):
        report = bench.run(rows=200, kills=3, seed=seed, kill_after=(0.1, 0.5))

        assert report.duplicates == 0
        assert report.open_rows == 0
        assert report.most_sending_at_a_kill <= 1
        assert report.interrupted <= report.kills
        assert report.sent + report.interrupted == report.rows
        assert report.ok, bench.describe(report)
        if report.kills_in_window:
            break
    assert report.kills_in_window >= 1, bench.describe(report)
