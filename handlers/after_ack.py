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
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
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

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        """Queue `fn`, or raise QueueFull when `limit` jobs are already waiting."""
        with self._count_lock:
            if self._waiting >= self.limit:
                raise QueueFull(self.limit)
            self._waiting += 1
        try:
            return super().submit(self._started, fn, *args, **kwargs)
        except BaseException:
            self._left_queue()
            raise

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

    def _started(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        self._left_queue()
        return fn(*args, **kwargs)

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
