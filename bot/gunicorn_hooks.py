"""Gunicorn settings read by the Procfile's `web` line (`--config python:bot.gunicorn_hooks`,
found wherever the package is installed, whatever the working directory) and by
`python -m bot web`.

Only a hook: the command line keeps the server's flags (workers, threads, bind). It
imports nothing of the app: gunicorn reads it before loading any app (the benchmark's
bare app too).

A worker that is told to stop (SIGTERM on a deploy or restart, SIGQUIT) first answers
the requests it holds; clicks it has already acknowledged may still have their answer
waiting on the after-ack pool (`handlers.after_ack`). The hook below lets that work
finish, and says in the log when some is still running after two thirds of gunicorn's
graceful timeout (the master kills the worker when the whole timeout is up).

Python's exit would wait for those threads too (concurrent.futures joins its pools'
threads as the interpreter stops), but silently: the hook makes the wait explicit, stops
holding jobs back for acks (`handlers.after_ack.AckGate`), and names what is cut off.
"""

from __future__ import annotations

import sys
from typing import Any

# Of the graceful timeout (30 s by default, as Heroku's own stop timeout): the share the
# after-ack work may take as the worker exits.
DRAIN_SHARE = 2 / 3


def worker_exit(server: Any, worker: Any) -> None:
    """Finish the after-ack work of the exiting worker (bounded; logs what is left)."""
    # Imported only if the app loaded it: the bare benchmark app has no after-ack pool.
    after_ack = sys.modules.get("handlers.after_ack")
    if after_ack is None:
        return
    left = after_ack.finish_all(worker.cfg.graceful_timeout * DRAIN_SHARE)
    if left:
        server.log.warning(
            "worker %s: %d after-ack job(s) still running; they go on until the graceful timeout",
            worker.pid,
            left,
        )
