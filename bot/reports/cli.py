"""`python -m bot report` and `python -m bot export`: the same report and export as in
Slack, written to a folder without Slack (for the annual program evaluation, QI work or
an IRB study). Reading happens in one transaction; charts are drawn after it closes."""

from __future__ import annotations

import getpass
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
    if team_id is not None:
        return team_id
    with session_factory() as session:
        teams = session.scalars(select(Workspace.team_id)).all()
    if len(teams) != 1:
        raise ReportProblem("the database holds several workspaces (or none): name one with --team T…")
    return teams[0]


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
    except ReportProblem as problem:
        print(f"mentor-nudge: {problem.message}", file=err)
        return EXIT_PROBLEM
    with transaction(session_factory) as session:
        figures = report_figures(session, settings, team, month)
    charts = render_charts(figures)
    out_dir.mkdir(parents=True, exist_ok=True)
    for chart in charts:
        (out_dir / chart.filename).write_bytes(chart.png)
    summary = out_dir / f"report-{month}.md"
    summary.write_text(to_markdown(figures, [c.filename for c in charts]), encoding="utf-8")
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
    except ReportProblem as problem:
        print(f"mentor-nudge: {problem.message}", file=err)
        return EXIT_PROBLEM
    with transaction(session_factory) as session:
        moment = now or datetime.now(UTC)
        tables = collect_export(session, settings, team, options, moment)
        record_export(session, team, cli_actor(), options, moment)
    out_dir.mkdir(parents=True, exist_ok=True)
    for table in tables:
        (out_dir / table.filename).write_bytes(csv_bytes(table))
    kind = "de-identified " if options.deidentify else ""
    print(f"Wrote {len(tables)} {kind}CSV files to {out_dir} (columns: docs/exports.md)", file=err)
    return EXIT_OK
