"""`python -m bot preview --rota FILE` (moved nudges and why) and `import-rota` (dry run,
apply, bad lines), as a program director runs them."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.cli import main
from bot.db import transaction
from bot.models import RotaShift
from bot.people import ensure_person
from bot.rota.cli import EXIT_OK, EXIT_SOME_ERRORS, import_rota
from tests.fakes.slack_api import TEAM_ID
from tests.schedules.test_nudge_preview import in_empty_folder  # noqa: F401 (fixture)

ROSTER = "mentor,mentee,tz,weekday,time,cadence\nokafor@x.org,sam@x.org,Europe/London,Tue+Thu,09:30,weekly\n"
ROTA = (
    "email,start,end,kind\n"
    "okafor@x.org,2027-03-01 19:00,2027-03-02 08:00,night\n"
    "okafor@x.org,2027-03-11 07:00,2027-03-11 11:00,call\n"
)


def test_preview_with_a_rota_shows_each_moved_nudge_and_why(in_empty_folder, capsys):  # noqa: F811
    (in_empty_folder / "roster.csv").write_text(ROSTER)
    (in_empty_folder / "rota.csv").write_text(ROTA)

    status = main(
        ["preview", "--roster", "roster.csv", "--rota", "rota.csv", "--start", "2027-03-01", "--days", "14"]
    )

    output = capsys.readouterr().out
    assert status == 0 and "Rota: 2 shift(s) loaded from rota.csv." in output
    lines = [line for line in output.splitlines() if re.match(r"^\w{3} 2027-", line)]
    assert (
        lines[0].startswith("Wed 2027-03-03  09:30") and "← moved from Tue 09:30 (post-call day)" in lines[0]
    )
    moved_call = [line for line in lines if "(on call)" in line]
    assert len(moved_call) == 1 and moved_call[0].startswith("Fri 2027-03-12  09:30")
    assert sum("moved from" in line for line in lines) == 2


@pytest.fixture
def settings(fake_slack, engine):
    from tests.conftest import settings_for

    return settings_for(fake_slack, engine.url.render_as_string(hide_password=False))


def test_import_rota_prints_a_dry_run_then_applies(session_factory, settings, tmp_path: Path, capsys):
    with transaction(session_factory) as session:
        ensure_person(session, TEAM_ID, "U0MENTOR1").email = "okafor@x.org"
    path = tmp_path / "rota.csv"
    path.write_text(ROTA + "nobody@x.org,2027-03-04 19:00,2027-03-05 07:00,night\n")
    now = datetime(2027, 2, 20, tzinfo=UTC)

    dry = import_rota(session_factory, settings, path=path, team_id=TEAM_ID, apply=False, now=now)
    output = capsys.readouterr().out
    assert dry == EXIT_OK  # a dry run changes nothing
    assert "1 person with 1 call, 1 night shift" in output and "line 4: no one in this program" in output
    with session_factory() as session:
        assert session.scalars(select(RotaShift)).all() == []

    applied = import_rota(session_factory, settings, path=path, team_id=TEAM_ID, apply=True, now=now)
    again = import_rota(session_factory, settings, path=path, team_id=TEAM_ID, apply=True, now=now)

    assert applied == again == EXIT_SOME_ERRORS
    with session_factory() as session:
        assert sorted(s.kind for s in session.scalars(select(RotaShift))) == ["call", "night"]  # not doubled
