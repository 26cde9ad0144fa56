"""`python -m bot import-roster` and `export-roster`: the logic in-process, the wiring in one real run."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.db import transaction
from bot.people import ensure_person, ensure_workspace
from bot.roster.cli import (
    EXIT_FAILED,
    EXIT_LINE_ERRORS,
    EXIT_OK,
    export_roster,
    import_roster,
)
from tests.bot.roster.fixtures import (
    ANA,
    CHLOE,
    DOMAIN,
    FATIMA,
    active_pairs,
    add_corpus_people,
    audit_actions,
    corpus,
    snapshot,
)
from tests.fakes.slack_api import BOT_TOKEN, TEAM_ID

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(autouse=True)
def corpus_people(fake_slack):
    add_corpus_people(fake_slack)


def write(tmp_path, name, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def run_import(deps, path, *, apply=False, confirm=None, end_missing=False):
    out = io.StringIO()
    status = import_roster(
        deps,
        team_id=TEAM_ID,
        path=path,
        apply=apply,
        end_missing=end_missing,
        out=out,
        confirm=confirm,
        actor="cli:tester",
    )
    return status, out.getvalue()


def test_without_apply_it_is_a_dry_run_that_lists_every_problem(deps, tmp_path):
    before = snapshot(deps.session_factory)

    status, report = run_import(deps, write(tmp_path, "problems.csv", corpus("problems.csv")))

    assert status == EXIT_LINE_ERRORS
    assert report.startswith(
        "Checked problems.csv: 10 rows (comma-separated, header: Mentor Email | Mentee Email | Cohort)\n"
        "  1 pair to add\n"
    )
    assert f"  ben.okoro@{DOMAIN} → fatima.haddad@{DOMAIN}  [IM]\n" in report
    assert f"  line 2: no Slack user with email nobody@{DOMAIN}\n" in report
    assert "  line 10: the cohort looks like it contains a medical record or patient number\n" in report
    assert report.endswith(
        "Dry run only: nothing was changed. Run again with --apply to make these changes.\n"
    )
    assert snapshot(deps.session_factory) == before


def test_at_a_terminal_it_asks_and_a_no_changes_nothing(deps, tmp_path):
    questions = []
    before = snapshot(deps.session_factory)

    status, report = run_import(
        deps,
        write(tmp_path, "r.csv", corpus("medhub_export.csv")),
        confirm=lambda q: questions.append(q) or False,
    )

    assert status == EXIT_OK
    assert questions == ["\nApply these 2 changes? [y/N] "]
    assert report.endswith("Nothing was changed.\n")
    assert snapshot(deps.session_factory) == before


def test_a_yes_applies_and_the_audit_log_names_the_operating_system_user(deps, tmp_path):
    status, report = run_import(
        deps, write(tmp_path, "r.csv", corpus("medhub_export.csv")), confirm=lambda _q: True
    )

    assert status == EXIT_OK
    assert "\nApplied:\n  2 pairs added\n  0 already in the roster\n  4 welcome messages queued" in report
    assert len(active_pairs(deps.session_factory)) == 2
    assert audit_actions(deps.session_factory) == [("cli:tester", "import.apply", "r.csv")]


def test_apply_applies_without_asking_and_running_it_again_changes_nothing(deps, tmp_path):
    path = write(tmp_path, "r.csv", corpus("excel_semicolon_bom.csv"))
    run_import(deps, path, apply=True)
    before = snapshot(deps.session_factory)

    status, report = run_import(deps, path, apply=True)

    assert status == EXIT_OK
    assert report.endswith("Nothing to change: the roster already matches this file.\n")
    assert snapshot(deps.session_factory) == before


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("missing.csv", None, "cannot read"),
        ("empty.csv", b"Mentor,Mentee\n", "couldn't find any rows"),
    ],
)
def test_unusable_files_exit_1_with_one_line(deps, tmp_path, capsys, name, data, message):
    path = write(tmp_path, name, data) if data is not None else tmp_path / name

    status, report = run_import(deps, path, apply=True)

    assert status == EXIT_FAILED and report == ""
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]


def test_an_exported_roster_imports_back_unchanged(deps, tmp_path):
    awkward = f'ana.ruiz@{DOMAIN},chloe.martin@{DOMAIN},"Surgery, PGY-1"\nben.okoro@{DOMAIN},{FATIMA},=IM+1\n'
    run_import(deps, write(tmp_path, "in.csv", awkward.encode()), apply=True)
    with transaction(deps.session_factory) as session:
        ensure_person(session, TEAM_ID, FATIMA).email = None  # known only by Slack id
    before = snapshot(deps.session_factory)

    out = io.StringIO()
    assert export_roster(deps.session_factory, team_id=None, out=out) == EXIT_OK
    exported = out.getvalue()
    status, report = run_import(
        deps, write(tmp_path, "out.csv", exported.encode()), apply=True, end_missing=True
    )

    started = deps.now().date().isoformat()
    assert exported.splitlines() == [
        "mentor_email,mentee_email,cohort,started",
        f"ben.okoro@{DOMAIN},{FATIMA},'=IM+1,{started}",
        f'ana.ruiz@{DOMAIN},chloe.martin@{DOMAIN},"Surgery, PGY-1",{started}',
    ]
    assert status == EXIT_OK and "Nothing to change" in report
    assert snapshot(deps.session_factory) == before
    assert active_pairs(deps.session_factory) == {
        (ANA, CHLOE, "Surgery, PGY-1"),
        ("U0BEN0001", FATIMA, "=IM+1"),
    }


def test_export_needs_a_team_when_the_database_holds_several(deps, capsys):
    with transaction(deps.session_factory) as session:
        ensure_workspace(session, TEAM_ID)
        ensure_workspace(session, "T0OTHER01")

    assert export_roster(deps.session_factory, team_id=None, out=io.StringIO()) == EXIT_FAILED
    assert (
        "name the workspace with --team (workspaces in the database: T0OTHER01, T0TEST001)"
        in capsys.readouterr().err
    )
    out = io.StringIO()
    assert export_roster(deps.session_factory, team_id=TEAM_ID, out=out) == EXIT_OK
    assert out.getvalue() == "mentor_email,mentee_email,cohort,started\n"


def test_the_commands_work_from_the_shell(tmp_path, fake_slack):
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR")}
    env.update(
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_API_URL=fake_slack.api_url,
        DATABASE_URL=f"sqlite:///{tmp_path / 'mn.db'}",
        LOG_LEVEL="WARNING",
    )
    roster = write(tmp_path, "roster.csv", corpus("quoted_commas.csv"))

    def bot(*args):
        return subprocess.run(
            [sys.executable, "-m", "bot", *args],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
        )

    help_text = bot("--help").stdout
    dry = bot("import-roster", str(roster))
    applied = bot("import-roster", str(roster), "--apply")
    exported = bot("export-roster", "--output", str(tmp_path / "out.csv"))

    assert "import-roster" in help_text and "export-roster" in help_text
    assert dry.returncode == 0 and "3 pairs to add" in dry.stdout and "Dry run only" in dry.stdout, dry.stderr
    assert applied.returncode == 0 and "3 pairs added" in applied.stdout, applied.stderr
    assert exported.returncode == 0 and "Wrote the roster to" in exported.stderr, exported.stderr
    assert (tmp_path / "out.csv").read_text().count("\n") == 4
