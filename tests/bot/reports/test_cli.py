"""`python -m bot report` and `python -m bot export`: files in a folder, no Slack needed."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import text

from bot import migrate
from bot.cli import main
from bot.db import make_engine, make_session_factory
from bot.reports.rules import SLACK_ID
from tests.bot.reports.world import GOAL_TEXT, MENTORS, NOTE, build_world


@pytest.fixture
def program(tmp_path, monkeypatch):
    """A migrated SQLite program holding the seeded November, and no Slack variables at all."""
    monkeypatch.chdir(tmp_path)
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "PROGRAM_TIMEZONE"):
        monkeypatch.delenv(name, raising=False)
    database = tmp_path / "program.db"
    engine = make_engine(f"sqlite:///{database}")
    migrate.upgrade(engine)
    build_world(make_session_factory(engine))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{database}")
    return tmp_path


def test_report_writes_the_charts_and_a_summary(program, capsys):
    assert main(["report", "--month", "2026-11", "--out", "out"]) == 0

    written = sorted(p.name for p in (program / "out").iterdir())
    assert written == [
        "mentor-nudge-2026-11-meetings.png",
        "mentor-nudge-2026-11-pulse.png",
        "mentor-nudge-2026-11-response-rate.png",
        "report-2026-11.md",
    ]
    assert all((program / "out" / n).read_bytes().startswith(b"\x89PNG") for n in written[:3])
    summary = (program / "out" / "report-2026-11.md").read_text()
    assert "# Mentor Nudge — program report, Nov 2026" in summary
    assert "| Caring about the learner | 4 | 3 | 1 | 0 | 0 | 75% |" in summary
    assert "![mentor-nudge-2026-11-pulse.png](mentor-nudge-2026-11-pulse.png)" in summary
    assert "Wrote" in capsys.readouterr().err


def test_a_bad_month_is_a_clear_usage_error(program, capsys):
    with pytest.raises(SystemExit) as stopped:
        main(["report", "--month", "Nov", "--out", "out"])
    assert stopped.value.code == 2
    assert "use YYYY-MM" in capsys.readouterr().err
    assert not (program / "out").exists()


def test_export_writes_csv_files_and_text_only_when_asked(program):
    assert main(["export", "--from", "2026-11-01", "--to", "2026-11-30", "--out", "plain"]) == 0
    assert (
        main(["export", "--from", "2026-11-01", "--to", "2026-11-30", "--include-text", "--out", "text"]) == 0
    )

    plain = {p.name: p.read_text(encoding="utf-8-sig") for p in (program / "plain").iterdir()}
    assert len(plain) == 6 and MENTORS[0] in plain["meetings.csv"]
    assert NOTE not in "".join(plain.values())
    with_text = (program / "text" / "agreements.csv").read_text(encoding="utf-8-sig")
    assert GOAL_TEXT in with_text


def test_deidentified_export_from_the_command_line(program):
    status = main(
        [
            "export",
            "--from",
            "2026-10-01",
            "--to",
            "2026-11-30",
            "--deidentify",
            "--include-text",
            "--out",
            "d",
        ]
    )

    assert status == 0
    files = {p.name: p.read_text(encoding="utf-8-sig") for p in (program / "d").iterdir()}
    everything = "".join(files.values())
    assert SLACK_ID.findall(everything) == [] and GOAL_TEXT not in everything and NOTE not in everything
    rows = list(csv.DictReader(io.StringIO(files["meetings.csv"])))
    assert len(rows) == 5 and all(r["mentor"].startswith("p-") for r in rows)


def test_a_backwards_range_is_refused(program, capsys):
    assert main(["export", "--from", "2026-11-30", "--to", "2026-11-01", "--out", "x"]) == 1
    assert "before it starts" in capsys.readouterr().err


def test_years_beyond_the_calendar_are_a_message_not_a_traceback(program, capsys):
    assert main(["export", "--from", "9999-12-01", "--to", "9999-12-31", "--out", "x"]) == 1
    assert "years 2000 to 9998" in capsys.readouterr().err
    with pytest.raises(SystemExit) as stopped:
        main(["report", "--month", "9999-12", "--out", "x"])
    assert stopped.value.code == 2
    assert "year from 2000 to 9998" in capsys.readouterr().err
    assert not (program / "x").exists()


def test_files_are_for_their_owner_only(program):
    assert main(["report", "--month", "2026-11", "--out", "r"]) == 0
    assert main(["export", "--from", "2026-11-01", "--to", "2026-11-30", "--out", "e"]) == 0
    written = [*(program / "r").iterdir(), *(program / "e").iterdir()]
    assert len(written) == 4 + 6
    assert {p.stat().st_mode & 0o777 for p in written} == {0o600}


def test_an_unknown_team_or_a_file_for_out_is_refused_before_anything_is_read(program, capsys):
    assert main(["report", "--month", "2026-11", "--out", "r", "--team", "T0NOSUCH"]) == 1
    assert "no workspace T0NOSUCH" in capsys.readouterr().err
    (program / "taken").write_text("not a folder")
    assert main(["export", "--from", "2026-11-01", "--to", "2026-11-30", "--out", "taken"]) == 1
    assert "is a file, not a folder" in capsys.readouterr().err
    engine = make_engine(f"sqlite:///{program / 'program.db'}")
    with engine.connect() as connection:
        # No audit line: nothing left the database.
        assert (
            connection.execute(text("SELECT count(*) FROM audit_log WHERE action = 'export'")).scalar() == 0
        )
    assert not (program / "r").exists()
