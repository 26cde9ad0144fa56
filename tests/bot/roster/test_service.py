"""The roster service: admins, pairs, welcomes, and reading the roster back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.db import transaction
from bot.directory import Profile, fetch_profile
from bot.models import AuditLog, Delivery, Pair, Person
from bot.people import ensure_person, find_person
from bot.roster.service import (
    add_admin,
    clean_cohort,
    cohort_problem,
    list_admins,
    member_problem,
    pair_people,
    person_pairs,
    program_pairs,
    remove_admin,
    roster_rows,
    start_pair,
    unpair_people,
    welcome_key,
)
from bot.roster.types import Refusal
from tests.bot.roster.fixtures import (
    ANA,
    BEN,
    CHLOE,
    DEV,
    ELI,
    GONE,
    HELPBOT,
    add_corpus_people,
    audit_actions,
)
from tests.conftest import ADMIN, MENTEE, MENTOR
from tests.fakes.slack_api import TEAM_ID

# A Friday evening in London: outside everyone's contact window.
FRIDAY_EVENING = datetime(2026, 12, 4, 22, 0, tzinfo=UTC)


@pytest.fixture
def people(fake_slack, deps):
    add_corpus_people(fake_slack)
    return {
        uid: fetch_profile(deps.client, uid) for uid in (ADMIN, MENTOR, MENTEE, ANA, BEN, CHLOE, DEV, ELI)
    }


def pair(deps, people, mentor, mentee, cohort=None, *, now=FRIDAY_EVENING, actor=ADMIN):
    with transaction(deps.session_factory) as session:
        return pair_people(
            session,
            deps.settings,
            team_id=TEAM_ID,
            actor=actor,
            mentor=people[mentor],
            mentee=people[mentee],
            cohort=cohort,
            now=now,
        )


def unpair(deps, mentor, mentee, *, now=FRIDAY_EVENING):
    with transaction(deps.session_factory) as session:
        return unpair_people(
            session, team_id=TEAM_ID, actor=ADMIN, mentor_id=mentor, mentee_id=mentee, now=now
        )


def welcomes(deps):
    with transaction(deps.session_factory) as session:
        return {
            d.recipient: d
            for d in session.scalars(select(Delivery).where(Delivery.dedupe_key.like("welcome:%")))
        }


# --- pairing -------------------------------------------------------------------------------


def test_pairing_creates_an_active_pair_audits_it_and_asks_the_planner_to_look(deps, people):
    outcome = pair(deps, people, ANA, CHLOE, "IM 2027")

    assert outcome.status == "added"
    with transaction(deps.session_factory) as session:
        row = session.scalars(select(Pair)).one()
        assert (row.mentor.user_id, row.mentee.user_id, row.cohort) == (ANA, CHLOE, "IM 2027")
        assert row.started_at == FRIDAY_EVENING and row.ended_at is None and row.created_by == ADMIN
        # The contract with the nudge planner: next_nudge_at <= now means "plan this mentor".
        assert row.mentor.next_nudge_at == FRIDAY_EVENING
        assert row.mentee.next_nudge_at is None
        # Slack's profile was remembered on the way.
        assert (row.mentor.display_name, row.mentor.tz, row.mentor.email) == (
            "ana.ruiz",
            "Europe/London",
            "ana.ruiz@riverside.example",
        )
        audit = session.scalars(select(AuditLog)).one()
    assert (audit.actor_user_id, audit.action, audit.target) == (ADMIN, "pair.start", f"{ANA}>{CHLOE}")
    assert audit.detail == {"pair_id": row.id, "cohort": "IM 2027"}


def test_newcomers_get_one_welcome_each_due_in_their_own_working_hours(deps, people):
    outcome = pair(deps, people, ANA, CHLOE)

    assert set(outcome.welcomed) == {ANA, CHLOE}
    queued = welcomes(deps)
    # Ana is in London: Friday 22:00 is after hours, so Monday 08:00 London time.
    assert queued[ANA].due_at == datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
    # Chloé is in Sydney, where it is already Saturday morning: Monday 08:00 Sydney time.
    assert queued[CHLOE].due_at == datetime(2026, 12, 6, 21, 0, tzinfo=UTC)
    assert queued[ANA].dedupe_key == welcome_key(TEAM_ID, ANA)
    with transaction(deps.session_factory) as session:
        assert find_person(session, TEAM_ID, ANA).welcomed_at == FRIDAY_EVENING


def test_the_welcome_describes_the_mentors_own_schedule_and_how_to_change_or_stop_it(deps, people):
    pair(deps, people, ANA, CHLOE, "IM 2027")  # Ana is new, so the default schedule applies

    text = welcomes(deps)[ANA].payload
    body = " ".join(b["text"]["text"] for b in text["blocks"] if b["type"] == "section")
    assert "every week on Tuesday at 09:30 (Europe/London time)" in body
    assert "outside 08:00–18:00 your time, or at weekends" in body
    for command in ("/mentor settings", "/mentor pause 2w", "/mentor stop"):
        assert command in body
    assert f"You're now a mentor to <@{CHLOE}> (_IM 2027_)." in body
    assert "As a mentee" not in body
    assert text["text"].startswith("Welcome to Mentor Nudge")


def test_the_welcome_follows_a_mentors_chosen_days_and_cadence(deps, people):
    with transaction(deps.session_factory) as session:
        ana = ensure_person(session, TEAM_ID, ANA)
        ana.nudge_days, ana.nudge_minute, ana.cadence = "0,3", 7 * 60 + 45, "biweekly"
        ana.contact_start, ana.contact_end, ana.quiet_weekends = 7 * 60, 20 * 60, False

    pair(deps, people, ANA, CHLOE)

    body = str(welcomes(deps)[ANA].payload["blocks"])
    assert "every other week on Monday and Thursday at 07:45 (Europe/London time)" in body
    assert "outside 07:00–20:00 your time." in body


def test_mentees_hear_the_reminders_go_to_their_mentor(deps, people):
    pair(deps, people, ANA, CHLOE)

    body = str(welcomes(deps)[CHLOE].payload["blocks"])
    assert f"You're now a mentee of <@{ANA}>." in body
    assert "the reminders go to your mentor" in body
    assert "anonymously too, where the channel allows it" in body
    assert "As a mentor" not in body


def test_someone_who_is_both_mentor_and_mentee_gets_one_welcome_covering_both(deps, people):
    pair(deps, people, ANA, BEN)  # Ana welcomed as mentor, Ben as mentee
    pair(deps, people, BEN, CHLOE)  # Ben now also mentors: no second welcome

    queued = welcomes(deps)
    assert sorted(queued) == sorted([ANA, BEN, CHLOE])
    assert "As a mentor" not in str(queued[BEN].payload["blocks"])


def test_a_second_pair_sends_no_second_welcome_even_after_leaving_and_rejoining(deps, people):
    pair(deps, people, ANA, CHLOE)
    unpair(deps, ANA, CHLOE)
    second = pair(deps, people, ANA, CHLOE, now=FRIDAY_EVENING + timedelta(days=30))

    assert second.welcomed == ()
    assert len(welcomes(deps)) == 2


def test_mentors_may_have_several_mentees_and_mentees_several_mentors(deps, people):
    for mentor, mentee in ((ANA, CHLOE), (ANA, DEV), (BEN, CHLOE)):
        assert pair(deps, people, mentor, mentee).status == "added"

    with transaction(deps.session_factory) as session:
        ana = person_pairs(session, TEAM_ID, ANA, FRIDAY_EVENING)
        chloe = person_pairs(session, TEAM_ID, CHLOE, FRIDAY_EVENING)
    assert {line.mentee for line in ana.as_mentor} == {CHLOE, DEV}
    assert {line.mentor for line in chloe.as_mentee} == {ANA, BEN}


def test_pairing_an_existing_pair_changes_nothing_unless_the_cohort_is_new(deps, people):
    pair(deps, people, ANA, CHLOE, "IM")

    same = pair(deps, people, ANA, CHLOE)
    renamed = pair(deps, people, ANA, CHLOE, "IM 2027")

    assert same.status == "exists" and same.cohort == "IM"
    assert (renamed.status, renamed.previous_cohort, renamed.cohort) == ("cohort_changed", "IM", "IM 2027")
    with transaction(deps.session_factory) as session:
        assert session.scalars(select(Pair.cohort)).all() == ["IM 2027"]
    assert [a[1] for a in audit_actions(deps.session_factory)] == ["pair.start", "pair.cohort"]


def test_nobody_can_mentor_themselves(deps, people):
    with pytest.raises(Refusal, match="can't mentor themselves"):
        pair(deps, people, ANA, ANA)


def test_people_who_turned_messages_off_can_be_paired_and_the_admin_is_told(deps, people):
    with transaction(deps.session_factory) as session:
        ensure_person(session, TEAM_ID, CHLOE).opted_out_at = FRIDAY_EVENING - timedelta(days=3)

    outcome = pair(deps, people, ANA, CHLOE)

    assert outcome.status == "added"
    assert outcome.quiet == ((CHLOE, "has turned messages off"),)


# --- unpairing -----------------------------------------------------------------------------


def test_unpairing_ends_the_pair_keeps_its_history_and_a_new_pair_can_start_later(deps, people):
    pair(deps, people, ANA, CHLOE, "IM")
    later = FRIDAY_EVENING + timedelta(days=1)

    ended = unpair(deps, ANA, CHLOE, now=later)
    again = pair(deps, people, ANA, CHLOE, "IM", now=later + timedelta(days=1))

    assert ended.ended_at == later
    assert again.status == "added"
    with transaction(deps.session_factory) as session:
        rows = session.scalars(select(Pair).order_by(Pair.id)).all()
    assert [(r.ended_at, r.cohort) for r in rows] == [(later, "IM"), (None, "IM")]
    assert [a[1] for a in audit_actions(deps.session_factory)] == ["pair.start", "pair.end", "pair.start"]


def test_unpairing_a_pair_that_does_not_exist_is_refused_with_a_hint(deps, people):
    pair(deps, people, ANA, CHLOE)

    with pytest.raises(Refusal, match="isn't currently mentoring") as reversed_order:
        unpair(deps, CHLOE, ANA)
    with pytest.raises(Refusal, match="/mentor pairs"):
        unpair(deps, BEN, DEV)

    assert "paired the other way round" in str(reversed_order.value)


def test_ending_a_pair_twice_is_refused(deps, people):
    pair(deps, people, ANA, CHLOE)
    unpair(deps, ANA, CHLOE)

    with pytest.raises(Refusal):
        unpair(deps, ANA, CHLOE)


# --- admins -----------------------------------------------------------------------------


def test_admins_are_added_listed_and_removed_with_an_audit_trail(deps, people):
    with transaction(deps.session_factory) as session:
        assert add_admin(
            session, deps.settings, team_id=TEAM_ID, actor=ADMIN, profile=people[ANA], now=FRIDAY_EVENING
        )
        assert not add_admin(
            session, deps.settings, team_id=TEAM_ID, actor=ADMIN, profile=people[ANA], now=FRIDAY_EVENING
        )
        assert [(e.user_id, e.from_config) for e in list_admins(session, deps.settings, TEAM_ID)] == [
            (ADMIN, True),
            (ANA, False),
        ]
        remove_admin(session, deps.settings, team_id=TEAM_ID, actor=ADMIN, user_id=ANA, now=FRIDAY_EVENING)
        assert [e.user_id for e in list_admins(session, deps.settings, TEAM_ID)] == [ADMIN]

    assert audit_actions(deps.session_factory) == [(ADMIN, "admin.add", ANA), (ADMIN, "admin.remove", ANA)]


def test_config_admins_cannot_be_removed_in_the_app(deps):
    with transaction(deps.session_factory) as session, pytest.raises(Refusal, match="ADMIN_USER_IDS"):
        remove_admin(session, deps.settings, team_id=TEAM_ID, actor=ADMIN, user_id=ADMIN, now=FRIDAY_EVENING)


def test_the_last_admin_cannot_be_removed(deps, people, fake_slack):
    from bot.config import load_settings
    from tests.conftest import _NO_DOTENV

    no_config_admins = load_settings(
        {"DATABASE_URL": "sqlite://", "SLACK_API_URL": fake_slack.api_url}, dotenv_path=_NO_DOTENV
    )
    with transaction(deps.session_factory) as session:
        add_admin(
            session, no_config_admins, team_id=TEAM_ID, actor=ADMIN, profile=people[ANA], now=FRIDAY_EVENING
        )
        add_admin(
            session, no_config_admins, team_id=TEAM_ID, actor=ANA, profile=people[BEN], now=FRIDAY_EVENING
        )
        remove_admin(session, no_config_admins, team_id=TEAM_ID, actor=ANA, user_id=BEN, now=FRIDAY_EVENING)
        with pytest.raises(Refusal, match="You are the only admin left"):
            remove_admin(
                session, no_config_admins, team_id=TEAM_ID, actor=ANA, user_id=ANA, now=FRIDAY_EVENING
            )


def test_removing_someone_who_is_not_an_admin_is_refused(deps):
    with transaction(deps.session_factory) as session, pytest.raises(Refusal, match="isn't a program admin"):
        remove_admin(session, deps.settings, team_id=TEAM_ID, actor=ADMIN, user_id=MENTOR, now=FRIDAY_EVENING)


# --- checks ---------------------------------------------------------------------------------


def test_member_problems_name_the_reason(deps, fake_slack):
    add_corpus_people(fake_slack)

    assert "can't find a Slack member `U0NOBODY1`" in member_problem(
        fetch_profile(deps.client, "U0NOBODY1"), "U0NOBODY1"
    )
    assert "is a bot" in member_problem(fetch_profile(deps.client, HELPBOT), HELPBOT)
    assert "deactivated" in member_problem(fetch_profile(deps.client, GONE), GONE)
    assert member_problem(fetch_profile(deps.client, ANA), ANA) is None


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("  IM   2027 ", None),
        ("x" * 121, "121 characters long"),
        ("Mr Smith bed 4", "patient's name"),
        ("MRN 12345678", "record"),
    ],
)
def test_cohort_names_are_tidied_and_screened(typed, problem):
    cohort = clean_cohort(typed)
    found = cohort_problem(cohort)
    if problem is None:
        assert cohort == "IM 2027" and found is None
    else:
        assert problem in found and "nothing was saved" in found


# --- reading the roster ------------------------------------------------------------------------


def _bulk_pairs(deps, count):
    with transaction(deps.session_factory) as session:
        mentor = ensure_person(session, TEAM_ID, ANA)
        mentor.display_name = "ana.ruiz"
        for i in range(count):
            mentee = ensure_person(session, TEAM_ID, f"U9M{i:06d}")
            mentee.display_name = f"mentee{i:03d}"
            start_pair(
                session,
                team_id=TEAM_ID,
                mentor=mentor,
                mentee=mentee,
                cohort=None,
                actor=ADMIN,
                now=FRIDAY_EVENING,
            )
            if i == 3:
                mentee.opted_out_at = FRIDAY_EVENING
            if i == 4:
                mentee.is_active, mentee.inactive_reason = False, "deactivated in Slack"
            if i == 5:
                mentee.paused_until = FRIDAY_EVENING + timedelta(days=14)


def test_the_program_roster_is_paged_in_a_stable_order_and_flags_quiet_people(deps):
    _bulk_pairs(deps, 60)

    with transaction(deps.session_factory) as session:
        first = program_pairs(session, TEAM_ID, page=1, now=FRIDAY_EVENING)
        last = program_pairs(session, TEAM_ID, page=3, now=FRIDAY_EVENING)
        with pytest.raises(Refusal, match="There are 3 pages of pairs; try `/mentor pairs 3`"):
            program_pairs(session, TEAM_ID, page=4, now=FRIDAY_EVENING)
        clamped = program_pairs(session, TEAM_ID, page=9, now=FRIDAY_EVENING, clamp=True)

    assert (first.total, first.mentors, first.mentees, first.pages) == (60, 1, 60, 3)
    assert len(first.lines) == 25 and len(last.lines) == 10 and clamped.page == 3
    assert [line.mentee for line in first.lines[:2]] == ["U9M000000", "U9M000001"]
    flags = {line.mentee: line.mentee_flag for line in first.lines if line.mentee_flag}
    assert flags == {
        "U9M000003": "has turned messages off",
        "U9M000004": "inactive (deactivated in Slack)",
        "U9M000005": "paused until 18 Dec 2026",
    }
    assert first.flagged_people == 3


def test_an_empty_program_has_one_empty_page(deps):
    with transaction(deps.session_factory) as session:
        page = program_pairs(session, TEAM_ID, page=1, now=FRIDAY_EVENING)
    assert (page.total, page.pages, page.lines) == (0, 1, [])


def test_export_rows_use_emails_and_fall_back_to_slack_ids(deps, people):
    pair(deps, people, ANA, CHLOE, "IM")
    with transaction(deps.session_factory) as session:
        find_person(session, TEAM_ID, CHLOE).email = None
        rows = roster_rows(session, TEAM_ID)
    assert [(r.mentor, r.mentee, r.cohort) for r in rows] == [("ana.ruiz@riverside.example", CHLOE, "IM")]


def test_people_rows_are_never_deleted_by_unpairing(deps, people):
    pair(deps, people, ANA, CHLOE)
    unpair(deps, ANA, CHLOE)
    with transaction(deps.session_factory) as session:
        assert {p.user_id for p in session.scalars(select(Person))} >= {ANA, CHLOE}


def test_profiles_for_people_slack_has_no_zone_for_still_get_a_welcome(deps, people):
    pair(deps, people, ANA, ELI)  # Eli has no tz in Slack: the program default (UTC) applies

    assert welcomes(deps)[ELI].due_at == datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
    assert isinstance(people[ELI], Profile) and people[ELI].tz is None
