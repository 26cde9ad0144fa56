"""Hostile input, property-based: command text, every modal's values, every button's value
and roster/rota CSV rows, including ids that belong to another workspace.

The properties: never a 5xx, never a traceback (no log record carries one), and no row
of the other workspace ever changes. Examples are few per property so the file stays
well under 30 seconds; hypothesis keeps the failing ones in its database for re-runs.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bot.db import transaction
from bot.models import Base
from bot.outbox import enqueue_message
from bot.people import ensure_person, ensure_workspace
from bot.roster.read import read_roster
from bot.roster.types import RosterFileError
from bot.rota.read import read_rota
from bot.rota.types import RotaFileError
from handlers.payload import malformed_part
from tests.conftest import ADMIN, MENTEE, MENTOR

OTHER_TEAM = "T0OTHER01"
OTHER_USER = "U0OTHER01"
EXAMPLES = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)
# Block ids our modals use, so some drawn values land on real fields.
BLOCK_IDS = [
    "comment",
    "day",
    "file",
    "line",
    "meet_every",
    "mentor",
    "note",
    "reflection",
    "topic",
    "tz",
    "time",
]

json_leaf = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=12)
)
json_value = st.recursive(
    json_leaf,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6,
)


def registered(app, kind: str) -> list[str]:
    """The action ids (kind "action") or modal callback ids (kind "view") the app listens for."""
    found = []
    for listener in app._listeners:
        for matcher in listener.matchers:
            func = getattr(matcher, "func", None)
            if func is None or not func.__qualname__.startswith(f"{kind}"):
                continue
            for cell in func.__closure__ or ():
                if isinstance(cell.cell_contents, str):
                    found.append(cell.cell_contents)
    return sorted(set(found))


@pytest.fixture
def other_team(session_factory):
    """Another workspace's people and outbox rows: ids a forged click may point at."""
    with transaction(session_factory) as session:
        ensure_workspace(session, OTHER_TEAM)
        person = ensure_person(session, OTHER_TEAM, OTHER_USER)
        for i in range(3):
            enqueue_message(
                session,
                team_id=OTHER_TEAM,
                recipient=OTHER_USER,
                dedupe_key=f"other:{i}",
                due_at=person.created_at,
                text="Not yours",
                person_id=person.id,
            )
    return snapshot(session_factory)


def snapshot(session_factory) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the other workspace, table by table."""
    rows = {}
    with session_factory() as session:
        for table in Base.metadata.sorted_tables:
            if "team_id" in table.c:
                found = session.execute(select(table).where(table.c.team_id == OTHER_TEAM)).all()
                rows[table.name] = sorted(tuple(map(repr, row)) for row in found)
    return rows


def other_ids(session_factory) -> list[str]:
    """Primary keys of the other workspace's rows (as a button would carry them)."""
    ids = set()
    with session_factory() as session:
        for table in Base.metadata.sorted_tables:
            if "team_id" in table.c and "id" in table.c:
                ids.update(
                    str(i) for i in session.scalars(select(table.c.id).where(table.c.team_id == OTHER_TEAM))
                )
    return sorted(ids) or ["1"]


def no_tracebacks(caplog) -> None:
    crashed = [r for r in caplog.records if r.exc_info]
    caplog.clear()
    assert not crashed, [f"{r.name}: {r.getMessage()}" for r in crashed]


def element(values: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    """A modal value in one of Slack's shapes, or a shape no Slack client would send."""

    def shapes(value: Any) -> st.SearchStrategy[dict[str, Any]]:
        return st.sampled_from(
            [
                {"type": "plain_text_input", "value": value},
                {"type": "static_select", "selected_option": {"value": value}},
                {"type": "checkboxes", "selected_options": [{"value": value}]},
                {"type": "timepicker", "selected_time": value},
                {"type": "users_select", "selected_user": value},
            ]
        )

    odd = st.dictionaries(st.sampled_from(["value", "selected_option", "type"]), json_value)
    return values.flatmap(shapes) | odd


@EXAMPLES
@given(
    text=st.text(max_size=80)
    | st.sampled_from(["pause 2w", "colleagues remove", "reflections #x", "tz Mars"])
)
def test_any_command_text_gets_an_answer_and_changes_no_other_workspace(
    slack, session_factory, other_team, caplog, text
):
    caplog.set_level(logging.INFO)
    reply = slack.command(text, user_id=MENTOR)

    assert reply.status < 500
    no_tracebacks(caplog)
    assert snapshot(session_factory) == other_team


@EXAMPLES
@given(data=st.data())
def test_any_button_value_is_answered_without_a_crash(app, slack, session_factory, other_team, caplog, data):
    caplog.set_level(logging.INFO)
    action_id = data.draw(st.sampled_from(registered(app, "action")), label="action")
    value = data.draw(
        st.one_of(
            st.sampled_from(other_ids(session_factory)),
            st.integers(min_value=-5, max_value=10**12).map(str),
            st.text(max_size=30),
            json_value,
        ),
        label="value",
    )
    user = data.draw(st.sampled_from([MENTOR, MENTEE, ADMIN]), label="user")

    reply = slack.click(action_id, user_id=user, value=value)

    assert reply.status < 500
    no_tracebacks(caplog)
    assert snapshot(session_factory) == other_team


@EXAMPLES
@given(data=st.data())
def test_any_modal_submission_is_answered_without_a_crash(
    app, slack, session_factory, other_team, caplog, data
):
    caplog.set_level(logging.INFO)
    callback_id = data.draw(st.sampled_from(registered(app, "view")), label="modal")
    metadata = data.draw(st.one_of(st.sampled_from(other_ids(session_factory)), st.text(max_size=20)))
    values = data.draw(
        st.dictionaries(
            st.sampled_from(BLOCK_IDS) | st.text(max_size=8),
            st.dictionaries(
                st.sampled_from(BLOCK_IDS), element(json_value) | element(st.text(max_size=40)), max_size=2
            ),
            max_size=4,
        ),
        label="values",
    )
    view = {"callback_id": callback_id, "private_metadata": metadata, "type": "modal", "blocks": []}

    reply = slack.submit(view, values, user_id=data.draw(st.sampled_from([MENTOR, ADMIN])))

    assert reply.status < 500
    no_tracebacks(caplog)
    assert snapshot(session_factory) == other_team


cell = st.one_of(
    st.emails(),
    st.text(max_size=15),
    st.from_regex(re.compile(r"<@U[A-Z0-9]{4,9}>"), fullmatch=True),
    st.sampled_from(["", "mentor", "mentee", "email", "cohort", "whose", "start", "end", "2027-01-04 07:00"]),
)


@EXAMPLES
@given(rows=st.lists(st.lists(cell, max_size=5), max_size=8), delimiter=st.sampled_from([",", ";", "\t"]))
def test_roster_and_rota_files_of_any_rows_parse_to_rows_and_errors_never_a_crash(rows, delimiter):
    text = "\n".join(delimiter.join(row) for row in rows)
    for read, file_error in ((read_roster, RosterFileError), (read_rota, RotaFileError)):
        try:
            parsed = read(text.encode())
        except file_error as refused:
            assert str(refused)  # a sentence for the person who uploaded it
            continue
        assert isinstance(parsed.errors, list)


@given(body=st.dictionaries(st.sampled_from(["type", "user", "actions", "view"]), json_value, max_size=4))
@EXAMPLES
def test_the_edge_check_never_raises_on_any_json(body):
    malformed_part(body)
