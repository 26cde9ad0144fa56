"""`/mentor pulse` end to end: a mentor's results and gap under the anonymity threshold,
cohort figures for admins under the same rule, the rhythm admins set, `/mentor privacy`."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.models import AuditLog, Pair, RoundKind
from schedules.clock import Clock
from tests.conftest import ADMIN, MENTEE, MENTOR
from tests.fakes.block_limits import message_errors
from tests.fakes.clock import MovableClock
from tests.pulse_helpers import FIRST_DUE, START, answer_round, answers_of, make_pair, publish, rounds

MENTEES = [f"U0MENTEE{n}" for n in range(2, 7)]  # five mentees of one mentor


@pytest.fixture
def clock():
    return MovableClock(FIRST_DUE)


@pytest.fixture
def five_pairs(session_factory, fake_slack):
    for user in MENTEES:
        fake_slack.add_user(user, tz="America/New_York")
    return [make_pair(session_factory, MENTOR, user, cohort="IM 2027") for user in MENTEES]


def shown(reply) -> str:
    body = reply.json()
    assert message_errors(body.get("text"), body.get("blocks")) == []
    return str(body["blocks"])


@pytest.mark.parametrize("answered", [2, 3, 4, 5])
def test_a_mentor_sees_mentee_figures_and_the_gap_only_from_five_different_mentees(
    deps, clock, slack, session_factory, five_pairs, answered
):
    Clock(deps).tick()
    mentee_rounds = rounds(session_factory, RoundKind.MENTEE)
    [own] = rounds(session_factory, RoundKind.MENTOR)
    answer_round(deps, own, answers_of(4, listen=3))
    for found in mentee_rounds[:answered]:
        answer_round(deps, found, answers_of(2, comment=f"Comment number {found.id}."))

    # Nothing is shown while the quarter is open, however many answered.
    during = shown(slack.command("pulse", user_id=MENTOR))
    assert "Not enough answers yet" in during and "Mentees:" not in during and "Comment number" not in during
    publish(deps, clock)
    mentor_view = shown(slack.command("pulse", user_id=MENTOR))
    admin_view = shown(slack.command("pulse program", user_id=ADMIN))

    # One mentor is never a cohort: the admin sees no figure, whatever the mentor sees.
    assert "not enough answers yet to keep them anonymous" in admin_view
    assert "2.0" not in admin_view and "— at least" not in admin_view
    if answered < 5:
        assert "Not enough answers yet to keep them anonymous" in mentor_view
        assert (
            "Mentees:" not in mentor_view and "Gap" not in mentor_view and "Comment number" not in mentor_view
        )
        assert "You: 4.0" in mentor_view  # their own self-check is theirs to see
    else:
        assert "Not enough answers yet" not in mentor_view
        assert "Mentees: *2.0*" in mentor_view and "You: 4.0" in mentor_view and "Gap: *+2.0*" in mentor_view
        assert "Gap: *+1.0*" in mentor_view  # listen: 3 against 2
        assert "January–March 2027" in mentor_view
        assert all(f"Comment number {r.id}." in mentor_view for r in mentee_rounds)


def test_admins_see_a_cohort_once_enough_mentees_answered_about_three_mentors(
    deps, clock, slack, session_factory, fake_slack
):
    for n in range(9):  # three mentors, three mentees each
        fake_slack.add_user(f"U0COH{n:04d}", tz="America/New_York")
        make_pair(session_factory, f"U0COHMTR{n // 3}", f"U0COH{n:04d}", cohort="IM 2027")
    make_pair(session_factory, "U0LONEMTR", "U0LONE001", cohort="Surgery 2027")
    Clock(deps).tick()
    for found in rounds(session_factory, RoundKind.MENTEE):
        answer_round(deps, found, answers_of(3, care=2))
    publish(deps, clock)

    view = shown(slack.command("pulse program", user_id=ADMIN))

    assert "*IM 2027* — at least 9 different mentees" in view
    assert "Caring about the learner 2.0" in view and "who led 3.0" in view
    assert "*Surgery 2027* — not enough answers yet" in view
    # The program's line is IM 2027's figures: the lone Surgery answer is in no figure.
    assert "*Whole program (published cohorts)* — at least 9 different mentees" in view


def test_a_mentor_with_one_mentee_never_sees_single_answers_however_long_they_wait(
    deps, clock, slack, session_factory, pair_id_single
):
    runner = Clock(deps)
    for period in range(6):  # a year of check-ins, each answered
        clock.set(FIRST_DUE + timedelta(days=60 * period, hours=1))
        runner.tick()
        [latest] = rounds(session_factory, RoundKind.MENTEE)[-1:]
        answer_round(deps, latest, answers_of(1))

    assert len(rounds(session_factory, RoundKind.MENTEE)) == 6
    publish(deps, clock)
    view = shown(slack.command("pulse", user_id=MENTOR))
    assert "Not enough answers yet to keep them anonymous" in view and "Mentees:" not in view


@pytest.fixture
def pair_id_single(session_factory):
    return make_pair(session_factory, MENTOR, MENTEE)


def test_an_unanswered_items_average_stays_hidden_when_too_few_rated_it(
    deps, clock, slack, session_factory, five_pairs
):
    Clock(deps).tick()
    mentee_rounds = rounds(session_factory, RoundKind.MENTEE)
    for n, found in enumerate(mentee_rounds):
        # One mentee says the who-led question doesn't apply: four ratings are too few.
        answer_round(deps, found, answers_of(3, zwisch=None if n == 0 else 2))
    publish(deps, clock)

    view = shown(slack.command("pulse", user_id=MENTOR))

    assert "Mentees: *3.0*" in view
    assert "*Who led the work*\\nMentees: too few answers to this one yet" in view


def test_a_mentee_sees_what_waits_for_them_and_can_answer_from_there(
    deps, clock, slack, fake_slack, session_factory, pair_id_single
):
    Clock(deps).tick()

    reply = slack.command("pulse", user_id=MENTEE)
    view = shown(reply)
    assert "Waiting for you" in view and f"<@{MENTOR}>" in view
    [found] = rounds(session_factory, RoundKind.MENTEE)
    answer_round(deps, found, answers_of(3))
    view = shown(slack.command("pulse", user_id=MENTEE))
    assert "Nothing is waiting for you right now" in view and "every 60 days" in view


def test_someone_outside_the_program_gets_the_explanation(deps, clock, slack):
    view = shown(slack.command("pulse", user_id=ADMIN))
    assert "30 days after a pair starts" in view and "at least 5 different mentees" in view


def test_admins_set_the_rhythm_and_pairs_follow_it(deps, clock, slack, session_factory, pair_id_single):
    Clock(deps).tick()  # pulse 1 on 3 February

    refused = slack.command("pulse every 45", user_id=MENTOR).json()
    assert "Only program admins" in refused["text"]
    bad = slack.command("pulse every 5", user_id=ADMIN).json()
    assert "`every` must be from 30 to 180 days" in bad["text"]
    done = slack.command("pulse every 45 first 21", user_id=ADMIN).json()
    assert "every 45 days" in done["text"] and "before: 30 and 60" in done["text"]
    settings_view = shown(slack.command("pulse settings", user_id=ADMIN))
    assert (
        "21 days after a pair starts, then every 45 days" in settings_view
        and "set by your admins" in settings_view
    )

    Clock(deps).tick()
    with session_factory() as session:
        pair = session.get(Pair, pair_id_single)
        # 45 days from the last check-in would be 20 March, but that one is open until 4 April:
        # the next comes when it closes, never two at once.
        assert pair.next_pulse_at == FIRST_DUE + timedelta(days=60)
        [audit] = session.scalars(select(AuditLog).where(AuditLog.action == "pulse.timing")).all()
        assert audit.actor_user_id == ADMIN and audit.detail == {"first_days": 21, "every_days": 45}


def test_a_new_pair_follows_the_rhythm_admins_chose(deps, clock, slack, session_factory, fake_slack):
    clock.set(START - timedelta(days=1))
    slack.command("pulse first 14", user_id=ADMIN)
    pair_id = make_pair(session_factory, MENTOR, MENTEE)
    runner = Clock(deps)
    clock.set(START + timedelta(days=13))
    runner.tick()
    assert fake_slack.dms_to(MENTEE) == []
    clock.set(START + timedelta(days=14))
    runner.tick()
    assert len([r for r in rounds(session_factory, RoundKind.MENTEE) if r.pair_id == pair_id]) == 1
    assert len(fake_slack.dms_to(MENTEE)) == 1


@pytest.mark.parametrize("typed", ["every ²", "every 9999999999999999999999", "first -5", "every 60 first"])
def test_a_malformed_rhythm_gets_the_usage_and_changes_nothing(deps, clock, slack, session_factory, typed):
    reply = slack.command(f"pulse {typed}", user_id=ADMIN).json()
    assert "Try `/mentor pulse every 60 first 30`" in reply["text"]
    assert "invalid literal" not in reply["text"]
    with session_factory() as session:
        assert session.scalars(select(AuditLog).where(AuditLog.action == "pulse.timing")).all() == []


def test_unknown_pulse_words_get_the_usage(deps, clock, slack):
    reply = slack.command("pulse sometimes", user_id=ADMIN).json()
    assert "Usage: `/mentor pulse [program | settings | every N first N]`" in reply["text"]
    help_text = str(slack.command("help", user_id=MENTOR).json())
    assert "pulse [program | settings | every N first N]" in help_text


def test_privacy_says_what_is_asked_and_who_sees_what(deps, slack):
    words = str(slack.command("privacy", user_id=MENTEE).json()["blocks"])
    assert "Check-ins" in words
    assert "without your name" in words and "at least 5 different mentees" in words
    assert "self-check" in words
