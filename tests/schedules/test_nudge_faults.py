"""Nudges when things go wrong: every Slack error the sender knows, and crashes — simulated
at each step, and one real `kill -9` of a clock process in the middle of a Slack call."""

from __future__ import annotations

import logging
import signal
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot import migrate
from bot.app import build_deps
from bot.db import make_engine, make_session_factory, transaction
from bot.models import DeliveryStatus, Workspace
from bot.people import ensure_workspace
from bot.slack import make_client
from schedules.clock import Clock
from schedules.kinds import all_kinds
from schedules.sender import INTERRUPTED, Sender, SendReport
from tests.bot.test_run_modes import app_env, start_bot, stop
from tests.conftest import MENTOR, settings_for
from tests.fakes.clock import MovableClock
from tests.fakes.slack_api import TEAM_ID
from tests.nudge_helpers import deliveries, make_mentor, person, sends

SLOT = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)  # Tuesday 09:30 in London


@pytest.fixture
def clock():
    return MovableClock(SLOT)


@pytest.fixture
def deps(settings, session_factory, clock):
    # No client-side retries: each test scripts exactly what Slack answers.
    return build_deps(
        settings, client=make_client(settings, retries=0), session_factory=session_factory, clock=clock
    )


@pytest.fixture
def mentor_id(session_factory, clock):
    return make_mentor(session_factory, MENTOR, now=SLOT)


@pytest.mark.parametrize("error", ["user_not_found", "account_inactive", "user_disabled"])
def test_a_gone_mentor_is_marked_inactive_and_never_planned_again(
    deps, clock, fake_slack, session_factory, mentor_id, error
):
    fake_slack.fail("chat.postMessage", error)

    Clock(deps).tick()

    [row] = deliveries(session_factory)
    assert (row.status, row.error) == (DeliveryStatus.FAILED, error)
    gone = person(session_factory, mentor_id)
    assert (gone.is_active, gone.inactive_reason, gone.next_nudge_at) == (False, error, None)
    assert sends(session_factory)[0].sent_at is None
    clock.advance(weeks=3)
    Clock(deps).tick()
    assert len(deliveries(session_factory)) == 1 and len(fake_slack.dms_to(MENTOR)) == 1


@pytest.mark.parametrize("error", ["invalid_auth", "token_revoked"])
def test_a_refused_token_holds_the_nudge_then_it_expires_visibly(
    deps, clock, fake_slack, session_factory, mentor_id, caplog, error
):
    fake_slack.fail("chat.postMessage", error)

    with caplog.at_level(logging.CRITICAL, logger="schedules.sender"):
        Clock(deps).tick()

    assert any(r.levelno == logging.CRITICAL and error in r.getMessage() for r in caplog.records)
    [row] = deliveries(session_factory)
    assert row.status == DeliveryStatus.PENDING
    with session_factory() as session:
        assert session.get(Workspace, TEAM_ID).sending_paused_reason == f"Slack refused our token ({error})"
    clock.set(SLOT.replace(hour=18))  # end of the contact day
    Clock(deps).tick()
    assert deliveries(session_factory)[0].status == DeliveryStatus.EXPIRED
    assert len(fake_slack.dms_to(MENTOR)) == 1


def test_a_rate_limited_nudge_waits_for_retry_after_and_is_sent_once(
    deps, clock, fake_slack, session_factory, mentor_id
):
    fake_slack.rate_limit("chat.postMessage", retry_after=120)

    Clock(deps).tick()
    [row] = deliveries(session_factory)
    assert row.status == DeliveryStatus.PENDING and row.next_attempt_at == SLOT + timedelta(seconds=120)
    clock.advance(seconds=60)
    Clock(deps).tick()
    clock.advance(seconds=60)
    Clock(deps).tick()

    assert deliveries(session_factory)[0].status == DeliveryStatus.SENT
    assert sends(session_factory)[0].sent_at == clock.now
    assert len(fake_slack.messages["D" + MENTOR[1:]]) == 1


# A dropped connection after the request went out "may have been sent": it is not
# retried (tests/schedules/test_sender_uncertain.py), so only server errors are here.
@pytest.mark.parametrize("fault", ["http_error"])
def test_server_errors_retry_until_the_nudges_day_ends_then_it_expires_visibly(
    deps, clock, fake_slack, session_factory, mentor_id, fault
):
    getattr(fake_slack, fault)("chat.postMessage", 503, times=10_000)  # 503: nothing was done

    waits = []
    for _ in range(200):
        Clock(deps).tick()
        row = deliveries(session_factory)[0]
        if row.status != DeliveryStatus.PENDING:
            break
        waits.append(row.next_attempt_at - clock.now)
        clock.set(row.next_attempt_at)

    # 1, 2, 4, 8 minutes, then every 15 minutes until the mentor's allowed hours end.
    assert waits[:5] == [timedelta(minutes=m) for m in (1, 2, 4, 8, 15)]
    assert set(waits[4:]) == {timedelta(minutes=15)}
    assert row.status == DeliveryStatus.EXPIRED and row.error.startswith("expired while Slack kept failing")
    assert fake_slack.messages["D" + MENTOR[1:]] == []
    assert len(sends(session_factory)) == 1  # the planner did not make another for the same slot


