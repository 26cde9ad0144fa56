"""The one place a Slack Web API client is built.

slack_sdk already knows how to retry connection errors, honour 429 Retry-After and
back off on 500/503; we configure those handlers rather than writing our own loops.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import BackoffRetryIntervalCalculator
from slack_sdk.http_retry.handler import RetryHandler
from slack_sdk.http_retry.jitter import Jitter

from bot.config import ConfigError, Settings

log = logging.getLogger(__name__)

# Slack answers within a second or two; ten seconds means something is wrong.
REQUEST_TIMEOUT_SECONDS = 10

# Errors that mean our token is no good for this workspace any more. (From auth.test,
# `account_inactive` also means that; from chat.postMessage to a person it means the
# person's account is gone, so the sender treats it separately.)
# `invalid_refresh_token` comes from token rotation: the workspace's token cannot be
# renewed, which stops sending there just the same.
TOKEN_ERRORS = frozenset(
    {
        "invalid_auth",
        "not_authed",
        "token_revoked",
        "token_expired",
        "team_access_not_granted",
        "invalid_refresh_token",
    }
)


class _ProportionalJitter(Jitter):
    """Up to 50 % extra on each wait. slack_sdk's default adds up to a whole second,
    which would make a test's millisecond backoff take seconds."""

    def recalculate(self, duration: float) -> float:
        return duration * (1 + random.random() / 2)


def make_client(
    settings: Settings,
    *,
    token: str | None = None,
    team_id: str | None = None,
    retries: int = 2,
    backoff_factor: float = 0.5,
) -> WebClient:
    """Build the WebClient every part of the app uses.

    Single-workspace mode: the bot token's client. OAuth mode without a `token`: a
    token-less template (Bolt copies it for each request; `bot.installations` builds
    each workspace's client with its own `token`, and `team_id` for an org-wide
    install, whose token needs to be told which workspace a call is about).
    `backoff_factor` exists so tests can retry in milliseconds rather than seconds.
    """
    if token is None and not settings.oauth_enabled:
        token = settings.require_bot_token()
    backoff = BackoffRetryIntervalCalculator(backoff_factor=backoff_factor, jitter=_ProportionalJitter())
    return WebClient(
        token=token,
        team_id=team_id,
        base_url=settings.slack_api_url,
        timeout=REQUEST_TIMEOUT_SECONDS,
        logger=logging.getLogger("slack_sdk.web"),
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=retries, interval_calculator=backoff),
            RateLimitErrorRetryHandler(max_retry_count=retries),
            ServerErrorRetryHandler(max_retry_count=retries, interval_calculator=backoff),
        ],
    )


def copy_client(
    client: WebClient,
    *,
    retry_handlers: list[RetryHandler] | None = None,
    timeout: float | None = None,
    logger: logging.Logger | None = None,
) -> WebClient:
    """A copy of `client` (same token, workspace and Slack URL) with other retry
    handlers, timeout or logger: each use below needs a different one of these."""
    return WebClient(
        token=client.token,
        team_id=client.default_params.get("team_id"),
        base_url=client.base_url,
        timeout=client.timeout if timeout is None else timeout,
        logger=client.logger if logger is None else logger,
        retry_handlers=client.retry_handlers if retry_handlers is None else retry_handlers,
    )


def patient_client(client: WebClient, rate_limit_retries: int) -> WebClient:
    """A copy of `client` that waits out more 429s, for bulk work (roster sweeps, refreshes)."""
    handlers = [h for h in client.retry_handlers if not isinstance(h, RateLimitErrorRetryHandler)]
    return copy_client(
        client, retry_handlers=[*handlers, RateLimitErrorRetryHandler(max_retry_count=rate_limit_retries)]
    )


def quick_client(client: WebClient, timeout: float) -> WebClient:
    """A copy of `client` that tries once, briefly: for calls that are useless late, like
    `views.open` with a trigger id that expires three seconds after Slack issued it."""
    return copy_client(client, retry_handlers=[], timeout=timeout)


def posting_client(client: WebClient) -> WebClient:
    """A copy of `client` for calls that must not be repeated blindly (`chat.postMessage`).

    slack_sdk's connection handler also retries a connection reset or a closed connection
    *after* the request went out; Slack may have posted the message by then, and a retry
    would post it again. This copy retries only failures that happen before the request
    is sent (refused connection, DNS, connect timeout: urllib reports these as URLError).
    Server errors (500, 503) are not retried here either: a 500 may come after Slack
    posted the message, so the sender decides from Slack's answer (schedules/row_rules.py)
    whether a resend is safe. Rate limits are retried as before (a 429 did nothing).
    """
    handlers = [
        h
        for h in client.retry_handlers
        if not isinstance(h, (ConnectionErrorRetryHandler, ServerErrorRetryHandler))
    ]
    before_sending = [
        ConnectionErrorRetryHandler(
            max_retry_count=h.max_retry_count,
            interval_calculator=h.interval_calculator,
            error_types=[URLError],
        )
        for h in client.retry_handlers
        if isinstance(h, ConnectionErrorRetryHandler)
    ]
    return copy_client(client, retry_handlers=[*before_sending, *handlers])


def may_have_reached_slack(error: BaseException) -> bool:
    """True when a failed call may still have done its work at Slack.

    urllib wraps every failure while connecting or sending in URLError: the request
    never arrived. Anything else (a read timeout, a reset or closed connection while
    waiting for the answer, an unexpected error) came after the request went out.
    """
    return not isinstance(error, URLError)


# Never writes at DEBUG, where the Slack client prints each request's body.
_QUIET_LOG = logging.getLogger("slack_sdk.web.unattributed")
_QUIET_LOG.setLevel(logging.INFO)


def unattributed_client(client: WebClient) -> WebClient:
    """A copy of `client` whose requests are not written to the debug log: for a call
    right after an anonymous answer, whose body names the person who answered."""
    return copy_client(client, logger=_QUIET_LOG)


@dataclass(frozen=True)
class BotIdentity:
    """What `auth.test` says about our token."""

    team_id: str
    team_name: str | None
    bot_user_id: str | None
    enterprise_id: str | None


def verify_token(client: WebClient) -> BotIdentity:
    """Ask Slack who our token belongs to; a refused token becomes a plain ConfigError."""
    try:
        response = client.auth_test()
    except SlackApiError as error:
        code = slack_error_code(error)
        if code in TOKEN_ERRORS or code == "account_inactive":
            raise ConfigError(
                f"SLACK_BOT_TOKEN was refused by Slack ({code}): copy the Bot User OAuth Token again "
                "from OAuth & Permissions, and reinstall the app if it was removed"
            ) from None
        raise ConfigError(f"Slack did not accept our first call (auth.test: {code})") from None
    except OSError as error:
        raise ConfigError(
            f"Cannot reach Slack at {client.base_url} ({error.__class__.__name__}): check the network "
            "or proxy, and SLACK_API_URL if you set it"
        ) from None
    return BotIdentity(
        team_id=response["team_id"],
        team_name=response.get("team"),
        bot_user_id=response.get("user_id"),
        enterprise_id=response.get("enterprise_id") or None,
    )


def slack_error_code(error: SlackApiError) -> str:
    """The short error string Slack put in the response (`not_in_channel`, …)."""
    response = error.response
    try:
        return str(response.get("error") or f"http_{response.status_code}")
    except AttributeError:
        return "unknown_error"
