"""How long the privacy screen takes on a 1,000-character note, and what loading its lists costs.

Builds notes of about 1,000 characters from the corpus sentences (tests/data/privacy),
half with identifiers and half without, and times `bot.privacy.assess` on each after a
warm-up (the name lists load once per process, timed separately along with their
memory). No database: the workspace look-up is one indexed query, and only when a note
names someone.

    python bench/bench_privacy.py [--notes 400]

It also times texts built to make a careless regex backtrack (a run of "Ann-", of "a."
before an "@", of "-1" after "MRN"…) at the screen's size limit, 4,000 characters:
each must cost about what ordinary text of that length costs, never seconds.

Results are printed as a Markdown table for docs/privacy.md and docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
import tracemalloc
from pathlib import Path

from bot.privacy import TEXT_LIMIT, assess
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


def adversarial(length: int) -> dict[str, str]:
    """Texts of `length` characters shaped to make a backtracking regex work hard."""

    def fill(unit: str, prefix: str = "", suffix: str = "") -> str:
        room = length - len(prefix) - len(suffix)
        return prefix + (unit * (room // len(unit) + 1))[:room] + suffix

    prose = "We talked with the student about feedback on rounds and asking for help early. "
    return {
        "ordinary prose": fill(prose),
        '"Ann-" repeated': fill("Ann-"),
        '"a." … "@" "b." …': fill("a.", suffix="@" + "b." * (length // 6))[:length],
        '"MRN " then "-1" repeated': fill("-1", prefix="MRN "),
        '"www." then "a." repeated': fill("a.", prefix="www."),
        '"call " then "1 " repeated': fill("1 ", prefix="call "),
        '"admitted 1/2 " repeated': fill("admitted 1/2 "),
        '"Mr " repeated': fill("Mr "),
    }


def time_adversarial() -> None:
    print(f"| text built to backtrack ({TEXT_LIMIT:,} characters) | CPU time |")
    print("|---|---:|")
    for label, text in adversarial(TEXT_LIMIT).items():
        started = time.thread_time()
        assess(text)
        print(f"| {label} | {(time.thread_time() - started) * 1000:.0f} ms |")
    print()


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
    kept, peak = tracemalloc.get_traced_memory()
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
    time_adversarial()
    print(
        f"Loading the name and word lists once per process: {load_seconds:.2f} s CPU, "
        f"{peak / 2**20:.0f} MiB peak, {kept / 2**20:.1f} MiB kept."
    )


if __name__ == "__main__":
    main()
