"""Roster import: planning and applying, and the stored plan between dry run and confirm."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.db import transaction
from bot.directory import DEACTIVATED
from bot.models import AuditLog, Delivery, Pair, Person
from bot.outbox import enqueue_message
from bot.people import ensure_person, zone_for
from bot.roster.apply import (
    apply_saved_plan,
    save_plan,
)
from bot.roster.blocks import welcome_message
from bot.roster.service import start_pair, welcome_key
from bot.roster.types import (
    ImportPlan,
    Refusal,
)
from bot.timing import next_contact_time
from tests.bot.roster.fixtures import (
    ANA,
    BEN,
    CHLOE,
    DEV,
    DOMAIN,
    ELI,
    FATIMA,
    active_pairs,
    add_program,
    audit_actions,
    corpus,
    mentee_id,
    mentor_id,
    program_csv,
    snapshot,
)
from tests.bot.roster.import_support import NOW, SAM, apply, check, e, stored_row
from tests.bot.roster.import_support import corpus_people as corpus_people  # a pytest fixture
from tests.conftest import ADMIN
from tests.fakes.slack_api import TEAM_ID

# --- planning and applying ------------------------------------------------------------------


def test_a_dry_run_changes_nothing(deps, corpus_people):
    before = snapshot(deps.session_factory)

    plan = check(deps, corpus("excel_semicolon_bom.csv"))

    assert len(plan.add) == 3
    assert snapshot(deps.session_factory) == before


def test_every_problem_line_gets_its_line_number_and_reason_and_good_lines_import(deps, corpus_people):
    plan = check(deps, corpus("problems.csv"))
    result = apply(deps, plan)

    assert [str(error) for error in plan.errors] == [
        f"line 2: no Slack user with email {e('nobody')}",
        f"line 3: the mentor and the mentee are the same person ({e('ben.okoro')})",
        "line 4: U0GONE001 belongs to a deactivated Slack account",
        "line 5: U0HELPBOT is a bot, not a person",
        "line 6: the mentor column isn't an email address or a Slack member ID",
        "line 7: the mentee column is empty",
        "line 8: no Slack member with ID U0NOSUCH1 in this workspace",
        f"line 9: {e('ana.ruiz')} and U0ANA0001 are the same Slack member",
        "line 10: the cohort looks like it contains a medical record or patient number",
    ]
    assert (result.added, result.errors) == (1, 9)
    assert active_pairs(deps.session_factory) == {(BEN, FATIMA, "IM")}


def test_duplicates_are_imported_once_including_the_same_person_written_two_ways(deps, corpus_people):
    plan = check(deps, corpus("duplicates.csv"))
    apply(deps, plan)

    assert [str(d) for d in plan.duplicates] == [
        "line 3: same pair as line 2",
        "line 5: same pair as line 2 (with cohort “Surgery” instead of “IM”; line 2's is used)",
        "line 6: same pair as line 4",
    ]
    assert active_pairs(deps.session_factory) == {(ANA, CHLOE, "IM"), (BEN, DEV, "IM")}


def test_applying_creates_people_pairs_welcomes_and_one_audit_row(deps, corpus_people):
    result = apply(deps, check(deps, corpus("quoted_commas.csv")))

    assert (result.added, result.welcomed, result.skipped) == (3, 5, 0)
    assert active_pairs(deps.session_factory) == {
        (ANA, CHLOE, "Surgery, PGY-1"),
        (BEN, DEV, 'Medicine, "night float"'),
        (BEN, ELI, "Medicine (second year)"),
    }
    with transaction(deps.session_factory) as session:
        people = {p.user_id: p for p in session.scalars(select(Person))}
        keys = set(session.scalars(select(Delivery.dedupe_key)))
        audit = session.scalars(select(AuditLog)).one()
    assert people[CHLOE].tz == "Australia/Sydney" and people[CHLOE].email == e("chloe.martin")
    assert people[ANA].next_nudge_at == NOW and people[BEN].next_nudge_at == NOW  # planner, look here
    assert people[DEV].next_nudge_at is None
    assert {k for k in keys if k.startswith("welcome:")} == {
        f"welcome:{TEAM_ID}:{u}" for u in (ANA, BEN, CHLOE, DEV, ELI)
    }
    # Each new pair's mentee is invited to draft a mentoring agreement (bot.agreements).
    assert len({k for k in keys if k.startswith("agreement-invite:")}) == 3
    assert (audit.actor_user_id, audit.action, audit.target) == (ADMIN, "import.apply", "roster.csv")
    assert audit.detail["added"] == 3 and len(audit.detail["added_pair_ids"]) == 3


def test_someone_who_joins_as_mentor_and_mentee_at_once_gets_one_welcome_covering_both(deps, corpus_people):
    apply(deps, check(deps, f"{e('ana.ruiz')},{e('ben.okoro')}\n{e('ben.okoro')},{e('dev.patel')}\n"))

    with transaction(deps.session_factory) as session:
        welcome = session.scalars(
            select(Delivery).where(Delivery.recipient == BEN, Delivery.dedupe_key.like("welcome:%"))
        ).one()
    text = str(welcome.payload["blocks"])
    assert f"You're now a mentor to <@{DEV}> and a mentee of <@{ANA}>." in text
    assert "*As a mentor*" in text and "*As a mentee*" in text


def test_an_imported_welcome_is_the_message_and_time_the_person_row_gives(deps, corpus_people):
    # The import works on plain records, not Person objects: what it queues must be what
    # the rules give for the row as stored (own schedule and window, a reactivated account).
    with transaction(deps.session_factory) as session:
        ana = ensure_person(session, TEAM_ID, ANA)
        ana.nudge_days, ana.nudge_minute, ana.cadence = "0,3", 7 * 60 + 15, "biweekly"
        ana.contact_start, ana.contact_end, ana.quiet_weekends = 10 * 60, 16 * 60, False
        ana.is_active, ana.inactive_reason = False, DEACTIVATED

    apply(deps, check(deps, f"{e('ana.ruiz')},{e('chloe.martin')},Surgery\n"))

    with transaction(deps.session_factory) as session:
        ana = session.scalars(select(Person).where(Person.user_id == ANA)).one()
        chloe = session.scalars(select(Person).where(Person.user_id == CHLOE)).one()
        queued = session.scalars(select(Delivery).where(Delivery.dedupe_key.like("welcome:%")))
        welcomes = {d.recipient: d for d in queued}
        for person, mentees, mentors in ((ana, [CHLOE], []), (chloe, [], [ANA])):
            zone = zone_for(session, deps.settings, person)
            text, blocks = welcome_message(
                person, zone=str(zone), mentees=mentees, mentors=mentors, cohort="Surgery"
            )
            assert welcomes[person.user_id].payload == {"text": text, "blocks": blocks}
            assert welcomes[person.user_id].due_at == next_contact_time(person, zone, NOW)
            assert person.welcomed_at == NOW
    assert (ana.is_active, ana.inactive_reason, ana.next_nudge_at) == (True, None, NOW)
    assert chloe.tz == "Australia/Sydney" and chloe.tz_refreshed_at == NOW
    assert "every other week on Monday and Thursday at 07:15" in str(welcomes[ANA].payload)


def test_reimporting_the_same_file_changes_nothing(deps, corpus_people):
    apply(deps, check(deps, corpus("medhub_export.csv")))
    before = snapshot(deps.session_factory)

    plan = check(deps, corpus("medhub_export.csv"), end_missing=True, now=NOW + timedelta(days=1))
    result = apply(deps, plan, now=NOW + timedelta(days=1))

    assert (plan.change_count, len(plan.present)) == (0, 2)
    assert (result.changed, result.welcomed) == (0, 0)
    after = snapshot(deps.session_factory)
    assert after["audit_log"] == before["audit_log"] + 1  # the (empty) import is still on record
    assert {k: v for k, v in after.items() if k != "audit_log"} == {
        k: v for k, v in before.items() if k != "audit_log"
    }


def test_applying_the_same_plan_twice_makes_each_change_once(deps, corpus_people):
    plan = check(deps, corpus("medhub_export.csv"))

    first = apply(deps, plan)
    second = apply(deps, plan)

    assert (first.added, second.added, second.skipped) == (2, 0, 2)
    assert len(active_pairs(deps.session_factory)) == 2


def test_pairs_missing_from_the_file_end_only_when_asked(deps, corpus_people):
    apply(deps, check(deps, f"{e('ana.ruiz')},{e('dev.patel')}\n{e('ben.okoro')},{e('eli.cohen')}\n"))
    update = f"{e('ana.ruiz')},{e('dev.patel')}\n"

    kept = check(deps, update)
    ending = check(deps, update, end_missing=True)
    result = apply(deps, ending)

    assert kept.end == [] and kept.change_count == 0 and kept.not_in_file == 1
    assert [(x.mentor, x.mentee) for x in ending.end] == [(BEN, ELI)]
    assert result.ended == 1
    assert active_pairs(deps.session_factory) == {(ANA, DEV, None)}
    with transaction(deps.session_factory) as session:
        assert session.scalars(select(Person.next_nudge_at).where(Person.user_id == BEN)).one() == NOW


def test_a_line_with_an_error_protects_its_peoples_pairs_from_ending(deps, corpus_people):
    apply(deps, check(deps, f"{e('ana.ruiz')},{e('dev.patel')}\n{e('ben.okoro')},{e('eli.cohen')}\n"))

    # Ben's line now has a typo in Eli's address: his pair must not be ended by mistake.
    plan = check(
        deps,
        f"{e('ana.ruiz')},{e('dev.patel')}\n{e('ben.okoro')},eli.cohen@riverside.exmaple\n",
        end_missing=True,
    )

    assert plan.end == []
    assert [(k.mentor, k.mentee) for k in plan.kept] == [(BEN, ELI)]
    assert [str(x) for x in plan.errors] == ["line 2: no Slack user with email eli.cohen@riverside.exmaple"]


def test_a_new_cohort_name_for_an_existing_pair_is_an_update(deps, corpus_people):
    apply(deps, check(deps, f"{e('ana.ruiz')},{e('dev.patel')},IM\n{e('ben.okoro')},{e('eli.cohen')},IM\n"))

    plan = check(deps, f"{e('ana.ruiz')},{e('dev.patel')},IM 2027\n{e('ben.okoro')},{e('eli.cohen')}\n")
    result = apply(deps, plan)

    assert [(c.old, c.new) for c in plan.cohort_changes] == [("IM", "IM 2027")]
    assert len(plan.present) == 1  # no cohort in the file: the existing one stays
    assert result.cohort_changed == 1
    assert active_pairs(deps.session_factory) == {(ANA, DEV, "IM 2027"), (BEN, ELI, "IM")}


def test_new_pairs_with_people_who_turned_messages_off_are_pointed_out(deps, corpus_people):
    with transaction(deps.session_factory) as session:
        ensure_person(session, TEAM_ID, DEV).opted_out_at = NOW

    plan = check(deps, f"{e('ana.ruiz')},{e('dev.patel')}\n")

    assert plan.quiet == {DEV: "has turned messages off"}


def test_a_five_hundred_pair_roster_loads_in_one_step(deps, fake_slack):
    add_program(fake_slack, mentors=200, mentees=500, extra_members=297)
    fake_slack.reset_calls()

    plan = check(deps, program_csv(500, mentors=200))
    result = apply(deps, plan)

    assert (len(plan.add), len(plan.errors), len(plan.duplicates)) == (500, 0, 0)
    assert (result.added, result.welcomed) == (500, 700)
    # 1,000 members → five users.list pages; not one lookupByEmail.
    assert len(fake_slack.calls_to("users.list")) == 5
    assert fake_slack.calls_to("users.lookupByEmail") == []
    pairs = active_pairs(deps.session_factory)
    assert len(pairs) == 500 and (mentor_id(3), mentee_id(203), "IM 2027") in pairs
    assert [a[1] for a in audit_actions(deps.session_factory)] == ["import.apply"]

    # The second time, everyone is known: no Slack calls, nothing to change.
    fake_slack.reset_calls()
    again = check(deps, program_csv(500, mentors=200))
    assert (again.change_count, len(again.present)) == (0, 500)
    assert fake_slack.calls == []


def test_each_new_pairs_invitation_names_that_pair_and_goes_to_its_mentee(deps, fake_slack):
    add_program(fake_slack, mentors=7, mentees=60)

    apply(deps, check(deps, program_csv(60, mentors=7)))

    with transaction(deps.session_factory) as session:
        mentees = dict(
            session.execute(select(Pair.id, Person.user_id).join(Person, Pair.mentee_id == Person.id)).all()
        )
        invites = session.scalars(select(Delivery).where(Delivery.kind == "agreement_invite")).all()
        welcomes = session.scalars(
            select(Delivery.recipient).where(Delivery.dedupe_key.like("welcome:%"))
        ).all()
    assert len(invites) == 60
    assert {(i.payload["pair_id"], i.recipient) for i in invites} == set(mentees.items())
    assert sorted(welcomes) == sorted({*mentees.values(), *(mentor_id(i) for i in range(7))})


def test_someone_whose_welcome_is_already_queued_is_not_queued_again_nor_marked(deps, corpus_people):
    with transaction(deps.session_factory) as session:
        ben = ensure_person(session, TEAM_ID, BEN)
        enqueue_message(
            session,
            team_id=TEAM_ID,
            recipient=BEN,
            dedupe_key=welcome_key(TEAM_ID, BEN),
            due_at=NOW,
            text="an earlier welcome",
            person_id=ben.id,
        )

    result = apply(deps, check(deps, f"{e('ana.ruiz')},{e('ben.okoro')}\n"))

    assert result.welcomed == 1
    with transaction(deps.session_factory) as session:
        texts = {
            d.recipient: d.payload["text"]
            for d in session.scalars(select(Delivery).where(Delivery.dedupe_key.like("welcome:%")))
        }
        people = {p.user_id: p.welcomed_at for p in session.scalars(select(Person))}
    assert texts[BEN] == "an earlier welcome" and set(texts) == {ANA, BEN}
    assert people[ANA] == NOW and people[BEN] is None


def test_two_thousand_messy_rows_are_checked_in_one_go(deps, fake_slack):
    add_program(fake_slack, mentors=100, mentees=1900)
    lines = program_csv(1900, mentors=100).splitlines()
    lines += [f"mentor{i}@{DOMAIN},mentee{i}@{DOMAIN},IM 2027" for i in range(50)]  # 50 duplicates
    lines += [f"mentor{i}@{DOMAIN},newcomer{i}@{DOMAIN}," for i in range(50)]  # 50 not in Slack
    lines.insert(500, "")

    plan = check(deps, ("\n".join(lines) + "\n").encode("utf-8-sig"))

    assert plan.data_rows == 2000
    assert (len(plan.add), len(plan.duplicates), len(plan.errors)) == (1900, 50, 50)
    assert str(plan.errors[0]) == f"line 1953: no Slack user with email newcomer0@{DOMAIN}"


# --- the stored plan between dry run and confirm ---------------------------------------------


def test_a_stored_plan_round_trips_and_applies_once(deps, corpus_people):
    plan = check(deps, corpus("problems.csv"))
    with transaction(deps.session_factory) as session:
        import_key = save_plan(session, team_id=TEAM_ID, plan=plan, actor=ADMIN, now=NOW)

    with transaction(deps.session_factory) as session:
        stored = ImportPlan.from_json(stored_row(session, import_key).plan)
    assert stored == plan

    with transaction(deps.session_factory) as session:
        _plan, result = apply_saved_plan(
            session, deps.settings, team_id=TEAM_ID, import_key=import_key, actor=ADMIN, now=NOW
        )
    assert result.added == 1
    with (
        transaction(deps.session_factory) as session,
        pytest.raises(Refusal, match="already applied by <@U0ADMIN01>"),
    ):
        apply_saved_plan(session, deps.settings, team_id=TEAM_ID, import_key=import_key, actor=ADMIN, now=NOW)
    with transaction(deps.session_factory) as session:
        row = stored_row(session, import_key)
        # Counts are kept; the addresses are not.
        assert row.applied_by == ADMIN and "add" not in row.plan and row.plan["applied"]["added"] == 1


def test_a_stale_plan_is_refused_and_old_unapplied_plans_are_cleared(deps, corpus_people):
    plan = check(deps, corpus("medhub_export.csv"))
    with transaction(deps.session_factory) as session:
        old_key = save_plan(session, team_id=TEAM_ID, plan=plan, actor=ADMIN, now=NOW)
    later = NOW + timedelta(hours=25)

    with transaction(deps.session_factory) as session, pytest.raises(Refusal, match="more than a day old"):
        apply_saved_plan(session, deps.settings, team_id=TEAM_ID, import_key=old_key, actor=ADMIN, now=later)
    with transaction(deps.session_factory) as session:
        save_plan(session, team_id=TEAM_ID, plan=plan, actor=ADMIN, now=later)
    with transaction(deps.session_factory) as session:
        assert stored_row(session, old_key) is None
    # An old modal's key never reaches the newer check, whatever ids the database reuses.
    with transaction(deps.session_factory) as session, pytest.raises(Refusal, match="more than a day old"):
        apply_saved_plan(session, deps.settings, team_id=TEAM_ID, import_key=old_key, actor=ADMIN, now=later)
    assert active_pairs(deps.session_factory) == set()


def test_a_plan_from_another_workspace_is_not_applied(deps, corpus_people):
    plan = check(deps, corpus("medhub_export.csv"))
    with transaction(deps.session_factory) as session:
        import_key = save_plan(session, team_id=TEAM_ID, plan=plan, actor=ADMIN, now=NOW)

    with transaction(deps.session_factory) as session, pytest.raises(Refusal):
        apply_saved_plan(
            session, deps.settings, team_id="T0OTHER01", import_key=import_key, actor=ADMIN, now=NOW
        )


def test_pairs_someone_made_by_hand_after_the_dry_run_are_not_doubled(deps, corpus_people):
    plan = check(deps, f"{e('ana.ruiz')},{e('dev.patel')}\n")
    with transaction(deps.session_factory) as session:
        ana, dev = ensure_person(session, TEAM_ID, ANA), ensure_person(session, TEAM_ID, DEV)
        start_pair(session, team_id=TEAM_ID, mentor=ana, mentee=dev, cohort=None, actor=ADMIN, now=NOW)

    result = apply(deps, plan)

    assert (result.added, result.skipped, result.already_present) == (0, 1, 1)
    assert len(active_pairs(deps.session_factory)) == 1


def test_sam_from_the_shared_fixture_resolves_by_display_form_email(deps, corpus_people):
    plan = check(deps, corpus("blank_lines_whitespace.csv"))

    assert {(p.mentor, p.mentee) for p in plan.add} == {(ANA, ELI), (BEN, FATIMA), (BEN, SAM)}
