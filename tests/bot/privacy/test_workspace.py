"""The screen in a workspace: its people are placed, confirmed names remembered, and the
look-up costs one query, and none when the text names nobody."""

from __future__ import annotations

from datetime import date

from sqlalchemy import event, select

from bot.db import transaction
from bot.models import ColleagueName
from bot.people import ensure_person
from bot.privacy.workspace import WorkspaceScreen, confirm_colleagues, stored_name
from tests.fakes.slack_api import TEAM_ID

OTHER_TEAM = "T0OTHER01"
TODAY = date(2026, 12, 3)


def add_person(session, team_id, user_id, display_name, real_name=None):
    person = ensure_person(session, team_id, user_id)
    person.display_name, person.real_name = display_name, real_name
    return person


class QueryCounter:
    """Counts the SELECTs sent through `engine` while it is open."""

    def __init__(self, engine):
        self.count = 0
        self.engine = engine

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._count)

    def _count(self, conn, cursor, statement, *args):
        # Reads only: SQLite's transactions start with a BEGIN of their own.
        self.count += statement.lstrip().upper().startswith("SELECT")


def test_people_of_this_workspace_are_placed_and_other_workspaces_people_are_not(session_factory):
    with transaction(session_factory) as session:
        add_person(session, TEAM_ID, "U0MARIA01", "maria", "Maria Alvarez")
        add_person(session, OTHER_TEAM, "U0TOMAS01", "Tomasz Nowak")

    with transaction(session_factory) as session:
        screen = WorkspaceScreen(session, TEAM_ID)
        assert screen.assess("Maria Alvarez led the huddle", today=TODAY).fine
        assert screen.assess("Talked with Tomasz about nights", today=TODAY).names == ("Tomasz",)


def test_confirmed_names_are_kept_once_without_honorifics_and_then_placed(session_factory):
    with transaction(session_factory) as session:
        confirm_colleagues(session, TEAM_ID, ["Mrs. Kaur", "Gloria  Mendes", "mrs kaur"], today=TODAY)
        confirm_colleagues(session, TEAM_ID, ["Gloria Mendes"], today=TODAY)

    with transaction(session_factory) as session:
        rows = session.execute(select(ColleagueName.name, ColleagueName.confirmed_on)).all()
        assert sorted(rows) == [("gloria mendes", TODAY), ("kaur", TODAY)]
        screen = WorkspaceScreen(session, TEAM_ID)
        assert screen.assess("Mrs Kaur and Gloria Mendes ran the teaching", today=TODAY).fine
        assert not WorkspaceScreen(session, OTHER_TEAM).assess("Mrs Kaur ran it", today=TODAY).fine


def test_a_confirmed_name_places_that_whole_name_and_no_one_who_shares_a_word(session_factory):
    with transaction(session_factory) as session:
        confirm_colleagues(session, TEAM_ID, ["Maria Lopez"], today=TODAY)

    with transaction(session_factory) as session:
        screen = WorkspaceScreen(session, TEAM_ID)
        assert screen.assess("Maria Lopez ran the teaching", today=TODAY).fine
        assert screen.assess("Maria was scared before theatre", today=TODAY).names == ("Maria",)
        assert screen.assess("Mrs Lopez's delirium got worse", today=TODAY).names == ("Mrs Lopez's",)
        assert screen.assess("Maria Garcia fell twice", today=TODAY).names == ("Maria Garcia",)


def test_a_surname_after_an_honorific_is_placed_only_by_a_whole_name(session_factory):
    with transaction(session_factory) as session:
        add_person(session, TEAM_ID, "U0PRIYA01", "priya", "Priya Patel")

    with transaction(session_factory) as session:
        screen = WorkspaceScreen(session, TEAM_ID)
        assert screen.assess("Priya Patel ran the huddle", today=TODAY).fine
        assert screen.assess("Patel ran the huddle", today=TODAY).fine
        assert screen.assess("Mrs Priya Patel ran the huddle", today=TODAY).fine
        assert screen.assess("talked about Mrs Patel's delirium", today=TODAY).names == ("Mrs Patel's",)


def test_stored_names_drop_honorifics_and_possessives():
    assert stored_name("Mrs. Maria  Lopez") == "maria lopez"
    assert stored_name("Harold's") == "harold"


def test_a_text_naming_nobody_reads_nothing_and_names_cost_one_query(engine, session_factory):
    with transaction(session_factory) as session:
        add_person(session, TEAM_ID, "U0MARIA01", "maria", "Maria Alvarez")

    with transaction(session_factory) as session, QueryCounter(engine) as queries:
        screen = WorkspaceScreen(session, TEAM_ID)
        screen.assess("Good chat about feedback, K 3.2 replaced", today=TODAY)
        assert queries.count == 0
        screen.assess("Maria and Priya ran the round", today=TODAY)
        assert queries.count == 1
        screen.assess("Priya ran it again", today=TODAY)  # already looked up this request
        assert queries.count == 1
