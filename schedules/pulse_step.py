"""The clock's pulse step: plan check-ins that came due, send reminders, re-queue
invitations a pause held back, and publish each workspace's answers once a quarter has
closed (`bot.pulse.publishing`, one workspace per transaction).

Each part reads an indexed "next due" column (`pair.next_pulse_at`,
`person.next_selfcheck_at`, `pulse_round.reminder_due_at`, the rounds in flight), in
batches of one transaction each, so a tick costs what is due, not the roster size.
Several clocks on PostgreSQL share the work: due rows are locked with
`FOR UPDATE SKIP LOCKED`, and a round's unique key and each outbox row's dedupe key
make a second plan a no-op. The rules live in `bot.pulse`; this module only decides
*when* they run.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session

from bot.config import Settings
from bot.db import SessionFactory, transaction
from bot.pulse.planning import BATCH_SIZE, plan_pairs, plan_self_checks, requeue_held, send_reminders
from bot.pulse.publishing import publish_team, teams_due
from bot.pulse.types import PlanReport

# A tick runs at most this many batches of each part; anything left is due on the next tick.
MAX_BATCHES = 25
# …and publishes at most this many workspaces (the rest on the next ticks).
MAX_PUBLISHED = 50

Part = Callable[[Session, Settings, datetime, PlanReport], int]
PARTS: tuple[tuple[str, Part], ...] = (
    ("pairs", plan_pairs),
    ("self_checks", plan_self_checks),
    ("reminders", send_reminders),
    ("held", requeue_held),
)


def run_pulse_step(session_factory: SessionFactory, settings: Settings, now: datetime) -> dict[str, int]:
    """Run every part of the pulse step until nothing is due; returns non-zero counts."""
    report = PlanReport()
    for name, part in PARTS:
        for _ in range(MAX_BATCHES):
            with transaction(session_factory) as session:
                done = part(session, settings, now, report)
            report.add(f"{name}_looked_at", done)
            if done < BATCH_SIZE:
                break
    publish_due(session_factory, settings, now, report)
    return dict(report.counts)


def publish_due(
    session_factory: SessionFactory, settings: Settings, now: datetime, report: PlanReport
) -> None:
    """Publish every workspace whose answers wait behind a closed quarter, one per transaction."""
    with transaction(session_factory) as session:
        teams = teams_due(session, now)
    for team_id in teams[:MAX_PUBLISHED]:
        with transaction(session_factory) as session:
            if publish_team(session, settings, team_id, now, report):
                report.add("published_workspaces")
