"""The director digest: one DM per admin and period, in their hours, with the fortnight
against the one before, the flagged pairs and the report button — exactly once, however
many clock runs (and on PostgreSQL, two clocks at once)."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine, select

from bot.app import build_deps
from bot.db import make_session_factory, transaction
from bot.models import Delivery, DeliveryStatus
from bot.people import meet_configured_admins
from bot.program.types import DIGEST_KIND
from bot.slack import make_client
from schedules.clock import Clock
from schedules.digest_step import plan_director_digests
from schedules.kinds import all_kinds
from schedules.sender import Sender
from tests.conftest import ADMIN, _truncate_all, require_postgres, settings_for
from tests.fakes.clock import MovableClock
from tests.fakes.slack_api import TEAM_ID
from tests.program_world import meeting, nudge, pair, person, reflections

# Monday 14 December 2026, a digest day (every second Monday from 1 January 2024):
# 09:00 in New York, 23:00 in Tokyo.
DIGEST_MONDAY = datetime(2026, 12, 14, 14, 0, tzinfo=UTC)
TOKYO_ADMIN = "U0ADMTKYO"


@pytest.fixture
def clock():
    return MovableClock(DIGEST_MONDAY)


def seed(session_factory) -> None:
    """Two admins (New York by ADMIN_USER_IDS, Tokyo granted in the app) and a small program."""
    with transaction(session_factory) as session:
        person(session, ADMIN, tz="America/New_York")
        person(session, TOKYO_ADMIN, tz="Asia/Tokyo", is_admin=True)
        # No check-ins planned for these pairs: the clock's pulse step is not what is tested here.
        started = DIGEST_MONDAY - timedelta(days=90)
        busy = pair(session, "U0DM1", "U0DE1", started_at=started, next_pulse_at=None)
        pair(session, "U0DM2", "U0DE2", started_at=started, next_pulse_at=None)
        for days in (3, 5, 20):
            meeting(session, busy, recorded_at=DIGEST_MONDAY - timedelta(days=days))
        mentor = person(session, "U0DM1")
        nudge(session, mentor, sent_at=DIGEST_MONDAY - timedelta(days=4), answer="done")
        nudge(session, mentor, sent_at=DIGEST_MONDAY - timedelta(days=18))


def digests(session_factory) -> list[Delivery]:
    with session_factory() as session:
        return list(
            session.scalars(select(Delivery).where(Delivery.kind == DIGEST_KIND).order_by(Delivery.id))
        )


def test_each_admin_gets_one_digest_in_their_hours_however_often_the_clock_runs(
    deps, session_factory, fake_slack, clock
):
    fake_slack.add_user(TOKYO_ADMIN, "dr.sato", tz="Asia/Tokyo")
    seed(session_factory)
    runner = Clock(deps)

    runner.tick()
    runner.tick()

    # New York: 09:00, inside the hours. Tokyo: 23:00, so not yet.
    assert len(fake_slack.dms_to(ADMIN)) == 1 and fake_slack.dms_to(TOKYO_ADMIN) == []
    clock.set(datetime(2026, 12, 14, 23, 0, tzinfo=UTC))  # Tuesday 08:00 in Tokyo
    runner.tick()
    runner.tick()
    clock.advance(days=1)
    runner.tick()
    assert len(fake_slack.dms_to(ADMIN)) == 1 and len(fake_slack.dms_to(TOKYO_ADMIN)) == 1
    assert [row.dedupe_key for row in digests(session_factory)] == [
        f"digest:{TEAM_ID}:{ADMIN}:2026-12-14",
        f"digest:{TEAM_ID}:{TOKYO_ADMIN}:2026-12-14",
    ]
    assert {row.status for row in digests(session_factory)} == {DeliveryStatus.SENT}

    # The next period brings the next digest.
    clock.set(datetime(2026, 12, 28, 14, 0, tzinfo=UTC))
    runner.tick()
    assert len(fake_slack.dms_to(ADMIN)) == 2


def test_the_digest_compares_the_fortnight_flags_pairs_and_offers_the_full_report(
    deps, session_factory, fake_slack
):
    seed(session_factory)

    Clock(deps).tick()

    [dm] = fake_slack.dms_to(ADMIN)
    text = dm.text_of_blocks()
    assert dm.args["text"] == "Your mentoring program digest: Mon 30 Nov – Sun 13 Dec."
    assert "Meetings logged: 2 (up 1)" in text
    assert "Nudges sent: 1 (same)" in text and "Nudges answered: 1 (up 1)" in text
    assert "Response rate: 100% (before: 0%)" in text
    assert "*Pairs that need attention (1)*" in text
    assert "<@U0DM2> with <@U0DE2> — no meeting logged since the pair started 12 weeks ago" in text
    buttons = [e for b in dm.blocks if b["type"] == "actions" for e in b["elements"]]
    assert [b["action_id"] for b in buttons] == ["home_report"]


def test_a_tokyo_admins_digest_reads_in_tokyo_dates(deps, session_factory, fake_slack, clock):
    """Tokyo's fortnight runs from local midnight into Monday 30 November (15:00 UTC on the
    29th) to the one into 14 December: its dates, and the reflections counted, are Tokyo's."""
    fake_slack.add_user(TOKYO_ADMIN, "dr.sato", tz="Asia/Tokyo")
    seed(session_factory)
    with transaction(session_factory) as session:
        reflections(session, [date(2026, 11, 30), date(2026, 12, 13), date(2026, 12, 14)])

    clock.set(datetime(2026, 12, 14, 23, 0, tzinfo=UTC))  # Tuesday 08:00 in Tokyo
    Clock(deps).tick()

    [dm] = fake_slack.dms_to(TOKYO_ADMIN)
    assert dm.args["text"] == "Your mentoring program digest: Mon 30 Nov – Sun 13 Dec."
    assert dm.blocks[0]["text"]["text"] == "Program digest: Mon 30 Nov – Sun 13 Dec"
    # 30 November and 13 December, Tokyo dates; not the 14th, which began at 15:00 UTC on the 13th.
    assert "Reflections shared: 2 (up 2)" in dm.text_of_blocks()
    buttons = [e for b in dm.blocks if b["type"] == "actions" for e in b["elements"]]
    assert [b["value"] for b in buttons] == ["2026-12"]


