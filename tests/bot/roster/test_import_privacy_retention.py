"""Roster import: nothing kept from a wrong file, the file's name, and the daily tidy-up."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.db import transaction
from bot.models import AuditLog
from bot.roster.apply import (
    apply_saved_plan,
    save_plan,
    tidy_import_plans,
)
from bot.roster.plan import (
    PLAN_TTL,
    plan_import,
    storable_source,
)
from bot.roster.read import (
    read_roster,
    showable_address,
)
from bot.roster.types import (
    ImportPlan,
    ParsedRoster,
    Resolution,
    RowError,
)
from tests.bot.roster.fixtures import (
    DOMAIN,
    corpus,
)
from tests.bot.roster.import_support import NOW, apply, check, e, stored_row
from tests.bot.roster.import_support import corpus_people as corpus_people  # a pytest fixture
from tests.conftest import ADMIN
from tests.fakes.slack_api import TEAM_ID

# --- a wrong file: nothing from its cells is kept ---------------------------------------------

PATIENTS = ["John Smith", "12345678", "14/03/1987", "Maria Garcia", "87654321", "1954"]


def stored_text(deps, plan):
    with transaction(deps.session_factory) as session:
        key = save_plan(session, team_id=TEAM_ID, plan=plan, actor=ADMIN, now=NOW)
    with transaction(deps.session_factory) as session:
        row = stored_row(session, key)
        return json.dumps(row.plan, ensure_ascii=False) + row.source


def test_a_patient_list_uploaded_by_mistake_leaves_no_patient_data_in_the_stored_plan(deps, corpus_people):
    plan = check(
        deps,
        "Patient,MRN,DOB,Ward\nJohn Smith,12345678,14/03/1987,4B\nMaria Garcia,87654321,02/11/1954,ICU\n",
    )

    assert plan.add == [] and len(plan.errors) == 2
    assert plan.errors[0].reason.startswith(
        "the mentor column isn't an email address or a Slack member ID; "
        "the mentee column isn't an email address or a Slack member ID; the cohort looks like it contains"
    )
    kept = stored_text(deps, plan)
    assert [word for word in PATIENTS if word in kept] == []


def test_a_patient_list_without_a_header_keeps_no_cells_of_its_first_line(deps, corpus_people):
    plan = check(deps, "John Smith,12345678,1987-03-14\nMaria Garcia,87654321,1954-11-02\n")

    assert plan.header == ["column 1", "column 2", "column 3"]
    assert "line 1 was read as a header" in plan.notes[0]
    kept = stored_text(deps, plan)
    assert [word for word in [*PATIENTS, "1987-03-14"] if word in kept] == []


def test_a_header_keeps_its_column_names():
    parsed = read_roster(f"Mentor email,Resident email,Program\n{e('a')},{e('b')},IM\n")

    assert parsed.header == ["Mentor email", "Resident email", "Program"]


@pytest.mark.parametrize(
    ("address", "shown"),
    [
        (e("nobody"), True),
        (e("o'brien+rounds"), True),
        ("U0ANA0001", True),
        (e("12345678"), False),  # a record number with a domain is still a record number
        (e("mrn.12345678"), False),
        (e("john.smith.1954-11-02"), False),
        (e("617.555.0199"), False),
        ("ana@riverside.x", False),  # read as an address, but not a well-formed email
        ("ana..ruiz@riverside.example", False),
    ],
)
def test_only_well_formed_staff_addresses_are_repeated_in_reasons(address, shown):
    assert (showable_address(address) == address) is shown
    assert showable_address(address) in (address, None)


def test_unknown_addresses_are_named_only_when_they_are_plainly_staff_emails(deps, corpus_people):
    plan = check(
        deps,
        f"{e('nobody')},{e('ana.ruiz')}\n"
        f"{e('12345678')},{e('ben.okoro')}\n"
        f"{e('chloe.martin')},ana@riverside.x\n"
        f"{e('mrn.87654321')},{e('mrn.87654321')}\n",
    )

    assert [str(error) for error in plan.errors] == [
        f"line 1: no Slack user with email {e('nobody')}",
        "line 2: no Slack user has the mentor's email",
        "line 3: no Slack user has the mentee's email",
        "line 4: the mentor and the mentee are the same person",
    ]
    kept = stored_text(deps, plan)
    assert "12345678" not in kept and 'riverside.x"' not in kept and "87654321" not in kept


def test_any_other_reason_that_looks_like_patient_data_is_not_kept(deps, session_factory):
    parsed = ParsedRoster(
        rows=[],
        errors=[
            RowError(3, "Mr Smith, born 14/03/1987"),
            RowError(4, "the mentee column is empty"),
            RowError(5, "no Slack user with email 12345678@riverside.example"),
            RowError(6, f"no Slack user with email {e('nobody')}"),
        ],
        header=None,
        delimiter=",",
        data_rows=4,
        notes=["MRN 12345678 in line 5"],
    )
    with transaction(session_factory) as session:
        plan = plan_import(
            session,
            team_id=TEAM_ID,
            parsed=parsed,
            resolution=Resolution(members={}, problems={}),
            end_missing=False,
            source="roster.csv",
            now=NOW,
        )

    hidden = (
        "this line can't be imported, and what it says isn't shown because it may hold patient information"
    )
    assert [str(error) for error in plan.errors] == [
        f"line 3: {hidden}",
        "line 4: the mentee column is empty",
        f"line 5: {hidden}",
        f"line 6: no Slack user with email {e('nobody')}",
    ]
    assert plan.notes == []


# --- the file's name is kept only when it holds no identifiers --------------------------------


@pytest.mark.parametrize(
    ("name", "kept"),
    [
        ("IM roster 2027.csv", "IM roster 2027.csv"),
        ("pasted rows", "pasted rows"),
        ("John Smith MRN 12345678.csv", "uploaded file"),
        ("smith_john_12345678.csv", "uploaded file"),  # underscores hide the number from \b
        ("Mrs_Jones_DOB_14-03-1954.xlsx.csv", "uploaded file"),
    ],
)
def test_a_file_name_is_kept_only_when_it_passes_the_privacy_check(name, kept):
    assert storable_source(name) == kept


def test_a_file_named_after_a_patient_is_stored_and_audited_as_an_uploaded_file(deps, corpus_people):
    name = "smith_john_12345678.csv"
    plan = check(deps, corpus("medhub_export.csv"), source=name)
    with transaction(deps.session_factory) as session:
        key = save_plan(session, team_id=TEAM_ID, plan=plan, actor=ADMIN, now=NOW)
    with transaction(deps.session_factory) as session:
        assert stored_row(session, key).source == "uploaded file"
        apply_saved_plan(session, deps.settings, team_id=TEAM_ID, import_key=key, actor=ADMIN, now=NOW)
    with transaction(deps.session_factory) as session:
        row = stored_row(session, key)
        targets = list(session.scalars(select(AuditLog.target)))
        assert (row.source, row.plan["source"], plan.source) == ("uploaded file",) * 3
    assert "uploaded file" in targets and not [t for t in targets if t and "12345678" in t]


def test_a_plan_checked_before_names_were_screened_is_stored_and_audited_screened(deps, corpus_people):
    # Plans made by older code (or by hand) pass through the same screen where they are stored.
    plan = ImportPlan(source="Jane_Doe_DOB_1987-03-14.csv", end_missing=False, data_rows=0)
    with transaction(deps.session_factory) as session:
        key = save_plan(session, team_id=TEAM_ID, plan=plan, actor=ADMIN, now=NOW)
    apply(deps, plan)
    with transaction(deps.session_factory) as session:
        assert stored_row(session, key).source == "uploaded file"
        assert session.scalars(select(AuditLog.target)).one() == "uploaded file"


# --- retention: the daily tidy-up ---------------------------------------------------------------


def test_unapplied_plans_older_than_a_day_are_deleted_in_every_workspace(deps, corpus_people):
    plan = check(deps, corpus("medhub_export.csv"))
    keys = {}
    with transaction(deps.session_factory) as session:
        for name, team, age in (
            # Newest first, so saving one never clears another.
            ("other team, fresh", "T0OTHER01", timedelta(hours=1)),
            ("fresh", TEAM_ID, PLAN_TTL - timedelta(minutes=1)),
            ("stale", TEAM_ID, PLAN_TTL + timedelta(minutes=1)),
            ("other team, stale", "T0OTHER01", PLAN_TTL * 3),
        ):
            keys[name] = save_plan(session, team_id=team, plan=plan, actor=ADMIN, now=NOW - age)

    assert tidy_import_plans(deps.session_factory, NOW) == {"deleted": 2}
    with transaction(deps.session_factory) as session:
        left = {name for name, key in keys.items() if stored_row(session, key) is not None}
    assert left == {"fresh", "other team, fresh"}
    assert tidy_import_plans(deps.session_factory, NOW) == {}


def test_applied_plans_are_kept_as_counts_only_however_old(deps, corpus_people):
    plan = check(deps, corpus("problems.csv"))
    long_ago = NOW - timedelta(days=400)
    with transaction(deps.session_factory) as session:
        applied_key = save_plan(session, team_id=TEAM_ID, plan=plan, actor=ADMIN, now=long_ago)
        apply_saved_plan(
            session, deps.settings, team_id=TEAM_ID, import_key=applied_key, actor=ADMIN, now=long_ago
        )
        # One applied by code that kept the whole plan (and an unscreened file name).
        untrimmed_key = save_plan(session, team_id=TEAM_ID, plan=plan, actor=ADMIN, now=long_ago)
        row = stored_row(session, untrimmed_key)
        row.applied_at, row.applied_by, row.source = long_ago, ADMIN, "smith_john_12345678.csv"
    with transaction(deps.session_factory) as session:
        applied_before = stored_row(session, applied_key).plan

    assert tidy_import_plans(deps.session_factory, NOW) == {"trimmed": 1}
    with transaction(deps.session_factory) as session:
        applied, untrimmed = stored_row(session, applied_key), stored_row(session, untrimmed_key)
        assert applied.plan == applied_before
        assert untrimmed.plan == {
            "planned": {
                "add": 1,
                "present": 0,
                "cohort_changes": 0,
                "end": 0,
                "kept": 0,
                "errors": 9,
                "duplicates": 0,
            },
            "source": "roster.csv",
        }
        assert untrimmed.source == "uploaded file"
        assert DOMAIN not in json.dumps(untrimmed.plan)
    assert tidy_import_plans(deps.session_factory, NOW) == {}
