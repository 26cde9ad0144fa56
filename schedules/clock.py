"""The clock: every minute, plan what is due and send it; once a day, housekeeping (profiles,
retention of free text, old roster checks) and the month's "did you meet?" questions."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler

from bot.collector import freeze_startup_objects
from bot.deps import Deps
from bot.roster.apply import tidy_import_plans
from schedules.agreement_step import run_agreement_reviews
from schedules.digest_step import plan_director_digests
from schedules.feedback_step import settle_feedback
from schedules.kinds import all_kinds
from schedules.meeting_step import plan_meeting_questions
from schedules.nudge_step import adopt_unscheduled, plan_due
from schedules.profile_refresh import refresh_stale_profiles
from schedules.pulse_step import run_pulse_step
from schedules.reflection_planner import ReflectionPlanner
from schedules.report_step import run_report_step, upload_report_charts
from schedules.retention_step import purge_old_text
from schedules.rota_step import refresh_feeds, run_checkins, tidy_rota_uploads
from schedules.sender import Sender
from schedules.zone_step import learn_unknown_zones

log = logging.getLogger(__name__)

# The planners tick every minute. Sending runs beside them in its own loop (the
# scheduler's "send" job, `Clock.send_loop`), pass after pass: a fan-out is paced to
# Slack's limits across minutes without stopping at each minute's end. (When sending was
# the tick's last step, each pass had to end before the next tick — a tick still running
# at the next instant makes APScheduler skip it — and could start no post that might
# outlast the minute: ~11 s of every minute went unused, 84% of Slack's allowed rate.)
TICK_INTERVAL_SECONDS = 60.0
# Clock.tick() (tests, one-off runs) still ends with a send pass that stops this long
# before the next tick would be due.
SEND_MARGIN_SECONDS = 1.5
# One pass of the send loop claims rows for this long; the next follows at once, after
# learning the zones of people the planners just made due.
SEND_PASS_SECONDS = 30.0
# With nothing sent in a pass, the loop waits this long before looking again.
SEND_IDLE_SECONDS = 1.0

# A step returns counts for the log line ({"sent": 3}) or None when it had nothing to say.
Step = Callable[[], dict[str, Any] | None]


class Clock:
    """The work the scheduler runs. Kept apart from APScheduler so tests call it directly."""

    def __init__(
        self, deps: Deps, *, sender: Sender | None = None, tick_seconds: float = TICK_INTERVAL_SECONDS
    ) -> None:
        self.deps = deps
        self.tick_seconds = tick_seconds
        # Set by stop(): long steps finish the item in hand and hand the rest back.
        self.stopping = threading.Event()
        self._tick_started = time.monotonic()
        # Its own sender claims no row of someone whose zone was never looked up: the
        # zones step before each pass reads it first (the planners add rows meanwhile).
        self.sender = sender or Sender(deps, all_kinds(), stopping=self.stopping, zones_first=True)
        # Planners first, so what they make due is sent in the same tick.
        self.tick_steps: list[tuple[str, Step]] = [
            ("nudges", self._plan_nudges),
            ("reflections", ReflectionPlanner(deps).run_once),
            ("feedback", lambda: settle_feedback(deps.session_factory, deps.settings, deps.now())),
            ("pulse", lambda: run_pulse_step(deps.session_factory, deps.settings, deps.now())),
            ("rotations", lambda: run_checkins(deps.session_factory, deps.settings, deps.now())),
            ("agreements", lambda: run_agreement_reviews(deps.session_factory, deps.settings, deps.now())),
            ("digests", lambda: plan_director_digests(deps.session_factory, deps.settings, deps.now())),
            ("reports", lambda: run_report_step(deps, deps.now())),
            # Before the sender, whose pass runs to the end of the budget: a report's charts
            # follow its covering message on the next tick (they wait for it to be sent).
            ("report_charts", lambda: upload_report_charts(deps, deps.now(), stopping=self.stopping)),
            # Just before sending: a person's zone must be known to keep to their hours.
            ("zones", lambda: learn_unknown_zones(deps)),
            ("send", self._send),
        ]
        # The scheduler runs the planners as `plan_tick` and these in `send_loop`.
        self.send_steps: list[tuple[str, Step]] = [
            ("zones", lambda: learn_unknown_zones(deps)),
            ("send", lambda: self._send_for(self.pass_seconds)),
        ]
        self.pass_seconds = SEND_PASS_SECONDS
        self.daily_steps: list[tuple[str, Step]] = [
            ("profile_refresh", lambda: refresh_stale_profiles(deps, stopping=self.stopping).counts()),
            ("nudge_adopt", lambda: {"adopted": adopt_unscheduled(deps.session_factory, deps.now())}),
            ("import_plans", lambda: tidy_import_plans(deps.session_factory, deps.now())),
            ("rota_feeds", self._refresh_feeds),
            ("rota_uploads", lambda: tidy_rota_uploads(deps.session_factory, deps.now())),
            ("retention", lambda: purge_old_text(deps.session_factory, deps.settings, deps.now())),
            (
                "meeting_questions",
                lambda: plan_meeting_questions(
                    deps.session_factory, deps.settings, deps.now(), stopping=self.stopping
                ),
            ),
            ("oauth_states", self._purge_install_links),
        ]

    def stop(self) -> None:
        """Ask running steps to wrap up (shutdown); the scheduler then waits for them."""
        self.stopping.set()

    def _plan_nudges(self) -> dict[str, Any]:
        return plan_due(self.deps.session_factory, self.deps.settings, self.deps.now()).counts()

    def _refresh_feeds(self) -> dict[str, Any]:
        deps = self.deps
        return refresh_feeds(deps.session_factory, deps.settings, deps.now(), stopping=self.stopping)

    def _purge_install_links(self) -> dict[str, Any] | None:
        """OAuth mode: forget install links (states) that expired unused."""
        if self.deps.installations is None:
            return None
        purged = self.deps.installations.purge_expired_states(self.deps.now())
        return {"purged": purged} if purged else {}

    def _send(self) -> dict[str, Any]:
        left = self.tick_seconds - SEND_MARGIN_SECONDS - (time.monotonic() - self._tick_started)
        return self._send_for(max(1.0, left))

    def _send_for(self, budget_seconds: float) -> dict[str, Any]:
        report = self.sender.run_once(budget_seconds=budget_seconds)
        return {k: v for k, v in vars(report).items() if v and k != "errors"}

    def tick(self) -> dict[str, dict[str, Any] | None]:
        """Run every per-minute step, sending last; one failing step does not stop the others.

        For tests and one-off runs: the scheduler runs the planners (`plan_tick`) and the
        sending (`send_loop`) apart."""
        self._tick_started = time.monotonic()
        return self._run("tick", self.tick_steps)

    def plan_tick(self) -> dict[str, dict[str, Any] | None]:
        """The scheduler's per-minute job: every step but zones and sending (`send_loop`)."""
        planners = [(name, step) for name, step in self.tick_steps if name not in ("zones", "send")]
        return self._run("tick", planners)

    def send_loop(self, idle_seconds: float = SEND_IDLE_SECONDS) -> None:
        """The scheduler's "send" job: send what is due, pass after pass, until stop().

        A pass that sent nothing (nothing due, all held or deferred) is followed by a
        short wait, so an idle clock asks the database about once a second."""
        failures = 0
        while not self.stopping.is_set():
            results = self._run("send", self.send_steps, quiet=True)
            if (results.get("send") or {}).get("failed") is True:
                # The pass itself raised (the database down?): wait longer each time, up
                # to a tick, so an outage logs a line a minute, not one a second.
                failures += 1
                self.stopping.wait(min(self.tick_seconds, idle_seconds * 2**failures))
                continue
            failures = 0
            if not (results.get("send") or {}).get("sent"):
                self.stopping.wait(idle_seconds)

    def housekeeping(self) -> dict[str, dict[str, Any] | None]:
        """Run the once-a-day steps (time zone refresh, retention, expired install links)."""
        return self._run("housekeeping", self.daily_steps)

    def _run(
        self, job: str, steps: list[tuple[str, Step]], *, quiet: bool = False
    ) -> dict[str, dict[str, Any] | None]:
        started = time.monotonic()
        results: dict[str, dict[str, Any] | None] = {}
        for name, step in steps:
            try:
                results[name] = step()
            except Exception:
                log.exception("%s: step %r failed; the other steps still ran", job, name)
                results[name] = {"failed": True}
        said = {name: counts for name, counts in results.items() if counts}
        if quiet and not said:
            return results  # the send loop looks every second: an idle look is not news
        level = logging.INFO if said else logging.DEBUG
        log.log(level, "%s: %s (%d ms)", job, said or "nothing due", (time.monotonic() - started) * 1000)
        return results


def build_scheduler(clock: Clock, *, background: bool) -> BaseScheduler:
    """An APScheduler that runs the planners every minute, the send loop from the start
    (until `clock.stop()`), and housekeeping daily at 03:15 UTC."""
    scheduler_class = BackgroundScheduler if background else BlockingScheduler
    # What is loaded by now (modules, models, compiled SQL) lives as long as the process:
    # frozen out of the cycle collector's sight, a full collection after a busy tick
    # (`schedules.nudge_step` pauses it for the tick) need not walk all of it again.
    freeze_startup_objects()
    scheduler = scheduler_class(
        timezone=UTC,
        # A tick that overruns is not run twice at once, and missed ticks collapse into one:
        # the planners catch up from the database, not from the number of ticks.
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 60},
    )
    scheduler.add_job(
        clock.plan_tick, "interval", seconds=clock.tick_seconds, id="tick", next_run_time=datetime.now(UTC)
    )
    # No trigger: runs once, at start, and loops until the clock stops (its own thread of
    # the scheduler's pool, beside the ticks).
    scheduler.add_job(clock.send_loop, id="send", next_run_time=datetime.now(UTC))
    scheduler.add_job(clock.housekeeping, "cron", hour=3, minute=15, id="housekeeping")
    return scheduler
