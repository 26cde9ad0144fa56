"""Work a listener does after acknowledging, run apart from Bolt's listener pool.

Bolt runs each listener on its pool and answers Slack when the listener calls `ack()`;
whatever the listener does next (a database write, a `chat.update`) keeps its pool
thread busy. Under a burst of clicks that work piled up in front of the next clicks'
acks (bench/bench_acks.py). A listener hands it here instead and returns; it runs on
`Deps.after_ack`, or in place when that is None (tests, which wait for the listener).

A failure is logged with a reference and the person is told ("didn't save, please try
again"), as the safety net does for failures inside a listener.

The pool's queue is bounded (:class:`AfterAckPool`): a burst beyond it is recorded in
the listener's own thread (still after the ack) instead of piling up in memory, where a
restart would lose it.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
import weakref
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from typing import Any, TypeVar

from slack_bolt import Respond
from slack_sdk.errors import SlackApiError

from bot.deps import Deps

log = logging.getLogger(__name__)

# The attribute marking a listener that may run in the request's own thread (`in_place`).
IN_PLACE = "mentor_nudge_in_place"

Listener = TypeVar("Listener", bound=Callable[..., Any])


def in_place(listener: Listener, when: Callable[[dict[str, Any]], bool] | None = None) -> Listener:
    """Mark `listener` as one that acks at once and hands any further work to the
    after-ack pool, so it can run in the thread that received the request (`bot.app`)
    for every request body where `when(body)` holds (all of them by default).

    Bolt otherwise runs a listener on its listener pool and has the request's thread
    poll every 10 ms for the ack: a hop between threads and, on average, 5 ms of
    waiting, which under 20 concurrent clicks was a large part of each ack
    (docs/benchmarks.md, "Acknowledgement times under load").
    """
    setattr(listener, IN_PLACE, when or _always)
    return listener


def runs_in_place(listener: Callable[..., Any], body: dict[str, Any]) -> bool:
    """Whether `listener` was marked with `in_place` and wants this request in place."""
    when = getattr(listener, IN_PLACE, None)
    return bool(when is not None and when(body))


def _always(_body: dict[str, Any]) -> bool:
    return True


# Jobs waiting for an after-ack thread, at most: a morning's burst of answers fits, and
# a restart loses no more than this many (each is a click the person would redo).
AFTER_ACK_QUEUE_LIMIT = 200


# How long a queued after-ack job may be held back, from its click, while requests are
# being answered (`AckGate`): the answer and its message update still follow within
# about a second under a steady stream of requests, and at once when there is a gap.
ACKS_FIRST_MAX_DELAY = 1.0
# Room kept free in the queue for clicks already being answered in place: a click is
# run in place only while more than this many places are free (`has_room`), so its
# work never falls back to the request's own thread, before the answer leaves.
IN_PLACE_MARGIN = 16


class AckGate:
    """Requests being answered right now; after-ack jobs wait for a moment with none.

    Python runs one thread at a time: an after-ack job (a write, a `chat.update`, the
    Home tab, ~15-25 ms of CPU) running beside an ack makes the ack wait its turn for
    the interpreter again and again. Under a burst of clicks that was most of the Done
    click's slowest acks (docs/benchmarks.md, "Acknowledgement times under load").
    The web process counts its requests here (`bot.web`); a job starts when none is in
    flight, or ACKS_FIRST_MAX_DELAY after it was queued, whichever comes first.
    """

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._in_flight = 0
        self._stopping = False

    @contextmanager
    def answering(self) -> Iterator[None]:
        """Count one request as in flight for the duration of the block."""
        with self._changed:
            self._in_flight += 1
        try:
            yield
        finally:
            with self._changed:
                self._in_flight -= 1
                if not self._in_flight:
                    self._changed.notify_all()

    def wait_for_quiet(self, deadline: float) -> None:
        """Return when no request is in flight, at `deadline` (time.monotonic), or at once
        once the process is stopping (`stop_holding`)."""
        with self._changed:
            while self._in_flight and not self._stopping:
                left = deadline - time.monotonic()
                if left <= 0:
                    return
                self._changed.wait(left)

    def stop_holding(self) -> None:
        """Let every job run without waiting from now on (the process is stopping)."""
        with self._changed:
            self._stopping = True
            self._changed.notify_all()


# The process's one gate: its requests are counted once, whichever app serves them.
ACKS_FIRST = AckGate()

# Every pool of this process, for `finish_all` (gunicorn's worker_exit hook).
_POOLS: weakref.WeakSet[AfterAckPool] = weakref.WeakSet()


def finish_all(timeout: float) -> int:
    """Finish every after-ack pool of this process (`AfterAckPool.finish`), all within
    `timeout` seconds; returns how many jobs were still unfinished.

    Gunicorn calls this as a worker exits (`bot/gunicorn_hooks.py`): the clicks it acked
    must still be recorded, and the platform kills the process soon after.
    """
    deadline = time.monotonic() + timeout
    return sum(pool.finish(max(0.0, deadline - time.monotonic())) for pool in list(_POOLS))


class QueueFull(RuntimeError):
    """The after-ack pool has AFTER_ACK_QUEUE_LIMIT jobs waiting already."""


class AfterAckPool(ThreadPoolExecutor):
    """A thread pool whose queue holds at most `limit` jobs; `submit` beyond that raises
    QueueFull (the caller runs the job itself)."""

    def __init__(self, threads: int, *, limit: int = AFTER_ACK_QUEUE_LIMIT) -> None:
        super().__init__(max_workers=threads, thread_name_prefix="after-ack")
        self.limit = limit
        self._waiting = 0
        self._count_lock = threading.Lock()
        self._unfinished: set[Future[Any]] = set()
        _POOLS.add(self)

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        """Queue `fn`, or raise QueueFull when `limit` jobs are already waiting."""
        with self._count_lock:
            if self._waiting >= self.limit:
                raise QueueFull(self.limit)
            self._waiting += 1
        try:
            queued_at = time.monotonic()
            future = super().submit(self._started, queued_at, fn, *args, **kwargs)
        except BaseException:
            self._left_queue()
            raise
        with self._count_lock:
            self._unfinished.add(future)
        future.add_done_callback(self._finished)
        return future

    def finish(self, timeout: float) -> int:
        """Stop taking jobs and wait up to `timeout` seconds for the queued and running
        ones; returns how many were still unfinished then (logged, as a count only)."""
        self.shutdown(wait=False)  # queued jobs still run; new submits raise RuntimeError
        ACKS_FIRST.stop_holding()
        with self._count_lock:
            unfinished = set(self._unfinished)
        _done, left = wait(unfinished, timeout=timeout)
        if left:
            log.warning("after-ack: %d job(s) unfinished after waiting %.0f s", len(left), timeout)
        return len(left)

    def waiting(self) -> int:
        """Jobs queued and not yet started."""
        with self._count_lock:
            return self._waiting

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Stop taking jobs; say (as a count only) how many were still queued."""
        queued = self.waiting()
        if queued:
            log.warning("after-ack: %d job(s) still queued at shutdown", queued)
        super().shutdown(wait=wait, cancel_futures=cancel_futures)

    def has_room(self, margin: int = IN_PLACE_MARGIN) -> bool:
        """Whether more than `margin` places are free in the queue."""
        with self._count_lock:
            return self._waiting < self.limit - margin

    def _started(self, queued_at: float, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        self._left_queue()
        ACKS_FIRST.wait_for_quiet(queued_at + ACKS_FIRST_MAX_DELAY)
        return fn(*args, **kwargs)

    def _finished(self, future: Future[Any]) -> None:
        with self._count_lock:
            self._unfinished.discard(future)

    def _left_queue(self) -> None:
        with self._count_lock:
            self._waiting -= 1


def after_ack(deps: Deps, respond: Respond, what: str, work: Callable[[], Any]) -> None:
    """Run `work` after the ack: on the after-ack pool, or here when there is none (or
    its queue is full: slower for this click, but nothing is dropped)."""
    if deps.after_ack is None:
        work()
        return
    try:
        deps.after_ack.submit(_guarded, respond, what, work)
    except QueueFull:
        log.warning("%s: the after-ack queue is full; recording in the listener thread", what)
        _guarded(respond, what, work)
    except RuntimeError:
        # The pool is shut down (the process is stopping): the ack is sent, so record
        # the answer here rather than lose it.
        log.warning("%s: the after-ack pool is shut down; recording in the listener thread", what)
        _guarded(respond, what, work)


def _guarded(respond: Respond, what: str, work: Callable[[], Any]) -> None:
    try:
        work()
    except Exception:
        # Imported here: the safety net imports the router, which imports nothing of ours.
        from handlers.safety_net import didnt_save

        reference = uuid.uuid4().hex[:8]
        log.exception("%s: failed after the ack (ref %s)", what, reference)
        try:
            respond(text=didnt_save(reference), response_type="ephemeral", replace_original=False)
        except (SlackApiError, OSError):
            log.warning("%s: could not tell the person about the failure either", what)
