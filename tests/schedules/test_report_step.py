"""The monthly report to admins: queued on each admin's first working day, sent in their
working hours through the outbox, its charts following in the same DM — exactly once per
admin and month, however often (and on however many clocks) the step runs."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.db import transaction
from bot.models import Delivery, Workspace
from bot.people import ensure_person
from bot.reports.types import REPORT_KIND
from schedules.clock import Clock
from schedules.kinds import all_kinds
from schedules.sender import Sender
from tests.conftest import ADMIN, MENTOR, settings_for
from tests.fakes.clock import MovableClock
from tests.fakes.slack_api import TEAM_ID

GRANTED = "U0GRANTED"  # an admin granted in the app, who works weekends
ADMIN_DM, GRANTED_DM = "D" + ADMIN[1:], "D" + GRANTED[1:]
# 1 November 2026 is a Sunday (and the day New York leaves summer time).
SUNDAY = datetime(2026, 11, 1, 15, tzinfo=UTC)  # 10:00 in New York
MONDAY_EARLY = datetime(2026, 11, 2, 12, tzinfo=UTC)  # 07:00, before working hours
MONDAY_EIGHT = datetime(2026, 11, 2, 13, 0, tzinfo=UTC)  # 08:00 EST


@pytest.fixture
def settings(fake_slack, engine):
    """The director digest (bot.program) also reaches admins on Mondays: off here, so the
    admins' DMs are the reports these tests are about."""
    return settings_for(fake_slack, engine.url.render_as_string(hide_password=False), DIGEST_EVERY_DAYS="0")


@pytest.fixture
def clock():
    return MovableClock(SUNDAY)


@pytest.fixture
def admins(session_factory, fake_slack):
    fake_slack.add_user(GRANTED, "dr.grant")
    with transaction(session_factory) as session:
        ensure_person(session, TEAM_ID, ADMIN)  # an admin through ADMIN_USER_IDS
        granted = ensure_person(session, TEAM_ID, GRANTED)
        granted.is_admin, granted.quiet_weekends = True, False
        ensure_person(session, TEAM_ID, MENTOR)  # not an admin: no report
        session.get(Workspace, TEAM_ID).timezone = "America/New_York"


def rows(session_factory):
    with session_factory() as session:
        return list(session.scalars(select(Delivery).where(Delivery.kind == REPORT_KIND)))


def test_each_admin_gets_octobers_report_on_their_first_working_day(deps, clock, fake_slack, admins):
    runner = Clock(deps)

    runner.tick()  # Sunday: the weekend-working admin's first working day, in their hours
    assert [c.args["channel"] for c in fake_slack.calls_to("chat.postMessage")] == [GRANTED]
    assert "program report for Oct 2026" in fake_slack.dms_to(GRANTED)[0].args["text"]
    # The charts wait for the report to be sent: they go at the start of the next tick.
    assert fake_slack.uploads.shared_in(GRANTED_DM) == []
    runner.tick()
    assert len(fake_slack.uploads.shared_in(GRANTED_DM)) == 3

    clock.set(MONDAY_EARLY)
    runner.tick()  # queued for 08:00, not sent before
    assert fake_slack.dms_to(ADMIN) == []
    [queued] = [r for r in rows(deps.session_factory) if r.recipient == ADMIN]
    assert queued.dedupe_key == f"report:{TEAM_ID}:{ADMIN}:2026-10" and queued.due_at == MONDAY_EIGHT

    clock.set(MONDAY_EIGHT)
    runner.tick()
    runner.tick()
    assert len(fake_slack.dms_to(ADMIN)) == 1
    charts = fake_slack.uploads.shared_in(ADMIN_DM)
    assert len(charts) == 3 and charts[0].filename == "mentor-nudge-2026-10-response-rate.png"
    assert all(c.content.startswith(b"\x89PNG") for c in charts)
    assert fake_slack.dms_to(MENTOR) == []
    assert {r.payload["files"] for r in rows(deps.session_factory)} == {"sent"}


def test_exactly_once_per_admin_and_month_across_reruns_and_clocks(deps, clock, fake_slack, admins):
    first = Clock(deps, sender=Sender(deps, all_kinds(), worker_id="clock-a"))
    second = Clock(deps, sender=Sender(deps, all_kinds(), worker_id="clock-b"))
    for moment in (SUNDAY, MONDAY_EARLY, MONDAY_EIGHT, datetime(2026, 11, 3, 15, tzinfo=UTC)):
        clock.set(moment)
        for runner in (first, second, first):
            runner.tick()

    assert len(fake_slack.dms_to(ADMIN)) == 1 and len(fake_slack.dms_to(GRANTED)) == 1
    assert len(fake_slack.uploads.shared_in(ADMIN_DM)) == 3
    assert len(fake_slack.uploads.shared_in(GRANTED_DM)) == 3
    assert len(rows(deps.session_factory)) == 2

    # December's first working day (Tuesday 1 December) brings November's, once.
    clock.set(datetime(2026, 12, 1, 15, tzinfo=UTC))
    first.tick()
    second.tick()
    assert sorted(r.payload["month"] for r in rows(deps.session_factory)) == [
        "2026-10",
        "2026-10",
        "2026-11",
        "2026-11",
    ]
    assert len(fake_slack.dms_to(ADMIN)) == 2


