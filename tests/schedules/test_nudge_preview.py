"""`python -m bot preview`: the schedule the clock would send, without Slack or writes."""

from __future__ import annotations

import argparse
import re
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot import migrate
from bot.app import build_deps
from bot.cli import main
from bot.db import make_engine, make_session_factory
from bot.library.catalogue import builtin_nudges
from bot.library.types import PRACTICES
from bot.models import Delivery, NudgeSend, Person
from bot.slack import make_client
from schedules.nudge_preview import parse_weekdays, run_preview
from tests.bot.test_run_modes import clean_env, run_bot
from tests.conftest import settings_for
from tests.fakes.clock import MovableClock
from tests.nudge_helpers import drive, make_mentor, sends

ROSTER = """mentor,mentee,tz,weekday,time,cadence
dr.okafor,sam.lee,Europe/London,Mon+Thu,09:30,weekly
dr.okafor,ana.ruiz,,,,
dr.adams,alex.kim,America/New_York,Tue,07:00,biweekly
dr.lee,jo.park,Australia/Sydney,wed,17:00,monthly
dr.late,pat.o,America/St_Johns,Fri,19:00,weekly
"""
LINE = re.compile(r"^(\w{3} \d{4}-\d\d-\d\d)  (\d\d:\d\d) (\S+)\s+(\S+)\s+(.+?)\s{2,}(\S+)$")


@pytest.fixture
def in_empty_folder(tmp_path, monkeypatch):
    """Run the CLI as a director would, from a folder with no .env and no Slack variables."""
    monkeypatch.chdir(tmp_path)
    for name in (
        "SLACK_BOT_TOKEN",
        "SLACK_SIGNING_SECRET",
        "SLACK_APP_TOKEN",
        "DATABASE_URL",
        "PROGRAM_TIMEZONE",
    ):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def table(output: str) -> list[tuple[str, ...]]:
    return [m.groups() for m in map(LINE.match, output.splitlines()) if m]


def test_a_roster_preview_prints_each_mentors_rhythm_in_their_local_time(in_empty_folder, capsys):
    (in_empty_folder / "roster.csv").write_text(ROSTER)

    status = main(["preview", "--roster", "roster.csv", "--days", "28", "--start", "2026-12-01"])

    output = capsys.readouterr().out
    assert status == 0
    rows = table(output)
    by_mentor = Counter(row[3] for row in rows)
    assert by_mentor == {"dr.okafor": 8, "dr.adams": 2, "dr.lee": 1}
    okafor = [(row[0][:3], row[1], row[2]) for row in rows if row[3] == "dr.okafor"]
    assert set(okafor) <= {("Mon", "09:30", "GMT"), ("Thu", "09:30", "GMT")}
    assert {(row[0], row[1], row[2]) for row in rows if row[3] == "dr.adams"} == {
        ("Tue 2026-12-01", "08:00", "EST"),  # 07:00 is before contact hours: moved to 08:00
        ("Tue 2026-12-15", "08:00", "EST"),
    }
    assert [(row[0], row[1], row[2]) for row in rows if row[3] == "dr.lee"] == [
        ("Wed 2026-12-02", "17:00", "AEDT")
    ]
    keys = {n.key for n in builtin_nudges()}
    titles = {p.title for p in PRACTICES.values()}
    assert all(row[5] in keys and row[4] in titles for row in rows)
    assert "11 nudges for 4 mentors" in output
    assert "No nudge in this window for: dr.late" in output


def test_the_preview_is_what_the_clock_does(in_empty_folder, fake_slack, monkeypatch):
    """Same database, same planner: the preview's table equals what the real clock sends."""
    database_url = f"sqlite:///{in_empty_folder / 'program.db'}"
    engine = make_engine(database_url)
    migrate.upgrade(engine)
    session_factory = make_session_factory(engine)
    monkeypatch.setenv("DATABASE_URL", database_url)
    start = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)
    mentors = {
        "U0PREV001": {"tz": "Europe/London", "nudge_days": "0,3"},
        "U0PREV002": {"tz": "America/New_York", "nudge_days": "1", "cadence": "biweekly"},
        "U0PREV003": {"tz": "Asia/Kolkata", "nudge_days": "2,4", "nudge_minute": 17 * 60},
    }
    for user, fields in mentors.items():
        fake_slack.add_user(user)
        make_mentor(session_factory, user, now=start, mentees=("U0MENTEE1", "U0MENTEE2"), **fields)

    printed = []
    monkeypatch.setattr("builtins.print", printed.append)
    assert run_preview(argparse.Namespace(days=42, roster=None, start=None), now=start) == 0
    assert sends(session_factory) == []  # the preview wrote nothing

    settings = settings_for(fake_slack, database_url)
    clock = MovableClock(start)
    deps = build_deps(
        settings, client=make_client(settings, retries=0), session_factory=session_factory, clock=clock
    )
    drive(deps, clock, start + timedelta(days=42) - timedelta(seconds=1))

    with session_factory() as session:
        users = {p.id: p.user_id for p in session.scalars(select(Person))}
    sent = []
    for send in sends(session_factory):
        user = users[send.person_id]
        local = send.planned_for.astimezone(ZoneInfo(mentors[user]["tz"]))
        sent.append((f"{local:%a %Y-%m-%d}", f"{local:%H:%M}", user, send.nudge_key))
    previewed = [(row[0], row[1], row[3], row[5]) for row in table(printed[0])]
    assert len(previewed) > 20
    assert sorted(previewed) == sorted(sent)