def test_an_admin_who_is_one_no_longer_gets_no_digest(deps, session_factory, fake_slack, clock):
    fake_slack.add_user(TOKYO_ADMIN, "dr.sato", tz="Asia/Tokyo")
    seed(session_factory)
    runner = Clock(deps)
    runner.tick()
    with transaction(session_factory) as session:
        person(session, TOKYO_ADMIN, is_admin=False)

    clock.set(datetime(2026, 12, 14, 23, 0, tzinfo=UTC))
    runner.tick()

    assert fake_slack.dms_to(TOKYO_ADMIN) == []
    assert digests(session_factory)[1].status == DeliveryStatus.CANCELLED


def test_no_digest_on_other_days_late_after_its_grace_or_when_turned_off(
    deps, session_factory, fake_slack, engine
):
    seed(session_factory)
    off = settings_for(fake_slack, engine.url.render_as_string(hide_password=False), DIGEST_EVERY_DAYS="0")

    assert plan_director_digests(session_factory, deps.settings, DIGEST_MONDAY - timedelta(days=1)) is None
    assert plan_director_digests(session_factory, deps.settings, DIGEST_MONDAY + timedelta(days=4)) is None
    assert plan_director_digests(session_factory, off, DIGEST_MONDAY) is None
    assert digests(session_factory) == []
    # Two days late (a clock that was down) it still goes.
    assert plan_director_digests(session_factory, deps.settings, DIGEST_MONDAY + timedelta(days=2)) == {
        "queued": 2
    }


@pytest.fixture
def pg_engine(pg_schema_engine) -> Engine:
    require_postgres()
    assert pg_schema_engine is not None
    _truncate_all(pg_schema_engine)
    return pg_schema_engine


@pytest.mark.postgres
def test_two_clocks_at_once_send_each_admin_one_digest(pg_engine, fake_slack):
    settings = settings_for(fake_slack, pg_engine.url.render_as_string(hide_password=False))
    seed(make_session_factory(pg_engine))
    fake_slack.add_user(TOKYO_ADMIN, "dr.sato", tz="Asia/Tokyo")
    # 18:30 on the digest Monday in New York (its hours are over), 08:30 on Tuesday in Tokyo.
    clock = MovableClock(datetime(2026, 12, 14, 23, 30, tzinfo=UTC))
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def run_clock(name: str) -> None:
        deps = build_deps(
            settings,
            client=make_client(settings, retries=0),
            session_factory=make_session_factory(pg_engine),
            clock=clock,
        )
        runner = Clock(deps, sender=Sender(deps, all_kinds(), worker_id=name))
        start.wait()
        try:
            for _ in range(3):
                runner.tick()
        except BaseException as error:  # surfaced in the main thread below
            errors.append(error)

    threads = [threading.Thread(target=run_clock, args=(name,)) for name in ("clock-a", "clock-b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not errors
    assert fake_slack.dms_to(ADMIN) == []  # its hours are over: tomorrow
    assert len(fake_slack.dms_to(TOKYO_ADMIN)) == 1
    rows = digests(make_session_factory(pg_engine))
    assert len(rows) == 2 and sorted(r.status for r in rows) == [DeliveryStatus.PENDING, DeliveryStatus.SENT]


def test_an_admin_named_in_the_settings_who_never_used_the_app_still_gets_the_digest(
    deps, session_factory, fake_slack, clock
):
    with transaction(session_factory) as session:
        pair(session, "U0DM1", "U0DE1", started_at=DIGEST_MONDAY - timedelta(days=90), next_pulse_at=None)
    with transaction(session_factory) as session:
        meet_configured_admins(session, deps.settings)  # as the process does when it connects

    Clock(deps).tick()

    # ADMIN (ADMIN_USER_IDS) had no person row: connecting gave them one.
    assert len(fake_slack.dms_to(ADMIN)) == 1
    assert [row.dedupe_key for row in digests(session_factory)] == [f"digest:{TEAM_ID}:{ADMIN}:2026-12-14"]
