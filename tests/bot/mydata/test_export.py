"""`/mentor my-data`'s content: every table that holds something about the person gives
its rows, whole; what is someone else's, anonymous or secret stays out."""

from __future__ import annotations

import json

import pytest

from bot.db import transaction
from bot.mydata.export import collect
from bot.mydata.inventory import PERSON_LINKS
from bot.mydata.summary import NOT_INCLUDED, to_json, to_markdown
from bot.mydata.types import EXPORT_FORMAT, LEFT_OUT
from tests.bot.mydata.world import (
    ANON_COMMENT,
    ANON_REFLECTION,
    KIM,
    NOW,
    OKAFOR,
    OTHER_TEAM,
    PATEL,
    PATEL_EMAIL,
    PATEL_WORDS,
    SAM,
    SAM_TOPIC,
    build_world,
)
from tests.fakes.slack_api import TEAM_ID


@pytest.fixture
def world(session_factory, settings):
    return build_world(session_factory, settings)


def export(session_factory, user_id=PATEL, team_id=TEAM_ID):
    with transaction(session_factory) as session:
        return collect(session, team_id, user_id, NOW)


def ids(data, section):
    return [row.get("id") for row in data.sections.get(section, [])]


def test_every_section_the_inventory_promises_holds_the_persons_rows(session_factory, world):
    data = export(session_factory)

    promised = {link.export for link in PERSON_LINKS.values() if link.export}
    assert promised <= set(data.sections), sorted(promised - set(data.sections))
    assert ids(data, "person") == [world.patel_id]
    assert set(ids(data, "pair")) == {world.patel_mentors_sam, world.okafor_mentors_patel}
    assert ids(data, "nudge_send") == [world.patel_nudge]
    assert ids(data, "meeting_log") == [world.patel_meeting_with_sam]
    assert {world.patel_asks_okafor, world.sam_asks_patel} <= set(ids(data, "feedback_request"))
    assert ids(data, "reflection") == [world.patel_reflection]
    assert ids(data, "reflection_channel") == [world.channel]


def test_rows_come_whole_with_the_other_side_by_slack_id(session_factory, world):
    data = export(session_factory)

    [me] = data.sections["person"]
    assert (me["email"], me["real_name"], me["tz"]) == (PATEL_EMAIL, "Rhea Patel", "Europe/London")
    assert me["created_at"].endswith("+00:00")  # times as ISO 8601 text, UTC
    pairs = {row["id"]: row for row in data.sections["pair"]}
    assert pairs[world.patel_mentors_sam]["your_role"] == "mentor"
    assert pairs[world.patel_mentors_sam]["mentee_user_id"] == SAM
    assert pairs[world.okafor_mentors_patel]["mentor_user_id"] == OKAFOR
    [answer] = data.sections["nudge_answer"]
    assert (answer["answer"], answer["note"], answer["followup_choice"]) == (
        "done",
        PATEL_WORDS[0],
        "Went well",
    )
    asked = next(r for r in data.sections["feedback_request"] if r["id"] == world.sam_asks_patel)
    assert (asked["your_side"], asked["topic"], asked["mentor_note"]) == ("mentor", SAM_TOPIC, PATEL_WORDS[2])


def test_nothing_anonymous_or_belonging_to_someone_else_is_in_it(session_factory, world):
    data = export(session_factory)
    everything = to_json(data) + to_markdown(data)

    assert ANON_COMMENT not in everything and "about patel" not in everything  # check-in answers
    assert ANON_REFLECTION not in everything and "kim-reflection" not in everything
    assert world.okafor_nudge_naming_patel not in ids(data, "nudge_send")  # Okafor's own record
    assert world.okafor_meeting_with_patel not in ids(data, "meeting_log")
    assert "pulse_inbox" not in data.sections and "pulse_batch" not in data.sections
    # Other people only by member id: no names or emails of theirs.
    assert "sam.lee@riverside.example" not in everything and "okafor@riverside.example" not in everything
    assert "dr.okafor" not in everything
    # The welcome queued for Sam names Dr Patel, but it is Sam's message.
    assert all(row["recipient"] == PATEL for row in data.sections["delivery"])
    # Dr Adams's unapplied check lists Dr Patel's email; it is Dr Adams's work, not theirs to take.
    assert [row["source"] for row in data.sections["roster_import"]] == ["roster.csv"]


def test_tokens_never_leave_the_database(session_factory, world):
    data = export(session_factory)
    text = to_json(data)

    [install] = data.sections["slack_installations"]
    assert install["bot_token"] == LEFT_OUT and install["user_token"] == LEFT_OUT
    assert "xoxb-secret" not in text and "xoxp-secret" not in text


def test_another_workspace_is_another_person(session_factory, world):
    here, there = export(session_factory), export(session_factory, team_id=OTHER_TEAM)

    assert ids(there, "person") == [world.other_team_patel_id] and set(there.sections) == {"person"}
    assert world.other_team_patel_id not in ids(here, "person")


def test_someone_with_nothing_kept_gets_an_empty_export_and_nothing_is_created(session_factory, world):
    data = export(session_factory, user_id="U0NOBODY1")

    assert data.empty and data.sections == {}
    assert "Nothing: Mentor Nudge keeps no record about you" in to_markdown(data)
    assert export(session_factory, user_id="U0NOBODY1").empty  # still nobody: reading created no row


def test_a_colleagues_export_holds_only_theirs(session_factory, world):
    data = export(session_factory, user_id=KIM)

    assert [row["text"] for row in data.sections["reflection"]] == ["kim-reflection"]
    assert "pair" not in data.sections


def test_the_json_is_self_describing_and_the_summary_readable(session_factory, world):
    data = export(session_factory)
    document = json.loads(to_json(data))
    summary = to_markdown(data)

    assert document["format"] == EXPORT_FORMAT and document["user_id"] == PATEL
    assert set(document["tables"]) == set(data.sections)
    assert document["not_included"] == list(NOT_INCLUDED)
    assert "## Mentoring pairs (2)" in summary
    assert f"you are the mentor; the mentee is <@{SAM}>" in summary
    assert f"“{PATEL_WORDS[0]}”" in summary
    assert "## What is not in here, and why" in summary
