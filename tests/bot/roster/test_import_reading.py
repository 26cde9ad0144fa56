"""Roster import: reading messy files and resolving people."""

from __future__ import annotations

import pytest

from bot.db import make_engine, make_session_factory, transaction
from bot.models import Base
from bot.people import ensure_person
from bot.roster.read import (
    CLI_MAX_DATA_ROWS,
    MAX_DATA_ROWS,
    normalize_address,
    read_roster,
)
from bot.roster.resolve import LOOKUP_LIMIT, resolve_addresses
from bot.roster.types import (
    RosterFileError,
)
from bot.slack import make_client
from tests.bot.roster.fixtures import (
    ANA,
    CHLOE,
    add_corpus_people,
    add_program,
    mentor_id,
    program_csv,
)
from tests.bot.roster.import_support import e, rows_of
from tests.conftest import settings_for
from tests.fakes.slack_api import TEAM_ID

# --- reading messy files ------------------------------------------------------------------


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
