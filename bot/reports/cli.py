"""`python -m bot report` and `python -m bot export`: the same report and export as in
Slack, written to a folder without Slack (for the annual program evaluation, QI work or
an IRB study). Reading happens in one transaction; charts are drawn after it closes."""

from __future__ import annotations

import getpass
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from sqlalchemy import select

from bot.config import Settings
from bot.db import SessionFactory, transaction
from bot.models import Workspace
from bot.reports.charts import render_charts
from bot.reports.export import collect_export, csv_bytes, record_export
from bot.reports.rules import check_range, parse_month
from bot.reports.service import report_figures
from bot.reports.summary import to_markdown
from bot.reports.types import ExportOptions, ReportProblem

EXIT_OK, EXIT_PROBLEM = 0, 1


def cli_actor() -> str:
    """Who the audit log names for a command-line export: `cli:` and the operating-system user."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no user name in containers without a passwd entry
        user = "unknown"
    return f"cli:{user}"[:32]


def _team(session_factory: SessionFactory, team_id: str | None) -> str:
    with session_factory() as session:
        if team_id is not None:
            if session.get(Workspace, team_id) is None:
                raise ReportProblem(f"no workspace {team_id[:20]} in this database: check --team")
            return team_id
        teams = session.scalars(select(Workspace.team_id)).all()
    if len(teams) != 1:
        raise ReportProblem("the database holds several workspaces (or none): name one with --team T…")
    return teams[0]


def _prepare(out_dir: Path) -> None:
    """Make the output folder before anything is read (or an export audited), so a wrong
    --out costs nothing."""
    if out_dir.exists() and not out_dir.is_dir():
        raise ReportProblem(f"--out {str(out_dir)[:200]} is a file, not a folder: name a folder")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ReportProblem(f"cannot make the folder {str(out_dir)[:200]}: {error.strerror}") from None


def _write_private(path: Path, data: bytes) -> None:
    """Write a file only its owner can read: these are people's records."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)  # an existing file keeps its mode through O_CREAT
    with os.fdopen(descriptor, "wb") as file:
        file.write(data)


def write_report(
    session_factory: SessionFactory,
    settings: Settings,
    *,
    month: str,
    out_dir: Path,
    team_id: str | None = None,
    err: TextIO | None = None,
) -> int:
    """Write the month's charts (PNG) and `report-YYYY-MM.md` into `out_dir`."""
    err = err or sys.stderr  # read at call time: tests and callers may swap stderr
    try:
        month = parse_month(month)
        team = _team(session_factory, team_id)
        _prepare(out_dir)
    except ReportProblem as problem:
        print(f"mentor-nudge: {problem.message}", file=err)
        return EXIT_PROBLEM
    with transaction(session_factory) as session:
        figures = report_figures(session, settings, team, month, datetime.now(UTC))
    charts = render_charts(figures)
    for chart in charts:
        _write_private(out_dir / chart.filename, chart.png)
    summary = out_dir / f"report-{month}.md"
    _write_private(summary, to_markdown(figures, [c.filename for c in charts]).encode("utf-8"))
    print(f"Wrote {summary} and {len(charts)} charts to {out_dir}", file=err)
    return EXIT_OK


def write_export(
    session_factory: SessionFactory,
    settings: Settings,
    *,
    options: ExportOptions,
    out_dir: Path,
    team_id: str | None = None,
    now: datetime | None = None,
    err: TextIO | None = None,
) -> int:
    """Write the export's CSV files into `out_dir`."""
    err = err or sys.stderr
    try:
        check_range(options.first, options.last)
        team = _team(session_factory, team_id)
        _prepare(out_dir)
    except ReportProblem as problem:
        print(f"mentor-nudge: {problem.message}", file=err)
        return EXIT_PROBLEM
    with transaction(session_factory) as session:
        moment = now or datetime.now(UTC)
        tables = collect_export(session, settings, team, options, moment)
        record_export(session, team, cli_actor(), options, moment)
    for table in tables:
        _write_private(out_dir / table.filename, csv_bytes(table))
    kind = "de-identified " if options.deidentify else ""
    print(f"Wrote {len(tables)} {kind}CSV files to {out_dir} (columns: docs/exports.md)", file=err)
    return EXIT_OK
