"""The reflection planner: every minute, turn what is due into outbox rows.

One tick does four small things, each driven by an indexed "next due" column so a tick
with nothing due costs four index lookups:

1. prompts — channels whose `next_prompt_at` has come get the month's prompt (outbox
   key channel + month) and their next date;
2. month end — prompts still unposted when their month ends are marked `missed`, and
   the admin is told;
3. summaries — posted prompts whose `summary_due_at` has come get their month-end summary
   (outbox key channel + month);
4. reminders — posted prompts whose `reminder_due_at` has come, in channels with the
   reminder switched on, get one DM per mentor in the channel who has not shared.

Everything here can run twice, or on two clocks at once: the outbox's unique keys make a
second insert a no-op, and on PostgreSQL the rows being planned are locked with
`SKIP LOCKED` so a second clock does other work instead of the same work.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.errors import SlackApiError, SlackTokenRotationError
from sqlalchemy import Select, select

from bot.db import is_sqlite, transaction
from bot.deps import Deps
from bot.installations import NotInstalled
from bot.models import PromptStatus, ReflectionChannel, ReflectionPrompt
from bot.reflections.delivery import tell_admin_about_members
from bot.reflections.planning import close_month, plan_prompt, plan_reminders, plan_summary
from bot.reflections.rules import (
    channel_zone,
    first_occurrence_from,
    from_month_index,
    local_month,
    month_index,
    occurrence,
)
from bot.reflections.types import DayRule
from bot.slack import slack_error_code

log = logging.getLogger(__name__)

# After a long outage, months older than this are not replayed one by one.
MAX_CATCH_UP = 12
# How long one clock keeps a prompt's reminders to itself while it asks Slack who is in
# the channel; if it dies, another clock takes over after this.
REMINDER_LEASE = timedelta(minutes=10)
# When Slack cannot answer who is in a channel (outage), ask again this much later.
REMINDER_RETRY = timedelta(hours=1)
MEMBERS_PAGE = 200


def prompts_due(
    next_at: datetime, rule: DayRule, minute: int, zone: ZoneInfo, now: datetime
) -> tuple[list[datetime], datetime]:
    """Pure: the prompt times due by `now` starting at `next_at`, and the one after them.

    Normally that is one prompt (or none); after an outage it is every month missed, up
    to a year, so each is recorded rather than silently skipped.
    """
    due: list[datetime] = []
    when = next_at
    while when <= now:
        if len(due) == MAX_CATCH_UP:
            return due, first_occurrence_from(rule, minute, zone, now)
        due.append(when)
        year, month = from_month_index(month_index(*local_month(when, zone)) + 1)
        when = occurrence(rule, minute, zone, year, month)
    return due, when


class ReflectionPlanner:
    """The clock's reflection step (`Clock.tick_steps`)."""

    def __init__(self, deps: Deps) -> None:
        self.deps = deps
        self._skip_locked = not is_sqlite(deps.session_factory.kw["bind"])

    def _locked(self, query: Select[Any]) -> Select[Any]:
        return query.with_for_update(skip_locked=True) if self._skip_locked else query

    def run_once(self) -> dict[str, int] | None:
        """One tick: plan prompts, close months, queue summaries and reminders."""
        now = self.deps.now()
        counts: Counter[str] = Counter()
        self.plan_prompts(now, counts)
        self.close_months(now, counts)
        self.plan_summaries(now, counts)
        self.plan_reminders(now, counts)
        return dict(counts) or None

    def plan_prompts(self, now: datetime, counts: Counter[str]) -> None:
        """Channels whose next prompt is due get it, and their next date."""
        with transaction(self.deps.session_factory) as session:
            channels = session.scalars(
                self._locked(
                    select(ReflectionChannel)
                    .where(ReflectionChannel.enabled.is_(True), ReflectionChannel.next_prompt_at <= now)
                    .order_by(ReflectionChannel.next_prompt_at)
                )
            ).all()
            for channel in channels:
                assert channel.next_prompt_at is not None
                zone = channel_zone(channel)
                due, following = prompts_due(
                    channel.next_prompt_at, DayRule.decode(channel.day_rule), channel.minute_of_day, zone, now
                )
                for when in due:
                    counts["prompts_" + plan_prompt(session, channel, when, now)] += 1
                channel.next_prompt_at = following

    def close_months(self, now: datetime, counts: Counter[str]) -> None:
        """Prompts whose month ended before they could be posted are marked missed."""
        with transaction(self.deps.session_factory) as session:
            prompts = session.scalars(
                self._locked(
                    select(ReflectionPrompt).where(
                        ReflectionPrompt.closes_at <= now, ReflectionPrompt.status.in_(PromptStatus.OPEN)
                    )
                )
            ).all()
            for prompt in prompts:
                close_month(session, prompt, self.deps, now)
                counts["prompts_missed"] += 1

    def plan_summaries(self, now: datetime, counts: Counter[str]) -> None:
        """Posted prompts whose month-end has come get their summary queued."""
        with transaction(self.deps.session_factory) as session:
            prompts = session.scalars(
                self._locked(select(ReflectionPrompt).where(ReflectionPrompt.summary_due_at <= now))
            ).all()
            for prompt in prompts:
                if prompt.channel.enabled:
                    counts["summaries"] += plan_summary(session, prompt)
                else:
                    prompt.note = "no month-end summary: prompts were turned off in this channel"
                prompt.summary_due_at = None

    def plan_reminders(self, now: datetime, counts: Counter[str]) -> None:
        """Mid-month: one DM per mentor in the channel who has not shared by name."""
        with transaction(self.deps.session_factory) as session:
            prompts = session.scalars(
                self._locked(select(ReflectionPrompt).where(ReflectionPrompt.reminder_due_at <= now))
            ).all()
            wanted: list[tuple[int, str, str]] = []
            for prompt in prompts:
                channel = prompt.channel
                if channel.enabled and channel.reminder_enabled and prompt.status == PromptStatus.POSTED:
                    wanted.append((prompt.id, prompt.team_id, prompt.channel_id))
                    prompt.reminder_due_at = now + REMINDER_LEASE
                else:
                    prompt.reminder_due_at = None
        # Slack is asked outside any transaction: a slow answer never holds the database.
        for prompt_id, team_id, channel_id in wanted:
            members, problem = self.channel_members(team_id, channel_id)
            with transaction(self.deps.session_factory) as session:
                prompt = session.get(ReflectionPrompt, prompt_id)
                assert prompt is not None
                if members is not None:
                    counts["reminders"] += plan_reminders(session, self.deps, prompt, members, now)
                    prompt.reminder_due_at = None
                elif problem in ("missing_scope", "channel_not_found", "not_in_channel"):
                    prompt.reminder_due_at = None
                    prompt.note = (
                        f"no mid-month reminders: Slack would not list the channel's members ({problem})"
                    )
                    tell_admin_about_members(session, self.deps, prompt, problem, now)
                else:
                    prompt.reminder_due_at = now + REMINDER_RETRY

    def channel_members(self, team_id: str, channel_id: str) -> tuple[set[str] | None, str | None]:
        """Everyone in a channel (needs channels:read, or groups:read for private ones)."""
        members: set[str] = set()
        try:
            client = self.deps.client_for(team_id)
            for page in client.conversations_members(channel=channel_id, limit=MEMBERS_PAGE):
                members.update(page.get("members") or [])
        except NotInstalled:
            log.warning("reflections: team=%s has no installation; no reminders for %s", team_id, channel_id)
            return None, "not_installed"
        except SlackTokenRotationError as failed:
            # This workspace's token could not be renewed; the other workspaces carry on.
            code = slack_error_code(failed.api_error)
            log.warning("reflections: team=%s token could not be refreshed (%s); no reminders", team_id, code)
            return None, code
        except SlackApiError as error:
            code = slack_error_code(error)
            log.warning("reflections: cannot list members of %s (%s); no reminders for now", channel_id, code)
            return None, code
        except OSError as error:
            log.warning(
                "reflections: cannot reach Slack to list %s (%s)", channel_id, error.__class__.__name__
            )
            return None, "network"
        return members, None
