"""Daily housekeeping: re-read the Slack profiles of the people the app messages.

`user_change` events keep zones current while the app is running; this catches what
was missed (the app was down, an event was dropped) and notices deactivations. It
covers people in an active pair and admins — whoever the app may message. Anyone else
is refreshed when next seen (`bot.profiles.person_with_profile`).

Rate-limit friendly: `users.info` is a Tier 4 method (100+ calls a minute). We go in
batches of 50 and start at most one batch every 30 seconds, i.e. about 100 calls a
minute, leaving room for the web process's own calls; slack_sdk's retry handler waits
out any 429 it still meets (Retry-After). A 429 that survives those retries, or a
refused token, ends the run early — the rest wait for tomorrow. (With several workspaces
in OAuth mode, a refused or missing token skips only that workspace's people.) A program
of 1,000 people takes about ten minutes, on the scheduler's housekeeping thread.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from slack_sdk.errors import SlackApiError, SlackTokenRotationError
from sqlalchemy import or_, select

from bot.db import transaction
from bot.deps import Deps
from bot.directory import Profile, fetch_profile
from bot.installations import NotInstalled
from bot.models import Pair, Person, Workspace
from bot.profiles import apply_fresh_profile
from bot.slack import TOKEN_ERRORS, slack_error_code

log = logging.getLogger(__name__)

# Refreshed yesterday at 03:15 should count as stale at 03:15 today, hence a bit under a day.
STALE_AFTER = timedelta(hours=20)
BATCH_SIZE = 50
SECONDS_PER_BATCH = 30.0


@dataclass
class RefreshReport:
    """What one run did (counts for the housekeeping log line)."""

    checked: int = 0
    refreshed: int = 0
    zone_changed: int = 0
    not_found: int = 0
    failed: int = 0
    stopped_early: str | None = None
    teams_skipped: int = 0

    def counts(self) -> dict[str, int | str]:
        """Non-zero counts only, as the clock's log line wants them."""
        return {key: value for key, value in vars(self).items() if value}


class _StopRun(Exception):
    """Slack says stop for now (rate limit outlasted our retries, or a dead token)."""


class _SkipTeam(Exception):
    """This workspace's token is refused or gone; its people wait for tomorrow."""


def refresh_stale_profiles(
    deps: Deps,
    *,
    stale_after: timedelta = STALE_AFTER,
    batch_size: int = BATCH_SIZE,
    seconds_per_batch: float = SECONDS_PER_BATCH,
    sleep: Callable[[float], None] = time.sleep,
    monotonic: Callable[[], float] = time.monotonic,
    stopping: threading.Event | None = None,
) -> RefreshReport:
    """Refresh the profiles of messaged people whose profile is older than `stale_after`.

    Works through them in id order, one batch at a time: read the batch (short
    transaction), call `users.info` for each (no transaction open), write the batch
    (short transaction), then wait out the rest of `seconds_per_batch` — or stop early,
    between batches, when `stopping` is set (the clock is shutting down).
    """
    report = RefreshReport()
    last_id = 0
    skipped: set[str] = set()
    while True:
        started = monotonic()
        batch = _next_batch(deps, last_id, stale_after, batch_size)
        if not batch:
            break
        last_id = batch[-1][0]
        try:
            fetched = [
                (person_id, _fetch_unless_skipped(deps, team_id, user_id, report, skipped))
                for person_id, team_id, user_id in batch
            ]
        except _StopRun as reason:
            report.stopped_early = str(reason)
            log.warning("profile refresh: stopped early (%s); the rest wait for tomorrow", reason)
            break
        _save_batch(deps, fetched, report)
        if len(batch) < batch_size:
            break
        pause = max(0.0, seconds_per_batch - (monotonic() - started))
        if stopping is not None:
            stopping.wait(pause)
            if stopping.is_set():
                report.stopped_early = "the clock is stopping"
                break
        else:
            sleep(pause)
    return report


def _next_batch(deps: Deps, after_id: int, stale_after: timedelta, size: int) -> list[tuple[int, str, str]]:
    cutoff = deps.now() - stale_after
    active_pairs = (
        select(Pair.mentor_id)
        .where(Pair.ended_at.is_(None))
        .union(select(Pair.mentee_id).where(Pair.ended_at.is_(None)))
    )
    paused_teams = select(Workspace.team_id).where(Workspace.sending_paused_reason.is_not(None))
    with transaction(deps.session_factory) as session:
        rows = session.execute(
            select(Person.id, Person.team_id, Person.user_id)
            .where(
                Person.id > after_id,
                or_(Person.tz_refreshed_at.is_(None), Person.tz_refreshed_at < cutoff),
                or_(Person.id.in_(active_pairs), Person.is_admin.is_(True)),
                # A workspace whose token was refused answers nothing useful.
                Person.team_id.not_in(paused_teams),
            )
            .order_by(Person.id)
            .limit(size)
        ).all()
    return [(row.id, row.team_id, row.user_id) for row in rows]


class _Failed:
    """This person's fetch failed; leave them for another day."""


FAILED = _Failed()
# A fetch result: a profile, None for "Slack has no such user", or FAILED.
_Fetched = Profile | None | _Failed


def _fetch_unless_skipped(
    deps: Deps, team_id: str, user_id: str, report: RefreshReport, skipped: set[str]
) -> _Fetched:
    if team_id in skipped:
        return FAILED
    try:
        return _fetch(deps, team_id, user_id, report)
    except _SkipTeam as reason:
        if deps.installations is None:
            raise _StopRun(str(reason)) from None  # one token: nobody else to refresh
        skipped.add(team_id)
        report.teams_skipped += 1
        log.warning("profile refresh: team=%s skipped until tomorrow (%s)", team_id, reason)
        return FAILED


def _fetch(deps: Deps, team_id: str, user_id: str, report: RefreshReport) -> _Fetched:
    report.checked += 1
    try:
        return fetch_profile(deps.client_for(team_id), user_id)
    except (NotInstalled, SlackTokenRotationError) as error:
        raise _SkipTeam(str(error)) from None
    except SlackApiError as error:
        code = slack_error_code(error)
        if code == "ratelimited" or getattr(error.response, "status_code", 200) == 429:
            raise _StopRun("Slack rate limit") from None
        if code in TOKEN_ERRORS:
            raise _SkipTeam(f"Slack refused our token ({code})") from None
        log.warning("profile refresh: user=%s: %s", user_id, code)
    except OSError as error:
        log.warning("profile refresh: user=%s: network error %s", user_id, error.__class__.__name__)
    report.failed += 1
    return FAILED


def _save_batch(deps: Deps, fetched: list[tuple[int, _Fetched]], report: RefreshReport) -> None:
    now = deps.now()
    with transaction(deps.session_factory) as session:
        for person_id, result in fetched:
            person = session.get(Person, person_id)
            if person is None or isinstance(result, _Failed):
                continue
            if result is None:
                # Gone from Slack's directory for this token. We only note the check: the
                # sender marks people inactive when a message to them actually fails,
                # which is the surer sign (Grid guests can vanish from users.info alone).
                person.tz_refreshed_at = now
                report.not_found += 1
                continue
            report.refreshed += 1
            if apply_fresh_profile(session, deps.settings, person, result, now):
                report.zone_changed += 1
