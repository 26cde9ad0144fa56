"""The clock's daily housekeeping: every step registered and run."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.db import transaction
from bot.models import RosterImport
from bot.roster.apply import save_plan
from bot.roster.plan import PLAN_TTL
from bot.roster.types import ImportPlan
from schedules.clock import Clock
from tests.conftest import ADMIN
from tests.fakes.slack_api import TEAM_ID


def test_housekeeping_deletes_roster_checks_nobody_applied_within_a_day(deps, clock, session_factory):
    plan = ImportPlan(source="roster.csv", end_missing=False, data_rows=1)
    with transaction(session_factory) as session:
        save_plan(session, team_id=TEAM_ID, plan=plan, actor=ADMIN, now=clock.now)
    clock.advance(seconds=PLAN_TTL.total_seconds() - 60)

    assert Clock(deps).housekeeping()["import_plans"] == {}
    clock.advance(minutes=2)
    assert Clock(deps).housekeeping()["import_plans"] == {"deleted": 1}
    with transaction(session_factory) as session:
        assert session.scalar(select(func.count()).select_from(RosterImport)) == 0
