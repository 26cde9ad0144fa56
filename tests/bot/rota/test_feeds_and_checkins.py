"""Calendar feeds served by a local HTTP server (failing, then recovering), rotation
check-ins exactly once, an admin's upload, and the sender holding DMs during duty."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.db import transaction
from bot.models import Delivery, DeliveryStatus, Person, RotaFeed, RotaShift
from bot.people import ensure_person
from bot.rota.service import apply_upload, check_upload, set_feed
from bot.rota.types import CHECKIN_KIND
from schedules.clock import Clock
from schedules.rota_step import refresh_feeds, run_checkins
from tests.bot.feedback.helpers import pair_up
from tests.conftest import MENTEE, MENTOR, settings_for
from tests.fakes.clock import MovableClock
from tests.fakes.slack_api import TEAM_ID

# Monday 1 March 2027, 10:00 UTC (10:00 in London, 05:00 in New York).
NOW = datetime(2027, 3, 1, 10, 0, tzinfo=UTC)


@pytest.fixture
def clock():
    return MovableClock(NOW)


def _feed_rows(session_factory):
    with session_factory() as session:
        return session.scalars(select(RotaFeed)).all(), session.scalars(select(RotaShift)).all()


def test_a_feed_that_fails_tells_its_owner_once_then_recovers_quietly(
    session_factory, settings, calendar_server, caplog
):
    pair_up(session_factory, MENTOR, MENTEE)
    with transaction(session_factory) as session:
        masked = set_feed(
            session, settings, team_id=TEAM_ID, user_id=MENTOR, text=calendar_server.url, now=NOW
        )
    assert masked.endswith("…9f3a") and "secret-token" not in masked
    calendar_server.status = 503

    first = refresh_feeds(session_factory, settings, NOW + timedelta(days=1))
    again = refresh_feeds(session_factory, settings, NOW + timedelta(days=2))

    assert first == {"failed": 1} and again == {"failed": 1}
    [feed], shifts = _feed_rows(session_factory)
    assert feed.failing_since == NOW + timedelta(days=1) and "HTTP 503" in feed.last_error and shifts == []
    with session_factory() as session:
        notices = session.scalars(select(Delivery).where(Delivery.dedupe_key.like("rota-feed:%"))).all()
    assert len(notices) == 1  # told once, not on every failed day
    assert (
        "calendar feed" in notices[0].payload["text"]
        and calendar_server.url not in notices[0].payload["text"]
    )
    assert calendar_server.url not in caplog.text and "secret-token" not in caplog.text

    calendar_server.status = 200
    recovered = refresh_feeds(session_factory, settings, NOW + timedelta(days=3))

    assert recovered == {"ok": 1}
    [feed], shifts = _feed_rows(session_factory)
    assert feed.failing_since is None and feed.last_error is None and feed.failure_told_at is None
    assert [(s.kind, s.source) for s in shifts] == [("night", "feed")]
    assert shifts[0].starts_at == datetime(2027, 3, 2, 19, 0, tzinfo=UTC)
    assert refresh_feeds(session_factory, settings, NOW + timedelta(days=3)) == {}  # not due again yet


def _upload_rotation(session_factory, settings, text: str, when: datetime) -> None:
    with transaction(session_factory) as session:
        ensure_person(session, TEAM_ID, MENTEE).email = "sam.lee@riverside.example"
    with transaction(session_factory) as session:
        plan, key = check_upload(
            session, settings, team_id=TEAM_ID, actor="U0ADMIN01", data=text, source="rota.csv", now=when
        )
        assert plan.errors == [] and list(plan.shifts) == [MENTEE]
    with transaction(session_factory) as session:
        apply_upload(session, team_id=TEAM_ID, key=key, actor="U0ADMIN01", now=when)


ROTATION = "email,start,end,kind\nsam.lee@riverside.example,2027-03-01,2027-03-28,Cardiology\n"


def _checkins(session_factory):
    with session_factory() as session:
        return session.scalars(
            select(Delivery).where(Delivery.kind == CHECKIN_KIND).order_by(Delivery.id)
        ).all()


def test_rotation_check_ins_go_once_per_stage_even_after_a_re_import(session_factory, settings):
    pair_up(session_factory, MENTOR, MENTEE)
    _upload_rotation(session_factory, settings, ROTATION, NOW)

    run_checkins(session_factory, settings, NOW)
    run_checkins(session_factory, settings, NOW + timedelta(minutes=1))
    _upload_rotation(session_factory, settings, ROTATION, NOW + timedelta(hours=2))  # the same file again
    run_checkins(session_factory, settings, NOW + timedelta(hours=2))

    [start] = _checkins(session_factory)
    assert start.payload["stage"] == "start" and start.recipient == MENTOR
    assert start.dedupe_key.endswith(":2027-03-01:cardiology")

    for day in (14, 15, 27, 28, 29):  # the middle falls on the 15th, the end on the 28th (New York)
        run_checkins(session_factory, settings, NOW + timedelta(days=day))
    stages = [(d.payload["stage"], d.recipient) for d in _checkins(session_factory)]
    assert stages == [("start", MENTOR), ("mid", MENTOR), ("end", MENTEE)]
    with session_factory() as session:
        assert session.scalars(select(RotaShift.next_checkin_at)).all() == [None]


@pytest.mark.postgres
def test_two_clocks_on_postgresql_send_each_check_in_once(engine, fake_slack):
    if engine.dialect.name != "postgresql":
        pytest.skip("two clocks racing is a PostgreSQL matter (SQLite runs one clock)")
    from bot.db import make_session_factory

    settings = settings_for(fake_slack, engine.url.render_as_string(hide_password=False))
    session_factory = make_session_factory(engine)
    pair_up(session_factory, MENTOR, MENTEE)
    _upload_rotation(session_factory, settings, ROTATION, NOW)
    barrier = threading.Barrier(2)
    results: list[dict[str, int]] = []

    def clock() -> None:
        barrier.wait()
        results.append(run_checkins(make_session_factory(engine), settings, NOW))

    threads = [threading.Thread(target=clock) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(r.get("checkins_start", 0) for r in results) == 1
    assert len(_checkins(session_factory)) == 1


def test_the_sender_holds_a_dm_during_a_night_shift_and_the_post_call_day(
    session_factory, settings, deps, clock, fake_slack
):
    pair_up(session_factory, MENTOR, MENTEE)
    clock.set(datetime(2027, 3, 2, 20, 0, tzinfo=UTC))  # Tuesday 20:00 in London, on nights
    with transaction(session_factory) as session:
        mentor = ensure_person(session, TEAM_ID, MENTOR)
        mentor.contact_start, mentor.contact_end = 0, 24 * 60  # any hour: only duty holds it back
        session.add(
            RotaShift(
                team_id=TEAM_ID,
                person_id=mentor.id,
                kind="night",
                starts_at=datetime(2027, 3, 2, 19, 0, tzinfo=UTC),
                ends_at=datetime(2027, 3, 3, 7, 0, tzinfo=UTC),
                source="upload",
            )
        )
        from bot.outbox import enqueue_message

        enqueue_message(
            session,
            team_id=TEAM_ID,
            recipient=MENTOR,
            dedupe_key="t:1",
            due_at=clock.now,
            text="hello",
            person_id=mentor.id,
        )

    Clock(deps).tick()

    assert fake_slack.dms_to(MENTOR) == []
    with session_factory() as session:
        row = session.scalars(select(Delivery).where(Delivery.dedupe_key == "t:1")).one()
        assert row.status == DeliveryStatus.PENDING
        assert row.next_attempt_at == datetime(2027, 3, 4, 0, 0, tzinfo=UTC)  # after the post-call Wednesday
        assert session.get(Person, row.person_id).user_id == MENTOR