def test_a_server_error_then_success_sends_exactly_once(deps, clock, fake_slack, session_factory, mentor_id):
    fake_slack.http_error("chat.postMessage", 503)

    Clock(deps).tick()
    clock.advance(minutes=1)
    Clock(deps).tick()

    assert deliveries(session_factory)[0].status == DeliveryStatus.SENT
    assert len(fake_slack.messages["D" + MENTOR[1:]]) == 1


def test_killed_after_claiming_before_sending_the_nudge_is_sent_later_once(
    deps, clock, fake_slack, session_factory, mentor_id
):
    dead = Clock(deps, sender=Sender(deps, all_kinds(), worker_id="dead"))
    dead.tick_steps = [("nudges", dead.tick_steps[0][1])]
    dead.tick()  # planned the row…
    assert dead.sender.claim() != []  # …claimed it, and "died"

    assert Clock(deps).tick()["send"] == {}  # the lease is still held
    clock.advance(minutes=6)
    result = Clock(deps).tick()

    assert result["send"]["recovered"] == 1 and result["send"]["sent"] == 1
    assert len(fake_slack.dms_to(MENTOR)) == 1
    assert sends(session_factory)[0].sent_at == clock.now


def test_killed_after_sending_before_recording_is_never_resent(
    deps, clock, fake_slack, session_factory, mentor_id
):
    dead = Sender(deps, all_kinds(), worker_id="dead")
    plan_only = Clock(deps, sender=dead)
    plan_only.tick_steps = [("nudges", plan_only.tick_steps[0][1])]
    plan_only.tick()
    [delivery_id] = dead.claim()
    _team, recipient, _kind, message = dead._prepare(delivery_id, report=SendReport(), held_teams={})
    deps.client.chat_postMessage(channel=recipient, **message.as_kwargs())  # Slack has it; then "death"

    clock.advance(minutes=6)
    result = Clock(deps).tick()
    clock.advance(weeks=1, minutes=-6)
    Clock(deps).tick()  # next week's nudge is a new one, not a resend

    assert result["send"]["interrupted"] == 1
    first, second = deliveries(session_factory)
    assert (first.status, first.error) == (DeliveryStatus.INTERRUPTED, INTERRUPTED)
    assert second.status == DeliveryStatus.SENT
    assert len(fake_slack.dms_to(MENTOR)) == 2


def test_a_real_clock_process_killed_mid_send_never_sends_the_nudge_twice(tmp_path, fake_slack):
    """`python -m bot clock`, SIGKILLed while Slack is still answering its chat.postMessage.

    At-most-once for this window (see schedules/sender.py): the fresh sender finds the row
    in `sending`, marks it failed ("interrupted") and does not post it again.
    """
    database_url = f"sqlite:///{tmp_path / 'mn.db'}"
    engine = make_engine(database_url)
    migrate.upgrade(engine)
    session_factory = make_session_factory(engine)
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    with transaction(session_factory) as session:
        ensure_workspace(session, TEAM_ID)
    # A mentor whose slot is this very minute, in UTC, any day.
    mentor_id = make_mentor(
        session_factory,
        MENTOR,
        now=now,
        tz="UTC",
        nudge_days=str(now.weekday()),
        nudge_minute=now.hour * 60 + now.minute,
        contact_start=0,
        contact_end=1440,
        quiet_weekends=False,
    )
    fake_slack.slow("chat.postMessage", 15)
    process = start_bot("clock", env=app_env(fake_slack, database_url), cwd=tmp_path)
    try:
        fake_slack.wait_for("chat.postMessage", timeout=30)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        stop(process)
    assert process.returncode == -signal.SIGKILL
    [row] = deliveries(session_factory)
    assert row.status == DeliveryStatus.SENDING  # the Slack call may or may not have happened

    later = MovableClock(datetime.now(UTC) + timedelta(minutes=6))  # past the dead clock's lease
    settings = settings_for(fake_slack, database_url)
    fresh = build_deps(
        settings, client=make_client(settings, retries=0), session_factory=session_factory, clock=later
    )
    result = Clock(fresh).tick()

    assert result["send"]["interrupted"] == 1 and "sent" not in result["send"]
    assert len(fake_slack.dms_to(MENTOR)) == 1
    [row] = deliveries(session_factory)
    assert (row.status, row.error) == (DeliveryStatus.INTERRUPTED, INTERRUPTED)
    assert person(session_factory, mentor_id).next_nudge_at > now  # the slot is not planned again
    with session_factory() as session:
        assert len(session.scalars(select(Workspace)).all()) == 1
