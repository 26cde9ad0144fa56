"""The clock's daily housekeeping: every step registered and run."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

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


def test_housekeeping_forgets_install_links_that_expired_unused(browser, oauth_deps, clock, engine):
    from tests.oauth_helpers import start_install

    start_install(browser)  # someone opened /slack/install and never came back
    # The state store stamps its links with the real time.
    clock.set(datetime.now(UTC) + timedelta(minutes=5))
    assert Clock(oauth_deps).housekeeping()["oauth_states"] == {}
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM slack_oauth_states").scalar() == 1

    clock.set(datetime.now(UTC) + timedelta(minutes=11))
    assert Clock(oauth_deps).housekeeping()["oauth_states"] == {"purged": 1}
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM slack_oauth_states").scalar() == 0


def test_single_workspace_mode_has_no_install_links_to_forget(deps):
    assert Clock(deps).housekeeping()["oauth_states"] is None
