"""Opening modals from a trigger: one quick try, and a plain reason when it fails.

A `trigger_id` is good for three seconds from the moment Slack issued it, and can be
used once. The shared client (`bot.slack.make_client`) waits up to ten seconds and
retries connection errors and 429s with Retry-After — right for messages, useless here:
by the time a retry goes out the trigger has expired, and a slow call made before
acknowledging makes Slack give up on the whole request ("/mentor failed"). So modals
are opened with a client that has no retry handlers and a short timeout, and every
caller acknowledges first and reports a failure through `respond` or a DM.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackTokenRotationError

from bot.deps import Deps
from bot.installations import NotInstalled
from bot.slack import quick_client, slack_error_code

log = logging.getLogger(__name__)

# Under the trigger's three seconds, leaving room for the request that carried it.
TRIGGER_TIMEOUT_SECONDS = 2.5
# What `open_modal` returns when Slack did not answer in time (or could not be reached).
NO_ANSWER = "no_answer"
NO_TRIGGER = "no_trigger_id"


def trigger_client(deps: Deps, team_id: str) -> WebClient:
    """The workspace's client for `views.open`: no retries, a timeout inside the trigger's life."""
    return quick_client(deps.client_for(team_id), TRIGGER_TIMEOUT_SECONDS)


def open_modal(
    deps: Deps, trigger_id: str | None, view: dict[str, Any], *, what: str, team_id: str
) -> str | None:
    """Open `view` with `trigger_id`; None when it opened, else a short error code.

    The code is Slack's (`expired_trigger_id`, …), or NO_ANSWER when Slack did not
    answer within TRIGGER_TIMEOUT_SECONDS, or NO_TRIGGER when there was no trigger.
    `what` names the modal in the log line.
    """
    if not trigger_id:
        return NO_TRIGGER
    try:
        trigger_client(deps, team_id).views_open(trigger_id=trigger_id, view=view)
    except SlackApiError as error:
        code = slack_error_code(error)
    except NotInstalled:
        code = "not_installed"
    except SlackTokenRotationError as failed:  # the workspace's token could not be renewed
        code = slack_error_code(failed.api_error)
    except OSError as error:  # timeouts and connection failures (urllib raises OSErrors)
        log.warning("views.open for %s: no answer from Slack (%s)", what, error.__class__.__name__)
        return NO_ANSWER
    else:
        return None
    log.warning("views.open for %s failed (%s)", what, code)
    return code


def why_not_opened(code: str) -> str:
    """The failure in words, for the sentence "I couldn't open … (<this>)"."""
    if code == NO_ANSWER:
        return "Slack didn't answer in time"
    return f"Slack said `{code}`"
