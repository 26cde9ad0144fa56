"""The inventory of personal columns is complete: a new column that points at a person or
holds free text fails here until bot/mydata/inventory.py says how it is exported,
forgotten and kept — and docs/security.md names its table."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, Text

from bot.models import Base
from bot.mydata.inventory import (
    FREE_TEXT,
    NOT_A_PERSON,
    PERSON_LINKS,
    free_text_columns,
    person_columns,
    purged_columns,
)
from bot.mydata.summary import SECTIONS

DOCS = Path(__file__).resolve().parents[3] / "docs" / "security.md"


def test_every_column_that_may_point_at_a_person_is_decided():
    found = person_columns(Base.metadata)
    decided = set(PERSON_LINKS) | set(NOT_A_PERSON)

    assert sorted(found - decided) == [], "add these to bot/mydata/inventory.py (export, forget)"
    assert sorted(decided - found) == [], "these inventory entries name columns that no longer exist"
    assert not set(PERSON_LINKS) & set(NOT_A_PERSON)


def test_every_free_text_column_is_decided():
    found = free_text_columns(Base.metadata)

    assert sorted(found - set(FREE_TEXT)) == [], "add these to FREE_TEXT (purged by retention, or why not)"
    assert sorted(set(FREE_TEXT) - found) == []


def test_the_finders_catch_a_new_column_of_each_kind():
    # What a future migration might add: each one must be caught, or the tests above prove nothing.
    metadata = MetaData()
    Table("person", metadata, Column("id", Integer, primary_key=True))
    Table(
        "shout_out",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("giver_user_id", String(32)),
        Column("approved_by", String(32)),
        Column("message", Text),
        Column("headline", String(200)),
    )

    assert person_columns(metadata) == {"shout_out.giver_user_id", "shout_out.approved_by"}
    assert free_text_columns(metadata) == {"shout_out.message", "shout_out.headline"}


def test_every_exported_section_is_a_table_and_is_summarised():
    sections = {link.export for link in PERSON_LINKS.values() if link.export}
    tables = set(Base.metadata.tables)

    assert sections <= tables
    # The readable summary shows each of them (the person and the outbox have their own parts).
    assert sections - {"person", "delivery"} <= set(SECTIONS)


def test_what_is_not_exported_says_why():
    assert all(link.why for link in PERSON_LINKS.values() if link.export is None)


def test_the_purged_columns_are_the_free_text_people_write():
    assert set(purged_columns()) == {
        "nudge_answer.note",
        "feedback_request.topic",
        "feedback_request.mentor_note",
        "reflection.text",
        "colleague_name.name",
        "agreement_version.reach",
        "agreement_version.feedback",
        "agreement_version.note",
        "rotation_reflection.text",
    }


@pytest.mark.parametrize("table", sorted({name.split(".")[0] for name in (*PERSON_LINKS, *FREE_TEXT)}))
def test_docs_security_tells_about_each_table(table):
    assert f"`{table}`" in DOCS.read_text(encoding="utf-8"), f"docs/security.md does not mention `{table}`"
