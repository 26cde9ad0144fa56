"""The export's CSV files: their columns, what a named export holds, and de-identification
(no Slack id anywhere, no free text, stable pseudonyms within one export only)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import event, select

from bot.db import transaction
from bot.models import Pair
from bot.reports.export import collect_export, csv_bytes
from bot.reports.rules import SLACK_ID
from bot.reports.types import ExportOptions
from tests.bot.reports.world import (
    CHANNEL,
    COHORT,
    GOAL_TEXT,
    MENTEES,
    MENTORS,
    NOTE,
    REFLECTION_TEXT,
    add_agreed,
    build_world,
)
from tests.fakes.slack_api import TEAM_ID

NOW = datetime(2026, 12, 3, 12, tzinfo=UTC)
NOVEMBER = ExportOptions(date(2026, 11, 1), date(2026, 11, 30))


def export(session_factory, settings, options=NOVEMBER):
    with transaction(session_factory) as session:
        tables = collect_export(session, settings, TEAM_ID, options, NOW)
    return {t.filename: list(csv.DictReader(io.StringIO(csv_bytes(t).decode("utf-8-sig")))) for t in tables}


def raw(session_factory, settings, options):
    with transaction(session_factory) as session:
        tables = collect_export(session, settings, TEAM_ID, options, NOW)
    return {t.filename: csv_bytes(t).decode("utf-8-sig") for t in tables}


@pytest.fixture
def world(session_factory):
    return build_world(session_factory)


def test_the_files_and_their_columns(session_factory, settings, world):
    files = raw(session_factory, settings, NOVEMBER)
    headers = {name: text.splitlines()[0] for name, text in files.items()}
    assert headers == {
        "nudges.csv": "mentor,mentee_named,practice,nudge_key,origin,reason,planned_for,sent_at,"
        "delivery_status,answer,first_answered_at,response_seconds,followup_choice,note",
        "meetings.csv": "pair,mentor,mentee,month,minutes,practices,source,recorded_at",
        "reflection_prompts.csv": "channel,month,theme,question_key,status,reflections,named,anonymous",
        "reflections_named.csv": "channel,month,author,shared_on,practices,source,text",
        "pulse_released.csv": "group,cohort,released,mentees_at_least,answers,item,average",
        "agreements.csv": "pair,mentor,mentee,status,agreed_on,goals,met,still_working,changed,"
        "goal_1,goal_2,goal_3",
    }


def test_a_named_export_holds_the_months_records_without_free_text(session_factory, settings, world):
    files = export(session_factory, settings)
    # November in New York: the 22:00 nudge of 30 Nov counts, the one of 1 Dec does not.
    nudges = files["nudges.csv"]
    assert len(nudges) == 7
    assert {row["mentor"] for row in nudges} == {MENTORS[0], MENTORS[1]}
    assert [r["delivery_status"] for r in nudges].count("expired") == 1
    assert all(row["note"] == "" for row in nudges)
    assert len(files["meetings.csv"]) == 4 and files["meetings.csv"][0]["mentor"] == MENTORS[0]
    [november] = [p for p in files["reflection_prompts.csv"] if p["month"] == "2026-11"]
    assert (november["reflections"], november["named"], november["anonymous"]) == ("3", "2", "1")
    named = files["reflections_named.csv"]
    assert sorted(r["author"] for r in named) == sorted([MENTORS[0], MENTEES[0]])
    assert all(r["text"] == "" for r in named)
    pulse = {(r["group"], r["item"]): r for r in files["pulse_released.csv"]}
    assert pulse[("program", "care")]["average"] == "3.00" and pulse[("program", "care")]["answers"] == "12"
    assert pulse[("cohort", "listen")]["cohort"] == COHORT and pulse[("cohort", "no_ego")]["average"] == ""
    agreements = files["agreements.csv"]
    assert [(a["agreed_on"], a["goals"], a["met"], a["still_working"]) for a in agreements] == [
        ("2026-11-02", "2", "1", "1"),
        ("2026-10-02", "2", "0", "0"),
    ]
    assert all(a["goal_1"] == "" for a in agreements)


def test_free_text_comes_only_when_asked_for_and_is_guarded(session_factory, settings, world):
    options = ExportOptions(date(2026, 11, 1), date(2026, 11, 30), include_text=True)
    files = raw(session_factory, settings, options)
    assert NOTE in files["nudges.csv"]
    assert REFLECTION_TEXT in files["reflections_named.csv"]
    assert GOAL_TEXT in files["agreements.csv"]
    # A cell a spreadsheet would run as a formula is written as text.
    assert "'=HYPERLINK" in files["agreements.csv"]


def test_anonymous_reflections_never_appear_as_rows(session_factory, settings, world):
    options = ExportOptions(date(2026, 11, 1), date(2026, 11, 30), include_text=True)
    named = export(session_factory, settings, options)["reflections_named.csv"]
    assert all(row["author"] for row in named)
    assert f"{REFLECTION_TEXT}-2" not in {row["text"] for row in named}  # the anonymous one


def test_deidentified_export_has_no_slack_id_and_no_free_text(session_factory, settings, world):
    options = ExportOptions(date(2026, 10, 1), date(2026, 11, 30), deidentify=True, include_text=True)
    files = raw(session_factory, settings, options)
    everything = "\n".join(files.values())
    assert SLACK_ID.findall(everything) == []
    # Named reflections are visible in Slack: their rows would unmask their authors.
    assert "reflections_named.csv" not in files
    for user in (*MENTORS, *MENTEES, CHANNEL, TEAM_ID):
        assert user not in everything
    for text in (NOTE, REFLECTION_TEXT, GOAL_TEXT, "just a note", COHORT, "HYPERLINK"):
        assert text not in everything
    # Row by row against a named export of the same range: one pseudonym per person, the
    # same one in every file of the export.
    named = export(session_factory, settings, ExportOptions(options.first, options.last))
    hidden = export(session_factory, settings, options)
    mapping: dict[str, set[str]] = {}
    for name, columns in [
        ("nudges.csv", ("mentor", "mentee_named")),
        ("meetings.csv", ("mentor", "mentee")),
        ("agreements.csv", ("mentor", "mentee")),
    ]:
        assert len(named[name]) == len(hidden[name]) > 0
        for clear, masked in zip(named[name], hidden[name], strict=True):
            for column in columns:
                if clear[column]:
                    assert masked[column].startswith("p-")
                    mapping.setdefault(clear[column], set()).add(masked[column])
    assert all(len(pseudonyms) == 1 for pseudonyms in mapping.values())
    assert len({next(iter(p)) for p in mapping.values()}) == len(mapping)
    assert MENTORS[0] in mapping and MENTEES[0] in mapping


def test_pseudonyms_differ_between_exports(session_factory, settings, world):
    options = ExportOptions(date(2026, 11, 1), date(2026, 11, 30), deidentify=True)
    first = {row["mentor"] for row in export(session_factory, settings, options)["meetings.csv"]}
    second = {row["mentor"] for row in export(session_factory, settings, options)["meetings.csv"]}
    assert first and second and not first & second


def test_agreements_cost_the_same_queries_however_many_there_are(session_factory, settings, engine, world):
    def statements() -> int:
        seen = []

        def record(*_args):
            seen.append(1)

        event.listen(engine, "before_cursor_execute", record)
        try:
            export(session_factory, settings)
        finally:
            event.remove(engine, "before_cursor_execute", record)
        return len(seen)

    before = statements()
    started = datetime(2026, 11, 3, 15, tzinfo=UTC)
    with transaction(session_factory) as session:
        for pair in session.scalars(select(Pair).where(Pair.id.in_(world.pairs[2:5]))):
            add_agreed(session, pair, started, by="mentor", goals=["g"])
    assert len(export(session_factory, settings)["agreements.csv"]) == 5
    assert statements() == before
