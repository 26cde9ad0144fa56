"""The benchmark scripts of issue 14 still run, on tiny inputs (their full runs are by
hand; numbers live in docs/benchmarks.md, never in assertions here)."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"


def load(name: str) -> ModuleType:
    # Imported by name from bench/ (not from a file path): bench_fanout's clock processes
    # are spawned, and a spawned process finds its function by module name on sys.path.
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))
    return importlib.import_module(name)


@pytest.fixture(scope="module")
def acks() -> ModuleType:
    return load("bench_acks")


def test_bench_acks_serves_both_apps_with_the_procfile_line_and_reports_ratios(acks):
    rows, memory = acks.measure("SQLite", None, rounds=1, requests=6, concurrency=2, mentors=2)

    assert {(row.scenario, row.app) for row in rows} == {
        (scenario, app) for scenario in ("`/mentor help`", "nudge **Done** click") for app in ("ours", "bare")
    }
    assert all(row.failures == 0 and row.p50 > 0 and row.p99 >= row.p50 for row in rows)
    # The Procfile's two workers, each measured.
    assert len(memory["ours"]) == 2 and len(memory["bare"]) == 2
    table = acks.report(rows, {"SQLite": memory})
    assert "| SQLite | nudge **Done** click |" in table


def test_bench_acks_reads_the_web_line_of_the_procfile(acks):
    command = acks.procfile_web_line()

    assert command[0] == "gunicorn" and "--threads" in command and command[-1] == "bot.web:create_wsgi_app()"


def test_bench_fanout_sends_every_row_once_through_the_limited_fake():
    fanout = load("bench_fanout")

    result = fanout.measure(
        "SQLite, one clock", None, clocks=1, messages=8, per_minute=6000, tick_seconds=2.0
    )

    assert (result.messages, result.lost, result.doubled) == (8, 0, 0)
