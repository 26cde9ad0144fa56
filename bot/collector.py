"""Python's cycle collector, kept out of the way of long-lived and bulky work.

Two uses, one place:

* `freeze_startup_objects` — the loaded app holds ~160,000 tracked objects (the privacy
  name lists, the content library, SQLAlchemy's and Bolt's tables) that live as long as
  the process. A full collection walks all of them, ~0.7 s on a loaded 2-core machine
  with the interpreter lock held: those were the ~800 ms acks of the benchmark
  (docs/benchmarks.md). `gc.freeze` moves them to a generation the collector skips;
  with gunicorn's --preload it runs in the master, before the fork, which also keeps
  their memory pages shared with the workers. The clock does the same at start-up.
* `collector_paused` — a planner tick or a big roster import keeps tens or hundreds of
  thousands of small objects alive at once, which set off collections that find
  nothing to free (20–25% of a busy tick's CPU, 18% of a 30,000-pair import). Their
  objects are freed by reference counting as usual; the rare cycles wait for the
  collector's next run.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


def freeze_startup_objects() -> None:
    """Keep the objects built at start-up out of the collector's full passes."""
    gc.collect()  # what start-up left as garbage goes now, not frozen forever
    gc.freeze()


@contextmanager
def collector_paused() -> Iterator[None]:
    """The cycle collector off for the block, back on after — left alone when it is
    already off (another thread's pause, or the host's choice)."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
