"""The checks every Slack request passes before any listener, as one Bolt middleware.

They were three function middlewares (`request_log.log_request`,
`payload.refuse_malformed`, `input_limits.limit_free_text`). Bolt builds the keyword
arguments of a function middleware by inspecting it on every request, ~0.1 ms of CPU
each — as much as the checks themselves — and every millisecond before the ack queues
under a burst (docs/benchmarks.md, "Acknowledgement times under load"). A `Middleware`
subclass is handed the request as it is, so the three run here in the same order, each
still a plain function of the body that its own module keeps and tests.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import BoltRequest, BoltResponse
from slack_bolt.middleware import Middleware

from handlers import input_limits, payload, request_log


class EdgeChecks(Middleware):
    """Log what arrived, refuse malformed payloads, refuse over-long text; then carry on."""

    def process(
        self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]
    ) -> BoltResponse | None:
        """Run the three checks in order; the first that answers stops the request."""
        body: dict[str, Any] = req.body
        passed = _Passed()
        for check in (request_log.log_request, payload.refuse_malformed, input_limits.limit_free_text):
            answer = check(body, passed)
            if not passed.called:
                return answer
            passed.called = False
        return next()


class _Passed:
    """The `next` each check is given: notes that the check let the request through."""

    __slots__ = ("called",)

    def __init__(self) -> None:
        self.called = False

    def __call__(self) -> None:
        self.called = True
