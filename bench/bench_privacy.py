"""How long the privacy screen takes on a 1,000-character note, and what loading its lists costs.

Builds notes of about 1,000 characters from the corpus sentences (tests/data/privacy),
half with identifiers and half without, and times `bot.privacy.assess` on each after a
warm-up (the name lists load once per process, timed separately along with their
memory). No database: the workspace look-up is one indexed query, and only when a note
names someone.

    python bench/bench_privacy.py [--notes 400]

Results are printed as a Markdown table for docs/privacy.md and docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
import tracemalloc
from pathlib import Path

from bot.privacy import assess
from bot.privacy.lexicon import load_lexicon

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "privacy"
NOTE_LENGTH = 1000


def sentences(name: str) -> list[str]:
    lines = (DATA / name).read_text(encoding="utf-8").splitlines()
    return [line.partition("\t")[2] for line in lines if line.strip() and not line.startswith("#")]


def notes(pool: list[str], count: int, rng: random.Random) -> list[str]:
    """`count` notes of about NOTE_LENGTH characters, sentences drawn from `pool`."""
    built = []
    for _ in range(count):
        parts: list[str] = []
        while sum(len(p) + 2 for p in parts) < NOTE_LENGTH:
            parts.append(rng.choice(pool).rstrip(".") + ".")
        built.append(" ".join(parts)[:NOTE_LENGTH])
    return built


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notes", type=int, default=400)
    args = parser.parse_args()

    started = time.thread_time()
    load_lexicon()
    load_seconds = time.thread_time() - started
    # Memory is measured on a second load (tracemalloc slows loading several-fold).
    load_lexicon.cache_clear()
    tracemalloc.start()
    load_lexicon()
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    rng = random.Random(20261203)
    clean = notes(sentences("without_identifiers.txt"), args.notes // 2, rng)
    dirty = notes(sentences("with_identifiers.txt"), args.notes // 2, rng)
    for note in clean[:20]:  # warm up regex caches
        assess(note)

    print("| notes (~1,000 characters) | median | p95 | max |")
    print("|---|---:|---:|---:|")
    for label, batch in (("without identifiers", clean), ("with identifiers", dirty)):
        times = []
        for note in batch:
            # CPU time, not wall time: on a shared machine the wall clock also counts
            # the time other processes held the core.
            started = time.thread_time()
            assess(note)
            times.append((time.thread_time() - started) * 1000)
        times.sort()
        p95 = times[int(len(times) * 0.95) - 1]
        print(f"| {label} | {statistics.median(times):.2f} ms | {p95:.2f} ms | {times[-1]:.2f} ms |")
    print()
    print(
        f"Loading the name and word lists once per process: {load_seconds:.2f} s CPU, "
        f"{peak / 2**20:.0f} MiB peak."
    )


if __name__ == "__main__":
    main()