def test_charts_slack_refuses_are_not_retried_and_the_figures_still_arrive(deps, clock, fake_slack, admins):
    fake_slack.fail("files.getUploadURLExternal", "missing_scope")
    runner = Clock(deps)

    runner.tick()
    runner.tick()

    assert fake_slack.uploads.shared() == []
    [row] = [r for r in rows(deps.session_factory) if r.recipient == GRANTED]
    assert row.payload["files"] == "failed: missing_scope"
    assert len(fake_slack.calls_to("files.getUploadURLExternal")) == 1
    # The admin is told, once, in plain words and with what to do.
    [_report, note] = fake_slack.dms_to(GRANTED)
    assert "charts of your 2026-10 program report were not sent" in note.args["text"]
    assert "files:write permission: reinstall it" in note.args["text"]
    assert "`/mentor report 2026-10`" in note.args["text"]
    runner.tick()
    assert len(fake_slack.dms_to(GRANTED)) == 2


def test_an_interrupted_upload_is_told_in_working_hours(deps, clock, fake_slack, admins):
    clock.set(MONDAY_EIGHT)
    Clock(deps).tick()
    with transaction(deps.session_factory) as session:
        row = session.scalars(select(Delivery).where(Delivery.recipient == ADMIN)).one()
        # A clock died mid-upload at 08:00: the charts stay "sending".
        row.payload = {**row.payload, "files": "sending", "files_at": MONDAY_EIGHT.isoformat()}

    clock.set(datetime(2026, 11, 2, 23, 30, tzinfo=UTC))  # 18:30 in New York: after hours
    Clock(deps).tick()
    assert [r.payload["files"] for r in rows(deps.session_factory) if r.recipient == ADMIN] == ["interrupted"]
    assert len(fake_slack.dms_to(ADMIN)) == 1  # only the report so far: the note waits

    clock.set(datetime(2026, 11, 3, 14, tzinfo=UTC))  # 09:00 the next day
    Clock(deps).tick()
    [_report, note] = fake_slack.dms_to(ADMIN)
    assert "not sent: the upload was interrupted" in note.args["text"]


def test_outside_the_first_days_nothing_is_queued(deps, clock, fake_slack, admins):
    clock.set(datetime(2026, 11, 20, 15, tzinfo=UTC))
    Clock(deps).tick()

    assert rows(deps.session_factory) == []


def test_a_file_server_refusal_is_recorded_and_told(deps, clock, fake_slack, admins):
    fake_slack.uploads.refuse_status, fake_slack.uploads.refuse_next = 202, 1
    runner = Clock(deps)

    runner.tick()
    runner.tick()

    [row] = [r for r in rows(deps.session_factory) if r.recipient == GRANTED]
    assert row.payload["files"] == "failed: SlackRequestError"
    [_report, note] = fake_slack.dms_to(GRANTED)
    assert "not sent: Slack's file server did not take them" in note.args["text"]


def test_an_admin_ahead_of_the_program_gets_the_month_once_it_has_ended_there(
    deps, clock, fake_slack, admins
):
    with transaction(deps.session_factory) as session:
        granted = ensure_person(session, TEAM_ID, GRANTED)
        granted.tz_override = "Asia/Tokyo"
    runner = Clock(deps)
    # 08:00 on Tuesday 1 December in Tokyo; still 18:00 on 30 November in New York.
    clock.set(datetime(2026, 11, 30, 23, tzinfo=UTC))
    runner.tick()
    assert fake_slack.dms_to(GRANTED) == []
    [queued] = [r for r in rows(deps.session_factory) if r.payload["month"] == "2026-11"]
    assert queued.due_at.replace(tzinfo=UTC) == datetime(2026, 12, 1, 5, tzinfo=UTC)  # midnight in New York

    clock.set(datetime(2026, 12, 1, 5, tzinfo=UTC))  # 14:00 in Tokyo
    runner.tick()
    assert "program report for Nov 2026" in fake_slack.dms_to(GRANTED)[0].args["text"]