def test_a_database_preview_changes_nothing_in_the_database(in_empty_folder, monkeypatch, capsys):
    database = in_empty_folder / "program.db"
    engine = make_engine(f"sqlite:///{database}")
    migrate.upgrade(engine)
    now = datetime.now(UTC)
    mentor = make_mentor(make_session_factory(engine), "U0MENTOR1", now=now)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{database}")
    with make_session_factory(engine)() as session:
        before = session.get(Person, mentor).next_nudge_at

    assert main(["preview", "--days", "14"]) == 0

    output = capsys.readouterr().out
    assert len(table(output)) == 2 and "U0MENTOR1" in output
    with make_session_factory(engine)() as session:
        assert session.get(Person, mentor).next_nudge_at == before
        assert session.scalar(select(func.count()).select_from(Delivery)) == 0
        assert session.scalar(select(func.count()).select_from(NudgeSend)) == 0


def test_a_missing_database_is_explained_and_not_created(in_empty_folder, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{in_empty_folder / 'nothing.db'}")

    assert main(["preview"]) == 2

    assert "there is no database at" in capsys.readouterr().err
    assert not (in_empty_folder / "nothing.db").exists()


def test_roster_problems_are_listed_by_line_and_nothing_is_printed(in_empty_folder, capsys):
    (in_empty_folder / "bad.csv").write_text(
        "mentor,mentee,tz,weekday,time,cadence\n"
        "dr.a,m1,Mars/Olympus,Tue,09:30,weekly\n"
        "dr.b,,,,,\n"
        "dr.c,m3,,Funday,25:00,daily\n"
        "dr.d,m4,,Tue,,\n"
        "dr.d,m5,,Wed,,\n"
    )

    assert main(["preview", "--roster", "bad.csv"]) == 2

    captured = capsys.readouterr()
    assert captured.out == ""
    for expected in (
        "line 2: 'Mars/Olympus' is not a time zone name",
        "line 3: needs a mentor and a mentee",
        "line 4: 'Funday' is not a weekday list",
        "line 4: '25:00' is not a time",
        "line 4: cadence 'daily' should be weekly, biweekly or monthly",
        "line 6: dr.d's nudge_days differs from line 5",
    ):
        assert expected in captured.err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["preview", "--days", "0"], "--days must be from 1 to 366"),
        (["preview", "--roster", "missing.csv"], "cannot read the roster file missing.csv"),
    ],
)
def test_bad_arguments_say_what_to_do(in_empty_folder, capsys, argv, message):
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_a_bad_start_date_is_refused_by_the_parser(in_empty_folder, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["preview", "--start", "1 Dec"])
    assert exit_.value.code == 2
    assert "use YYYY-MM-DD" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("Tue", (1,)),
        ("Mon+Thu", (0, 3)),
        ("mon thu", (0, 3)),
        ("0,3", (0, 3)),
        ("sunday", (6,)),
        ("Moon", None),
    ],
)
def test_weekday_lists(text, days):
    assert parse_weekdays(text) == days


def test_the_preview_command_needs_no_slack_at_all(tmp_path):
    (tmp_path / "roster.csv").write_text("dr.okafor,sam.lee,Europe/London,Tue,10:15,weekly\n")

    result = run_bot(
        "preview",
        "--roster",
        "roster.csv",
        "--days",
        "7",
        "--start",
        "2026-12-01",
        env=clean_env(),
        cwd=tmp_path,
    )

    assert result.returncode == 0, result.stderr
    assert table(result.stdout)[0][:4] == ("Tue 2026-12-01", "10:15", "GMT", "dr.okafor")
    assert not list(tmp_path.glob("*.db"))  # no database left behind
    assert date(2026, 12, 1).weekday() == 1
