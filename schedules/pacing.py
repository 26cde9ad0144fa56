"""Pacing the outbox to Slack's published rate limits, instead of finding them by 429s.

Slack documents `chat.postMessage` as allowing about one message per second in one
conversation, with a workspace-wide limit above that (we budget 600 a minute, ten a
second). Posting as fast as the sender can (about 140 a second against a local fake)
ran into 429s, and slack_sdk's retry handler then slept the whole `Retry-After` (49 s
in one run) inside the clock's tick: the tick overran its minute, the next tick was
skipped, and due nudges waited.

So the sender asks a :class:`Pacer` how long to wait before each post and waits that
long between rows — never inside a database transaction, never for long: spacing is a
tenth of a second per workspace and at most a second per conversation. When Slack
still answers 429 (another process shares the workspace's budget), the workspace is
held until `Retry-After` and the pass carries on with other workspaces; the client the
sender posts with does not wait out 429s itself (:func:`without_rate_limit_waits`).
A slot further off than a short wait, or than the pass's budget allows (a hold from an
earlier pass), is not waited for: the sender hands the row back for that time and gives
the slot back (`give_back`); a new pass leaves held workspaces out (`holds`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from bot.slack import copy_client

# The workspace-wide budget for posting that we take Slack to allow, per minute.
SLACK_POSTS_PER_MINUTE = 600
# We pace a little under it, so that a burst on top of a full minute's posts, or the
# odd post from the web process, still fits.
PACED_SHARE = 0.99
WORKSPACE_PER_MINUTE = int(SLACK_POSTS_PER_MINUTE * PACED_SHARE)
# Slack allows about one message per second in one conversation.
CONVERSATION_SPACING_SECONDS = 1.0
# A 429 whose Retry-After is this short is waited out by pacing the next post (another
# clock sharing the budget, a burst); a longer one holds the workspace for the pass.
SHORT_RETRY_SECONDS = 2
# Conversations remembered before those already free are forgotten.
REMEMBERED_CONVERSATIONS = 10_000


# Posts that may go back to back before the spacing applies: Slack tolerates short
# bursts, and a tick with a few messages should not wait at all.
WORKSPACE_BURST = 5
CONVERSATION_BURST = 3


class Pacer:
    """When each workspace and conversation may next be posted to.

    Each is a "generic cell rate" schedule: posts are spaced evenly at the allowed rate,
    after a short burst. A post reserves its slot at once (`reserve`), so the spacing
    holds for threads sharing one pacer. Times come from `clock` (monotonic seconds), so
    tests can drive it.
    """

    def __init__(
        self,
        *,
        per_minute: int = WORKSPACE_PER_MINUTE,
        conversation_spacing: float = CONVERSATION_SPACING_SECONDS,
        workspace_burst: int = WORKSPACE_BURST,
        conversation_burst: int = CONVERSATION_BURST,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.spacing = 60.0 / per_minute
        self.conversation_spacing = conversation_spacing
        self._workspace_slack = (workspace_burst - 1) * self.spacing
        self._conversation_slack = (conversation_burst - 1) * conversation_spacing
        self.clock = clock
        # The "theoretical arrival time" of the next post: the schedule's state.
        self._workspace_due: dict[str, float] = {}
        self._conversation_due: dict[tuple[str, str], float] = {}
        self._lock = threading.Lock()

    def reserve(self, team_id: str, conversation: str) -> float:
        """Take the next slot for a post to `conversation` in `team_id`; returns how many
        seconds from now that slot is (0 when it may go at once)."""
        with self._lock:
            now = self.clock()
            key = (team_id, conversation)
            team_due = max(now, self._workspace_due.get(team_id, now))
            talk_due = max(now, self._conversation_due.get(key, now))
            at = max(now, team_due - self._workspace_slack, talk_due - self._conversation_slack)
            self._workspace_due[team_id] = max(team_due, at) + self.spacing
            self._conversation_due[key] = max(talk_due, at) + self.conversation_spacing
            if len(self._conversation_due) > REMEMBERED_CONVERSATIONS:
                self._conversation_due = {k: t for k, t in self._conversation_due.items() if t > now}
            return at - now

    def give_back(self, team_id: str, conversation: str) -> None:
        """Return the slot a `reserve` took for a post that will not be made now (the row
        was handed back): the next post to that workspace need not wait for it."""
        with self._lock:
            now = self.clock()
            if team_id in self._workspace_due:
                self._workspace_due[team_id] = max(now, self._workspace_due[team_id] - self.spacing)
            key = (team_id, conversation)
            if key in self._conversation_due:
                freed = self._conversation_due[key] - self.conversation_spacing
                self._conversation_due[key] = max(now, freed)

    def holds(self, longer_than: float) -> dict[str, float]:
        """Workspaces whose next slot is more than `longer_than` seconds away (a 429 held
        them), with the seconds left: a new pass leaves them out from the start."""
        with self._lock:
            now = self.clock()
            waits = {team: due - self._workspace_slack - now for team, due in self._workspace_due.items()}
        return {team: wait for team, wait in waits.items() if wait > longer_than}

    def hold(self, team_id: str, seconds: float) -> None:
        """Slack said 429: nothing more to this workspace for `seconds`."""
        with self._lock:
            free_at = self.clock() + seconds + self._workspace_slack
            self._workspace_due[team_id] = max(self._workspace_due.get(team_id, free_at), free_at)


def without_rate_limit_waits(client: WebClient) -> WebClient:
    """A copy of `client` that gives a 429 back at once instead of sleeping through its
    `Retry-After`: the sender holds that workspace and moves on (see the module doc)."""
    handlers = [h for h in client.retry_handlers if not isinstance(h, RateLimitErrorRetryHandler)]
    return copy_client(client, retry_handlers=handlers)


def retry_after_seconds(error: SlackApiError) -> int:
    """Seconds Slack asked us to wait in its 429 answer (30 when it did not say)."""
    headers = getattr(error.response, "headers", {}) or {}
    for name, value in headers.items():
        if name.lower() == "retry-after":
            raw = value[0] if isinstance(value, list) else value
            try:
                return max(1, int(raw))
            except (TypeError, ValueError):
                break
    return 30
