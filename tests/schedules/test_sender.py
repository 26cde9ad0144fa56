"""The outbox sender against the fake Slack: sending, Slack errors, crashes, leases."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from bot.app import build_deps
from bot.db import transaction
from bot.models import Delivery, DeliveryStatus, Person, Workspace
from bot.outbox import DeliveryKind, ErrorOutcome, Message, enqueue, enqueue_message, message_kind
from bot.people import ensure_person
from bot.slack import make_client
from schedules.kinds import all_kinds
from schedules.sender import INTERRUPTED, MAX_ATTEMPTS, Sender, SendReport
from tests.conftest import MENTEE, MENTOR
from tests.fakes.clock import MovableClock
from tests.fakes.slack_api import TEAM_ID


@pytest.fixture
def clock():
    return MovableClock()


@pytest.fixture
def sender_deps(settings, session_factory, clock):
    # No client-side retries: each test scripts exactly what Slack answers.
    client = make_client(settings, retries=0)
    return build_deps(settings, client=client, session_factory=session_factory, clock=clock)


def make_sender(deps, worker_id="w1"):
    return Sender(deps, all_kinds(), worker_id=worker_id)


def queue(deps, key="k1", user=MENTEE, due=None, expires=None, text="Hello from the outbox"):
    with transaction(deps.session_factory) as session:
        person = ensure_person(session, TEAM_ID, user)
        created = enqueue_message(
            session,
            team_id=TEAM_ID,
            recipient=user,
            dedupe_key=key,
            due_at=due or deps.now(),
            expires_at=expires,
            text=text,
            person_id=person.id,
        )
    return created


def row(deps, key="k1") -> Delivery:
    with deps.session_factory() as session:
        return session.scalars(select(Delivery).where(Delivery.dedupe_key == key)).one()


def test_enqueue_twice_keeps_one_row(sender_deps):
    assert queue(sender_deps) is True
    assert queue(sender_deps) is False

    with sender_deps.session_factory() as session:
        assert len(session.scalars(select(Delivery)).all()) == 1


def test_due_row_is_posted_once_and_recorded(sender_deps, fake_slack):
    queue(sender_deps)
    sender = make_sender(sender_deps)

    report = sender.run_once()
    again = sender.run_once()

    assert report.sent == 1 and again.sent == 0
    [call] = fake_slack.dms_to(MENTEE)
    assert call.args["text"] == "Hello from the outbox"
    sent = row(sender_deps)
    assert sent.status == DeliveryStatus.SENT
    assert sent.channel == "D" + MENTEE[1:]
    assert sent.ts == fake_slack.messages[sent.channel][0]["ts"]
    assert sent.attempts == 1
    assert sent.sent_at == sender_deps.now()


def test_rows_not_yet_due_wait(sender_deps, fake_slack, clock):
    queue(sender_deps, due=clock.now + timedelta(minutes=10))

    assert make_sender(sender_deps).run_once().sent == 0
    clock.advance(minutes=10)
    assert make_sender(sender_deps).run_once().sent == 1
    assert len(fake_slack.dms_to(MENTEE)) == 1


def test_a_row_past_its_expiry_is_marked_expired_not_sent(sender_deps, fake_slack, clock):
    queue(sender_deps, due=clock.now, expires=clock.now + timedelta(hours=1))
    clock.advance(hours=2)

    report = make_sender(sender_deps).run_once()

    assert report.expired == 1 and report.sent == 0
    assert row(sender_deps).status == DeliveryStatus.EXPIRED
    assert fake_slack.dms_to(MENTEE) == []


def test_rate_limit_is_retried_after_retry_after(sender_deps, fake_slack, clock):
    fake_slack.rate_limit("chat.postMessage", retry_after=30)
    queue(sender_deps, key="a")
    queue(sender_deps, key="b", user=MENTOR)

    report = make_sender(sender_deps).run_once()

    # The first row hit the limit; the second was held back without calling Slack.
    assert report.sent == 0
    assert len(fake_slack.calls_to("chat.postMessage")) == 1
    for key in ("a", "b"):
        held = row(sender_deps, key)
        assert held.status == DeliveryStatus.PENDING
        assert held.next_attempt_at == clock.now + timedelta(seconds=30)
    clock.advance(seconds=31)
    assert make_sender(sender_deps).run_once().sent == 2


def test_a_429_is_handed_back_to_the_sender_not_slept_on_by_the_client(
    settings, session_factory, fake_slack, clock
):
    # Production's client waits out 429s itself; inside a tick that slept the whole
    # Retry-After (49 s once) and the next tick was skipped. The sender's copy does not.
    client = make_client(settings, retries=2)
    deps = build_deps(settings, client=client, session_factory=session_factory, clock=clock)
    fake_slack.rate_limit("chat.postMessage", retry_after=40)
    queue(deps)

    assert make_sender(deps).run_once().sent == 0
    assert len(fake_slack.calls_to("chat.postMessage")) == 1
    assert row(deps).next_attempt_at == clock.now + timedelta(seconds=40)


@pytest.mark.parametrize("fault", ["http_error"])
def test_server_errors_retry_with_backoff_then_fail(sender_deps, fake_slack, clock, fault):
    getattr(fake_slack, fault)("chat.postMessage", 503, times=MAX_ATTEMPTS)  # 503: nothing was done
    queue(sender_deps)

    waits = []
    for _ in range(MAX_ATTEMPTS - 1):
        assert make_sender(sender_deps).run_once().retried == 1
        pending = row(sender_deps)
        assert pending.status == DeliveryStatus.PENDING
        waits.append(pending.next_attempt_at - clock.now)
        clock.set(pending.next_attempt_at)
    assert waits == [timedelta(minutes=m) for m in (1, 2, 4, 8, 15)]

    report = make_sender(sender_deps).run_once()

    assert report.failed == 1
    failed = row(sender_deps)
    assert failed.status == DeliveryStatus.FAILED
    assert failed.error.startswith(f"gave up after {MAX_ATTEMPTS} tries")


def test_a_server_error_followed_by_success_sends_once(sender_deps, fake_slack, clock):
    fake_slack.http_error("chat.postMessage", 503)
    queue(sender_deps)

    make_sender(sender_deps).run_once()
    clock.advance(minutes=1)
    make_sender(sender_deps).run_once()

    assert row(sender_deps).status == DeliveryStatus.SENT
    assert len(fake_slack.messages["D" + MENTEE[1:]]) == 1


@pytest.mark.parametrize("error", ["user_not_found", "account_inactive", "user_disabled"])
def test_gone_people_are_marked_inactive_and_their_other_messages_cancelled(
    sender_deps, fake_slack, clock, error
):
    fake_slack.fail("chat.postMessage", error)
    queue(sender_deps, key="now")
    queue(sender_deps, key="later", due=clock.now + timedelta(days=1))

    report = make_sender(sender_deps).run_once()

    assert report.failed == 1
    assert row(sender_deps, "now").status == DeliveryStatus.FAILED
    assert row(sender_deps, "now").error == error
    assert row(sender_deps, "later").status == DeliveryStatus.CANCELLED
    with sender_deps.session_factory() as session:
        person = session.scalars(select(Person).where(Person.user_id == MENTEE)).one()
        assert person.is_active is False
        assert person.inactive_reason == error
        assert person.next_nudge_at is None


@pytest.mark.parametrize("error", ["invalid_auth", "token_revoked"])
def test_a_refused_token_stops_sending_for_the_workspace_and_says_so_loudly(
    sender_deps, fake_slack, clock, caplog, error
):
    fake_slack.fail("chat.postMessage", error)
    queue(sender_deps, key="a")
    queue(sender_deps, key="b", user=MENTOR)

    with caplog.at_level(logging.CRITICAL, logger="schedules.sender"):
        make_sender(sender_deps).run_once()

    assert any(error in r.getMessage() and r.levelno == logging.CRITICAL for r in caplog.records)
    assert len(fake_slack.calls_to("chat.postMessage")) == 1
    for key in ("a", "b"):
        assert row(sender_deps, key).status == DeliveryStatus.PENDING
    with sender_deps.session_factory() as session:
        assert session.get(Workspace, TEAM_ID).sending_paused_reason == f"Slack refused our token ({error})"

    clock.advance(hours=1)
    assert make_sender(sender_deps).run_once().claimed == 0
    assert len(fake_slack.calls_to("chat.postMessage")) == 1


def test_other_slack_errors_fail_the_row_with_the_code(sender_deps, fake_slack):
    fake_slack.fail("chat.postMessage", "invalid_blocks")
    queue(sender_deps)

    assert make_sender(sender_deps).run_once().failed == 1
    assert row(sender_deps).error == "invalid_blocks"


def test_paused_and_opted_out_people_get_nothing(sender_deps, fake_slack, clock):
    queue(sender_deps, key="paused", user=MENTEE)
    queue(sender_deps, key="stopped", user=MENTOR)
    with transaction(sender_deps.session_factory) as session:
        ensure_person(session, TEAM_ID, MENTEE).paused_until = clock.now + timedelta(days=3)
        ensure_person(session, TEAM_ID, MENTOR).opted_out_at = clock.now

    report = make_sender(sender_deps).run_once()

    assert report.cancelled == 2
    assert fake_slack.calls_to("chat.postMessage") == []
    assert row(sender_deps, "paused").error == "the person has paused messages"
    assert row(sender_deps, "stopped").error == "the person opted out of all messages"


def test_unknown_kind_fails_clearly(sender_deps):
    queue(sender_deps)
    with transaction(sender_deps.session_factory) as session:
        session.scalars(select(Delivery)).one().kind = "retired_kind"

    assert make_sender(sender_deps).run_once().failed == 1
    assert row(sender_deps).error == "no sender knows the kind 'retired_kind'"


def test_crash_after_claim_before_send_is_retried_once_the_lease_ends(sender_deps, fake_slack, clock):
    queue(sender_deps)
    crashed = make_sender(sender_deps, "dead-worker")
    assert crashed.claim() != []  # claimed, then the process "dies"

    assert make_sender(sender_deps, "w2").run_once().sent == 0  # lease still held
    clock.advance(minutes=6)
    report = make_sender(sender_deps, "w2").run_once()

    assert report.recovered == 1 and report.sent == 1
    assert len(fake_slack.dms_to(MENTEE)) == 1


def test_crash_between_sending_and_recording_never_resends(sender_deps, fake_slack, clock):
    queue(sender_deps)
    crashed = make_sender(sender_deps, "dead-worker")
    [delivery_id] = crashed.claim()
    # Run the real steps up to and including the Slack call, then "die" before recording.
    _team, recipient, _kind, message = crashed._prepare(delivery_id, report=SendReport(), held_teams={})
    sender_deps.client.chat_postMessage(channel=recipient, **message.as_kwargs())

    clock.advance(minutes=6)
    report = make_sender(sender_deps, "w2").run_once()

    assert report.interrupted == 1 and report.sent == 0
    assert len(fake_slack.dms_to(MENTEE)) == 1
    interrupted = row(sender_deps)
    assert interrupted.status == DeliveryStatus.INTERRUPTED
    assert interrupted.error == INTERRUPTED


def test_a_sender_whose_lease_was_taken_over_does_not_send(sender_deps, fake_slack, clock):
    queue(sender_deps)
    slow = make_sender(sender_deps, "slow")
    [delivery_id] = slow.claim()
    clock.advance(minutes=6)
    assert make_sender(sender_deps, "fast").run_once().sent == 1

    # The slow worker wakes up and carries on with its stale claim.
    slow.send_one(delivery_id, report=SendReport(), held_teams={})

    assert len(fake_slack.dms_to(MENTEE)) == 1


def test_a_row_held_by_its_kind_on_29_february_waits_instead_of_crashing(sender_deps, fake_slack, clock):
    # A hold with no retry time parks the row in the far future; 29 February has no
    # counterpart in year 9999, so that must not be built by replacing the year.
    held = DeliveryKind(
        name="held_test",
        render=lambda _s, _d, _deps: Message(text="hello"),
        on_error=lambda _s, _d, _code, _deps: ErrorOutcome("waiting for an admin", hold=True),
        to_person=False,
    )
    fake_slack.add_channel("C0CLOSED1", "closed", is_member=False)
    clock.set(clock.now.replace(year=2028, month=2, day=29))
    with transaction(sender_deps.session_factory) as session:
        ensure_person(session, TEAM_ID, MENTEE)  # creates the workspace
        enqueue(
            session,
            team_id=TEAM_ID,
            kind="held_test",
            recipient="C0CLOSED1",
            dedupe_key="k1",
            due_at=clock.now,
        )

    report = Sender(sender_deps, {**all_kinds(), "held_test": held}, worker_id="w1").run_once()

    assert report.retried == 1
    waiting = row(sender_deps)
    assert waiting.status == DeliveryStatus.PENDING
    assert waiting.next_attempt_at.year == 9999


def test_a_held_row_uses_up_no_attempts_and_waits_for_its_feature(sender_deps, fake_slack, clock):
    from bot.outbox import DeliveryKind, ErrorOutcome, Message
    from schedules.row_rules import HELD_UNTIL

    def hold_on_not_in_channel(_session, _row, code, _deps):
        return ErrorOutcome(note="waiting for an invite", hold=True) if code == "not_in_channel" else None

    kinds = {
        **all_kinds(),
        "message": DeliveryKind(
            name="message", render=lambda *_: Message(text="hello"), on_error=hold_on_not_in_channel
        ),
    }
    queue(sender_deps)
    for _ in range(MAX_ATTEMPTS + 1):
        fake_slack.fail("chat.postMessage", "not_in_channel")
        Sender(sender_deps, kinds, worker_id="w").run_once()
        held = row(sender_deps)
        assert (held.status, held.attempts, held.next_attempt_at) == (DeliveryStatus.PENDING, 0, HELD_UNTIL)
        # The feature re-arms it (say the admin pressed "try again").
        with transaction(sender_deps.session_factory) as session:
            session.get(Delivery, held.id).next_attempt_at = clock.now


def test_a_failing_on_sent_hook_does_not_turn_a_delivered_message_into_a_failure(
    sender_deps, fake_slack, clock
):
    def broken_bookkeeping(_session, _delivery, _deps):
        raise RuntimeError("a bug in a feature's on_sent hook")

    kinds = {**all_kinds(), "message": replace(message_kind(), on_sent=broken_bookkeeping)}
    queue(sender_deps)

    report = Sender(sender_deps, kinds, worker_id="w1").run_once()
    clock.advance(minutes=6)
    later = make_sender(sender_deps).run_once()

    assert report.sent == 1 and later.interrupted == 0
    sent = row(sender_deps)
    assert sent.status == DeliveryStatus.SENT and sent.ts is not None
    assert len(fake_slack.dms_to(MENTEE)) == 1


def test_a_dm_due_in_quiet_hours_waits_for_the_persons_morning(sender_deps, fake_slack, clock):
    queue(sender_deps, key="late")
    clock.set(clock.now.replace(hour=21))  # 21:00 UTC: after the default 08:00–18:00 window

    report = make_sender(sender_deps).run_once()

    waiting = row(sender_deps, "late")
    assert report.deferred == 1 and fake_slack.dms_to(MENTEE) == []
    assert (waiting.status, waiting.next_attempt_at) == (
        DeliveryStatus.PENDING,
        clock.now.replace(day=2, hour=8),
    )
    clock.set(waiting.next_attempt_at)
    assert make_sender(sender_deps).run_once().sent == 1


def test_a_dm_whose_day_ends_in_quiet_hours_expires_instead(sender_deps, fake_slack, clock):
    queue(sender_deps, key="today-only", expires=clock.now.replace(hour=23))
    clock.set(clock.now.replace(hour=21))

    assert make_sender(sender_deps).run_once().expired == 1
    assert row(sender_deps, "today-only").error == "its time ran out during the person's quiet hours"
    assert fake_slack.dms_to(MENTEE) == []


def test_something_the_person_asked_for_goes_at_any_hour(sender_deps, fake_slack, clock):
    clock.set(clock.now.replace(hour=21))
    with transaction(sender_deps.session_factory) as session:
        person = ensure_person(session, TEAM_ID, MENTEE)
        enqueue(
            session,
            team_id=TEAM_ID,
            kind="message",
            recipient=MENTEE,
            dedupe_key="asked",
            due_at=clock.now,
            payload={"text": "You asked for this"},
            person_id=person.id,
            any_hour=True,
        )

    assert make_sender(sender_deps).run_once().sent == 1


def test_one_pass_keeps_claiming_until_nothing_is_due(sender_deps, fake_slack):
    for i in range(12):
        queue(sender_deps, key=f"k{i}")

    report = Sender(sender_deps, all_kinds(), worker_id="w", batch_size=5).run_once()

    assert (report.claimed, report.sent) == (12, 12)


def test_stopping_hands_unsent_claims_back(sender_deps, fake_slack):
    for i in range(3):
        queue(sender_deps, key=f"k{i}")
    sender = Sender(sender_deps, all_kinds(), worker_id="w")
    ids = sender.claim()
    sender.stopping.set()

    sender.release(ids)

    assert {row(sender_deps, f"k{i}").status for i in range(3)} == {DeliveryStatus.PENDING}
    assert sender.run_once().claimed == 0  # a stopping sender claims nothing more


def test_rate_limits_do_not_use_up_attempts(sender_deps, fake_slack, clock):
    queue(sender_deps)
    for _ in range(MAX_ATTEMPTS + 2):
        fake_slack.rate_limit("chat.postMessage", retry_after=10)
        make_sender(sender_deps).run_once()
        clock.advance(seconds=11)

    waiting = row(sender_deps)
    assert (waiting.status, waiting.attempts) == (DeliveryStatus.PENDING, 0)
    assert make_sender(sender_deps).run_once().sent == 1


# --- the workspace's client is found before a row is marked sending ------------------------


class FlakyStore:
    """A client provider whose first look-up hits a database error, as an installation
    store's query can; counts the look-ups."""

    def __init__(self, client, failures=1):
        self.client = client
        self.failures = failures
        self.calls = 0

    def __call__(self, team_id):
        self.calls += 1
        if self.failures:
            self.failures -= 1
            raise OperationalError("SELECT ... FROM slack_installations", {}, Exception("server closed"))
        return self.client


def test_a_client_look_up_that_fails_leaves_the_row_waiting_not_failed(sender_deps, fake_slack):
    queue(sender_deps)
    store = FlakyStore(sender_deps.client)
    sender = Sender(sender_deps, all_kinds(), worker_id="w1", clients=store)

    report = sender.run_once()

    waiting = row(sender_deps)
    assert (waiting.status, waiting.attempts) == (DeliveryStatus.PENDING, 0)
    assert "could not be looked up" in waiting.error
    assert report.failed == 0 and fake_slack.dms_to(MENTEE) == []

    sender.run_once()

    assert row(sender_deps).status == DeliveryStatus.SENT
    assert len(fake_slack.dms_to(MENTEE)) == 1


def test_a_pass_looks_up_each_workspaces_client_once(sender_deps, fake_slack):
    for n in range(3):
        queue(sender_deps, key=f"k{n}")
    store = FlakyStore(sender_deps.client, failures=0)

    report = Sender(sender_deps, all_kinds(), worker_id="w1", clients=store).run_once()

    assert report.sent == 3 and store.calls == 1
