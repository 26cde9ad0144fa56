"""`/mentor rota` end to end: an admin's upload (dry run, Apply), a person's own duty, a
feed link refused, and the end-of-rotation line."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.db import transaction
from bot.models import RotaShift, RotationReflection
from bot.people import ensure_person
from bot.rota.blocks import LINE_BLOCK, REFLECT
from tests.bot.roster.fixtures import blocks_text
from tests.conftest import ADMIN, MENTEE, MENTOR
from tests.fakes.clock import MovableClock
from tests.fakes.slack_api import TEAM_ID

NOW = datetime(2027, 2, 24, 15, 0, tzinfo=UTC)
ROTA = (
    b"Staff email,Start,End,Shift type\n"
    b"okafor@riverside.example,2027-03-01 19:00,2027-03-02 08:00,Night\n"
    b"okafor@riverside.example,2027-03-04 19:00,not a time,Call\n"
    b"sam.lee@riverside.example,2027-03-01,2027-03-28,Cardiology\n"
)


@pytest.fixture
def clock():
    return MovableClock(NOW)


def _reply_text(fake_slack, reply) -> str:
    if reply.body:
        return reply.json()["text"]
    return fake_slack.calls_to("response_url")[-1].args["text"]


def test_an_admin_uploads_a_rota_checks_it_and_applies_it(slack, fake_slack, deps, session_factory):
    with transaction(session_factory) as session:
        ensure_person(session, TEAM_ID, MENTOR).email = "okafor@riverside.example"
        ensure_person(session, TEAM_ID, MENTEE).email = "sam.lee@riverside.example"
    assert slack.command("rota upload", user_id=ADMIN).status == 200
    view_id = list(fake_slack.views)[-1]
    file = fake_slack.add_file("F0ROTA001", "march.csv", ROTA)

    ack = slack.submit(
        fake_slack.views[view_id],
        {"rota_file": {"rota_file": {"type": "file_input", "files": [file]}}},
        user_id=ADMIN,
    ).json()

    assert ack["response_action"] == "update"
    report = fake_slack.views[view_id]
    text = blocks_text(report["blocks"])
    assert "2 persons with 1 night shift, 1 rotation" in text
    assert "line 3: the end" in text and "not a time" not in text
    assert report["submit"]["text"] == "Apply"
    with session_factory() as session:
        assert session.scalars(select(RotaShift)).all() == []  # a dry run changes nothing

    done = slack.submit(report, {}, user_id=ADMIN).json()

    assert done["response_action"] == "update" and "Rota applied" in blocks_text(done["view"]["blocks"])
    with session_factory() as session:
        assert sorted(s.kind for s in session.scalars(select(RotaShift))) == ["night", "rotation"]

    mine = slack.command("rota", user_id=MENTOR).json()
    assert mine["text"] == "Your rota"
    assert "Mon 1 Mar 19:00 – Tue 08:00 · night shift" in blocks_text(mine["blocks"])


def test_only_admins_upload_and_plain_http_feed_links_are_refused(slack, fake_slack, session_factory):
    assert "Only program admins" in _reply_text(fake_slack, slack.command("rota upload", user_id=MENTOR))

    said = _reply_text(fake_slack, slack.command("rota feed http://cal.example.org/me.ics", user_id=MENTOR))

    assert "Only secure (https://)" in said and "Nothing was saved" in said


def test_the_end_of_rotation_line_is_screened_and_kept_for_the_mentee(slack, fake_slack, session_factory):
    slack.click(REFLECT, user_id=MENTEE, value="2027-03-01:cardiology")
    view = fake_slack.last("views.open").view

    refused = slack.submit(
        view,
        {LINE_BLOCK: {LINE_BLOCK: {"type": "plain_text_input", "value": "MRN 12345678 was tricky"}}},
        user_id=MENTEE,
    ).json()
    saved = slack.submit(
        view,
        {LINE_BLOCK: {LINE_BLOCK: {"type": "plain_text_input", "value": "I got quicker at prioritising"}}},
        user_id=MENTEE,
    ).json()

    assert refused["response_action"] == "errors" and LINE_BLOCK in refused["errors"]
    assert saved["response_action"] == "update"
    with session_factory() as session:
        [line] = session.scalars(select(RotationReflection)).all()
    assert (line.rotation_key, line.text) == ("2027-03-01:cardiology", "I got quicker at prioritising")
