"""CSV roster import: messy files, resolving people through Slack, planning and applying."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.db import make_engine, make_session_factory, transaction
from bot.models import AuditLog, Base, Delivery, Pair, Person, RosterImport
from bot.outbox import enqueue_message
from bot.people import ensure_person
from bot.roster.apply import (
    apply_plan,
    apply_saved_plan,
    save_plan,
    tidy_import_plans,
)
from bot.roster.plan import (
    PLAN_TTL,
    check_roster,
    plan_import,
    storable_source,
)
from bot.roster.read import (
    CLI_MAX_DATA_ROWS,
    MAX_DATA_ROWS,
    normalize_address,
    read_roster,
    showable_address,
)
from bot.roster.resolve import LOOKUP_LIMIT, resolve_addresses
from bot.roster.service import start_pair, welcome_key
from bot.roster.types import (
    ImportPlan,
    ParsedRoster,
    Refusal,
    Resolution,
    RosterFileError,
    RowError,
)
from bot.slack import make_client
from tests.bot.roster.fixtures import (
    ANA,
    BEN,
    CHLOE,
    DEV,
    DOMAIN,
    ELI,
    FATIMA,
    active_pairs,
    add_corpus_people,
    add_program,
    audit_actions,
    corpus,
    mentee_id,
    mentor_id,
    program_csv,
    snapshot,
)
from tests.conftest import ADMIN, MENTEE, settings_for
from tests.fakes.slack_api import TEAM_ID

NOW = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)
SAM = MENTEE  # sam.lee@riverside.example in the shared fixture


def rows_of(name):
    parsed = read_roster(corpus(name))
    return parsed, [(r.line, r.mentor, r.mentee, r.cohort) for r in parsed.rows]


# --- reading messy files ------------------------------------------------------------------


def e(name):
    return f"{name}@{DOMAIN}"


@pytest.mark.parametrize(
    ("name", "delimiter", "expected"),
    [
        (
            "excel_semicolon_bom.csv",
            ";",
            [
                (2, e("ana.ruiz"), e("chloe.martin"), "Internal Medicine 2027"),
                (3, e("ana.ruiz"), e("dev.patel"), "Internal Medicine 2027"),
                (4, e("ben.okoro"), e("eli.cohen"), "Surgery"),
            ],
        ),
        (
            "quoted_commas.csv",
            ",",
            [
                (2, e("ana.ruiz"), e("chloe.martin"), "Surgery, PGY-1"),
                (3, e("ben.okoro"), e("dev.patel"), 'Medicine, "night float"'),
                (4, e("ben.okoro"), e("eli.cohen"), "Medicine (second year)"),
            ],
        ),
        (
            "blank_lines_whitespace.csv",
            ",",
            [
                (2, e("ana.ruiz"), e("eli.cohen"), "Family Medicine"),
                (5, e("ben.okoro"), e("fatima.haddad"), None),
                (8, e("ben.okoro"), e("sam.lee"), None),
            ],
        ),
        (
            "medhub_export.csv",
            ",",
            [
                (2, e("ana.ruiz"), e("chloe.martin"), "Internal Medicine Residency"),
                (3, e("ben.okoro"), e("fatima.haddad"), "General Surgery Residency"),
            ],
        ),
        (
            "excel_unicode_text.txt",
            "\t",
            [
                (2, e("ana.ruiz"), e("dev.patel"), "Pédiatrie"),
                (3, e("ben.okoro"), e("eli.cohen"), "Pédiatrie"),
            ],
        ),
        (
            "windows_1252.csv",
            ";",
            [(2, e("ana.ruiz"), e("fatima.haddad"), "Pédiatrie – Hôpital Nord")],
        ),
        ("excel_sep_line.csv", ";", [(3, e("ana.ruiz"), e("chloe.martin"), None)]),
        (
            "unknown_header.csv",
            ",",
            [
                (2, e("ana.ruiz"), e("chloe.martin"), "IM"),
                (3, e("ben.okoro"), e("dev.patel"), "Surgery, PGY-2"),
            ],
        ),
    ],
)
def test_messy_files_read_into_the_same_clean_rows(name, delimiter, expected):
    parsed, rows = rows_of(name)

    assert parsed.delimiter == delimiter
    assert rows == expected
    assert parsed.errors == []


def test_a_header_that_names_no_roles_is_reported_and_columns_are_read_in_order():
    parsed, _rows = rows_of("unknown_header.csv")

    assert parsed.header == ["Person A", "Person B", "Group"]
    assert parsed.notes == [
        "line 1 was read as a header, but I couldn't tell which column is the mentor and which the mentee, "
        "so I used column 1 for mentors and column 2 for mentees"
    ]


def test_header_columns_are_found_by_name_whatever_their_order():
    parsed = read_roster(
        f"Cohort;Mentee (email);Mentee name;Mentor\nIM;{e('dev.patel')};Dev;{e('ana.ruiz')}\n"
    )

    assert [(r.mentor, r.mentee, r.cohort) for r in parsed.rows] == [(e("ana.ruiz"), e("dev.patel"), "IM")]


def test_bad_lines_are_reported_with_line_numbers_and_the_rest_still_read():
    parsed, rows = rows_of("problems.csv")

    assert [str(error) for error in parsed.errors] == [
        f"line 3: the mentor and the mentee are the same person ({e('ben.okoro')})",
        "line 6: the mentor column isn't an email address or a Slack member ID",
        "line 7: the mentee column is empty",
        "line 10: the cohort looks like it contains a medical record or patient number",
    ]
    assert [r[0] for r in rows] == [2, 4, 5, 8, 9, 11]


def test_a_line_with_one_value_says_what_is_missing():
    parsed = read_roster(f"{e('a')},{e('b')}\n{e('c')}\n  ,{e('d')}\n")

    assert [str(x) for x in parsed.errors] == [
        "line 2: only one value on this line; expected a mentor email, then a mentee email",
        "line 3: only one value on this line; expected a mentor email, then a mentee email",
    ]


def test_duplicate_lines_are_reported_and_read_once():
    parsed, rows = rows_of("duplicates.csv")

    assert [r[0] for r in rows] == [2, 4, 6]
    assert [str(d) for d in parsed.duplicates] == [
        "line 3: same pair as line 2",
        "line 5: same pair as line 2 (with cohort “Surgery” instead of “IM”; line 2's is used)",
    ]


@pytest.mark.parametrize(
    ("cell", "address"),
    [
        ("  Ana.Ruiz@Riverside.Example ", "ana.ruiz@riverside.example"),
        ("Dr Ana Ruiz <ana.ruiz@riverside.example>", "ana.ruiz@riverside.example"),
        ("mailto:ana.ruiz@riverside.example", "ana.ruiz@riverside.example"),
        ("U0ANA0001", "U0ANA0001"),
        ("<@U0ANA0001|ana>", "U0ANA0001"),
        ("'ana.ruiz@riverside.example'", "ana.ruiz@riverside.example"),
    ],
)
def test_addresses_are_normalised(cell, address):
    assert normalize_address(cell) == (address, None)


@pytest.mark.parametrize(
    "cell", ["ana", "ana@", "@riverside.example", "ana ruiz@x.org", "u0ana0001", "<!channel>"]
)
def test_things_that_are_not_addresses_are_refused_without_repeating_them(cell):
    address, problem = normalize_address(cell)

    assert address is None and problem == "isn't an email address or a Slack member ID"


def test_a_quoted_field_spanning_lines_keeps_later_line_numbers_right():
    parsed = read_roster(f'{e("a")},{e("b")},"two\nlines"\n{e("c")},{e("c")}\n')

    assert [(r.line, r.cohort) for r in parsed.rows] == [(1, "two lines")]
    assert [str(x) for x in parsed.errors] == [
        f"line 3: the mentor and the mentee are the same person ({e('c')})"
    ]


def test_two_thousand_rows_are_read_with_their_line_numbers():
    text = program_csv(2000, mentors=100)

    parsed = read_roster(text.encode("utf-8-sig"))

    assert parsed.data_rows == 2000 and len(parsed.rows) == 2000
    assert (parsed.rows[-1].line, parsed.rows[-1].mentor, parsed.rows[-1].mentee) == (
        2001,
        e("mentor99"),
        e("mentee1999"),
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "doesn't look like a CSV"),
        (b"\n\n  \n,,\n", "couldn't find any rows"),
        (b"Mentor,Mentee\n", "couldn't find any rows"),
        (b"x" * (5 * 1024 * 1024 + 1), "the most I can read is 5 MB"),
    ],
)
def test_unusable_files_are_refused_as_a_whole(data, message):
    with pytest.raises(RosterFileError, match=message):
        read_roster(data)


def test_files_longer_than_the_row_limit_are_refused():
    with pytest.raises(RosterFileError, match="Split it"):
        read_roster(program_csv(MAX_DATA_ROWS + 1))


def test_the_command_line_reads_files_past_the_slack_upload_row_limit():
    parsed = read_roster(program_csv(MAX_DATA_ROWS + 1), max_rows=CLI_MAX_DATA_ROWS)

    assert parsed.data_rows == len(parsed.rows) == MAX_DATA_ROWS + 1
    assert parsed.rows[-1].line == MAX_DATA_ROWS + 2  # after the header


# --- resolving people ------------------------------------------------------------------------


def test_a_few_unknown_emails_are_looked_up_one_by_one(deps, fake_slack):
    add_corpus_people(fake_slack)
    fake_slack.reset_calls()

    found = resolve_addresses(
        deps.client, deps.session_factory, TEAM_ID, [e("ana.ruiz"), e("nobody"), "U0NOSUCH1"]
    )

    assert found.members[e("ana.ruiz")].user_id == ANA
    assert found.problems == {
        e("nobody"): f"no Slack user with email {e('nobody')}",
        "U0NOSUCH1": "no Slack member with ID U0NOSUCH1 in this workspace",
    }
    assert len(fake_slack.calls_to("users.lookupByEmail")) == 2
    assert len(fake_slack.calls_to("users.info")) == 1
    assert fake_slack.calls_to("users.list") == []


def test_many_unknown_emails_are_resolved_with_one_paged_users_list_sweep(deps, fake_slack):
    add_program(fake_slack, mentors=30, mentees=30, extra_members=400)
    addresses = [e(f"mentor{i}") for i in range(30)] + [e(f"mentee{i}") for i in range(30)] + [e("ghost")]
    fake_slack.reset_calls()

    found = resolve_addresses(deps.client, deps.session_factory, TEAM_ID, addresses)

    assert len(addresses) > LOOKUP_LIMIT and found.swept
    assert found.members[e("mentor7")].user_id == mentor_id(7)  # Slack's "Mentor7@…" matched case-blind
    assert found.problems == {e("ghost"): f"no Slack user with email {e('ghost')}"}
    # 463 members at 200 a page: three calls, instead of 61 lookups.
    assert len(fake_slack.calls_to("users.list")) == 3
    assert fake_slack.calls_to("users.lookupByEmail") == []


def test_a_sweep_tells_deactivated_accounts_and_bots_from_unknown_people(deps, fake_slack):
    add_corpus_people(fake_slack)
    fake_slack.add_user(
        "U0REHIRED", "rehired", email=e("former.fellow")
    )  # the address moved to a new account

    found = resolve_addresses(
        deps.client,
        deps.session_factory,
        TEAM_ID,
        [e("former.fellow"), "U0GONE001", "U0HELPBOT", e("nobody")],
        lookup_limit=0,
    )

    assert found.members[e("former.fellow")].user_id == "U0REHIRED"
    assert found.problems == {
        "U0GONE001": "U0GONE001 belongs to a deactivated Slack account",
        "U0HELPBOT": "U0HELPBOT is a bot, not a person",
        e("nobody"): f"no Slack user with email {e('nobody')}",
    }


def test_people_we_already_know_cost_no_slack_calls(deps, fake_slack):
    with transaction(deps.session_factory) as session:
        for user_id, email in ((ANA, e("ana.ruiz")), (CHLOE, e("chloe.martin"))):
            person = ensure_person(session, TEAM_ID, user_id)
            person.email = email
    fake_slack.reset_calls()

    found = resolve_addresses(deps.client, deps.session_factory, TEAM_ID, [e("ana.ruiz"), CHLOE])

    assert {a: p.user_id for a, p in found.members.items()} == {e("ana.ruiz"): ANA, CHLOE: CHLOE}
    assert fake_slack.calls == []


def test_a_rate_limited_sweep_waits_and_carries_on(fake_slack, tmp_path):
    # About Slack, not the database: one SQLite run is enough.
    engine = make_engine(f"sqlite:///{tmp_path / 'r.db'}")
    Base.metadata.create_all(engine)
    settings = settings_for(fake_slack, str(engine.url))
    add_program(fake_slack, mentors=30, mentees=0)
    fake_slack.rate_limit("users.list", retry_after=0, times=3)  # more than the normal client's two retries

    found = resolve_addresses(
        make_client(settings, backoff_factor=0.01),
        make_session_factory(engine),
        TEAM_ID,
        [e(f"mentor{i}") for i in range(30)],
    )

    assert len(found.members) == 30


# --- planning and applying ------------------------------------------------------------------


def check(deps, data, *, end_missing=False, source="roster.csv", now=NOW):
    return check_roster(
        deps.client,
        deps.session_factory,
        team_id=TEAM_ID,
        data=data,
        source=source,
        end_missing=end_missing,
        now=now,
    )


def apply(deps, plan, *, now=NOW, actor=ADMIN):
    with transaction(deps.session_factory) as session:
        return apply_plan(session, deps.settings, team_id=TEAM_ID, plan=plan, actor=actor, now=now)


@pytest.fixture
def corpus_people(fake_slack):
    add_corpus_people(fake_slack)


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


def stored_row(session, key):
    return session.scalars(select(RosterImport).where(RosterImport.key == key)).first()


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
