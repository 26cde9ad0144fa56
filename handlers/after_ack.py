"""Work a listener does after acknowledging, run apart from Bolt's listener pool.

Bolt runs each listener on its pool and answers Slack when the listener calls `ack()`;
whatever the listener does next (a database write, a `chat.update`) keeps its pool
thread busy. Under a burst of clicks that work piled up in front of the next clicks'
acks (bench/bench_acks.py). A listener hands it here instead and returns; it runs on
`Deps.after_ack`, or in place when that is None (tests, which wait for the listener).

A failure is logged with a reference and the person is told, as the safety net does for
failures inside a listener.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import Any

from slack_bolt import Respond
from slack_sdk.errors import SlackApiError

from bot.deps import Deps

log = logging.getLogger(__name__)


def after_ack(deps: Deps, respond: Respond, what: str, work: Callable[[], Any]) -> None:
    """Run `work` after the ack: on the after-ack pool, or now when there is none."""
    if deps.after_ack is None:
        work()
        return
    deps.after_ack.submit(_guarded, respond, what, work)


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
