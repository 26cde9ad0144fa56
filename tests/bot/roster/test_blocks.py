"""Roster Block Kit stays inside Slack's limits however large the roster or the error list."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.blocks.common import context, section
from bot.models import Person
from bot.roster.blocks import (
    WELCOME_FOOTER,
    admins_message,
    applied_view,
    describe_days,
    describe_nudge_schedule,
    dry_run_view,
    import_modal,
    person_pairs_message,
    program_pairs_message,
    welcome_message,
)
from bot.roster.types import (
    AdminEntry,
    CohortChange,
    Duplicate,
    ImportPlan,
    ImportResult,
    PairLine,
    PersonPairs,
    PlannedEnd,
    PlannedPair,
    ProgramPage,
    RowError,
)
from tests.fakes.block_limits import message_errors, view_errors

WHEN = datetime(2026, 9, 3, 12, 0, tzinfo=UTC)
LONG_COHORT = (
    "Internal Medicine Residency — Longitudinal Ambulatory Track, Riverside & Northgate Campuses " * 2
)


def _line(i: int) -> PairLine:
    return PairLine(
        pair_id=i,
        mentor=f"U1M{i:06d}",
        mentee=f"U2E{i:06d}",
        cohort=LONG_COHORT[:120],
        started_at=WHEN,
        mentor_flag="paused until 18 Dec 2026",
        mentee_flag="inactive (deactivated in Slack)",
    )


def huge_plan() -> ImportPlan:
    pairs = [
        PlannedPair(i + 2, f"U1M{i:06d}", f"U2E{i:06d}", f"m{i}@x.org", f"e{i}@x.org", LONG_COHORT[:120])
        for i in range(2000)
    ]
    return ImportPlan(
        source="Residency roster export — all programs, all sites, academic year 2026-2027 (final v3).csv"
        * 3,
        end_missing=True,
        data_rows=5000,
        add=pairs,
        present=pairs[:10],
        cohort_changes=[
            CohortChange(i, i, "U1", "U2", LONG_COHORT[:120], LONG_COHORT[:119]) for i in range(300)
        ],
        end=[
            PlannedEnd(i, "U1", "U2", LONG_COHORT[:120], "2025-07-01", "a@x.org", "b@x.org")
            for i in range(600)
        ],
        kept=[PlannedEnd(i, "U1", "U2", None, "2025-07-01") for i in range(5)],
        errors=[
            RowError(i, "no Slack user with email " + "averyveryverylongname" * 10 + "@x.org")
            for i in range(2000)
        ],
        duplicates=[Duplicate(i, 2, f"with cohort “{LONG_COHORT}” instead of “IM”") for i in range(1000)],
        notes=["line 1 was read as a header, but I couldn't tell which column is the mentor " * 3],
        quiet={f"U{i}": "has turned messages off" for i in range(40)},
    )


def test_the_dry_run_of_a_huge_messy_file_fits_in_a_modal():
    view = dry_run_view(huge_plan(), "k" * 32)

    assert view_errors(view) == []
    assert len(view["blocks"]) <= 100
    text = str(view["blocks"])
    assert "…and 1,990 more." in text and "…and 1,980 more." in text  # additions, errors
    assert "…and 580 more." in text  # pairs to end are listed more generously


def test_the_import_form_and_the_final_view_are_valid_modals():
    assert view_errors(import_modal()) == []
    assert view_errors(import_modal(notice="That file has no rows. " * 200)) == []
    assert (
        view_errors(applied_view(ImportResult(added=500, ended=3, welcomed=700, errors=2, skipped=1))) == []
    )


def test_mrkdwn_in_a_file_cannot_ping_a_channel_from_the_report():
    plan = ImportPlan(
        source="<!channel>.csv",
        end_missing=False,
        data_rows=1,
        errors=[RowError(2, "“<!here>” isn't an email")],
    )

    text = str(dry_run_view(plan, "k")["blocks"])

    assert "<!channel>" not in text and "<!here>" not in text
    assert "&lt;!here&gt;" in text


def test_a_full_page_of_the_roster_with_long_cohorts_and_flags_fits_in_a_message():
    page = ProgramPage(
        lines=[_line(i) for i in range(25)],
        page=2,
        pages=9,
        total=210,
        mentors=80,
        mentees=210,
        flagged_people=7,
    )

    text, blocks = program_pairs_message(page)

    assert message_errors(text, blocks) == []
    labels = [e["text"]["text"] for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert labels == ["Previous", "Next"]


def test_someone_with_a_hundred_mentees_still_gets_a_valid_message():
    pairs = PersonPairs("U1M000000", as_mentor=[_line(i) for i in range(100)], as_mentee=[_line(1)])

    text, blocks = person_pairs_message(pairs, viewer="U1M000000")

    assert message_errors(text, blocks) == []
    assert "…and 60 more." in str(blocks)


def test_a_long_admin_list_fits():
    text, blocks = admins_message([AdminEntry(f"U{i:08d}", i < 3) for i in range(300)])

    assert message_errors(text, blocks) == []


def test_a_welcome_for_someone_with_many_pairs_fits():
    person = Person(
        nudge_days="0,2,4",
        nudge_minute=8 * 60,
        cadence="monthly",
        contact_start=480,
        contact_end=1080,
        quiet_weekends=True,
    )

    text, blocks = welcome_message(
        person,
        zone="America/St_Johns",
        mentees=[f"U{i}" for i in range(40)],
        mentors=["UA", "UB"],
        cohort=LONG_COHORT,
    )

    assert message_errors(text, blocks) == []
    assert "<@U0>, <@U1>, <@U2> and 37 others" in str(blocks)


def test_the_welcome_is_the_block_kit_slack_sdk_would_render_and_no_two_share_a_dict():
    # The welcome writes its sections as dicts (a 100,000-pair import renders 200,000 of
    # them); they must be what slack_sdk's validated objects give, clipping included.
    person = Person(nudge_days="1", nudge_minute=570, cadence="weekly", contact_start=480, contact_end=1080)
    welcome = {
        "mentees": ["UA"],
        "mentors": ["UB", "UC"],
        "cohort": "IM 2027 *bold* <tag> & co " + "x" * 3000,
    }

    _text, blocks = welcome_message(person, zone="Europe/London", **welcome)
    _text, again = welcome_message(person, zone="Europe/London", **welcome)

    expected = [section(b["text"]["text"]).to_dict() for b in blocks[:-1]]
    expected.append(context(WELCOME_FOOTER).to_dict())
    assert blocks == expected and [b["type"] for b in blocks] == ["section"] * 4 + ["context"]
    assert len(blocks[0]["text"]["text"]) == 3000 and blocks[0]["text"]["text"].endswith("…")
    assert all(a is not b and a["text"] is not b["text"] for a, b in zip(blocks[:-1], again, strict=False))
    assert blocks[-1] is not again[-1] and blocks[-1]["elements"] is not again[-1]["elements"]


@pytest.mark.parametrize(
    ("days", "words"),
    [
        ("1", "Tuesday"),
        ("0,3", "Monday and Thursday"),
        ("4,0,2", "Monday, Wednesday and Friday"),
        ("9,x", "Tuesday"),
    ],
)
def test_nudge_days_read_as_words(days, words):
    assert describe_days(days) == words


@pytest.mark.parametrize(
    ("cadence", "days", "expected"),
    [
        ("weekly", "1", "every week on Tuesday at 09:30 (Europe/London time)"),
        ("biweekly", "2", "every other week on Wednesday at 09:30 (Europe/London time)"),
        ("monthly", "0", "once a month on a Monday at 09:30 (Europe/London time)"),
    ],
)
def test_the_schedule_reads_naturally(cadence, days, expected):
    person = Person(nudge_days=days, nudge_minute=570, cadence=cadence)

    assert describe_nudge_schedule(person, "Europe/London") == expected
