"""`/mentor report`, `/mentor export` and the admin Home's Report and Export buttons, end to
end: signed requests in, the fake Slack's three-step upload out, into the admin's own DM."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.models import AuditLog
from bot.reports.rules import SLACK_ID
from handlers.reports import HOME_EXPORT_ACTION, HOME_REPORT_ACTION
from tests.bot.reports.world import MENTORS, NOTE, build_world
from tests.conftest import ADMIN, MENTOR
from tests.fakes.clock import MovableClock

ADMIN_DM = "D" + ADMIN[1:]
MENTOR_DM = "D" + MENTOR[1:]
NOW = datetime(2026, 12, 3, 15, tzinfo=UTC)


@pytest.fixture
def clock():
    return MovableClock(NOW)


@pytest.fixture
def world(session_factory, fake_slack):
    for user_id in MENTORS:
        fake_slack.add_user(user_id, user_id.lower())
    return build_world(session_factory)


def said(fake_slack):
    return [c.args["text"] for c in fake_slack.calls_to("response_url")]


def test_report_for_a_month_arrives_with_its_charts(slack, fake_slack, world):
    reply = slack.command("report 2026-11", user_id=ADMIN)

    assert "arrive in your DM" in reply.json()["text"]
    assert "Sent: the report for Nov 2026" in said(fake_slack)[-1]
    [covering] = fake_slack.dms_to(ADMIN)
    assert "program report for Nov 2026" in covering.args["text"]
    assert "6 nudges sent, 5 answered (83%), 1 expired" in covering.args["text"]
    charts = fake_slack.uploads.shared_in(ADMIN_DM)
    assert [c.filename for c in charts] == [
        "mentor-nudge-2026-11-response-rate.png",
        "mentor-nudge-2026-11-meetings.png",
        "mentor-nudge-2026-11-pulse.png",
    ]
    assert all(c.content and c.content.startswith(b"\x89PNG") for c in charts)
    assert len(fake_slack.uploads.shared()) == 3


def test_report_defaults_to_this_month_so_far(slack, fake_slack, world):
    slack.command("report", user_id=ADMIN)

    assert "program report for Dec 2026" in fake_slack.dms_to(ADMIN)[0].args["text"]


def test_a_month_with_nothing_is_a_report_saying_so(slack, fake_slack, world):
    slack.command("report 2031-02", user_id=ADMIN)

    assert "No data yet" in fake_slack.dms_to(ADMIN)[0].args["text"]
    assert len(fake_slack.uploads.shared_in(ADMIN_DM)) == 3


@pytest.mark.parametrize("text", ["report november", "report 2026-13", "report 26-11"])
def test_a_bad_month_is_explained_and_nothing_is_sent(slack, fake_slack, world, text):
    slack.command(text, user_id=ADMIN)

    assert "is not a month: use YYYY-MM" in said(fake_slack)[-1]
    assert fake_slack.dms_to(ADMIN) == [] and fake_slack.uploads.shared() == []


@pytest.mark.parametrize("text", ["report", "report 2026-11", "export", "export deidentify"])
def test_non_admins_are_refused(slack, fake_slack, world, text):
    reply = slack.command(text, user_id=MENTOR)

    assert "is for program admins" in reply.json()["text"]
    assert fake_slack.dms_to(MENTOR) == [] and fake_slack.uploads.shared() == []


def test_without_files_write_the_admin_is_told_what_to_add(slack, fake_slack, world):
    fake_slack.fail("files.getUploadURLExternal", "missing_scope")

    slack.command("report 2026-11", user_id=ADMIN)

    assert "`files:write`" in said(fake_slack)[-1]
    assert fake_slack.uploads.shared() == []


@pytest.mark.parametrize("status", [202, 503])
def test_a_file_server_that_refuses_the_bytes_is_told_not_raised(slack, fake_slack, world, status):
    fake_slack.uploads.refuse_status, fake_slack.uploads.refuse_next = status, 1
    slack.command("report 2026-11", user_id=ADMIN)
    assert "weren't sent" in said(fake_slack)[-1]

    fake_slack.uploads.refuse_next = 1
    slack.click(HOME_EXPORT_ACTION, user_id=ADMIN)
    assert "weren't sent" in fake_slack.dms_to(ADMIN)[-1].args["text"]
    assert fake_slack.uploads.shared() == []


def test_export_arrives_as_csv_files(slack, fake_slack, world):
    slack.command("export 2026-11-01 2026-11-30", user_id=ADMIN)

    assert "Sent: the export" in said(fake_slack)[-1]
    files = {f.filename: f for f in fake_slack.uploads.shared_in(ADMIN_DM)}
    assert sorted(files) == sorted(
        f"mentor-nudge-2026-11-01-2026-11-30-{name}"
        for name in (
            "nudges.csv",
            "meetings.csv",
            "reflection_prompts.csv",
            "reflections_named.csv",
            "pulse_released.csv",
            "agreements.csv",
        )
    )
    nudges = list(
        csv.DictReader(io.StringIO(files["mentor-nudge-2026-11-01-2026-11-30-nudges.csv"].text[1:]))
    )
    assert len(nudges) == 7 and MENTORS[0] in {row["mentor"] for row in nudges}
    assert NOTE not in "".join(f.text for f in files.values())


def test_deidentified_export_holds_no_slack_id(slack, fake_slack, session_factory, world):
    slack.command("export 2026-10-01 2026-11-30 deidentify", user_id=ADMIN)

    files = fake_slack.uploads.shared_in(ADMIN_DM)
    # Five: named reflections are left out of a de-identified export.
    assert len(files) == 5 and all("deidentified" in f.filename for f in files)
    assert SLACK_ID.findall("".join(f.text for f in files)) == []
    assert "de-identified" in fake_slack.dms_to(ADMIN)[0].args["text"]
    with session_factory() as session:
        [audit] = session.scalars(select(AuditLog).where(AuditLog.action == "export")).all()
    assert audit.actor_user_id == ADMIN
    assert audit.detail == {
        "from": "2026-10-01",
        "to": "2026-11-30",
        "deidentified": True,
        "free_text": False,
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("export 2026-11-30 2026-11-01", "before it starts"),
        ("export 2026-11-01", "Give both dates or none"),
        ("export 2026-02-30 2026-03-01", "is not a date"),
        ("export 2020-01-01 2026-11-30", "more than 400 days"),
        ("export 9999-12-01 9999-12-31", "years 2000 to 9998"),
        ("report 9999-12", "year from 2000 to 9998"),
    ],
)
def test_a_bad_range_is_explained(slack, fake_slack, world, text, expected):
    slack.command(text, user_id=ADMIN)

    assert expected in said(fake_slack)[-1]
    assert fake_slack.uploads.shared() == []


def test_home_buttons_send_to_the_admins_dm(slack, fake_slack, world):
    slack.click(HOME_REPORT_ACTION, user_id=ADMIN)
    slack.click(HOME_EXPORT_ACTION, user_id=ADMIN)

    covering = [c.args["text"] for c in fake_slack.dms_to(ADMIN)]
    assert "program report for Dec 2026" in covering[0] and "export" in covering[1]
    assert len(fake_slack.uploads.shared_in(ADMIN_DM)) == 3 + 6


def test_the_digests_report_button_sends_the_month_it_names(slack, fake_slack, world):
    slack.click(HOME_REPORT_ACTION, user_id=ADMIN, value="2026-11")
    slack.click(HOME_REPORT_ACTION, user_id=ADMIN, value="home")
    slack.click(HOME_REPORT_ACTION, user_id=ADMIN, value="2026-11; drop table")

    covering = [c.args["text"] for c in fake_slack.dms_to(ADMIN)]
    assert "program report for Nov 2026" in covering[0]
    assert all("program report for Dec 2026" in text for text in covering[1:]) and len(covering) == 3


def test_home_buttons_refuse_a_non_admin(slack, fake_slack, world):
    slack.click(HOME_REPORT_ACTION, user_id=MENTOR)
    slack.click(HOME_EXPORT_ACTION, user_id=MENTOR)

    told = [c.args["text"] for c in fake_slack.dms_to(MENTOR)]
    assert len(told) == 2 and all("for program admins" in t for t in told)
    assert fake_slack.uploads.shared() == []
